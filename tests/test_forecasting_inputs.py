"""Honest inputs of the forecasts, without a database: weather forecasts issued with one
correlated error path per issue, lags known by their belief time (prices from their
publication), day-type lags and the holiday-aware fallback of buildings, fundamentals as
regressors, and the scores of the benchmark (day types, negative hours).

Synthetic, seeded series (bvp_lib.forecasting.synthetic) and hand-made ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bvp_lib import forecasting as fc
from bvp_lib.forecasting import lags
from bvp_lib.forecasting import synthetic as syn
from bvp_lib.forecasting import weather as W
from bvp_lib.forecasting.metrics import day_type_labels, negative_hours, wape_by_day_type
from bvp_lib.forecasting.series import last_known_pos, prepare_series, recent_history

SITE = {"latitude": 52.5, "longitude": 13.4}
TZ = "Europe/Berlin"
H = pd.Timedelta("1h")


@pytest.fixture(scope="module")
def weather():
    return syn.synthetic_weather("2015-01-01", "2015-05-01", seed=3)


@pytest.fixture(scope="module")
def derived(weather):
    return W.derive_weather_forecasts(weather, seed=11, sites={"ghi": SITE})


# ---------------------------------------------------------------------------------------
# weather forecasts: issues, one error path per issue, documented size and correlation


def test_forecasts_are_issued_every_6_hours_and_cover_54_hours(derived):
    issue = pd.DatetimeIndex(W.issue_times(derived, "1h"))
    assert set(issue.hour) == {4, 10, 16, 22} and (issue.minute == 0).all()
    assert derived["belief_horizon"].min() == H and derived["belief_horizon"].max() == pd.Timedelta("54h")
    # every event of the middle of the period is forecast by the 9 issues of the 54 h before it
    n = derived[derived["sensor"] == "temperature"].groupby("event_start").size()
    assert (n.loc["2015-02-01":"2015-04-01"] == 9).all()


@pytest.mark.parametrize("sensor, key", [("temperature", "temp"), ("wind_speed", "wind"), ("ghi", "ghi")])
def test_error_correlation_along_an_issue_is_the_documented_one(weather, derived, sensor, key):
    spec = W.DEFAULT_ERROR_SPECS[key]
    f = derived[derived["sensor"] == sensor]
    scale = None
    if spec.kind == "clear_sky":
        scale = pd.Series(W.clear_sky_ghi(weather.index.asi8, 3_600 * 10**9, SITE), index=weather.index)
    r = W.error_autocorrelation(f, weather[sensor], sigma=spec, scale=scale, min_scale=50.0)
    tol = 0.04 if spec.kind == "additive" else 0.05  # clipping at 0 (calm wind, dark sky) lowers it a little
    assert spec.phi(H) - tol <= r <= spec.phi(H) + tol, (sensor, r, spec.phi(H))
    # ... and it is one path per issue, not per horizon: the same event in two issues 6 h apart has unrelated errors
    f = f.assign(issue=W.issue_times(f, "1h"), err=f["value"].to_numpy() - weather[sensor].reindex(f["event_start"]).to_numpy())
    f = f[f["belief_horizon"].between(pd.Timedelta("13h"), pd.Timedelta("36h"))]
    pair = f.pivot_table(index="event_start", columns="belief_horizon", values="err")
    a, b = pair[pd.Timedelta("24h")], pair[pd.Timedelta("30h")]
    ok = a.notna() & b.notna() & (a != 0) & (b != 0)
    assert abs(np.corrcoef(a[ok], b[ok])[0, 1]) < 0.1


def test_error_size_grows_with_the_horizon_as_documented(weather, derived):
    f = derived[derived["sensor"] == "temperature"]
    err = f["value"].to_numpy() - weather["temperature"].reindex(f["event_start"]).to_numpy()
    rmse = pd.Series(err).groupby(f["belief_horizon"].to_numpy()).apply(lambda x: np.sqrt(np.mean(x**2)))
    spec = W.DEFAULT_ERROR_SPECS["temp"]
    for h in ("1h", "6h", "24h", "48h"):
        assert rmse[pd.Timedelta(h)] == pytest.approx(spec.sigma(h), rel=0.12), h
    assert spec.sigma("24h") == pytest.approx(1.67, abs=0.01)  # the docstring's table


def test_irradiance_errors_are_on_the_clear_sky_index_and_night_stays_dark(weather, derived):
    f = derived[derived["sensor"] == "ghi"]
    m = weather["ghi"].reindex(f["event_start"]).to_numpy()
    cs = W.clear_sky_ghi(pd.DatetimeIndex(f["event_start"]).asi8, 3_600 * 10**9, SITE)
    v = f["value"].to_numpy()
    assert (v >= 0).all() and (v <= np.maximum(cs, m) + 1e-9).all()
    assert (v[cs == 0] == m[cs == 0]).all()  # no sun, no error
    day = (m > 0) & (f["belief_horizon"] == pd.Timedelta("24h")).to_numpy()
    assert 0.15 < np.sqrt(np.mean((v[day] - m[day]) ** 2)) / m[day].mean() < 0.6  # a real day-ahead miss, not noise
    with pytest.raises(fc.RegressorError, match=r"'ghi'.*clear-sky.*sites="):
        W.derive_weather_forecasts(weather[["ghi"]])


def test_an_issue_does_not_depend_on_the_period_derived(weather):
    whole = W.derive_weather_forecasts(weather[["wind_speed"]], seed=5)
    part = W.derive_weather_forecasts(weather.loc["2015-03-01":"2015-03-20", ["wind_speed"]], seed=5)
    key = ["event_start", "belief_horizon"]
    j = part.merge(whole, on=key, suffixes=("_part", "_whole"))
    assert len(j) == len(part) and np.allclose(j["value_part"], j["value_whole"])
    one = W.derive_weather_forecasts(weather[["wind_speed"]], seed=5,
                                     only_issues=np.array([pd.Timestamp("2015-03-05 10:00", tz="UTC").value]))  # fmt: skip
    assert set(pd.DatetimeIndex(W.issue_times(one, "1h"))) == {pd.Timestamp("2015-03-05 10:00", tz="UTC")}
    assert len(one) == 54


def test_issue_schedule_and_error_kinds_refuse_bad_settings():
    with pytest.raises(fc.RegressorError, match="divide a day"):
        W.IssueSchedule(every="7h")
    with pytest.raises(fc.RegressorError, match="kind must be one of"):
        W.WeatherErrorSpec(kind="multiplicative")


# ---------------------------------------------------------------------------------------
# lags known by their belief time (prices from their publication)


def hourly_prices(days: int = 30) -> pd.Series:
    idx = pd.date_range(pd.Timestamp("2015-03-01", tz=TZ).tz_convert("UTC"), periods=24 * days, freq="1h")
    rng = np.random.default_rng(0)
    hour = idx.tz_convert(TZ).hour.to_numpy()
    return pd.Series(30 + 10 * np.sin(np.pi * hour / 12) + rng.normal(0, 3, len(idx)), index=idx, name="price")


def published(prices: pd.Series) -> pd.Series:
    """Belief time of day-ahead prices: 13:00 local on the day before delivery."""
    day = prices.index.tz_convert(TZ).tz_localize(None).normalize()
    return pd.Series((day - pd.Timedelta("1D") + pd.Timedelta("13h")).tz_localize(TZ).tz_convert("UTC"), index=prices.index)


def test_prices_are_known_from_their_publication():
    p = hourly_prices()
    grid = prepare_series(p, known_at=published(p))
    b = pd.Timestamp("2015-03-20 12:00", tz=TZ)
    last = int(last_known_pos(grid, np.array([b.value]))[0])
    assert grid.index[last] == pd.Timestamp("2015-03-20 23:00", tz=TZ)  # all of D-1 is known at gate closure on D-1
    plain = prepare_series(p)
    assert plain.index[int(last_known_pos(plain, np.array([b.value]))[0])] == pd.Timestamp("2015-03-20 11:00", tz=TZ)
    # the daily lag of every hour of D is D-1 now, not D-2 for the afternoon
    e = pd.date_range(pd.Timestamp("2015-03-21", tz=TZ), periods=24, freq="1h").asi8
    pos = lags.seasonal_positions(grid, np.full(24, b.value), e, 1, "local", TZ)
    assert (grid.index[pos].tz_convert(TZ).day == 20).all()
    pos_old = lags.seasonal_positions(plain, np.full(24, b.value), e, 1, "local", TZ)
    assert (grid.index[pos_old].tz_convert(TZ).day == 19).sum() == 12


def test_a_day_ahead_price_model_reads_d1_afternoon_and_nothing_later():
    p = hourly_prices(40)
    kn = published(p)
    m = fc.LinearForecaster(features=["lags", "calendar"])
    b = pd.Timestamp("2015-04-05 12:00", tz=TZ)
    e = pd.date_range(pd.Timestamp("2015-04-06", tz=TZ), periods=24, freq="1h")
    grid = prepare_series(p, known_at=kn)
    f0 = m.clone().fit_prepared(grid, None, fc.parse_horizons(["day-ahead"]), "21D", b.value).predict_pairs(
        grid, None, np.full(24, b.value), e.asi8)  # fmt: skip

    def forecast(q):
        g = prepare_series(q, known_at=kn)
        fitted = m.clone().fit_prepared(g, None, fc.parse_horizons(["day-ahead"]), "21D", b.value)
        return fitted.predict_pairs(g, None, np.full(24, b.value), e.asi8)

    afternoon = p.copy()
    sel = (afternoon.index >= pd.Timestamp("2015-04-05 14:00", tz=TZ)) & (afternoon.index < pd.Timestamp("2015-04-06", tz=TZ))
    afternoon[sel] += 100
    assert not np.allclose(forecast(afternoon), f0)  # D-1 afternoon (published 13:00 on D-2) is read
    later = p.copy()
    later[later.index >= pd.Timestamp("2015-04-06", tz=TZ)] += 100  # D's prices, published 13:00 on D-1
    np.testing.assert_allclose(forecast(later), f0)


def test_known_at_must_be_aware_and_complete():
    p = hourly_prices(3)
    with pytest.raises(fc.ForecastingError, match="known_at has no belief time"):
        prepare_series(p, known_at=published(p).iloc[:-5])


def test_a_longer_history_stops_at_its_last_long_gap():
    p = hourly_prices(30)
    gappy = pd.concat([p.iloc[:100], p.iloc[200:]])
    keep = recent_history(gappy, pd.Timestamp("2015-03-20", tz=TZ), "1h")
    assert keep.index[0] == p.index[200] and len(keep) == len(p) - 200
    assert recent_history(gappy, p.index[50], "1h").equals(gappy)  # the gap lies after what is needed: its rule's


# ---------------------------------------------------------------------------------------
# fundamentals: forecasts known at the belief time, an earlier day where none is


def system_forecasts(days: int = 40) -> pd.DataFrame:
    """A residual-load forecast issued at 09:00 local on D-1 for each hour of D [MW]."""
    idx = pd.date_range(pd.Timestamp("2015-03-01", tz=TZ).tz_convert("UTC"), periods=24 * days, freq="1h")
    day = idx.tz_convert(TZ).tz_localize(None).normalize()
    issue = (day - pd.Timedelta("1D") + pd.Timedelta("9h")).tz_localize(TZ).tz_convert("UTC")
    x = np.zeros(len(idx))
    eps = np.random.default_rng(4).standard_normal(len(idx))
    for i in range(1, len(idx)):  # a wind-driven residual load: persistent for hours, not for days
        x[i] = 0.9 * x[i - 1] + np.sqrt(1 - 0.81) * eps[i]
    v = 40_000 + 8_000 * x
    return pd.DataFrame({"sensor": "residual", "event_start": idx, "belief_horizon": idx + H - issue, "value": v})


def test_a_fundamental_is_read_as_known_at_the_belief_time():
    sysf = system_forecasts()
    cube = fc.prepare_regressors(sysf)["residual"]
    value = sysf.set_index("event_start")["value"]
    t = pd.Timestamp("2015-03-21 10:00", tz=TZ)
    e = np.array([t.value])
    at_gate = cube.lookup_latest_day(e, np.array([pd.Timestamp("2015-03-20 12:00", tz=TZ).value]))
    assert at_gate[0] == pytest.approx(value[t])
    # believed before D's issue (09:00 D-1): the same hour of D-1, whose forecast was known
    early = cube.lookup_latest_day(e, np.array([pd.Timestamp("2015-03-20 08:00", tz=TZ).value]))
    assert early[0] == pytest.approx(value[t - pd.Timedelta("1D")])
    with pytest.raises(fc.RegressorError, match="no forecast of the step"):
        cube.lookup_latest_day(e, np.array([pd.Timestamp("2015-03-01 00:00", tz=TZ).value]))


def test_a_price_model_with_fundamentals_uses_them_and_runs_without_them():
    p = hourly_prices(40)
    sysf = system_forecasts(41)
    p = p + (sysf.set_index("event_start")["value"].reindex(p.index).to_numpy() - 40_000) / 400  # price follows it
    kw = dict(features=["lags", "calendar", "fundamentals"], fundamentals=["residual"],
              fundamental_terms=["level", "ramps", "day_change", "square"])  # fmt: skip
    with_f, without = fc.LinearForecaster(**kw), fc.LinearForecaster(features=["lags", "calendar"])
    without.name = "without"
    bt = fc.rolling_backtest(p, [with_f, without], start="2015-04-01", end="2015-04-08", horizons=["day-ahead"],
                             train_window="21D", regressors=sysf, known_at=published(p), progress=False)  # fmt: skip
    f = bt.pivot_table(index="event_start", columns="source", values="value")
    assert len(f) == 7 * 24
    err = {m: fc.wape(f[m], p.reindex(f.index)) for m in f.columns}
    assert err["linear"] < 0.5 * err["without"]  # the price follows the residual load: its forecast helps
    assert with_f.clone().fit(p, sysf, horizons=["day-ahead"], train_window="21D").feature_names[-5:] == [
        "system:residual", "system:residual:ramp_in", "system:residual:ramp_out", "system:residual:day_change",
        "system:residual:square"]  # fmt: skip
    assert fc.LinearForecaster(features=["lags", "calendar", "fundamentals"]).fit(p, horizons=["day-ahead"],
                                                                                   train_window="21D")  # no fundamentals
    with pytest.raises(fc.RegressorError, match="regressor 'residual'"):
        with_f.clone().fit(p, None, horizons=["day-ahead"], train_window="21D")


# ---------------------------------------------------------------------------------------
# day types: lags and the holiday-aware fallback


def test_the_holiday_aware_weekly_lag_skips_holidays():
    idx = pd.date_range(pd.Timestamp("2015-03-01", tz=TZ).tz_convert("UTC"), pd.Timestamp("2015-04-20", tz=TZ).tz_convert("UTC"),
                        freq="1h", inclusive="left")  # fmt: skip
    grid = prepare_series(pd.Series(np.arange(len(idx), dtype=float), index=idx, name="load"))

    def lag_day(event: str, belief: str, **kw) -> str:
        e = np.array([pd.Timestamp(event, tz=TZ).value])
        b = np.array([pd.Timestamp(belief, tz=TZ).value])
        return str(grid.index[lags.same_day_type_positions(grid, b, e, "local", TZ, "DE", **kw)][0].tz_convert(TZ).date())

    weekly = dict(max_days=28, step_days=7)
    assert lag_day("2015-04-06 10:00", "2015-04-05 12:00", **weekly) == "2015-04-05"  # Easter Monday: Easter Sunday
    assert lag_day("2015-04-06 15:00", "2015-04-05 12:00", **weekly) == "2015-04-03"  # its afternoon: Good Friday
    assert lag_day("2015-04-13 10:00", "2015-04-12 12:00", **weekly) == "2015-03-30"  # a Monday after Easter Monday
    assert lag_day("2015-04-11 10:00", "2015-04-10 12:00", **weekly) == "2015-04-04"  # a Saturday: last Saturday
    assert lag_day("2015-04-09 10:00", "2015-04-08 12:00", nth=2, max_days=21) == "2015-04-07"  # 2nd latest workday
    assert lag_day("2015-04-06 15:00", "2015-04-05 12:00") == "2015-04-03"  # Sunday's afternoon is not known yet


def test_the_fallback_weighs_model_and_holiday_aware_naive_per_day_type():
    w = syn.synthetic_weather("2015-01-01", "2015-06-01", seed=2)
    b = syn.synthetic_building(w, seed=2)
    wf = W.derive_weather_forecasts(w, seed=2, sites={"ghi": SITE})
    lag_set = ["last", "day", "day_type", "day_type2", "week_day_type", "mean_day"]
    kw = dict(features=["lags", "calendar", "horizon", "weather"], regressors=["temperature"], lags=lag_set)
    models = [fc.LinearForecaster(**kw, fallback_lag="week_day_type"), fc.LinearForecaster(**{**kw, "lags": None}),
              fc.SeasonalNaive(7)]  # fmt: skip
    models[0].name, models[1].name = "with_fallback", "pooled"
    f = fc.rolling_backtest(b, models, start="2015-03-23", end="2015-05-26", horizons=["day-ahead"], regressors=wf,
                            progress=False)  # Easter, 1 May, Ascension, Whit Monday  # fmt: skip
    scores = {m: wape_by_day_type(g.set_index("event_start")["value"], b, TZ) for m, g in f.groupby("source")}
    for k in ("workday", "Saturday", "Sunday", "holiday"):
        assert scores["with_fallback"][k] < scores["seasonal_naive_weekly"][k], k
    # the pooled model with the plain lags weighs a Sunday's lags as a workday's: worse than last week's Sunday
    assert scores["pooled"]["Sunday"] > scores["seasonal_naive_weekly"]["Sunday"]
    assert scores["pooled"]["holiday"] > 1.5 * scores["with_fallback"]["holiday"]
    fitted = models[0].clone().fit(b, wf, horizons=["day-ahead"], train_window="30D",
                                   fit_time=pd.Timestamp("2015-04-20", tz=TZ))  # fmt: skip
    assert set(fitted._blend) <= {0, 1, 2} and all(0.0 <= a <= 1.0 for a in fitted._blend.values())
    with pytest.raises(fc.ForecastingError, match="fallback_lag 'week'.*lags"):
        fc.LinearForecaster(lags=["day"], fallback_lag="week")


# ---------------------------------------------------------------------------------------
# scores of the benchmark


def test_day_type_scores_and_negative_hours_are_counted_by_hand():
    idx = pd.date_range(pd.Timestamp("2015-04-02", tz=TZ), pd.Timestamp("2015-04-07", tz=TZ), freq="1h", inclusive="left")
    kind, names = day_type_labels(idx, TZ, "DE")
    assert list(pd.Series(kind).groupby(idx.date).first()) == ["workday", "holiday", "Saturday", "Sunday", "holiday"]
    assert names[30] == "Good Friday" and names[-1] == "Easter Monday"
    a = pd.Series(10.0, index=idx)
    f = a + np.where(kind == "holiday", 5.0, 1.0)
    w = wape_by_day_type(f, a, TZ, holidays_by_name=True)
    assert w["holiday"] == pytest.approx(0.5) and w["workday"] == pytest.approx(0.1)
    assert w["holiday: Easter Monday"] == pytest.approx(0.5)
    price = pd.Series([-5.0, -1.0, 3.0, 10.0, -2.0], index=idx[:5])
    fcst = pd.Series([-1.0, 2.0, -4.0, 8.0, -0.5], index=idx[:5])
    assert negative_hours(fcst, price) == {"negative": 3, "hits": 2, "hit_rate": 2 / 3, "false_alarms": 1,
                                           "precision": 2 / 3}  # fmt: skip


# ---------------------------------------------------------------------------------------
# a model's own longer window, recency weights, weighted ridge


def test_weighted_ridge_equals_least_squares_on_repeated_rows():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    w = rng.integers(1, 4, size=40)
    rep = np.repeat(np.arange(40), w)
    a, b = fc.ridge_fit(X, y, 0.0, w.astype(float)), fc.ridge_fit(X[rep], y[rep], 0.0)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-9)
    from bvp_lib.forecasting.bucketed import recency_weights

    e = np.array([pd.Timestamp(t, tz="UTC").value for t in ("2015-01-01", "2015-01-31", "2015-03-02")])
    r = recency_weights(e, pd.Timestamp("2015-03-02", tz="UTC").value, pd.Timedelta("30D"))
    assert r.mean() == pytest.approx(1.0) and r[1] / r[0] == pytest.approx(2.0) and r[2] / r[1] == pytest.approx(2.0)


def test_a_models_own_window_reads_as_far_as_the_history_reaches():
    p = hourly_prices(90)
    grid = prepare_series(p, known_at=published(p))
    spec = fc.parse_horizons(["day-ahead"])
    T = pd.Timestamp("2015-05-25 12:00", tz=TZ).value
    e = pd.date_range(pd.Timestamp("2015-05-26", tz=TZ), periods=24, freq="1h").asi8
    b = np.full(24, T)
    own = fc.LinearForecaster(features=["lags", "calendar"], max_train_window="40D")
    fixed = fc.LinearForecaster(features=["lags", "calendar"])
    f_own = own.clone().fit_prepared(grid, None, spec, "20D", T).predict_pairs(grid, None, b, e)
    f_40 = fixed.clone().fit_prepared(grid, None, spec, "40D", T).predict_pairs(grid, None, b, e)
    f_20 = fixed.clone().fit_prepared(grid, None, spec, "20D", T).predict_pairs(grid, None, b, e)
    np.testing.assert_allclose(f_own, f_40)
    assert not np.allclose(f_own, f_20)
    assert own.history_window("20D") == pd.Timedelta("40D") and fixed.history_window("20D") == pd.Timedelta("20D")
    # a shorter history: all of it (from the lags' lookback on), never less than the run's window
    short = prepare_series(p[p.index >= pd.Timestamp("2015-04-20", tz=TZ)], known_at=published(p))
    f_short = own.clone().fit_prepared(short, None, spec, "20D", T).predict_pairs(short, None, b, e)
    assert np.isfinite(f_short).all()
    with pytest.raises(fc.InsufficientHistoryError, match="train_window 30D"):
        own.clone().fit_prepared(short, None, spec, "30D", T)
