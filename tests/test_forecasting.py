"""bvp_lib.forecasting: horizons, benchmarks, models, backtest, metrics and bad input.

Synthetic, seeded series only (bvp_lib.forecasting.synthetic); no database, no bundled data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bvp_lib import forecasting as fc
from bvp_lib.forecasting import synthetic as syn
from bvp_lib.forecasting.horizons import DayAhead, FixedHorizon, forecast_pairs

SITE = {"latitude": 52.5, "longitude": 13.4}
TZ = "Europe/Berlin"
H = pd.Timedelta("1h")


def ns(ts: str, tz: str = "UTC") -> int:
    return pd.Timestamp(ts, tz=tz).value


# ---------------------------------------------------------------------------------------
# data


@pytest.fixture(scope="module")
def weather():
    return syn.synthetic_weather("2015-01-01", "2015-04-20", seed=1)


@pytest.fixture(scope="module")
def weather_forecasts(weather):
    return fc.derive_weather_forecasts(weather, seed=7, sites={"ghi": SITE})


@pytest.fixture(scope="module")
def pv(weather):
    return syn.synthetic_solar(weather, seed=1)


@pytest.fixture(scope="module")
def building(weather):
    return syn.synthetic_building(weather, seed=1)


def sine_solar(start="2015-01-01", end="2015-03-01", seed=0, name="sine-pv") -> pd.Series:
    """Seeded daily sine with noise, zero at night [MW]."""
    idx = pd.date_range(pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC"), freq="15min", inclusive="left")
    hour = idx.hour + idx.minute / 60
    rng = np.random.default_rng(seed)
    p = 4.0 * np.clip(np.sin(np.pi * (hour - 7) / 10), 0, None) * (1 + 0.05 * rng.standard_normal(len(idx)))
    return pd.Series(np.clip(p, 0, None), index=idx, name=name)


def fast_models(**kw):
    return [
        *fc.default_benchmarks(),
        fc.LinearForecaster(**kw),
        fc.GradientBoostingForecaster(n_estimators=25, num_leaves=15, **kw),
    ]


# ---------------------------------------------------------------------------------------
# schedules


def test_day_ahead_issue_times_are_noon_local_on_the_day_before():
    t = fc.day_ahead_issue_times("2015-01-10", "2015-01-10")
    assert list(t) == [pd.Timestamp("2015-01-09 11:00", tz="UTC")]
    summer = fc.day_ahead_issue_times("2015-07-10", "2015-07-10")
    assert summer[0] == pd.Timestamp("2015-07-09 10:00", tz="UTC")
    dst = fc.day_ahead_issue_times("2015-03-29", "2015-03-30")  # D-1 in CET, then CEST
    assert list(dst.tz_convert(TZ).hour) == [12, 12]
    assert list(dst) == [pd.Timestamp("2015-03-28 11:00", tz="UTC"), pd.Timestamp("2015-03-29 10:00", tz="UTC")]


@pytest.mark.parametrize(
    "day, steps, last_h",
    [("2015-03-29", 92, "35h"), ("2015-06-10", 96, "36h"), ("2015-10-25", 100, "37h")],
)
def test_day_ahead_pairs_cover_the_local_day_never_assuming_96(day, steps, last_h):
    start = pd.Timestamp(day, tz=TZ)
    end = pd.Timestamp(pd.Timestamp(day) + pd.Timedelta("1D"), tz=TZ)  # next local midnight
    res = pd.Timedelta("15min").value
    b, e = forecast_pairs(DayAhead(), start.value, end.value, 0, res)
    assert len(e) == steps
    assert pd.Timestamp(e[0], tz="UTC") == start
    h = pd.to_timedelta(e + res - b)
    assert h.min() == pd.Timedelta("12h15min") and h.max() == pd.Timedelta(last_h)
    assert len(set(b)) == 1


def test_fixed_horizon_pairs_have_exactly_that_horizon():
    res = pd.Timedelta("15min").value
    b, e = forecast_pairs(FixedHorizon(pd.Timedelta("6h")), ns("2015-01-02"), ns("2015-01-03"), 0, res)
    assert len(e) == 96
    assert set(e + res - b) == {pd.Timedelta("6h").value}


def test_parse_horizons_rejects_nonsense():
    assert [s.label for s in fc.parse_horizons(["1h", "48h", "day-ahead"])] == ["1h", "48h", "day-ahead"]
    with pytest.raises(fc.HorizonError, match="not positive"):
        fc.parse_horizons(["-1h"])
    with pytest.raises(fc.HorizonError, match="day-ahead"):
        fc.parse_horizons(["tomorrow"])


# ---------------------------------------------------------------------------------------
# benchmarks


def ramp(start="2015-03-10", days=24, tz=TZ, name="ramp") -> pd.Series:
    idx = pd.date_range(pd.Timestamp(start, tz=tz), periods=days * 96, freq="15min")
    return pd.Series(np.arange(len(idx), dtype=float), index=idx, name=name)


def test_persistence_uses_the_latest_value_known_at_the_belief_time():
    s = ramp()
    b = pd.Timestamp("2015-03-25 12:00", tz=TZ)
    events = pd.date_range(b, periods=8, freq="15min")
    f = fc.Persistence().predict(b, events, history=s)
    known = s[s.index + pd.Timedelta("15min") <= b].iloc[-1]  # the 11:45 step, ended at 12:00
    assert (f["value"] == known).all()
    assert list(f.columns) == fc.BELIEF_COLUMNS
    assert str(f["event_start"].dt.tz) == "UTC"
    assert list(f["belief_horizon"]) == [pd.Timedelta(minutes=15 * (k + 1)) for k in range(8)]
    assert set(f["sensor"]) == {"ramp"} and set(f["source"]) == {"persistence"}


def test_seasonal_naive_day_ahead_takes_yesterday_before_noon_and_the_day_before_after():
    s = ramp()
    day = pd.Timestamp("2015-03-26", tz=TZ)
    b = fc.day_ahead_issue_times("2015-03-26", "2015-03-26")[0]
    events = pd.date_range(day, periods=96, freq="15min")
    f = fc.SeasonalNaive(1).predict(b, events, history=s).set_index("event_start")["value"]
    morning, afternoon = events[40], events[60]  # 10:00 and 15:00 local
    assert f[morning] == s[morning - pd.Timedelta("1D")]
    assert f[afternoon] == s[afternoon - pd.Timedelta("2D")]
    w = fc.SeasonalNaive(7).predict(b, events, history=s)
    assert (w["value"].to_numpy() == s[events - pd.Timedelta("7D")].to_numpy()).all()


def test_seasonal_naive_follows_the_local_clock_over_the_dst_switch():
    s = ramp()
    event = pd.Timestamp("2015-03-30 08:00", tz=TZ)  # day after the switch
    dst_day = pd.Timestamp("2015-03-29 08:00", tz=TZ)  # 23-hour day
    b = dst_day - pd.Timedelta("6h")
    local = fc.SeasonalNaive(1, clock="local").predict(b, [dst_day], history=s)["value"].iloc[0]
    utc = fc.SeasonalNaive(1, clock="utc").predict(b, [dst_day], history=s)["value"].iloc[0]
    assert local == s[pd.Timestamp("2015-03-28 08:00", tz=TZ)]  # same clock time, 23 h earlier
    assert utc == s[dst_day - pd.Timedelta("24h")]
    assert local != utc
    b2 = event - pd.Timedelta("6h")
    assert fc.SeasonalNaive(1).predict(b2, [event], history=s)["value"].iloc[0] == s[dst_day]


def test_day_type_lag_skips_holidays_and_weekends():
    from bvp_lib.forecasting.lags import same_day_type_positions

    s = ramp(days=31)  # to 2015-04-10; Good Friday 04-03 and Easter Monday 04-06 are holidays
    grid = fc.prepare_series(s)
    b = pd.DatetimeIndex([pd.Timestamp("2015-04-06 12:00", tz=TZ)] * 2)
    e = pd.DatetimeIndex([pd.Timestamp("2015-04-07 10:00", tz=TZ), pd.Timestamp("2015-04-07 09:00", tz=TZ)])
    pos = same_day_type_positions(grid, b.asi8, e.asi8, tz=TZ)
    assert list(grid.index[pos].tz_convert(TZ)) == [  # the latest workday: Thursday before Easter
        pd.Timestamp("2015-04-02 10:00", tz=TZ),
        pd.Timestamp("2015-04-02 09:00", tz=TZ),
    ]
    sunday_like = same_day_type_positions(grid, b.asi8[:1], pd.DatetimeIndex(["2015-04-06 18:00"], tz=TZ).asi8, tz=TZ)
    assert grid.index[sunday_like][0].tz_convert(TZ) == pd.Timestamp("2015-04-05 18:00", tz=TZ)  # Easter Sunday


# ---------------------------------------------------------------------------------------
# metrics


def test_metrics_on_a_hand_checkable_example():
    t = pd.date_range("2015-01-01", periods=4, freq="15min", tz="UTC")
    actual = pd.Series([1.0, 2.0, 3.0, 4.0], index=t, name="x")
    rows = []
    for source, values in (("model", [2.0, 2.0, 2.0, 2.0]), ("seasonal_naive_daily", [0.0, 0.0, 0.0, 0.0])):
        rows.append(fc.beliefs_frame("x", source, t.asi8 - 3_600 * 10**9, t.asi8, 900 * 10**9, np.array(values)))
    f = pd.concat(rows, ignore_index=True)
    m = fc.evaluate(f, actual).set_index("source").loc["model"]
    # errors +1, 0, -1, -2
    assert m["n"] == 4
    assert m["mae"] == pytest.approx(1.0)
    assert m["rmse"] == pytest.approx(np.sqrt(6 / 4))
    assert m["wape"] == pytest.approx(4 / 10)
    assert m["bias"] == pytest.approx(-0.5)
    assert m["skill_mae"] == pytest.approx(1 - 1.0 / 2.5)  # reference MAE (1+2+3+4)/4
    assert m["skill_rmse"] == pytest.approx(1 - np.sqrt(1.5) / np.sqrt(30 / 4))
    assert fc.mae([2, 2], [1, 3]) == 1.0 and fc.wape([0, 0], [0, 0]) != fc.wape([0, 0], [0, 0])  # NaN
    with pytest.raises(fc.ForecastingError, match="reference model"):
        fc.evaluate(f[f.source == "model"], actual)


# ---------------------------------------------------------------------------------------
# models, backtest, no look-ahead


@pytest.fixture(scope="module")
def pv_backtest(pv, weather_forecasts):
    models = fast_models(features=["lags", "calendar", "horizon", "weather", "pv"], regressors=["ghi"], site=SITE)
    return fc.rolling_backtest(
        pv, models, start="2015-03-23", end="2015-04-06", train_window="14D", refit="7D",
        regressors=weather_forecasts, progress=False,
    )  # fmt: skip


def test_backtest_output_is_tidy_beliefs_with_all_horizons(pv_backtest):
    f = pv_backtest
    assert list(f.columns) == fc.FORECAST_COLUMNS
    assert set(f["source"]) == {"persistence", "seasonal_naive_daily", "seasonal_naive_weekly", "linear", "lightgbm"}
    assert list(f["horizon"].cat.categories) == ["1h", "6h", "24h", "48h", "day-ahead"]
    assert str(f["event_start"].dt.tz) == "UTC" and f["value"].notna().all()
    one = f[(f.source == "linear") & (f.horizon == "1h")]
    assert (one["belief_horizon"] == H).all()
    da = f[(f.source == "linear") & (f.horizon == "day-ahead")]
    per_day = da.groupby(da["event_start"].dt.tz_convert(TZ).dt.date).size()
    assert per_day[pd.Timestamp("2015-03-29").date()] == 92 and set(
        per_day.drop(pd.Timestamp("2015-03-29").date())
    ) == {96}
    assert f["value"].min() >= 0  # solar: clipped to the training range, zero at night
    stored = fc.to_beliefs(f)
    assert list(stored.columns) == fc.BELIEF_COLUMNS
    assert not stored.duplicated(["sensor", "event_start", "belief_horizon", "source"]).any()


def test_no_look_ahead_changing_data_after_the_belief_time_leaves_the_forecast_unchanged(
    pv, weather_forecasts, pv_backtest
):
    cut = pd.Timestamp("2015-03-31 10:00", tz="UTC")
    res = pd.Timedelta("15min")
    rng = np.random.default_rng(99)
    later = pv.index + res > cut  # measurements known only after the cut
    pv2 = pv.copy()
    pv2[later] = pv2[later] * 3 + rng.uniform(0, 2, later.sum())
    wf = weather_forecasts.copy()
    wres = pd.Timedelta("1h")
    known_after = wf["event_start"] + wres - wf["belief_horizon"] > cut  # weather beliefs made later
    wf.loc[known_after, "value"] = wf.loc[known_after, "value"] * 2 + 50
    models = fast_models(features=["lags", "calendar", "horizon", "weather", "pv"], regressors=["ghi"], site=SITE)
    f2 = fc.rolling_backtest(
        pv2, models, start="2015-03-23", end="2015-04-06", train_window="14D", refit="7D",
        regressors=wf, progress=False,
    )  # fmt: skip
    f1 = pv_backtest
    belief_time = f1["event_start"] + res - f1["belief_horizon"]
    before = (belief_time <= cut).to_numpy()
    assert before.sum() > 5000 and (~before).sum() > 5000
    pd.testing.assert_frame_equal(f1[before], f2[before])  # exactly equal, every model
    for source in ("persistence", "linear", "lightgbm"):  # and the change did reach later forecasts
        sel = (~before) & (f1["source"] == source).to_numpy()
        assert not np.allclose(f1.loc[sel, "value"], f2.loc[sel, "value"])


def test_linear_model_beats_seasonal_naive_where_it_clearly_should(pv, pv_backtest, building, weather_forecasts):
    ev = fc.evaluate(pv_backtest, pv)
    ev = ev.set_index(["source", "horizon"])
    for h in ("1h", "day-ahead"):
        assert ev.loc[("linear", h), "skill_mae"] > 0.3
        assert ev.loc[("seasonal_naive_daily", h), "skill_mae"] == 0
    assert ev.loc[("linear", "1h"), "mae"] < ev.loc[("linear", "day-ahead"), "mae"]
    f = fc.rolling_backtest(
        building, [*fc.default_benchmarks(), fc.LinearForecaster(regressors=["temperature"])],
        start="2015-03-02", end="2015-03-16", horizons=["day-ahead"], regressors=weather_forecasts, progress=False,
    )  # fmt: skip
    b = fc.evaluate(f, building).set_index("source")
    assert b.loc["linear", "skill_mae"] > 0.3
    assert b.loc["linear", "bias"] == pytest.approx(0, abs=0.02)  # MW; consumption is negative


def test_reruns_are_identical_and_seeds_matter(pv, weather, weather_forecasts, pv_backtest):
    again = fc.derive_weather_forecasts(weather, seed=7, sites={"ghi": SITE})
    pd.testing.assert_frame_equal(again, weather_forecasts)
    other = fc.derive_weather_forecasts(weather, seed=8, sites={"ghi": SITE})
    assert not np.allclose(other["value"], weather_forecasts["value"])
    models = fast_models(features=["lags", "calendar", "horizon", "weather", "pv"], regressors=["ghi"], site=SITE)
    f = fc.rolling_backtest(
        pv, models, start="2015-03-23", end="2015-04-06", train_window="14D", refit="7D",
        regressors=again, progress=False,
    )  # fmt: skip
    pd.testing.assert_frame_equal(f, pv_backtest)


def test_weather_forecast_error_grows_with_horizon_and_respects_bounds(weather, weather_forecasts):
    wf = weather_forecasts
    m = weather.stack().rename("measured")
    m.index.names = ["event_start", "sensor"]
    j = wf.join(m, on=["event_start", "sensor"])
    err = (j["value"] - j["measured"]).abs().groupby([j["sensor"], j["belief_horizon"]], observed=True).mean()
    for s in ("temperature", "wind_speed"):
        assert err[(s, pd.Timedelta("1h"))] < err[(s, pd.Timedelta("24h"))] < err[(s, pd.Timedelta("48h"))]
    assert (wf.loc[wf.sensor.isin(["ghi", "wind_speed"]), "value"] >= 0).all()
    night = j[(j.sensor == "ghi") & (j.measured == 0)]
    assert (night["value"] == 0).all()  # relative error: a dark night stays dark
    assert (wf["belief_horizon"] > pd.Timedelta(0)).all()


def test_wind_power_curve_feature_and_linear_model(weather, weather_forecasts):
    wind = syn.synthetic_wind(weather, seed=2)
    models = [fc.SeasonalNaive(1), fc.LinearForecaster(features=["lags", "horizon", "power_curve"], clock="utc")]
    f = fc.rolling_backtest(
        wind, models, start="2015-03-02", end="2015-03-12", horizons=["6h", "day-ahead"],
        regressors=weather_forecasts, progress=False,
    )  # fmt: skip
    ev = fc.evaluate(f, wind).set_index(["source", "horizon"])
    assert ev.loc[("linear", "day-ahead"), "skill_mae"] > 0.3


def test_hourly_prices_day_ahead_has_23_24_25_steps(weather, weather_forecasts):
    price = syn.synthetic_prices(weather)
    f = fc.rolling_backtest(
        price, [fc.SeasonalNaive(7), fc.LinearForecaster()], start="2015-03-27", end="2015-03-31",
        horizons=["day-ahead"], regressors=weather_forecasts, progress=False,
    )  # fmt: skip
    lin = f[f.source == "linear"]
    sizes = lin.groupby(lin["event_start"].dt.tz_convert(TZ).dt.date).size()
    assert list(sizes) == [24, 24, 23, 24]
    ch = syn.synthetic_charging("2015-09-01", "2015-11-01", seed=3)
    g = fc.rolling_backtest(
        ch, [fc.LinearForecaster(features=["lags", "calendar", "horizon"])], start="2015-10-24",
        end="2015-10-27", horizons=["day-ahead"], progress=False,
    )  # fmt: skip
    assert list(g.groupby(g["event_start"].dt.tz_convert(TZ).dt.date).size()) == [96, 100, 96]
    assert (g["value"] <= 0).all()  # consumption stays negative


def test_predict_and_fit_directly(pv, weather_forecasts):
    m = fc.LinearForecaster(features=["lags", "calendar", "horizon", "weather", "pv"], regressors=["ghi"], site=SITE)
    b = fc.day_ahead_issue_times("2015-03-11", "2015-03-11")[0]
    hist = pv[pv.index < b]  # what is known at gate closure
    m.fit(hist, weather_forecasts, horizons=["day-ahead"], train_window="21D")
    events = pd.date_range(pd.Timestamp("2015-03-11", tz=TZ), periods=96, freq="15min")
    f = m.predict(b, events, history=hist, regressors=weather_forecasts)
    assert len(f) == 96 and f["belief_horizon"].min() == pd.Timedelta("12h15min")
    assert f["value"].max() > 0.5 and (f["value"] >= 0).all()
    src = m.source()
    assert src.name == "linear" and len(src.params_hash) == 12
    assert src.params_hash == m.clone().source().params_hash
    assert src.params_hash != fc.LinearForecaster(alpha=2.0).source().params_hash
    spec = src.to_source_spec()
    assert spec.type == "forecaster" and spec.model.startswith("LinearForecaster:")
    with pytest.raises(fc.HorizonError, match="would use later data"):
        m.predict(b - pd.Timedelta("1D"), events - pd.Timedelta("1D"), history=hist, regressors=weather_forecasts)
    with pytest.raises(fc.HorizonError, match="not fitted for horizons"):
        m.predict(b, events[:1] - pd.Timedelta("11h"), history=hist, regressors=weather_forecasts)
    with pytest.raises(fc.NotFittedError):
        fc.LinearForecaster().predict(b, events, history=hist)


def test_time_fit_vs_lstsq_reports_each_part(building, weather_forecasts):
    r = fc.time_fit_vs_lstsq(
        fc.LinearForecaster(regressors=["temperature"]), building[:"2015-02-20"], weather_forecasts,
        horizons=["day-ahead"], repeat=1,
    )  # fmt: skip
    assert r["rows"] > 2000 and r["columns"] > 20
    assert all(r[k] > 0 for k in ("design_s", "fit_s", "lstsq_s"))


# ---------------------------------------------------------------------------------------
# bad input: a clear message naming the series and what to do, never a NaN forecast


def test_naive_timestamps_are_refused():
    s = sine_solar()
    naive = s.tz_localize(None)
    with pytest.raises(fc.NaiveTimestampsError, match=r"sine-pv.*naive.*tz_localize"):
        fc.LinearForecaster().fit(naive)
    b = pd.Timestamp("2015-02-10 12:00")
    with pytest.raises(fc.NaiveTimestampsError, match="belief_time"):
        fc.Persistence().predict(b, [pd.Timestamp("2015-02-11", tz="UTC")], history=s)
    with pytest.raises(fc.NaiveTimestampsError, match="event_starts"):
        fc.Persistence().predict(b.tz_localize("UTC"), pd.date_range("2015-02-11", periods=96, freq="15min"), history=s)
    with pytest.raises(fc.NaiveTimestampsError, match="period bound"):
        fc.rolling_backtest(s, fc.Persistence(), start=pd.Timestamp("2015-02-10 06:00"), end="2015-02-20")


def test_gaps_are_counted_and_filled_by_rule_or_refused():
    s = sine_solar()
    long_gap = s.drop(s["2015-02-05 10:00":"2015-02-05 12:45"].index)  # 12 steps = 3 h
    with pytest.raises(fc.GapError, match=r"'sine-pv' misses 12 of .* longest is 3h .* max_gap=1h") as info:
        fc.rolling_backtest(long_gap, fc.Persistence(), start="2015-02-10", end="2015-02-12")
    assert info.value.n_missing == 12
    short = s.copy()
    short["2015-02-05 10:00":"2015-02-05 10:30"] = np.nan  # 3 steps: filled with the last value
    with pytest.warns(fc.GapFilledWarning, match="3 of"):
        grid = fc.prepare_series(short)
    assert grid.values[~grid.observed].tolist() == [s["2015-02-05 09:45"]] * 3
    with pytest.raises(fc.GapError, match="refused"):
        fc.prepare_series(short, max_gap=None)


def test_too_little_history_names_the_series_and_the_fix():
    s = sine_solar(start="2015-01-20", end="2015-03-01")
    with pytest.raises(
        fc.InsufficientHistoryError, match=r"'sine-pv' starts at .* train_window 30D .* later or shorten"
    ):
        fc.rolling_backtest(s, fc.LinearForecaster(), start="2015-02-10", end="2015-02-20", progress=False)
    with pytest.raises(fc.InsufficientHistoryError, match="Pass a longer history"):
        fc.LinearForecaster().fit(s[:"2015-02-05"], train_window="30D")
    with pytest.raises(fc.InsufficientHistoryError, match="ends at"):
        fc.rolling_backtest(s, fc.Persistence(), start="2015-02-25", end="2015-03-05", progress=False)


def test_constant_series_is_refused_by_learned_models_only():
    s = sine_solar() * 0 + 1.5
    with pytest.raises(fc.ConstantSeriesError, match=r"'sine-pv' is constant \(1.5.*persistence"):
        fc.LinearForecaster(features=["lags", "calendar"]).fit(s)
    f = fc.rolling_backtest(s, fc.default_benchmarks(), start="2015-02-20", end="2015-02-22", progress=False)
    assert (f["value"] == 1.5).all()


def test_missing_or_measured_regressors_are_refused(weather):
    s = sine_solar()
    with pytest.raises(fc.RegressorError, match=r"regressor 'temperature'.*derive_weather_forecasts"):
        fc.LinearForecaster(regressors=["temperature"]).fit(s)
    measured = weather.stack().rename("value").reset_index()
    measured.columns = ["event_start", "sensor", "value"]
    with pytest.raises(fc.RegressorError, match=r"belief_horizon.*derive_weather_forecasts"):
        fc.LinearForecaster().fit(s, measured)
    short = fc.derive_weather_forecasts(weather, issues={"max_horizon": "6h"}, sites={"ghi": SITE})
    with pytest.raises(fc.RegressorError, match="longer horizons"):
        fc.LinearForecaster(regressors=["temperature"]).fit(s, short, horizons=["day-ahead"])


def test_a_dst_day_in_local_time_is_the_same_series_as_in_utc():
    s = ramp()  # tz-aware Europe/Berlin index across the DST switch
    f_local = fc.rolling_backtest(s, fc.default_benchmarks(), start="2015-03-28", end="2015-03-31", progress=False)
    f_utc = fc.rolling_backtest(
        s.tz_convert("UTC"), fc.default_benchmarks(), start="2015-03-28", end="2015-03-31", progress=False
    )
    pd.testing.assert_frame_equal(f_local, f_utc)
    naive_local_day = pd.date_range("2015-03-29", periods=96, freq="15min")  # assumes 96 steps
    with pytest.raises(fc.NaiveTimestampsError):
        fc.Persistence().predict(pd.Timestamp("2015-03-28 12:00", tz=TZ), naive_local_day, history=s)


def test_irregular_and_duplicate_timestamps_are_refused():
    s = sine_solar()
    dup = pd.concat([s.iloc[:10], s.iloc[9:12]])
    with pytest.raises(fc.IrregularSeriesError, match="duplicate"):
        fc.prepare_series(dup)
    odd = s.copy()
    odd.index = odd.index.where(np.arange(len(odd)) != 5, odd.index[5] + pd.Timedelta("5min"))
    with pytest.raises(fc.IrregularSeriesError, match="grid"):
        fc.prepare_series(odd)
    with pytest.raises(fc.ForecastingError, match="no name"):
        fc.prepare_series(s.rename(None))


# ---------------------------------------------------------------------------------------
# parameters


def test_models_for_every_asset_type_in_the_parameter_file():
    params = fc.load_parameters()
    for asset_type in params["asset_types"]:
        models = fc.models_for(asset_type, site=SITE)
        names = [m.name for m in models]
        assert names[:3] == ["persistence", "seasonal_naive_daily", "seasonal_naive_weekly"]
        assert "linear" in names
    solar = {m.name: m for m in fc.models_for("solar", site=SITE, weather_sensors={"ghi": "dwd-ghi"})}
    assert "pv" in solar["linear"].spec.families and "dwd-ghi" in solar["linear"].spec.regressors
    assert solar["linear"].spec.clock == "utc" and solar["linear"].spec.ghi == "dwd-ghi"
    with pytest.raises(fc.ForecastingError, match="asset type 'boat'"):
        fc.models_for("boat")
    settings = fc.backtest_settings()
    assert settings["train_window"] == "30D" and settings["refit"] == "7D" and "day-ahead" in settings["horizons"]
    w = fc.weather_settings()
    assert pd.Timedelta(w["issues"]["every"]) == pd.Timedelta("6h") and pd.Timedelta(w["issues"]["max_horizon"]) >= pd.Timedelta("49h")
    with pytest.raises(fc.ForecastingError, match=r"horizons.*no longer read.*issues"):
        fc.weather_settings({"asset_types": {}, "weather_forecasts": {"horizons": {"start": "1h", "end": "50h", "step": "1h"}}})


def test_models_for_an_asset_entry_take_site_weather_and_holidays_from_it():
    wind = {
        "name": "wind-x", "type": "wind", "latitude": 52.1, "longitude": 12.8, "capacity_mw": 2.3,
        "attributes": {
            "turbine_type": "E-82/2300", "hub_height_m": 108, "weather_sensors": ["try_region04_wind_speed"],
        },
    }  # fmt: skip
    models = {m.name: m for m in fc.models_for_asset(wind)}
    lin = models["linear"]
    assert lin.spec.wind_speed == "try_region04_wind_speed" and lin.spec.regressors == ("try_region04_wind_speed",)
    assert lin.spec.site["hub_height"] == 108 and lin.spec.site["turbine_type"] == "E-82/2300"
    assert fc.weather_roles(["try_region04_temperature", "try_region04_irradiance", "try_region04_wind_speed"]) == {
        "temperature": "try_region04_temperature",
        "ghi": "try_region04_irradiance",
        "wind_speed": "try_region04_wind_speed",
    }
    ev = {"name": "ev", "type": "charging_station", "attributes": {"holidays_subdivision": "BB"}}
    lin_ev = {m.name: m for m in fc.models_for_asset(ev)}["linear"]
    assert lin_ev.spec.subdivision == "BB"
    reformation_day = pd.DatetimeIndex([pd.Timestamp("2015-10-31 10:00", tz=TZ)]).asi8  # BB holiday, a Saturday
    from bvp_lib.forecasting.calendar import day_type

    assert day_type(reformation_day, TZ, "DE", "BB")[0] == 2 and day_type(reformation_day, TZ, "DE")[0] == 1
    assert all(isinstance(m, fc.Forecaster) for m in models.values())


def test_sklearn_gradient_boosting_backend_behind_the_same_interface():
    s = sine_solar()
    m = fc.GradientBoostingForecaster(backend="sklearn", n_estimators=20, features=["lags", "calendar", "horizon"])
    b = pd.Timestamp("2015-02-20 11:00", tz="UTC")
    m.fit(s[s.index < b], horizons=["6h"], train_window="14D")
    f = m.predict(b, pd.date_range(b + pd.Timedelta("5h"), periods=4, freq="15min"), history=s[s.index < b])
    assert m.name == "hist_gradient_boosting" and f["belief_horizon"].max() == pd.Timedelta("6h")
    assert f["value"].between(0, 4.5).all()


def test_forecasting_parameters_are_parsed_once_per_file_version(tmp_path):
    from bvp_lib.forecasting.config import DEFAULT_PARAMETERS_PATH, load_parameters

    p = tmp_path / "forecasting.yaml"
    p.write_text(DEFAULT_PARAMETERS_PATH.read_text())
    a = load_parameters(p)
    a["asset_types"].clear()  # a caller changing its copy changes nothing for the next
    assert load_parameters(p)["asset_types"]
    p.write_text("asset_types: {}\n")  # an edited file is read again
    assert load_parameters(p) == {"asset_types": {}}
