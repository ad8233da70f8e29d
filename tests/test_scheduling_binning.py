"""Bins proven exact (scheduling/binning.py): the plain LP's optimum from an aggregate
whose every bin splits into feasible member schedules, bins that do not split are cut,
the result keeps every row, is deterministic, and the solve path takes it for large fleets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bvp_lib.scheduling import Building, ConnectionPoint, build_problem, sifting
from bvp_lib.scheduling import binning
from bvp_lib.scheduling.binning import solve_binned
from bvp_lib.scheduling.synthetic import battery_fleet, two_peak_prices
from bvp_lib.timing import day_index


@pytest.fixture(scope="module")
def fleet():
    idx = day_index("2015-06-10")
    return idx, two_peak_prices(idx, 3), *battery_fleet(120, idx, 3)


def matrix_and_penalty(problem):
    m = problem.to_matrix(tie_break=False)
    pen = problem.lp.penalty_vector()
    return m, np.concatenate([pen, np.zeros(m.n_vars - pen.size)])


def keeps_every_row(m, x, tol=1e-6):
    act = m.A @ x
    return (np.all(act >= m.row_lower - tol) and np.all(act <= m.row_upper + tol)
            and np.all(x >= m.col_lower - tol) and np.all(x <= m.col_upper + tol))


def test_binned_reaches_the_plain_optimum_and_keeps_every_row(fleet):
    _, prices, bats, cps = fleet
    plain = build_problem(bats, prices, cps).solve("highs", method="monolithic")
    problem = build_problem(bats, prices, cps)
    m, pen = matrix_and_penalty(problem)
    raw = solve_binned(problem, m, penalty=pen)
    assert raw is not None and raw.status == "optimal", raw
    assert "proven exact" in raw.solver_status
    assert raw.objective == pytest.approx(plain.objective, rel=1e-9)
    assert raw.bound >= raw.objective - 1e-6  # the aggregate's optimum bounds the fleet's
    assert keeps_every_row(m, raw.x)
    again = solve_binned(build_problem(bats, prices, cps), m, penalty=pen)
    assert np.array_equal(raw.x, again.x)  # deterministic


def test_a_bin_that_does_not_split_is_cut(fleet, monkeypatch):
    # one bin of all 120 batteries (durations 0.7-6 h): its aggregate is loose, so it
    # cannot split into feasible members; it is cut until every part splits
    _, prices, bats, cps = fleet
    monkeypatch.setattr(sifting, "BIN_SIZE", 120)
    plain = build_problem(bats, prices, cps).solve("highs", method="monolithic")
    problem = build_problem(bats, prices, cps)
    m, pen = matrix_and_penalty(problem)
    raw = solve_binned(problem, m, penalty=pen)
    rounds = int(raw.solver_status.split("binned: ")[1].split(" ")[0])
    assert rounds >= 2, raw.solver_status
    assert raw.objective == pytest.approx(plain.objective, rel=1e-9)
    assert raw.bound == pytest.approx(plain.objective, rel=1e-9)  # the last aggregate was exact
    assert keeps_every_row(m, raw.x)


def test_large_fleets_take_the_binned_path_and_others_do_not(fleet, monkeypatch):
    idx, prices, bats, cps = fleet
    monkeypatch.setattr(binning, "BINNED_MIN", 100)
    r = build_problem(bats, prices, cps).solve("highs")
    assert "binned" in r.stats.solver_status
    plain = build_problem(bats, prices, cps).solve("highs", method="monolithic")
    assert r.objective == pytest.approx(plain.objective, rel=1e-9)
    c, d = r.charge.to_numpy(), r.discharge.to_numpy()
    assert not ((c > 1e-6) & (d > 1e-6)).any()
    # a building behind the same connection: not a batteries-only fleet, so no bins
    load = Building("hall", pd.Series(-0.5, index=idx), flexible_share=0.0)
    mixed = build_problem([*bats, load], prices, [ConnectionPoint("site", [b.name for b in bats] + ["hall"],
                          import_capacity=cps[0].import_capacity, export_capacity=cps[0].export_capacity)])
    m, pen = matrix_and_penalty(mixed)
    assert solve_binned(mixed, m, penalty=pen) is None
