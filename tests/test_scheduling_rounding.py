"""A strict start for large MIPs (scheduling/rounding.py): directions rounded from the
relaxation, a schedule that keeps every row and the strict rule, a bound above the
optimum, and a large fleet at negative prices that gets a schedule and its gap at a
time limit."""

from __future__ import annotations

import numpy as np
import pytest

from bvp_lib.scheduling import build_problem
from bvp_lib.scheduling.complementarity import StoragePairs
from bvp_lib.scheduling.rounding import round_directions, strict_start
from bvp_lib.scheduling.synthetic import battery_fleet, two_peak_prices
from bvp_lib.timing import day_index


def pairs_of(unit, step, binary, n_vars) -> tuple[StoragePairs, np.ndarray]:
    k = len(unit)
    e = np.arange(k)
    p = StoragePairs(charge=e, discharge=e + k, charge_ub=np.full(k, 2.0), discharge_ub=np.full(k, 2.0),
                     asset=np.asarray(unit), step=np.asarray(step), unit=np.asarray(unit),
                     lossy=np.ones(k, bool), has_binary=np.asarray(binary) >= 0,
                     binary=np.asarray(binary))  # fmt: skip
    return p, np.zeros(n_vars)


def test_a_dissipating_run_alternates_and_other_steps_keep_their_direction():
    # unit 0: four binary steps 10-13, both directions at half power (it dissipates);
    # unit 1: steps 10-12 charge only, then idle with a relaxed binary of 0.7; no binary at step 14
    unit = [0, 0, 0, 0, 1, 1, 1, 1, 1]
    step = [10, 11, 12, 13, 10, 11, 12, 13, 14]
    binary = [18, 19, 20, 21, 22, 23, 24, 25, -1]
    p, x = pairs_of(unit, step, binary, 26)
    x[p.charge[:4]] = 1.0
    x[p.discharge[:4]] = 1.0  # time shares 0.5 and 0.5 in each step
    x[p.charge[4:7]] = 2.0
    x[25] = 0.7
    u = round_directions(p, x)
    # share 0.5 with phase 0 (the first unit): floor((k+1)/2) - floor(k/2) = 0, 1, 0, 1
    assert u.tolist() == [0, 1, 0, 1, 1, 1, 1, 1, -1]


def test_an_uneven_run_is_split_in_proportion():
    unit, step = [0] * 8, list(range(40, 48))
    p, x = pairs_of(unit, step, list(range(16, 24)), 24)
    x[p.charge] = 1.5  # charge share 0.75 in every step
    x[p.discharge] = 0.5  # discharge share 0.25
    u = round_directions(p, x)
    assert u.sum() == 6  # 0.75 of the 8 steps charge
    assert not any(u[i] == u[i + 1] == 0 for i in range(7))  # the discharging steps are spread


@pytest.fixture(scope="module")
def negative_day():
    idx = day_index("2015-06-03")
    return idx, two_peak_prices(idx, 1, negative_hours=6)


def check_feasible(m, x, tol=1e-6):
    assert np.all(x >= m.col_lower - tol) and np.all(x <= m.col_upper + tol)
    act = m.A @ x
    assert np.all(act >= m.row_lower - tol) and np.all(act <= m.row_upper + tol)
    xi = x[m.integrality]
    assert np.allclose(xi, np.round(xi))


def test_the_start_keeps_every_row_and_brackets_the_exact_optimum(negative_day):
    idx, prices = negative_day
    bats, _ = battery_fleet(1, idx, 1)  # on its own (no shared limit): it dissipates when relaxed
    cps = []
    problem = build_problem(bats, prices, cps)
    m = problem.to_matrix(tie_break=False)
    start = strict_start(problem, m)
    assert start is not None and m.n_integer == 24
    check_feasible(m, start.x)
    assert abs(float(m.cost @ start.x) + m.offset - start.objective) < 1e-6
    exact = build_problem(bats, prices, cps).solve("highs", mip_gap=1e-9)
    assert exact.status == "optimal"
    assert start.objective - 1e-6 <= exact.objective <= start.bound + 1e-6
    assert start.bound > exact.objective + 1.0  # the relaxation dissipates: it is a bound, not the optimum


def test_a_large_fleet_at_negative_prices_gets_a_strict_schedule_and_its_gap(negative_day):
    idx, prices = negative_day
    bats, cps = battery_fleet(120, idx, 1)  # from GUIDED_MIN batteries the MIP starts from the rounding
    probe = build_problem(bats, prices, cps)
    start = strict_start(probe, probe.to_matrix(tie_break=False))
    assert start is not None
    assert (start.bound - start.objective) / start.objective < 0.01  # measured 0.47 % at N = 200
    r = build_problem(bats, prices, cps).solve("highs", time_limit=8, mip_gap=1e-6)
    assert r.status in ("optimal", "time_limit")
    c, d = r.charge.to_numpy(), r.discharge.to_numpy()
    assert not ((c > 1e-6) & (d > 1e-6)).any(), "charging and discharging at once"
    assert r.objective >= start.objective - 1e-6
    assert r.stats.bound <= start.bound + 1e-6 and r.stats.bound >= r.objective - 1e-6
    assert r.stats.proven_gap == pytest.approx(abs(r.stats.bound - r.objective) / r.objective, rel=1e-6, abs=1e-9)
