"""Sifting from the duration-binned aggregate (scheduling/sifting.py): the same LP
optimum as a plain solve, proven by pricing out every left-out column, deterministic,
and a plain solve wherever no pattern can be made."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from bvp_lib.scheduling import (
    Battery,
    Building,
    ConnectionPoint,
    build_problem,
    sifting,
)
from bvp_lib.scheduling.backends import highs_instance, pass_matrix
from bvp_lib.scheduling.synthetic import battery_fleet, two_peak_prices
from bvp_lib.timing import day_index


def restricted_lps(result) -> int:
    m = re.search(r"(\d+) restricted LPs", result.stats.solver_status)
    return int(m.group(1)) if m else 0


@pytest.fixture(scope="module")
def fleet():
    idx = day_index("2015-06-10")
    return idx, two_peak_prices(idx, 3), *battery_fleet(120, idx, 3)


def test_sifting_reaches_the_plain_optimum_and_keeps_every_limit(fleet):
    _, prices, bats, cps = fleet
    plain = build_problem(bats, prices, cps).solve("highs", method="monolithic")
    sifted = build_problem(bats, prices, cps).solve("highs", method="guided")
    assert restricted_lps(sifted) >= 1, sifted.stats.solver_status
    assert sifted.status == "optimal" and sifted.stats.proven_gap == 0.0
    assert sifted.objective == pytest.approx(plain.objective, rel=1e-9)
    cap = cps[0].import_capacity
    assert sifted.connection_flows["site"].abs().max() <= cap + 1e-6
    assert sifted.stats.simultaneous_steps == 0
    soc = sifted.soc.to_numpy()
    caps = np.array([b.capacity for b in bats])
    assert soc.min() >= -1e-7 and (soc <= caps + 1e-7).all()


def test_a_loose_aggregate_is_corrected_by_pricing_out(fleet, monkeypatch):
    """One bin for all 120 batteries (durations 0.7-6 h mixed): the first restricted LP is
    far from optimal, columns must enter, and the result is still the plain optimum."""
    _, prices, bats, cps = fleet
    monkeypatch.setattr(sifting, "BIN_SIZE", 10_000)
    plain = build_problem(bats, prices, cps).solve("highs", method="monolithic")
    p = build_problem(bats, prices, cps)
    m = p.to_matrix(tie_break=False)
    keep = sifting.open_pattern(p, m)
    h = highs_instance()
    cols = np.flatnonzero(keep)
    first = sifting.MatrixLP(m.cost[cols], m.offset, m.A.tocsc()[:, cols], m.col_lower[cols], m.col_upper[cols],
                               m.row_lower, m.row_upper, np.zeros(cols.size, bool))
    pass_matrix(h, first)
    h.run()
    assert h.getInfo().objective_function_value < plain.objective * (1 - 1e-6)  # the pattern alone loses value
    sifted = p.solve("highs", method="guided")
    assert restricted_lps(sifted) >= 2, sifted.stats.solver_status
    assert sifted.objective == pytest.approx(plain.objective, rel=1e-9)


def test_sifting_is_deterministic(fleet):
    _, prices, bats, cps = fleet
    a = build_problem(bats, prices, cps).solve("highs", method="guided")
    b = build_problem(bats, prices, cps).solve("highs", method="guided")
    pd.testing.assert_frame_equal(a.schedule, b.schedule)
    pd.testing.assert_frame_equal(a.soc, b.soc)


def test_auto_sifts_large_fleets_only():
    idx = day_index("2015-06-10")
    prices = two_peak_prices(idx, 5)
    b5, c5 = battery_fleet(5, idx, 5)
    small = build_problem(b5, prices, c5).solve("highs")
    assert "sifting" not in small.stats.solver_status
    bats, cps = battery_fleet(guided_min(), idx, 5)
    large = build_problem(bats, prices, cps).solve("highs")
    assert "sifting" in large.stats.solver_status


def guided_min() -> int:
    from bvp_lib.scheduling.problem import GUIDED_MIN

    return GUIDED_MIN


def test_no_pattern_means_a_plain_solve():
    """Other assets than batteries, or exact SoC targets over time: solved as they are."""
    idx = day_index("2015-06-10")
    prices = two_peak_prices(idx, 6)
    bats, cps = battery_fleet(4, idx, 6)
    house = Building("house", pd.Series(-0.5, index=idx), flexible_share=0.0)
    with_load = build_problem(bats + [house], prices,
                              [ConnectionPoint("site", [b.name for b in bats] + ["house"],
                                               import_capacity=cps[0].import_capacity,
                                               export_capacity=cps[0].export_capacity)])
    r = with_load.solve("highs", method="guided")
    assert r.status == "optimal" and "sifting" not in r.stats.solver_status
    target = pd.Series([np.nan] * 47 + [1.5] + [np.nan] * 48, index=idx + pd.Timedelta("15min"))
    pinned = [Battery("b", 3.0, 1.0, soc_start=1.0, soc_targets=target)]
    r2 = build_problem(pinned, prices).solve("highs", method="guided")
    assert "sifting" not in r2.stats.solver_status
    assert r2.soc["b"].iloc[48] == pytest.approx(1.5)


def test_unknown_method_is_named():
    idx = day_index("2015-06-10")
    with pytest.raises(ValueError, match="'guided'"):
        b2, c2 = battery_fleet(2, idx, 1)
        build_problem(b2, two_peak_prices(idx, 1), c2).solve("highs", method="sifted")
