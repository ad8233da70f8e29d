"""A solver's point is checked against the model before it becomes a schedule
(scheduling/verify.py): broken bounds, rows and integralities are found and named, a bad
Cbc point is solved again without Cbc's preprocessing, and on the real case where the
bundled Cbc returns an infeasible "optimal" schedule the workbench returns the optimum."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from bvp_lib.scheduling import Battery, ConnectionPoint, build_problem
from bvp_lib.scheduling.errors import SolverError
from bvp_lib.scheduling.verify import describe_violations, verified, violations

T0 = pd.Timestamp("2015-04-12 10:00", tz="UTC")
PRICES = pd.Series([30.0, -80, -80, 50, 90, 120], index=pd.date_range(T0, periods=6, freq="15min"))


def small_problem():
    bat = Battery("bat-a", capacity=2.0, charge_power=1.0, soc_start=1.0, charge_efficiency=0.95,
                  discharge_efficiency=0.95)  # fmt: skip
    return build_problem([bat], PRICES, [ConnectionPoint("site", ["bat-a"], import_capacity=0.8, export_capacity=0.8)])


def test_a_solved_point_passes_and_broken_points_are_named():
    problem = small_problem()
    r = problem.solve("highs")
    m = problem.to_matrix(tie_break=False)
    assert describe_violations(problem, m, r.x) is None
    assert all(len(i) == 0 for i, _ in violations(m, r.x).values())
    # a charge beyond its 1 MW limit in the quarter-hour from 12:15 local time (step 1)
    charge = next(b for b in problem.lp.var_blocks if b.kind == "charge")
    x = np.array(r.x, dtype=float)
    x[charge.start + 1] = 1.6
    text = describe_violations(problem, m, x)
    assert "bounds, the worst the bounds of charge of bat-a at 2015-04-12 12:15 by 0.6" in text
    assert "rows, the worst" in text  # the SoC balance and the connection limit no longer hold
    found = violations(m, x)
    assert charge.start + 1 in found["bound"][0]
    # within the tolerance (solvers' own feasibility tolerances) nothing is reported
    x = np.array(r.x, dtype=float)
    x[charge.start + 1] += 1e-7
    assert describe_violations(problem, m, x) is None


def test_a_broken_point_is_solved_again_or_refused_with_the_constraint_named():
    problem = small_problem()
    r = problem.solve("highs")
    raw = problem._pulp().solve("highs")
    bad = dataclasses.replace(raw, x=np.array(raw.x) * 1.5)
    with pytest.raises(SolverError, match=r"cbc returned a schedule that breaks the model .*bat-a.*solve with solver='highs'"):
        verified(problem, bad, "cbc")
    again = verified(problem, bad, "cbc", again=lambda: problem._pulp().solve("cbc", safe=True))
    assert "solved again with its preprocessing off; the first point broke" in again.solver_status
    cost = problem.to_matrix(tie_break=False).cost
    assert float(cost @ again.x) == pytest.approx(float(cost @ r.x), abs=1e-6)
    # a second bad point: refused all the same
    with pytest.raises(SolverError, match="breaks the model"):
        verified(problem, bad, "cbc", again=lambda: dataclasses.replace(raw, x=np.array(raw.x) * 1.5))


def test_cbc_infeasible_optimal_point_is_caught_and_the_optimum_returned(db):
    """13 April 2015, the whole bundled portfolio, the explorer with battery power 0.5 MW, energy
    15 MWh and every connection at 2 MW: PuLP's Cbc 2.10 returned 2,312.61 EUR as "Optimal" with
    the campus battery charging 1.11 MW against its 0.5 MW limit (before this check)."""
    from bvp_lib.data.populate import populate
    from bvp_lib.db.catalogue import Catalogue
    from bvp_lib.widgets import ScheduleCache, ScheduleInputs, explorer_overrides

    populate(structure=True, data=True, start="2015-04-11", end="2015-04-15", bind=db, progress=False)
    assets = tuple(Catalogue.read(db).assets.index)
    cache = ScheduleCache(bind=db)
    state = ScheduleInputs(day="2015-04-13", assets=assets).replace(
        battery_power_mw=0.5, battery_energy_mwh=15.0, shiftable_share=0.0, connection_capacity_mw=2.0)
    inputs = cache.day_inputs("2015-04-13", assets, state.mode, state.resolution)
    changed = inputs.with_overrides(explorer_overrides(state))

    def solve(solver):
        problem = build_problem(changed.assets, inputs.prices, changed.connection_points, resolution=inputs.resolution)
        return problem, problem.solve(solver, 60.0, 1e-6)

    p_cbc, cbc = solve("cbc")
    _, highs = solve("highs")
    assert highs.status == "optimal" and highs.stats.n_integer > 0
    assert describe_violations(p_cbc, p_cbc.to_matrix(tie_break=False), cbc.x) is None
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-6)
