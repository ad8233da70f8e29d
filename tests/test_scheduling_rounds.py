"""Rounds of binaries share one time limit (scheduling/limits.py), a later round starts from
the last round's schedule made strict (rounding.carried_start), and independent parts solved
to optimality are not solved again (components.solve_by_parts(known=...))."""

from __future__ import annotations

import numpy as np
import pytest

from bvp_lib.scheduling import build_problem
from bvp_lib.scheduling.backends import solve_matrix
from bvp_lib.scheduling.complementarity import add_no_simultaneous, simultaneous
from bvp_lib.scheduling.components import integer_parts, solve_by_parts
from bvp_lib.scheduling.limits import ROUND_FLOOR_MIN, Budget
from bvp_lib.scheduling.rounding import StrictStart, carried_start
from bvp_lib.scheduling.verify import violations
from tests.test_scheduling_components import PRICES, two_sites


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_limit_is_shared_by_every_round_with_a_floor_for_a_late_one():
    clock = Clock()
    b = Budget(60.0, clock=clock)
    assert b.left() == 60.0
    clock.now += 45.0
    assert b.left() == pytest.approx(15.0)
    clock.now += 30.0  # the limit is gone: a round that must still run gets 10 % of it
    assert b.left() == pytest.approx(6.0)
    assert Budget(5.0, clock=clock).left() == 5.0 and Budget(None).left() is None
    late = Budget(5.0, clock=clock)
    clock.now += 10.0
    assert late.left() == ROUND_FLOOR_MIN  # at least a second
    small = Budget(0.5, clock=clock)
    clock.now += 1.0
    assert small.left() == 0.5  # never more than the limit itself


def _first_rounds():
    """The two-site problem after its first round (binaries where the first LP charged and
    discharged at once), with binaries added where that round's MIP still did (in other
    storages): (problem, the first round's solution, the second round's matrix)."""
    bats, cps = two_sites()
    problem = build_problem(bats, PRICES, cps)
    m0 = problem.to_matrix(tie_break=False)
    lp = solve_matrix(m0, mip_gap=1e-9)
    both = simultaneous(problem.pairs, lp.x)
    assert m0.n_integer and lp.status == "optimal" and both.any()  # another storage dissipates at −80 EUR/MWh
    assert add_no_simultaneous(problem.lp, problem.pairs, np.isin(problem.pairs.unit, problem.pairs.unit[both]))
    return problem, lp, problem.to_matrix(tie_break=False)


def test_a_later_round_starts_from_the_last_schedule_made_strict():
    problem, lp, m = _first_rounds()
    start = carried_start(problem, m, lp.x, lp.bound)
    assert start is not None
    assert all(v[0].size == 0 for v in violations(m, start.x).values())  # every row, bound, binary of the MIP
    assert not simultaneous(problem.pairs, start.x).any()  # the strict rule
    best = solve_matrix(m, mip_gap=1e-9)
    assert best.status == "optimal"
    # the start is a schedule of the new MIP, the first round's bound still bounds it
    assert start.objective <= best.objective + 1e-7 and start.bound == pytest.approx(lp.bound)
    assert best.objective < lp.objective - 1e-3  # the new binaries cost: the first round's schedule is not strict
    assert best.objective <= start.bound + 1e-7
    # handed to the parts, the whole's bound is at most the start's (here the optimum itself,
    # which HiGHS's own bound at a loose gap is not)
    tight = StrictStart(x=start.x, objective=start.objective, bound=best.objective, seconds=0.0)
    loose = solve_by_parts(m, mip_gap=1e-2)
    assert loose.bound > best.objective + 1e-6
    r = solve_by_parts(m, mip_gap=1e-2, start=tight)
    assert r.bound == pytest.approx(best.objective, abs=1e-9)


def test_a_part_solved_to_optimality_is_taken_again_only_while_it_is_unchanged():
    problem, _, m = _first_rounds()
    known: dict = {}
    first = solve_by_parts(m, mip_gap=1e-9, known=known)
    assert first.status == "optimal" and len(known) == len([p for p in integer_parts(m) if m.integrality[p[0]].any()])
    # mark what is kept: a second solve of the same model returns the kept parts as they are
    for raw in known.values():
        raw.x = raw.x + 0.125
    again = solve_by_parts(m, mip_gap=1e-9, known=known)
    assert np.allclose(again.x[np.flatnonzero(m.integrality)] % 1.0, 0.125)
    # a part whose prices change is solved again: its columns no longer carry the mark
    cols = integer_parts(m)[-1][0]
    changed = type(m)(m.cost.copy(), m.offset, m.A, m.col_lower, m.col_upper, m.row_lower, m.row_upper, m.integrality)
    changed.cost[cols] *= 1.01
    third = solve_by_parts(changed, mip_gap=1e-9, known=known)
    assert third.status == "optimal"
    assert np.allclose(third.x[cols][np.asarray(m.integrality, bool)[cols]] % 1.0, 0.0)


def test_a_solve_with_rounds_keeps_its_optimum_within_a_limit():
    bats, cps = two_sites()
    unlimited = build_problem(bats, PRICES, cps).solve("highs", mip_gap=1e-9)
    limited = build_problem(bats, PRICES, cps).solve("highs", 30.0, mip_gap=1e-9)
    assert unlimited.stats.rounds >= 2 and limited.stats.rounds == unlimited.stats.rounds
    assert limited.status == "optimal" and limited.objective == pytest.approx(unlimited.objective, abs=1e-7)
    assert (limited.charge.to_numpy() == unlimited.charge.to_numpy()).all()  # the same canonical schedule
