"""The SoC room of a strict step (``room_rows``, scheduling/complementarity.py): valid for every
strict schedule, so the MIP's optimum is unchanged, and tighter than the intra-step relaxation
where a storage is full or empty at a negative price (the bound the rounded start reports)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from bvp_lib.scheduling import Battery, ConnectionPoint, build_problem
from bvp_lib.scheduling.backends import MatrixLP, solve_matrix
from bvp_lib.scheduling.complementarity import with_room

T0 = pd.Timestamp("2015-04-12 10:00", tz="UTC")


def series(values) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=pd.date_range(T0, periods=len(values), freq="15min"))


def relaxed(m: MatrixLP) -> float:
    """The MIP's LP relaxation (integrality dropped) solved by HiGHS."""
    lp = MatrixLP(m.cost, m.offset, m.A, m.col_lower, m.col_upper, m.row_lower, m.row_upper,
                  np.zeros(m.n_vars, bool))  # fmt: skip
    r = solve_matrix(lp)
    assert r.status == "optimal"
    return r.objective


def roomy(problem) -> MatrixLP:
    """The problem's MIP with the room rows of every binary entry."""
    m = problem.to_matrix(tie_break=False)
    return with_room(m, problem.lp, problem.pairs, np.flatnonzero(problem.pairs.binary >= 0))


def brute_force(problem) -> float:
    """The strict optimum by enumeration: every direction of every binary entry fixed in
    turn (the other direction's power held at 0), each an LP; the best one."""
    m = problem.to_matrix(tie_break=False)
    pr = problem.pairs
    has = np.flatnonzero(pr.binary >= 0)
    best = -np.inf
    for dirs in itertools.product((0, 1), repeat=has.size):
        u = np.asarray(dirs)
        lo, up = m.col_lower.copy(), m.col_upper.copy()
        lo[pr.binary[has]] = up[pr.binary[has]] = u
        up[np.where(u == 1, pr.discharge[has], pr.charge[has])] = 0.0
        lp = MatrixLP(m.cost, m.offset, m.A, lo, up, m.row_lower, m.row_upper, np.zeros(m.n_vars, bool))
        r = solve_matrix(lp)
        if r.status == "optimal":
            best = max(best, r.objective)
    return best


def test_a_full_battery_has_no_room_to_charge_in_its_first_step():
    # 1 MW / 1 MWh, full, η = 0.95 each way, two quarter-hours at −80 EUR/MWh (paid to consume).
    # Strict: discharge d in the first step, charge c ≤ d/η² back in the second; the best is
    # d = η² = 0.9025, c = 1: 80 · 0.25 · (1 − 0.9025) = 1.95 EUR. The intra-step relaxation
    # burns losses from the full state in both steps: 2 · 80 · 0.25 · (1 − η²)/(1 + η²) = 2.0499 EUR.
    bat = Battery("b", capacity=1, charge_power=1, soc_start=1, charge_efficiency=0.95, discharge_efficiency=0.95)
    prices = series([-80, -80])
    strict = build_problem([bat], prices, tie_break=0)
    plain = strict.to_matrix(tie_break=False)
    m = roomy(strict)
    assert m.n_rows == plain.n_rows + 4  # two rows per binary step
    assert relaxed(m) == pytest.approx(1.95, abs=1e-9)  # the relaxation is exact here
    assert relaxed(plain) == pytest.approx(2 * 80 * 0.25 * (1 - 0.9025) / 1.9025, abs=1e-9)  # without: burns
    r = build_problem([bat], prices, tie_break=0).solve("highs")
    assert r.objective == pytest.approx(1.95, abs=1e-9) and r.status == "optimal"
    intra = build_problem([bat], prices, tie_break=0, complementarity="intra-step").solve("highs")
    assert intra.objective == pytest.approx(relaxed(plain), abs=1e-9)


@pytest.mark.parametrize("soc_max", [None, "falling"])
def test_the_strict_optimum_is_unchanged_two_batteries_sharing_a_limit(soc_max):
    # two lossy batteries behind a 2 MW connection, three quarter-hours at −80 EUR/MWh, then a
    # high price, binaries in every step ("milp"): every direction pattern enumerated (2^8 LPs)
    # against the MIP with its room rows; one case with a SoC maximum that falls during the
    # negative hours (the rows' bound then takes the larger of the two steps' limits)
    prices = series([-80, -80, -80, 90])
    ends = pd.date_range(T0 + pd.Timedelta("15min"), periods=4, freq="15min")  # a bound per step end
    cap = None if soc_max is None else pd.Series([2.0, 0.6, 0.9, 2.0], index=ends)
    bats = [
        Battery("a", capacity=2, charge_power=1.5, soc_start=1.2, charge_efficiency=0.95,
                discharge_efficiency=0.95, soc_max=cap),  # fmt: skip
        Battery("b", capacity=1, charge_power=1.0, soc_start=0.8, charge_efficiency=0.9, discharge_efficiency=0.9),
    ]
    grid = ConnectionPoint("grid", ["a", "b"], import_capacity=2.0, export_capacity=2.0)
    problem = build_problem(bats, prices, [grid], tie_break=0, complementarity="milp")
    m = roomy(problem)
    assert m.n_integer == 8 and m.n_rows == problem.to_matrix().n_rows + 16
    truth = brute_force(problem)
    r = solve_matrix(m, mip_gap=1e-9)
    assert r.status == "optimal" and r.objective == pytest.approx(truth, abs=1e-7)
    assert truth - 1e-9 <= relaxed(m) <= relaxed(problem.to_matrix(tie_break=False)) + 1e-9


def test_the_rounded_starts_bound_is_tighter_and_above_every_strict_schedule():
    # eight batteries of the fleet, six hours at −80 EUR/MWh: the start's bound (the
    # relaxation with the room rows) lies below the plain relaxation's and above the best strict
    # schedule HiGHS finds in 10 s; the start itself is a strict schedule at most that good
    from bvp_lib.scheduling.rounding import relaxation, strict_start
    from bvp_lib.scheduling.synthetic import battery_fleet, two_peak_prices
    from bvp_lib.timing import day_index

    idx = day_index("2015-06-10")
    prices = two_peak_prices(idx, 1, negative_hours=6)
    bats, cps = battery_fleet(8, idx, 1)
    problem = build_problem(bats, prices, cps)
    m = problem.to_matrix(tie_break=False)
    start = strict_start(problem, m)
    plain = relaxation(problem, m, room=False)
    assert start is not None and plain is not None
    assert start.bound < plain[1] - 1.0  # EUR: the room rows bind
    r = build_problem(bats, prices, cps).solve("highs", time_limit=10)
    assert start.objective <= start.bound and r.objective <= start.bound + 1e-6 * abs(r.objective)
    x = start.x
    pr = problem.pairs
    assert not ((x[pr.charge] > 1e-6) & (x[pr.discharge] > 1e-6)).any()
    assert np.all(m.A @ x <= m.row_upper + 1e-6) and np.all(m.A @ x >= m.row_lower - 1e-6)
