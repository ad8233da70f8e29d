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
