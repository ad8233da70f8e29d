"""Tests for bvp_lib.scheduling: hand-computable cases per asset type, solver and backend
agreement, determinism, DST days and the error messages for bad input.

Sign convention: power in MW, production positive, consumption negative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bvp_lib.scheduling import (
    Battery,
    Building,
    ChargingStation,
    ConnectionPoint,
    Curtailable,
    InfeasibleScheduleError,
    SchedulingInputError,
    SolverError,
    UnboundedScheduleError,
    build_problem,
)
from bvp_lib.scheduling.synthetic import synthetic_portfolio, synthetic_prices
from bvp_lib.timing import day_index

T0 = pd.Timestamp("2015-04-12 00:00", tz="UTC")


def qh(n: int, start: pd.Timestamp = T0) -> pd.DatetimeIndex:
    """``n`` quarter-hour step starts (UTC)."""
    return pd.date_range(start, periods=n, freq="15min")


def series(values, start: pd.Timestamp = T0) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=qh(len(values), start))


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(a), abs(b))


# --------------------------------------------------------------------------- battery


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_battery_under_a_price_step(solver):
    """0.5 MWh, 1 MW, lossless: charge in the two earliest cheap steps, sell in the two
    earliest expensive ones (the tie-break prefers earlier actions). Revenue =
    0.5 MWh × (50 − 10) EUR/MWh = 20 EUR."""
    prices = series([10] * 4 + [50] * 4)
    bat = Battery("bat-01", capacity=0.5, charge_power=1.0)
    r = build_problem([bat], prices).solve(solver)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(20.0, abs=1e-6)
    np.testing.assert_allclose(r.schedule["bat-01"], [-1, -1, 0, 0, 1, 1, 0, 0], atol=1e-7)
    np.testing.assert_allclose(r.soc["bat-01"], [0, 0.25, 0.5, 0.5, 0.5, 0.25, 0, 0, 0], atol=1e-7)
    assert len(r.soc) == 9 and r.soc.index[0] == T0 and r.soc.index[-1] == T0 + pd.Timedelta("2h")
    assert r.baseline_revenue == 0.0 and r.value == pytest.approx(20.0, abs=1e-6)
    # the tidy action table: asset, period, MW and value in EUR
    tab = r.action_table
    assert list(tab.columns) == ["asset", "start", "end", "power", "value"]
    assert len(tab) == 4 and tab["value"].sum() == pytest.approx(20.0, abs=1e-6)
    assert (tab["end"] - tab["start"] == pd.Timedelta("15min")).all()


def test_battery_with_losses():
    """η_c = η_d = 0.9, 0.45 MWh: buy 0.5 MWh (2 steps at 1 MW) at 10, sell 0.405 MWh
    (1 MW then 0.62 MW) at 50: revenue = −5 + 20.25 = 15.25 EUR."""
    prices = series([10] * 4 + [50] * 4)
    bat = Battery("b", capacity=0.45, charge_power=1.0, charge_efficiency=0.9, discharge_efficiency=0.9)
    r = build_problem([bat], prices).solve("highs")
    assert r.objective == pytest.approx(15.25, abs=1e-6)
    np.testing.assert_allclose(r.schedule["b"], [-1, -1, 0, 0, 1, 0.62, 0, 0], atol=1e-7)
    assert r.soc["b"].max() == pytest.approx(0.45)


def test_battery_self_discharge_and_target():
    """σ = 10 %/h over 1 h from 1 MWh idle leaves 0.9 MWh; the target (default: the
    start SoC) forces the battery to buy back what self-discharge loses."""
    prices = pd.Series([30.0] * 4, index=qh(4))
    bat = Battery("b", capacity=2, charge_power=1, soc_start=1.0, self_discharge=0.1)
    r = build_problem([bat], prices).solve("highs")
    assert r.soc["b"].iloc[-1] == pytest.approx(1.0, abs=1e-7)
    assert r.schedule["b"].sum() < 0  # net charging
    k = 0.9 ** 0.25
    # energy bought = 1 − 0.9 losses, ramped over the steps: check the SoC recursion
    s = 1.0
    for t in range(4):
        s = k * s - r.schedule["b"].iloc[t] * 0.25
        assert r.soc["b"].iloc[t + 1] == pytest.approx(s, abs=1e-7)


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_no_simultaneous_charge_and_discharge_under_negative_prices(solver):
    """A full lossy battery paid to consume would burn energy by charging and discharging
    at once; the exact (binary) formulation forbids it and the LP relaxation shows why."""
    prices = series([-20] * 6 + [40] * 2)
    bat = Battery("b", capacity=1, charge_power=1, soc_start=1, charge_efficiency=0.9, discharge_efficiency=0.9)
    relaxed = build_problem([bat], prices, complementarity="lp").solve(solver)
    assert relaxed.stats.simultaneous_steps > 0  # the LP relaxation would do it
    exact = build_problem([bat], prices).solve(solver)
    both = (exact.charge["b"] > 1e-6) & (exact.discharge["b"] > 1e-6)
    assert not both.any()
    assert exact.stats.n_integer > 0 and exact.stats.simultaneous_steps == 0
    full = build_problem([bat], prices, complementarity="milp").solve(solver)
    assert rel(exact.objective, full.objective) < 1e-6
    assert relaxed.objective > exact.objective + 1e-3


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_simultaneity_found_after_the_solve_gets_binaries(solver):
    """At a binding export limit a full lossy battery can get rid of excess solar by
    charging and discharging at once instead of curtailing — same revenue. Without a
    tie-break the solver may pick it (HiGHS does); "auto" then adds binaries for that
    battery and solves again, keeping the optimum."""
    prices = series([40] * 8)
    pv = Curtailable("pv", series([3] * 8))
    bat = Battery("bat", capacity=1, charge_power=1, soc_start=1, charge_efficiency=0.9, discharge_efficiency=0.9)
    grid = ConnectionPoint("grid", ["pv", "bat"], export_capacity=2)
    lp = build_problem([pv, bat], prices, [grid], tie_break=0, complementarity="lp").solve(solver)
    auto = build_problem([pv, bat], prices, [grid], tie_break=0).solve(solver)
    assert auto.objective == pytest.approx(160.0) and lp.objective == pytest.approx(160.0)
    assert not ((auto.charge["bat"] > 1e-6) & (auto.discharge["bat"] > 1e-6)).any()
    assert auto.stats.rounds == 1 + (lp.stats.simultaneous_steps > 0)
    assert (auto.stats.n_integer > 0) == (lp.stats.simultaneous_steps > 0)


def test_lossless_battery_needs_no_binaries():
    prices = series([-20] * 4 + [40] * 4)
    bat = Battery("b", capacity=1, charge_power=1, soc_start=0.5)
    r = build_problem([bat], prices).solve("highs")
    assert r.stats.n_integer == 0
    assert not ((r.charge["b"] > 1e-6) & (r.discharge["b"] > 1e-6)).any()


# --------------------------------------------------------------------------- EV


def _one_session(bidirectional=False, **extra):
    sessions = pd.DataFrame(
        {"arrival": [T0 + pd.Timedelta("5min")], "departure": [T0 + pd.Timedelta("90min")],
         "energy": [0.011], "max_power": [0.011], **extra},
        index=[17],
    )
    return ChargingStation("cs-03", sessions, bidirectional=bidirectional)


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_ev_one_session(solver):
    """11 kWh at 11 kW between 00:05 and 01:30: the four cheapest full steps (prices 10,
    20, 30, 30) each take 2.75 kWh. Cost 0.2475 EUR. Baseline: full power from arrival
    (2/3 of step 0), cost 0.311667 EUR."""
    prices = series([50, 40, 10, 20, 30, 30, 60, 70])
    r = build_problem([_one_session()], prices).solve(solver)
    np.testing.assert_allclose(r.schedule["cs-03"], [0, 0, -0.011, -0.011, -0.011, -0.011, 0, 0], atol=1e-9)
    assert r.objective == pytest.approx(-0.2475, abs=1e-7)
    np.testing.assert_allclose(
        r.baseline["cs-03"], [-0.011 * 2 / 3, -0.011, -0.011, -0.011, -0.011 / 3, 0, 0, 0], atol=1e-9
    )
    assert r.baseline_revenue == pytest.approx(-0.3116667, abs=1e-6)
    assert r.value == pytest.approx(0.0641667, abs=1e-6)
    assert (r.sessions["session"] == 17).all() and len(r.sessions) == 6  # steps 0..5


def test_ev_session_ending_mid_step_uses_the_fraction():
    """Departure at 00:40: step 2 (00:30–00:45) is available for 2/3 only."""
    sessions = pd.DataFrame({"arrival": [T0], "departure": [T0 + pd.Timedelta("40min")],
                             "energy": [0.011 * (0.5 + 0.25 * 2 / 3)], "max_power": [0.011]})
    prices = series([10, 10, 10, 10])
    r = build_problem([ChargingStation("cs", sessions)], prices).solve("highs")
    np.testing.assert_allclose(r.schedule["cs"], [-0.011, -0.011, -0.011 * 2 / 3, 0], atol=1e-9)


def test_ev_bidirectional_discharges_within_the_car_soc():
    """V2G: sell 2 × 2.75 kWh at 100, then buy 15.5 kWh at 10 to end with 10 kWh more than
    on arrival: revenue 0.55 − 0.155 = 0.395 EUR."""
    sessions = pd.DataFrame({"arrival": [T0], "departure": [T0 + pd.Timedelta("2h")], "energy": [0.010],
                             "max_power": [0.011], "capacity": [0.05], "soc_at_arrival": [0.03]})
    prices = series([100, 100, 10, 10, 10, 10, 10, 10])
    st = ChargingStation("v2g", sessions, bidirectional=True)
    r = build_problem([st], prices).solve("highs")
    assert r.objective == pytest.approx(0.395, abs=1e-7)
    np.testing.assert_allclose(r.schedule["v2g"].iloc[:2], [0.011, 0.011], atol=1e-9)
    soc = r.sessions["car_soc"]
    assert soc.min() >= -1e-9 and soc.max() <= 0.05 + 1e-9
    assert soc.iloc[-1] == pytest.approx(0.04, abs=1e-9)
    # a unidirectional station never discharges
    uni = build_problem([ChargingStation("uni", sessions)], prices).solve("highs")
    assert (uni.schedule["uni"] <= 1e-12).all()


def test_station_power_limit_is_shared_by_its_sessions():
    """Two cars of 11 kW each behind a 11 kW station: together they never exceed 11 kW."""
    sessions = pd.DataFrame({"arrival": [T0, T0], "departure": [T0 + pd.Timedelta("2h")] * 2,
                             "energy": [0.00825, 0.00825], "max_power": [0.011, 0.011]}, index=["a", "b"])
    prices = series([10, 20, 30, 40, 50, 60, 70, 80])
    r = build_problem([ChargingStation("cs", sessions, max_power=0.011)], prices).solve("highs")
    assert r.schedule["cs"].min() >= -0.011 - 1e-12
    np.testing.assert_allclose(r.schedule["cs"], [-0.011] * 6 + [0, 0], atol=1e-9)  # 16.5 kWh in the 6 cheapest


# --------------------------------------------------------------------------- building


def test_building_shift_under_a_two_level_price():
    """1 MW load, half flexible (0.5 MW per step), ±30 min (2 steps), prices 50 then 10.
    Only flexible load within reach of the cheap half can profit: 2 steps' worth
    (0.25 MWh) moves into step 4. Gain 0.25 MWh × 40 EUR/MWh = 10 EUR. The tie-break
    prefers earlier actions, so it is taken as a chain — steps 0, 1 → 2, 3 and
    2, 3 → 4: each unit moves at most 2 steps, same energy, same cost."""
    prices = series([50] * 4 + [10] * 4)
    b = Building("bld-01", series([-1.0] * 8), flexible_share=0.5, shift_window="30min", max_power=2.0)
    r = build_problem([b], prices).solve("highs")
    assert r.baseline_revenue == pytest.approx(-60.0)
    assert r.objective == pytest.approx(-50.0, abs=1e-6)
    np.testing.assert_allclose(r.schedule["bld-01"], [-0.5, -0.5, -1, -1, -2, -1, -1, -1], atol=1e-7)
    assert r.schedule["bld-01"].sum() == pytest.approx(r.baseline["bld-01"].sum())  # energy-neutral
    # the same with Cbc
    assert build_problem([b], prices).solve("cbc").objective == pytest.approx(-50.0, abs=1e-6)
    # no window, no shift
    b0 = Building("bld-01", series([-1.0] * 8), flexible_share=0.5, shift_window="0min", max_power=2.0)
    assert build_problem([b0], prices).solve("highs").objective == pytest.approx(-60.0, abs=1e-6)


def test_building_respects_its_connection_capacity():
    """With 1.25 MW capacity each cheap step takes at most 0.25 MW extra. Still all four
    cheap steps can fill up: step 4's own flexible load moves on to step 6 while step 2's
    arrives in step 4 (every unit moves ≤ 2 steps). 1 MW-step × 0.25 h × 40 = 10 EUR."""
    prices = series([50] * 4 + [10] * 4)
    b = Building("bld", series([-1.0] * 8), flexible_share=0.5, shift_window="30min", max_power=1.25)
    r = build_problem([b], prices).solve("highs")
    assert r.schedule["bld"].min() >= -1.25 - 1e-9
    assert r.objective == pytest.approx(-50.0, abs=1e-6)
    np.testing.assert_allclose(r.schedule["bld"], [-0.5, -0.5, -1, -1, -1.25, -1.25, -1.25, -1.25], atol=1e-7)


# --------------------------------------------------------------------------- solar, wind


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_curtailment_under_a_negative_price(solver):
    prices = series([30, -10, 30, 0])
    pv = Curtailable("solar-01", series([2, 2, 2, 2]))
    r = build_problem([pv], prices).solve(solver)
    np.testing.assert_allclose(r.schedule["solar-01"], [2, 0, 2, 2], atol=1e-9)  # at 0 EUR: keep producing
    assert r.objective == pytest.approx(30.0)
    assert r.baseline_revenue == pytest.approx(25.0) and r.value == pytest.approx(5.0)


# --------------------------------------------------------------------------- portfolio


def test_connection_limit_binds_and_the_battery_stores_what_cannot_be_exported():
    """Solar 3 MW for an hour behind a 2 MW export limit at a flat 40 EUR/MWh: the battery
    takes the 1 MW excess (1 MWh) and sells it later instead of curtailing it."""
    prices = series([40] * 8)
    pv = Curtailable("pv", series([3] * 4 + [0] * 4))
    bat = Battery("bat", capacity=1, charge_power=1)
    grid = ConnectionPoint("grid", ["pv", "bat"], import_capacity=2, export_capacity=2)
    r = build_problem([pv, bat], prices, [grid]).solve("highs")
    np.testing.assert_allclose(r.connection_flows["grid"], [2, 2, 2, 2, 1, 1, 1, 1], atol=1e-7)
    np.testing.assert_allclose(r.schedule["pv"], [3] * 4 + [0] * 4, atol=1e-7)
    assert r.objective == pytest.approx(120.0, abs=1e-6)
    assert r.net_position.max() <= 2 + 1e-9
    # without the battery the limit forces curtailment
    r2 = build_problem([pv], prices, [ConnectionPoint("grid", ["pv"], export_capacity=2)]).solve("highs")
    np.testing.assert_allclose(r2.schedule["pv"], [2] * 4 + [0] * 4, atol=1e-7)


def _mixed(n=6, seed=3, index=None, negative_hours=2):
    index = qh(96) if index is None else index
    assets, cps = synthetic_portfolio(n, index, seed)
    prices = synthetic_prices(index, seed, negative_hours=negative_hours)
    return assets, prices, cps


def test_cbc_and_highs_agree():
    assets, prices, cps = _mixed()
    a = build_problem(assets, prices, cps).solve("cbc")
    b = build_problem(assets, prices, cps).solve("highs", backend="pulp")
    assert a.stats.solver == "cbc" and b.stats.solver == "highs"
    assert rel(a.objective_with_tie_break, b.objective_with_tie_break) < 1e-6
    assert rel(a.objective, b.objective) < 1e-6


def test_pulp_and_matrix_backends_agree():
    assets, prices, cps = _mixed(negative_hours=0)
    p1 = build_problem(assets, prices, cps)
    p2 = build_problem(assets, prices, cps)
    a = p1.solve("highs", backend="pulp")
    b = p2.solve("highs", backend="matrix")
    assert (a.stats.backend, b.stats.backend) == ("pulp", "matrix")
    assert rel(a.objective_with_tie_break, b.objective_with_tie_break) < 1e-6
    assert b.stats.n_variables == p2.lp.n_vars and b.stats.n_constraints == p2.lp.n_rows


def test_repeated_runs_give_identical_schedules():
    assets, prices, cps = _mixed()
    runs = [build_problem(assets, prices, cps).solve("highs") for _ in range(2)]
    pd.testing.assert_frame_equal(runs[0].schedule, runs[1].schedule, check_exact=True)
    pd.testing.assert_frame_equal(runs[0].soc, runs[1].soc, check_exact=True)
    cbc = [build_problem(assets, prices, cps).solve("cbc") for _ in range(2)]
    pd.testing.assert_frame_equal(cbc[0].schedule, cbc[1].schedule, check_exact=True)


@pytest.mark.parametrize("day,steps", [("2015-03-29", 92), ("2015-10-25", 100)])
def test_dst_days(day, steps):
    idx = day_index(day)
    assert len(idx) == steps
    assets, prices, cps = _mixed(n=3, index=idx)
    p = build_problem(assets, prices, cps)
    r = p.solve("highs")
    assert r.schedule.shape == (steps, len(assets))
    assert r.schedule.index.equals(idx) and str(r.schedule.index.tz) == "UTC"
    assert len(r.soc) == steps + 1 and r.soc.index[-1] == idx[-1] + pd.Timedelta("15min")
    r2 = build_problem(assets, prices, cps).solve("cbc")
    assert rel(r.objective_with_tie_break, r2.objective_with_tie_break) < 1e-6


def test_solver_from_the_setting_and_options(monkeypatch):
    prices = series([10] * 4 + [50] * 4)
    bat = Battery("b", capacity=0.25, charge_power=1.0)
    monkeypatch.setenv("BVP_LP_SOLVER", "highs")
    r = build_problem([bat], prices).solve(time_limit=30, mip_gap=1e-6)
    assert (r.stats.solver, r.stats.backend) == ("highs", "matrix")
    monkeypatch.setenv("BVP_LP_SOLVER", "cbc")
    r = build_problem([bat], prices).solve(time_limit=30)
    assert (r.stats.solver, r.stats.backend) == ("cbc", "pulp")
    assert r.stats.build_time >= 0 and r.stats.solve_time > 0 and r.stats.n_variables > 0
    with pytest.raises(ValueError, match="matrix backend hands the LP to HiGHS"):
        build_problem([bat], prices).solve("cbc", backend="matrix")


def test_custom_constraint_on_named_variables_holds_on_both_backends():
    prices = series([10] * 4 + [50] * 4)
    for backend in ("pulp", "matrix"):
        p = build_problem([Battery("bat-01", capacity=0.25, charge_power=1.0)], prices)
        p.model += p.var("bat-01", "charge").iloc[0] <= 0.5
        r = p.solve("highs", backend=backend)
        assert r.schedule["bat-01"].iloc[0] == pytest.approx(-0.5)
        assert r.objective == pytest.approx(10.0)  # the rest moves to step 1
        assert r.schedule["bat-01"].iloc[1] == pytest.approx(-0.5)


# --------------------------------------------------------------------------- bad input


def test_prices_must_be_tz_aware_regular_and_complete():
    idx = qh(8)
    with pytest.raises(SchedulingInputError, match="naive"):
        build_problem([Battery("b", 1, 1)], pd.Series(1.0, index=idx.tz_localize(None)))
    with pytest.raises(SchedulingInputError, match="gap: no price from 2015-04-12 00:30 to 00:45 UTC"):
        build_problem([Battery("b", 1, 1)], pd.Series(1.0, index=idx.delete(2)))
    with pytest.raises(SchedulingInputError, match="missing price"):
        build_problem([Battery("b", 1, 1)], pd.Series([1.0, np.nan] + [1.0] * 6, index=idx))


def test_missing_forecast_is_named():
    idx = pd.date_range("2015-04-12 00:00", periods=96, freq="15min", tz="UTC")
    prices = pd.Series(30.0, index=idx)
    fc = pd.Series(1.0, index=idx)
    fc = fc[(fc.index < "2015-04-12 10:00Z") | (fc.index >= "2015-04-12 11:00Z")]
    with pytest.raises(SchedulingInputError, match="missing forecast for solar-01 from 2015-04-12 10:00 to 11:00 UTC"):
        build_problem([Curtailable("solar-01", fc)], prices)


def test_ev_session_that_cannot_get_its_energy():
    sessions = pd.DataFrame(
        {"arrival": [T0 + pd.Timedelta("18h")], "departure": [T0 + pd.Timedelta("18h30min")],
         "energy": [0.042], "max_power": [0.011]},
        index=[17],
    )
    prices = pd.Series(30.0, index=qh(96))
    with pytest.raises(SchedulingInputError) as err:
        build_problem([ChargingStation("cs-03", sessions)], prices)
    assert "session 17 at station cs-03 needs 42 kWh between 2015-04-12 18:00 and 18:30 UTC but can draw at most 11 kW" in str(err.value)
    assert err.value.asset == "cs-03"


def test_battery_target_above_capacity():
    with pytest.raises(SchedulingInputError, match="battery jc_bat: SoC target 5.5 MWh above capacity 5 MWh") as err:
        build_problem([Battery("jc_bat", capacity=5, charge_power=1, soc_target=5.5)], series([1] * 8))
    assert (err.value.asset, err.value.family) == ("jc_bat", "soc_target")
    with pytest.raises(SchedulingInputError, match="SoC target 3 MWh unreachable"):
        build_problem([Battery("b", capacity=5, charge_power=1, soc_target=3)], series([1] * 8))


def test_other_bad_input():
    prices = series([1] * 8)
    with pytest.raises(SchedulingInputError, match="used twice"):
        build_problem([Battery("b", 1, 1), Battery("b", 1, 1)], prices)
    with pytest.raises(SchedulingInputError, match="unknown asset 'x'"):
        build_problem([Battery("b", 1, 1)], prices, [ConnectionPoint("grid", ["x"])])
    with pytest.raises(SchedulingInputError, match="building bld: the baseline must be consumption"):
        build_problem([Building("bld", series([0.5] * 8))], prices)
    with pytest.raises(SchedulingInputError, match="exceeds its connection capacity 1 MW"):
        build_problem([Building("bld", series([-1.5] * 8), max_power=1)], prices)


def test_solver_infeasibility_names_the_asset_and_family():
    """Each part is fine alone; together the car cannot get 11 kWh through a 5 kW import limit."""
    sessions = pd.DataFrame({"arrival": [T0], "departure": [T0 + pd.Timedelta("2h")], "energy": [0.011],
                             "max_power": [0.011]}, index=[4])
    st = ChargingStation("cs-01", sessions)
    grid = ConnectionPoint("grid", ["cs-01"], import_capacity=0.005)
    p = build_problem([st], series([30] * 8), [grid])
    for solver in ("cbc", "highs"):
        with pytest.raises(InfeasibleScheduleError) as err:
            p.solve(solver)
        culprits = {(c.asset, c.family) for c in err.value.culprits}
        assert culprits == {("grid", "connection_limit"), ("cs-01", "session_energy")}
        assert err.value.asset in ("grid", "cs-01") and err.value.family in ("connection_limit", "session_energy")
        assert "connection limit of grid" in str(err.value) and "cs-01" in str(err.value)


def test_own_constraints_are_named_when_infeasible_and_unbounded_is_reported():
    prices = series([10] * 4 + [50] * 4)
    p = build_problem([Battery("b", capacity=1, charge_power=1, soc_max=0.8)], prices)
    p.model += p.var("b", "soc").iloc[3] >= 0.9  # above SoC max: both families are to blame
    with pytest.raises(InfeasibleScheduleError) as err:
        p.solve("cbc")
    assert {(c.asset, c.family) for c in err.value.culprits} == {(None, "custom"), ("b", "soc_limits")}
    assert "problem.model" in str(err.value) and "SoC limits of b" in str(err.value)
    q = build_problem([Battery("b", 1, 1)], prices)
    y = q.model.add_variable("y", 0)
    q.model.setObjective(q.model.objective + y)  # an own variable without upper bound
    with pytest.raises(UnboundedScheduleError, match="unbounded"):
        q.solve("highs", backend="pulp")
    with pytest.raises(ValueError, match="backend='pulp'"):
        q.solve("highs", backend="matrix")


def test_module_docstring_example_runs():
    import doctest

    import bvp_lib.scheduling as sched

    res = doctest.testmod(sched, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 0


def test_time_limit_without_a_schedule_raises():
    assets, prices, cps = _mixed(n=30, negative_hours=0)
    with pytest.raises(SolverError, match="stopped without a schedule"):
        build_problem(assets, prices, cps).solve("highs", time_limit=1e-3)
