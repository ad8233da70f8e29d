"""Benchmark day-ahead forecasting from the database: daily issues for the whole portfolio,
and what each honest input contributes.

In a throwaway database (``benchmarks/common.py``) holding a whole bundled data set (2015 by
default, ``--year 2018``: 31 assets, the EPEX day-ahead price, 9 weather sensors, and in 2018
the system fundamentals), :func:`forecast_range` forecasts every asset with a power series
(27; batteries have none) and the price, for every day of the period, as it would have
been issued:

* day-ahead at gate closure (12:00 local on D-1), every step of D (92/96/100 quarter-hours),
  and the fixed 24 h horizon;
* all models of ``parameters/forecasting.yaml``: persistence, seasonal naive daily and
  weekly, linear (ridge), LightGBM; refitted weekly on the preceding 30 days (the price
  models on up to a year, ``max_train_window``);
* weather forecasts derived from the measured weather (issued every 6 h, one correlated
  error path per issue) and stored first; series spread over a process pool; everything
  stored in one transaction.

It prints (1) wall-clock seconds of each stage, (2) seconds per series-day of each model,
(3) the accuracy table per asset type, model and horizon (mean over the sensors of WAPE and
of MAE skill against seasonal naive daily) with a check that linear beats seasonal naive on
WAPE for solar, wind and buildings, (4) the linear fit against one ``numpy.linalg.lstsq``,
and, for the day-ahead issue:

(5) **prices with and without D-1's afternoon**: lags on every price known at gate closure
    (its stored belief time, all of D-1) against only the hours that ended by then
    (``lags_known: step_end``);
(6) **solar and wind: the weather error model against the perfect-weather ceiling** (the
    same models on weather "forecasts" without error), with the derived weather forecasts'
    own day-ahead accuracy and error correlation along an issue;
(7) **buildings by day type** (workday, Saturday, Sunday, public holiday, and each holiday)
    against the weekly naive;
(8) where the market has system fundamentals (``--year 2018``): **price WAPE and MAE with and
    without the fundamentals** against seasonal naive, and the **negative-price hours**
    each model forecast below zero (hit rate, false alarms). Goals: the price WAPE at least
    25 % lower with fundamentals than without, and more than half of the negative hours
    forecast below zero; printed as reached or not;
(9) the charging stations' day-ahead **session-forecast scores** (CRPS and pinball loss of the
    energy arriving per hour and per day, against the sessions of the same day a week before;
    :func:`bvp_lib.forecasting.evaluation.evaluate_sessions`), their headline accuracy.

The default period is 15 February .. 31 December of the year: the data set covers one year,
and the first issue needs 30 days of training plus 8 days of lags. That is 320 daily issues
per series.

Usage::

    python benchmarks/bench_forecasting.py                # 15 Feb .. 31 Dec 2015, whole portfolio
    python benchmarks/bench_forecasting.py --year 2018    # the 2018 set, with fundamentals
    python benchmarks/bench_forecasting.py --quick        # March, four assets and the price
    python benchmarks/bench_forecasting.py --workers 1
    python benchmarks/bench_forecasting.py --year 2018 --sections 8   # only section 8 (5-8 can be chosen)

Exits non-zero if linear does not beat seasonal naive where it should.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_database  # noqa: E402

QUICK_ASSETS = ["solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "ev-havel-public-01"]
CHECK_TYPES = ("solar", "wind", "building")
PRICE_MODELS = ["linear", "lightgbm", "seasonal_naive_daily", "seasonal_naive_weekly"]
TZ = "Europe/Berlin"


def per_series_day(timings: dict, days: int) -> pd.DataFrame:
    """Seconds per series-day of each model: fit and predict summed over the series."""
    rows = {}
    for per_model in timings.values():
        for model, t in per_model.items():
            r = rows.setdefault(model, {"fit_s": 0.0, "predict_s": 0.0, "series": 0})
            r["fit_s"] += t["fit_s"]
            r["predict_s"] += t["predict_s"]
            r["series"] += 1
    out = pd.DataFrame(rows).T
    out["s_per_series_day"] = (out["fit_s"] + out["predict_s"]) / (out["series"] * days)
    return out.sort_values("s_per_series_day")


def fit_vs_lstsq(engine, sensor: str, start: str) -> dict:
    """The linear model's fit time on one series against one lstsq on its design matrix."""
    from bvp_lib.beliefs import load_measurements as load_history
    from bvp_lib.forecasting import time_fit_vs_lstsq
    from bvp_lib.forecasting.targets import forecast_targets, needed_weather, target_models
    from bvp_lib.forecasting.weather_feed import ensure_weather_forecasts, load_weather_forecasts

    t = next(x for x in forecast_targets([sensor], include_price=False, bind=engine) if x.sensor == sensor)
    model = target_models(t, ["linear"])[0]
    fit_time = pd.Timestamp(start, tz=TZ)
    h0 = fit_time - pd.Timedelta("40D")
    hist = load_history([sensor], h0, fit_time, bind=engine)[sensor]
    ws = needed_weather([model])
    ensure_weather_forecasts(ws, h0, fit_time, bind=engine)
    wf = load_weather_forecasts(ws, h0, fit_time, bind=engine)
    return time_fit_vs_lstsq(model, hist, wf, horizons=("day-ahead",), train_window="30D", repeat=5)


# ---------------------------------------------------------------------------------------
# scores of day-ahead forecasts


def day_ahead(out: pd.DataFrame) -> pd.DataFrame:
    return out[out["horizon"].astype(str) == "day-ahead"]


def scores(out: pd.DataFrame, actual: dict[str, pd.Series], sensors, models) -> pd.DataFrame:
    """WAPE [%] and MAE per sensor and model of the day-ahead forecasts."""
    from bvp_lib.forecasting.metrics import mae, wape

    rows = []
    da = day_ahead(out)
    for (s, m), g in da[da["sensor"].isin(list(sensors)) & da["source"].isin(list(models))].groupby(["sensor", "source"]):
        f = g.set_index("event_start")["value"]
        a = actual[s].reindex(f.index)
        ok = a.notna()
        rows.append({"sensor": s, "model": m, "wape": 100 * wape(f[ok], a[ok]), "mae": mae(f[ok], a[ok])})
    return pd.DataFrame(rows)


def actuals(engine, sensors, start: str, end: str) -> dict[str, pd.Series]:
    from bvp_lib.beliefs import load_measurements

    return load_measurements(list(sensors), pd.Timestamp(start, tz=TZ), pd.Timestamp(end, tz=TZ) + pd.Timedelta("1D"),
                             bind=engine)  # fmt: skip


def dry_run(engine, start, end, assets, models, parameters, workers) -> pd.DataFrame:
    from bvp_lib.forecasting.rolling import forecast_range

    return forecast_range(start, end, assets=assets, models=models, horizons=("day-ahead",), train_window="30D",
                          refit="7D", save=False, bind=engine, progress=False, include_price=False, workers=workers,
                          parameters=parameters)  # fmt: skip


def price_with_and_without_afternoon(engine, start, end, market, price) -> None:
    from bvp_lib.forecasting.config import load_parameters

    p = load_parameters()
    p["asset_types"]["price"]["lags_known"] = "step_end"
    t = time.perf_counter()
    new = dry_run(engine, start, end, [market], PRICE_MODELS, load_parameters(), 1)
    old = dry_run(engine, start, end, [market], PRICE_MODELS, p, 1)
    act = actuals(engine, [price], start, end)
    new_s = scores(new, act, [price], PRICE_MODELS).set_index("model")
    old_s = scores(old, act, [price], PRICE_MODELS).set_index("model")
    print(f"\n== (5) day-ahead price with and without D-1's afternoon prices as lags ({time.perf_counter() - t:.0f} s)")
    print("  lags read every price whose stored belief time is at or before gate closure (all of D-1, published 13:00 "
          "on D-2),\n  against only the hours that ended by gate closure (lags_known: step_end, the old rule)")  # fmt: skip
    print(f"  {'model':24s} {'WAPE without':>13s} {'WAPE with':>10s} {'MAE without':>12s} {'MAE with':>9s}  [% / EUR/MWh]")
    for m in PRICE_MODELS:
        if m in new_s.index and m in old_s.index:
            print(f"  {m:24s} {old_s.at[m, 'wape']:13.1f} {new_s.at[m, 'wape']:10.1f} {old_s.at[m, 'mae']:12.2f} "
                  f"{new_s.at[m, 'mae']:9.2f}")  # fmt: skip


def weather_accuracy(engine, start, end) -> pd.DataFrame:
    """Day-ahead accuracy of the derived weather forecasts (the issue of 10:00 UTC for the
    next local day) and their error correlation along an issue, per weather sensor."""
    from bvp_lib.beliefs import load_measurements
    from bvp_lib.db.catalogue import Catalogue
    from bvp_lib.forecasting import weather as W
    from bvp_lib.forecasting.config import weather_settings

    cat = Catalogue.read(engine)
    ws = cat.weather
    a, b = pd.Timestamp(start, tz=TZ), pd.Timestamp(end, tz=TZ) + pd.Timedelta("1D")
    m = load_measurements(list(ws.index), a, b, bind=engine)
    w = weather_settings()
    sites = {s: {"latitude": ws.at[s, "latitude"], "longitude": ws.at[s, "longitude"]} for s in ws.index}
    rows = []
    for s in ws.index:
        if m[s].empty:
            continue
        f = W.derive_weather_forecasts(m[s], issues=w["issues"], seed=w["seed"], error_specs=w["error_specs"], sites=sites)
        issue = pd.DatetimeIndex(W.issue_times(f, "1h"))
        loc = pd.DatetimeIndex(f["event_start"]).tz_convert(TZ)
        da = f[(issue.hour == 10) & (loc.normalize() == issue.tz_convert(TZ).normalize() + pd.Timedelta("1D"))]
        mm = m[s].reindex(pd.DatetimeIndex(da["event_start"])).to_numpy()
        err = da["value"].to_numpy() - mm
        spec = W.error_spec_for(s, w["error_specs"])
        row = {"sensor": s, "kind": spec.kind, "phi": spec.phi(pd.Timedelta("1h"))}
        if spec.kind == "clear_sky":
            day = mm > 0
            cs = pd.Series(W.clear_sky_ghi(m[s].index.asi8, 3_600 * 10**9, sites[s]), index=m[s].index)
            row["rmse"] = float(np.sqrt(np.mean(err[day] ** 2)) / np.mean(mm[day]) * 100)
            row["unit"] = "% of mean GHI"
            row["lag1"] = W.error_autocorrelation(f, m[s], sigma=spec, scale=cs, min_scale=50.0)
            daily = pd.DataFrame({"f": da["value"].to_numpy(), "m": mm}, index=loc[da.index]).resample("D").sum()
            row["daily_r"] = float(daily.corr().iloc[0, 1])
        else:
            row["rmse"] = float(np.sqrt(np.nanmean(err**2)))
            row["unit"] = "K" if "temp" in s else "m/s"
            row["lag1"] = W.error_autocorrelation(f, m[s], sigma=spec)
            row["daily_r"] = np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def solar_wind_vs_perfect_weather(engine, start, end, assets_of, workers) -> None:
    from bvp_lib.forecasting.config import load_parameters
    from bvp_lib.forecasting.weather import DEFAULT_ERROR_SPECS

    p = load_parameters()
    errs = copy.deepcopy(p["weather_forecasts"].get("errors") or {})
    for k, spec in DEFAULT_ERROR_SPECS.items():
        errs.setdefault(k, {"kind": spec.kind, "sigma_inf": spec.sigma_inf, "tau": spec.tau,
                            "correlation_time": spec.correlation_time, "lower": spec.lower, "upper": spec.upper})  # fmt: skip
    for k in errs:
        errs[k] = {**errs[k], "sigma_inf": 0.0}
    p["weather_forecasts"]["errors"] = errs
    sensors = assets_of("solar") + assets_of("wind")
    if not sensors:
        return
    t = time.perf_counter()
    models = ["linear", "lightgbm", "seasonal_naive_daily"]
    with_errors = dry_run(engine, start, end, sensors, models, load_parameters(), workers)
    perfect = dry_run(engine, start, end, sensors, ["linear", "lightgbm"], p, workers)
    act = actuals(engine, sensors, start, end)
    real = scores(with_errors, act, sensors, models)
    ceil = scores(perfect, act, sensors, ["linear", "lightgbm"])
    print(f"\n== (6) solar and wind day-ahead WAPE [%]: the weather error model against the perfect-weather ceiling "
          f"({time.perf_counter() - t:.0f} s)")  # fmt: skip
    print("  mean over the parks; 'perfect weather' = the same models on weather forecasts without error (a ceiling, "
          "not a forecast)")  # fmt: skip
    print(f"  {'type':6s} {'model':10s} {'error model':>12s} {'perfect weather':>16s} {'seasonal naive':>15s}")
    for at in ("solar", "wind"):
        ss = assets_of(at)
        sn = real[(real["model"] == "seasonal_naive_daily") & real["sensor"].isin(ss)]["wape"].mean()
        for m in ("linear", "lightgbm"):
            r = real[(real["model"] == m) & real["sensor"].isin(ss)]["wape"].mean()
            c = ceil[(ceil["model"] == m) & ceil["sensor"].isin(ss)]["wape"].mean()
            print(f"  {at:6s} {m:10s} {r:12.1f} {c:16.1f} {sn:15.1f}")
    wa = weather_accuracy(engine, start, end)
    print("  derived weather forecasts, day ahead (issue 10:00 UTC, next local day): RMSE, lag-1 h error correlation "
          "along an issue (documented phi), daily irradiation r")  # fmt: skip
    for r in wa.itertuples():
        dr = f", daily r {r.daily_r:.3f}" if np.isfinite(r.daily_r) else ""
        print(f"    {r.sensor:28s} RMSE {r.rmse:5.2f} {r.unit:14s} lag-1 corr {r.lag1:.3f} (phi {r.phi:.3f}){dr}")


def buildings_by_day_type(engine, start, end, assets_of, workers) -> None:
    from bvp_lib.db.catalogue import Catalogue
    from bvp_lib.forecasting.metrics import DAY_TYPE_NAMES, wape_by_day_type

    cat = Catalogue.read(engine)
    blds = assets_of("building")
    if not blds:
        return
    t = time.perf_counter()
    out = dry_run(engine, start, end, blds, ["linear", "lightgbm", "seasonal_naive_daily", "seasonal_naive_weekly"],
                  None, workers)  # fmt: skip
    act = actuals(engine, blds, start, end)
    da = day_ahead(out)
    rows = []
    for (s, m), g in da[da["sensor"].isin(blds)].groupby(["sensor", "source"]):
        if m not in ("linear", "lightgbm", "seasonal_naive_weekly", "seasonal_naive_daily"):
            continue
        sub = (cat.assets.at[s, "attributes"] or {}).get("holidays_subdivision")
        w = wape_by_day_type(g.set_index("event_start")["value"], act[s], TZ, "DE", sub, holidays_by_name=True)
        rows += [{"sensor": s, "model": m, "type": k, "wape": 100 * v} for k, v in w.items()]
    r = pd.DataFrame(rows)
    tab = r.pivot_table(index="type", columns="model", values="wape", aggfunc="mean")
    order = [k for k in DAY_TYPE_NAMES if k in tab.index] + sorted(k for k in tab.index if k not in DAY_TYPE_NAMES)
    print(f"\n== (7) buildings: day-ahead WAPE [%] by day type, mean over the {len(blds)} buildings (holidays of each "
          f"building's state) ({time.perf_counter() - t:.0f} s)")  # fmt: skip
    print(tab.reindex(order).round(1).to_string())
    w = r[r["type"].isin(DAY_TYPE_NAMES)].pivot_table(index=["sensor", "type"], columns="model", values="wape")
    for m in ("linear", "lightgbm"):
        if m not in w.columns:
            continue
        mean = tab.reindex(list(DAY_TYPE_NAMES))
        beat = all(mean.at[k, m] < mean.at[k, "seasonal_naive_weekly"] for k in DAY_TYPE_NAMES if k in mean.index)
        lose = w[w[m] >= w["seasonal_naive_weekly"]]
        print(f"  {m}: {'beats' if beat else 'does NOT beat'} the weekly naive on every day type (mean over "
              f"buildings); per building and day type it loses or ties {len(lose)} of {len(w)}: "
              f"{', '.join(f'{s}/{t}' for s, t in lose.index) or 'none'}")  # fmt: skip


def price_with_and_without_fundamentals(engine, start, end, market, price) -> None:
    from bvp_lib.forecasting.config import load_parameters
    from bvp_lib.forecasting.metrics import negative_hours

    p = load_parameters()
    for spec in p["asset_types"]["price"]["models"].values():
        spec["features"] = [f for f in spec.get("features", []) if f != "fundamentals"]
    t = time.perf_counter()
    out = dry_run(engine, start, end, [market], PRICE_MODELS, load_parameters(), 1)
    without = dry_run(engine, start, end, [market], ["linear", "lightgbm"], p, 1)
    act = actuals(engine, [price], start, end)
    a = act[price]
    with_s = scores(out, act, [price], PRICE_MODELS).set_index("model")
    wo_s = scores(without, act, [price], ["linear", "lightgbm"]).set_index("model")
    print(f"\n== (8) day-ahead price with and without the system fundamentals' day-ahead forecasts "
          f"({time.perf_counter() - t:.0f} s)")  # fmt: skip
    print("  fundamentals: residual load, load, wind, solar as forecast at 09:00 D-1 (levels, ramps, change against "
          "D-1, square), read as known at gate closure")  # fmt: skip
    print(f"  {'model':24s} {'WAPE [%]':>9s} {'MAE':>7s}  negative hours: {'hits':>5s} {'hit rate':>9s} {'false alarms':>13s}")
    da = day_ahead(out)
    both = {("with", m): da[(da["sensor"] == price) & (da["source"] == m)] for m in PRICE_MODELS}
    both.update({("without", m): without[(without["sensor"] == price) & (without["source"] == m)]
                 for m in ("linear", "lightgbm")})  # fmt: skip
    res = {}
    for (kind, m), g in both.items():
        if g.empty:
            continue
        f = g.set_index("event_start")["value"]
        nh = negative_hours(f, a)
        s = (with_s if kind == "with" else wo_s).loc[m]
        label = m if m.startswith("seasonal") else f"{m} ({kind})"
        res[(kind, m)] = (s["wape"], nh)
        print(f"  {label:24s} {s['wape']:9.1f} {s['mae']:7.2f}  {nh['hits']:>21d} {100 * nh['hit_rate']:8.0f} % "
              f"{nh['false_alarms']:13d}   (of {nh['negative']} negative hours)")  # fmt: skip
    for m in ("linear", "lightgbm"):
        if ("with", m) in res and ("without", m) in res:
            red = 1 - res[("with", m)][0] / res[("without", m)][0]
            hr = res[("with", m)][1]["hit_rate"]
            print(f"  goal {m}: WAPE {100 * red:.1f} % lower with fundamentals (goal >= 25 %: "
                  f"{'reached' if red >= 0.25 else 'NOT reached'}); {100 * hr:.0f} % of the negative hours forecast "
                  f"below zero (goal > 50 %: {'reached' if hr > 0.5 else 'NOT reached'})")  # fmt: skip


def session_scores(engine, start: str, end: str, assets) -> pd.DataFrame:
    """The charging stations' day-ahead session-forecast scores over the period
    (:func:`bvp_lib.forecasting.evaluation.evaluate_sessions`)."""
    from bvp_lib.forecasting.evaluation import evaluate_sessions

    return evaluate_sessions(start, end, assets=assets, bind=engine)


def print_session_scores(scores: pd.DataFrame) -> None:
    """The stations' headline: CRPS of the energy arriving per hour and per day [kWh], against
    the sessions of the same day a week before (skill), pinball loss and 10-90 % coverage."""
    print("\n== (9) EV stations: day-ahead session forecasts (energy arriving per hour and per day; kWh)")
    if scores.empty:
        print("  no charging station selected")
        return
    t = scores.set_index("station")
    cols = {"actual_mwh_per_day": "actual/d", "forecast_mwh_per_day": "forecast/d", "crps_hour_mwh": "CRPS hour",
            "reference_crps_hour_mwh": "ref hour", "crps_day_mwh": "CRPS day", "reference_crps_day_mwh": "ref day",
            "pinball_day_mwh": "pinball day"}  # fmt: skip
    out = (t[list(cols)] * 1e3).rename(columns=cols)
    out["CRPS day %"] = 100 * t["crps_day_relative"]
    out["skill hour %"], out["skill day %"] = 100 * t["skill_hour"], 100 * t["skill_day"]
    out["in 10-90 %"] = 100 * t["coverage_day"]
    out["days"] = t["days"]
    print(out.round(2).to_string())
    print("  ref = the sessions of the same day a week before (a point forecast: CRPS = absolute error)")


def day_ahead_sections(engine, sections, start, end, y, workers, types: dict) -> None:
    """Sections 5-8: day-ahead forecasts as the daily run makes them, for each variant."""
    from bvp_lib.db.catalogue import Catalogue

    cat = Catalogue.read(engine)

    def assets_of(t: str) -> list[str]:
        return sorted(s for s, at in types.items() if at == t)

    market, price = cat.markets.index[0], str(cat.markets["sensor"].iloc[0])
    print("\n(5)-(8): day-ahead forecasts as the daily run makes them (models trained on the day-ahead issues "
          "only), computed again for each variant and not stored")  # fmt: skip
    if 5 in sections:
        price_with_and_without_afternoon(engine, start, end, market, price)
    if 6 in sections:
        solar_wind_vs_perfect_weather(engine, start, end, assets_of, workers)
    if 7 in sections:
        buildings_by_day_type(engine, start, end, assets_of, workers)
    if 8 in sections:
        if not cat.system.empty:
            price_with_and_without_fundamentals(engine, start, end, market, price)
        else:
            print(f"\n== (8) the market has no system fundamentals in the {y} set: run with --year 2018")


def only_sections(engine, sections, start, end, y, workers) -> int:
    from bvp_lib.db.catalogue import Catalogue

    t = time.perf_counter()
    types = Catalogue.read(engine).assets["type"].to_dict()
    print(f"sections {sorted(sections)} only, {start} .. {end}, data set {y}; {workers} worker process(es); "
          f"load average {os.getloadavg()[0]:.1f} at the start on {os.cpu_count()} cores (the machine is shared)")
    day_ahead_sections(engine, sections, start, end, y, workers, types)
    print(f"\n{time.perf_counter() - t:.0f} s")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--year", type=int, default=2015, choices=(2015, 2018), help="bundled data set (default 2015)")
    ap.add_argument("--quick", action="store_true", help="March, four assets and the price")
    ap.add_argument("--start", default=None, help="first forecast day (default <year>-02-15; quick <year>-03-01)")
    ap.add_argument("--end", default=None, help="last forecast day (default <year>-12-31; quick <year>-03-31)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: one per core)")
    ap.add_argument("--sections", type=lambda x: {int(v) for v in x.split(",")}, default=None,
                    help="only these of the day-ahead comparisons 5-8, e.g. 5,8 (skips 1-4 and 9)")
    args = ap.parse_args()
    if args.sections and not args.sections <= {5, 6, 7, 8}:
        ap.error(f"--sections takes numbers from 5 to 8, not {sorted(args.sections)}")
    warnings.simplefilter("ignore", category=UserWarning)

    from bvp_lib.data.populate import populate
    from bvp_lib.forecasting.evaluation import evaluate_range, summarise_by_type
    from bvp_lib.forecasting.rolling import forecast_range

    y = args.year
    start = args.start or (f"{y}-03-01" if args.quick else f"{y}-02-15")
    end = args.end or (f"{y}-03-31" if args.quick else f"{y}-12-31")
    assets = QUICK_ASSETS if args.quick else None
    horizons = ("24h", "day-ahead")
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
    stages: dict[str, float] = {}
    with bench_database("bvp_bench_forecasting") as engine:
        t0 = time.perf_counter()
        if args.quick:
            populate(asset=QUICK_ASSETS, start=f"{y}-01-01", end=end, year=y, bind=engine, progress=False)
        else:
            populate(year=y, bind=engine, progress=False)
        stages[f"populate (bundled data set {y})"] = time.perf_counter() - t0
        if args.sections:
            return only_sections(engine, args.sections, start, end, y, args.workers)

        t0 = time.perf_counter()
        out = forecast_range(start, end, assets=assets, horizons=horizons, train_window="30D", refit="7D",
                             workers=args.workers, bind=engine, progress=True)  # fmt: skip
        stages["forecast_range (weather feed, backtests, store)"] = time.perf_counter() - t0
        n_series = out["sensor"].nunique()

        t0 = time.perf_counter()
        metrics = evaluate_range(start, end, assets=assets, horizons=horizons, bind=engine)
        stages["evaluate_range (read back, metrics)"] = time.perf_counter() - t0

        limits = {s: fit_vs_lstsq(engine, s, start) for s in
                  ("solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01")}  # fmt: skip

        t0 = time.perf_counter()
        sessions = session_scores(engine, start, end, assets)
        stages["evaluate_sessions (EV session forecasts)"] = time.perf_counter() - t0

        types = out.attrs["asset_types"]

        print(f"\n{days} daily issues ({start} .. {end}, data set {y}) x {n_series} series, horizons "
              f"{', '.join(horizons)}; train window 30D, weekly refit; {args.workers} worker process(es); "
              f"{len(out):,} forecasts stored. The machine is shared: timings are noisy.")  # fmt: skip
        print("\n== (1) wall clock [s]")
        for k, v in stages.items():
            print(f"  {k:50s} {v:8.1f}")
            if k.startswith("forecast_range"):
                for kk, vv in out.attrs.get("stages", {}).items():
                    print(f"    {kk:48s} {vv:8.1f}")
        total = sum(v for k, v in stages.items() if not k.startswith("populate"))
        print(f"  {'forecast + evaluate':50s} {total:8.1f}")
        print(f"  load average at the end (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
              f"on {os.cpu_count()} cores")

        print("\n== (2) compute per series-day [s] (fit + predict, both schedules, summed over series)")
        print(per_series_day(out.attrs["timings"], days).to_string(float_format=lambda x: f"{x:.5f}"))

        print("\n== (3) accuracy per asset type, model, horizon (mean over sensors; WAPE and skill in %)")
        s = summarise_by_type(metrics)
        s["wape"] *= 100
        s["skill_mae"] *= 100
        wide = s.pivot_table(index=["asset_type", "source"], columns="horizon", values=["wape", "skill_mae"],
                             observed=True)  # fmt: skip
        print(wide.round(1).to_string())

        print("\n== linear vs seasonal naive daily on WAPE")
        ok = True
        for at in CHECK_TYPES:
            for h in horizons:
                sel = s[(s["asset_type"] == at) & (s["horizon"] == h)].set_index("source")["wape"]
                if not {"linear", "seasonal_naive_daily"} <= set(sel.index):
                    continue
                better = sel["linear"] < sel["seasonal_naive_daily"]
                ok &= bool(better)
                print(f"  {at:10s} {h:10s} linear {sel['linear']:6.1f} %  seasonal naive "
                      f"{sel['seasonal_naive_daily']:6.1f} %  {'ok' if better else 'FAIL'}")  # fmt: skip

        print("\n== (4) linear fit against one numpy lstsq of the same design matrix (day-ahead, 30 days, best of 5)")
        for sensor, r in limits.items():
            print(f"  {sensor:28s} design {r['rows']} x {r['columns']}: build {1e3 * r['design_s']:6.1f} ms, "
                  f"fit {1e3 * r['fit_s']:6.1f} ms, lstsq {1e3 * r['lstsq_s']:6.2f} ms -> "
                  f"fit/lstsq {r['fit_s'] / r['lstsq_s']:5.1f}x (without the build "
                  f"{max(r['fit_s'] - r['design_s'], 0.0) / r['lstsq_s']:4.1f}x)")  # fmt: skip

        day_ahead_sections(engine, {5, 6, 7, 8}, start, end, y, args.workers, types)
        print_session_scores(sessions)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
