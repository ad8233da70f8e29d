"""Hand-checkable valuation numbers (hourly steps so Δt = 1 h)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bvp_lib.valuation import apply_actions, revenue, settlement, soc_adjustment, value_day

IDX = pd.date_range("2015-04-12 00:00", periods=2, freq="1h", tz="UTC")


def frame(**cols):
    return pd.DataFrame(cols, index=IDX[: len(next(iter(cols.values())))], dtype=float)


def test_revenue_and_settlement_by_hand():
    price = pd.Series([10.0, 10.0], index=IDX)
    assert revenue(pd.Series([1.0, -2.0], index=IDX), price) == -10.0
    # surplus paid price - spread, shortage costs price + spread: (10-2)*1 + (-1)*(10+2)
    assert settlement(pd.Series([1.0, -1.0], index=IDX), price, 2.0) == -4.0
    q = pd.date_range("2015-04-12", periods=4, freq="15min", tz="UTC")
    assert revenue(pd.Series(1.0, index=q), pd.Series(40.0, index=q)) == 40.0  # 1 MW for 1 h at 40
    with pytest.raises(ValueError, match="spread must be >= 0"):
        settlement(pd.Series([1.0, 1.0], index=IDX), price, -1)


def test_apply_actions_clips_to_what_assets_can_do():
    actual = frame(pv=[1.0, 3.0], bld=[-1.0, -1.0], bat=[0.0, 0.0])
    actions = frame(pv=[-2.0, 0.0], bld=[1.5, -0.5], bat=[-1.0, 1.0])
    r = apply_actions(actions, actual, {"pv": "solar", "bld": "building", "bat": "battery"})
    assert list(r["pv"]) == [0.0, 3.0]  # cannot curtail below zero
    assert list(r["bld"]) == [0.0, -1.5]  # a building does not produce
    assert list(r["bat"]) == [-1.0, 1.0]


def test_soc_adjustment_values_energy_left_and_taken():
    price = pd.Series([30.0, 50.0], index=IDX)  # mean 40
    adj = soc_adjustment(pd.Series({"b": 1.0, "c": 2.0}), pd.Series({"b": 2.0, "c": 1.0}), price,
                         pd.Series({"b": 0.8, "c": 0.8}), pd.Series({"b": 0.9, "c": 0.9}))
    assert adj["b"] == pytest.approx(1.0 * 40 * 0.9)
    assert adj["c"] == pytest.approx(-1.0 * 40 / 0.8)


def test_curtailment_under_negative_price_with_forecast_error():
    price = pd.Series([-20.0, 30.0], index=IDX)
    fb, ab = frame(pv=[2.0, 2.0]), frame(pv=[1.0, 3.0])
    planned, perfect = frame(pv=[0.0, 2.0]), frame(pv=[0.0, 3.0])
    v = value_day(price=price, forecast_price=price, planned=planned, forecast_baseline=fb, actual_baseline=ab,
                  perfect=perfect, kinds={"pv": "solar"}, owners={"pv": "o"}, spread=5.0)
    row = v.assets.loc["pv"]
    # baseline: sells 2+2 at DA (20 EUR), settles -1 MW at -20 (+20-5) and +1 MW at 30 (+30-5): 60 EUR
    assert row["baseline_revenue_eur"] == pytest.approx(60.0)
    # realised: sells 0 and 2 (60 EUR), curtailed to 0 in hour 1 (no deviation), +1 MW surplus in hour 2 (25): 85
    assert row["realised_revenue_eur"] == pytest.approx(85.0)
    assert row["realised_value_eur"] == pytest.approx(25.0)
    # perfect foresight: avoids producing 1 MW at -20: 20 EUR
    assert row["perfect_foresight_value_eur"] == pytest.approx(20.0)
    assert row["energy_curtailed_mwh"] == pytest.approx(1.0)
    assert row["planned_value_eur"] == pytest.approx(40.0)  # 2 MW not sold at -20, on the forecast
    assert v.portfolio["captured_share"] == pytest.approx(25.0 / 20.0)


def test_battery_arbitrage_and_cycles():
    price = pd.Series([10.0, 50.0], index=IDX)
    zero = frame(bat=[0.0, 0.0])
    planned = frame(bat=[-1.0, 0.9])
    storage = pd.DataFrame({"soc_start": [0.0], "planned_soc_end": [0.0], "perfect_soc_end": [0.0],
                            "charge_efficiency": [0.95], "discharge_efficiency": [0.95], "capacity_mwh": [1.0]},
                           index=["bat"])
    v = value_day(price=price, forecast_price=None, planned=planned, forecast_baseline=zero, actual_baseline=zero,
                  perfect=planned, kinds={"bat": "battery"}, owners={"bat": "o"}, storage=storage, spread=5.0)
    row = v.assets.loc["bat"]
    assert row["realised_value_eur"] == pytest.approx(-10.0 + 45.0)
    assert row["captured_share"] == pytest.approx(1.0)
    assert row["energy_cycled_mwh"] == pytest.approx(1.9)
    assert row["battery_cycles"] == pytest.approx(0.95)
    assert np.isnan(row["planned_value_eur"])


def test_emptying_a_battery_creates_no_value():
    price = pd.Series([40.0, 40.0], index=IDX)
    zero = frame(bat=[0.0, 0.0])
    planned = frame(bat=[1.0, 1.0])  # discharges 2 MWh from a full battery at a flat price
    storage = pd.DataFrame({"soc_start": [2.0], "planned_soc_end": [0.0], "perfect_soc_end": [0.0],
                            "charge_efficiency": [1.0], "discharge_efficiency": [1.0]}, index=["bat"])
    v = value_day(price=price, forecast_price=None, planned=planned, forecast_baseline=zero, actual_baseline=zero,
                  perfect=planned, kinds={"bat": "battery"}, owners={"bat": "o"}, storage=storage)
    assert v.assets.loc["bat", "realised_value_eur"] == pytest.approx(0.0)
    assert v.portfolio["captured_share"] is None  # nothing to capture


def test_portfolio_netting_and_owner_sums():
    price = pd.Series([10.0, 10.0], index=IDX)
    fb = frame(pv=[1.0, 1.0], bld=[-1.0, -1.0])
    ab = frame(pv=[2.0, 1.0], bld=[-2.0, -1.0])  # opposite forecast errors in hour 1
    v = value_day(price=price, forecast_price=price, planned=fb, forecast_baseline=fb, actual_baseline=ab,
                  perfect=ab, kinds={"pv": "solar", "bld": "building"}, owners={"pv": "o1", "bld": "o2"}, spread=2.0)
    # no flexibility used: every per-asset value is 0, and netting helps baseline and plan alike
    assert v.assets["realised_value_eur"].abs().max() == pytest.approx(0.0)
    assert v.portfolio["netting_benefit_eur"] == pytest.approx(0.0)
    assert set(v.owners.index) == {"o1", "o2"}


def test_misaligned_inputs_named():
    price = pd.Series([10.0, 10.0], index=IDX)
    fb = frame(pv=[1.0, 1.0])
    with pytest.raises(ValueError, match="actual_baseline lacks asset"):
        value_day(price=price, forecast_price=None, planned=fb, forecast_baseline=fb, actual_baseline=frame(x=[1.0, 1.0]),
                  perfect=fb, kinds={}, owners={})
    with pytest.raises(ValueError, match="realised price is missing for 1 step"):
        value_day(price=price.where(price.index != IDX[0]), forecast_price=None, planned=fb, forecast_baseline=fb,
                  actual_baseline=fb, perfect=fb, kinds={}, owners={})


# ---------------------------------------------------------------------- stations on forecast sessions

H4 = pd.date_range("2015-04-12 00:00", periods=4, freq="1h", tz="UTC")


def car(arrive: int, leave: int, energy: float, **kw) -> dict:
    return {"arrival": H4[0] + pd.Timedelta(hours=arrive), "departure": H4[0] + pd.Timedelta(hours=leave),
            "energy": energy, "max_power": 2.0, **kw}  # fmt: skip


def station(cars: dict, **kw):
    from bvp_lib.scheduling.assets import ChargingStation

    return ChargingStation("cs", pd.DataFrame.from_dict(cars, orient="index"), **kw)


def plan(*mw):
    return pd.Series(mw, index=H4, dtype=float)


def test_real_cars_take_the_planned_power_and_charge_the_rest_as_the_baseline():
    """Δt = 1 h, η = 1, 2 MW per car. A (0-4 h, 3 MWh) arrives first and takes the plan's
    2 MW in hour 1 and 1 of its 2 MW in hour 2. B (1-3 h, 2 MWh) finds 1 MW left in hour 2;
    the 1 MWh it is short it charges as the baseline would, from its arrival: hour 1."""
    from bvp_lib.valuation import realise_station

    st = station({"A": car(0, 4, 3.0), "B": car(1, 3, 2.0)})
    assert realise_station(plan(0, -2, -2, 0), st).tolist() == [0.0, -3.0, -2.0, 0.0]
    # no plan: the real cars' baseline, full power from arrival (A: 2 + 1, B: 2)
    assert realise_station(plan(0, 0, 0, 0), st).tolist() == [-2.0, -3.0, 0.0, 0.0]
    # planned power no real car takes is not drawn: A takes 2 + 1 in hours 0 and 1, B the
    # 1 MW left in hour 1 and 1 MW in hour 2; hour 3 and the rest of hour 2 stay undrawn
    assert realise_station(plan(-2, -2, -2, -2), st).tolist() == [-2.0, -2.0, -1.0, 0.0]
    # efficiency: η = 0.5, A alone needs 1 MWh: 2 MW of plan in hour 1 put 1 MWh in
    st = station({"A": car(0, 4, 1.0)}, charge_efficiency=0.5)
    assert realise_station(plan(0, -2, 0, 0), st).tolist() == [0.0, -2.0, 0.0, 0.0]


def test_a_car_for_part_of_a_step_takes_that_share():
    """Quarter-hours: a 2 MW car plugged in for half of the first step can draw 1 MW on
    average there; it needs 0.375 MWh: 0.25 MWh in step 0 from the plan, 0.125 MWh short,
    charged at full power from arrival, where step 0 has no room left: in step 1 (0.5 MW)."""
    from bvp_lib.valuation import realise_station

    q = pd.date_range("2015-04-12 00:00", periods=4, freq="15min", tz="UTC")
    st = station({"A": {"arrival": q[0] + pd.Timedelta("7.5min"), "departure": q[3], "energy": 0.375, "max_power": 2.0}})
    got = realise_station(pd.Series([-2.0, 0, 0, 0], index=q), st)
    np.testing.assert_allclose(got.to_numpy(), [-1.0, -0.5, 0.0, 0.0])


def test_bidirectional_cars_discharge_only_what_the_plan_puts_back():
    """V (0-4 h) arrives with 2 MWh in a 4 MWh battery and needs 1 MWh more. The plan
    discharges 1 MW in hour 0 and charges 2 MW in hour 1: followed exactly."""
    from bvp_lib.valuation import realise_station

    v = station({"V": car(0, 4, 1.0, capacity=4.0, soc_at_arrival=2.0)}, bidirectional=True)
    assert realise_station(plan(1, -2, 0, 0), v).tolist() == [1.0, -2.0, 0.0, 0.0]
    # no planned charging after the discharge: it does not discharge, and charges its
    # 1 MWh as the baseline would (from arrival, 1 of its 2 MW in hour 0)
    assert realise_station(plan(1, 0, 0, 0), v).tolist() == [-1.0, 0.0, 0.0, 0.0]
    assert realise_station(plan(2, 2, 2, 0), v).tolist() == [-1.0, 0.0, 0.0, 0.0]
    # 2 + 2 MW planned later: it gives 2 MW (SoC 2 -> 0), then takes 2 and the 1 it needs
    assert realise_station(plan(2, -2, -2, 0), v).tolist() == [2.0, -2.0, -1.0, 0.0]
    # 1.5 MW planned later puts back 0.5 MWh beside the 1 MWh it needs: it gives 0.5 MW
    assert realise_station(plan(2, -1.5, 0, 0), v).tolist() == [0.5, -1.5, 0.0, 0.0]
    # charge first, give later: 2 MW in hour 0 (1 MWh it needs, 1 to give), 1 MW out in hour 1
    # (it keeps the 3 MWh it must leave with); the plan's other 1 MW out is not delivered
    assert realise_station(plan(-2, 2, 0, 0), v).tolist() == [-2.0, 1.0, 0.0, 0.0]
    # η_c = η_d = 0.5: 1 MWh in and out of the car costs 2 MWh from the grid and gives 0.5 MWh;
    # with 2 MW of plan charging later (1 MWh into the car) it can give back nothing beyond its need
    lossy = station({"V": car(0, 4, 1.0, capacity=4.0, soc_at_arrival=2.0)}, bidirectional=True,
                    charge_efficiency=0.5, discharge_efficiency=0.5)  # fmt: skip
    assert realise_station(plan(1, -2, 0, 0), lossy).tolist() == [0.0, -2.0, 0.0, 0.0]
    # with 4 MW over two hours (2 MWh into the car): 1 MWh may go out, 0.5 MW to the grid
    assert realise_station(plan(1, -2, -2, 0), lossy).tolist() == [0.5, -2.0, -2.0, 0.0]


def test_value_day_realises_stations_on_the_real_cars():
    """Planned on forecast cars: fb = the forecast cars' baseline, 2 MW in hour 0; the plan
    moved it to hour 2 (cheap). The real car A arrives at 1 h and leaves at 3 h needing 2
    MWh: it takes 2 MW of the plan in hour 2. Prices 50, 50, 10, 50; spread 5."""
    from bvp_lib.scheduling.assets import ChargingStation  # noqa: F401

    idx = H4
    price = pd.Series([50.0, 50.0, 10.0, 50.0], index=idx)
    fb = pd.DataFrame({"cs": [-2.0, 0, 0, 0]}, index=idx)
    planned = pd.DataFrame({"cs": [0, 0, -2.0, 0]}, index=idx)
    ab = pd.DataFrame({"cs": [0, -2.0, 0, 0]}, index=idx)  # the real car at full power from arrival
    perfect = planned.copy()
    real = station({"A": car(1, 3, 2.0)})
    kw = dict(price=price, forecast_price=price, planned=planned, forecast_baseline=fb, actual_baseline=ab,
              perfect=perfect, kinds={"cs": "charging_station"}, owners={"cs": "o"}, spread=5.0)  # fmt: skip
    v = value_day(stations={"cs": real}, **kw)
    assert v.realised["cs"].tolist() == [0.0, 0.0, -2.0, 0.0]
    row = v.assets.loc["cs"]
    # baseline: buys 2 MWh at 50 (-100), deviation +2 in hour 0 paid 45, -2 in hour 1 costs 55: -120
    assert row["baseline_revenue_eur"] == pytest.approx(-120.0)
    assert row["realised_revenue_eur"] == pytest.approx(-20.0) and row["realised_value_eur"] == pytest.approx(100.0)
    # the same plan, a car that comes at 3 h needing 2 MWh in one hour: the plan's hour 2 is
    # before it; it charges as the baseline (hour 3); shortfall -2 at 55, surplus +2 at 5
    late = station({"B": car(3, 4, 2.0)})
    v = value_day(stations={"cs": late}, **{**kw, "actual_baseline": pd.DataFrame({"cs": [0, 0, 0, -2.0]}, index=idx)})
    assert v.realised["cs"].tolist() == [0.0, 0.0, 0.0, -2.0]
    assert v.assets.loc["cs", "realised_revenue_eur"] == pytest.approx(-20.0 + 2 * 5.0 - 2 * 55.0)
    # without the real cars the action is applied to the actual baseline, as for a plan made
    # on the real sessions: here that would make the station produce 2 MW in hour 0
    assert value_day(**kw).realised["cs"].tolist() == [2.0, -2.0, -2.0, 0.0]
