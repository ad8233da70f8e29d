"""Benchmark day-ahead forecasting from the database: daily issues for the whole portfolio.

In a throwaway database (``benchmarks/common.py``) holding the whole bundled 2015 data set
(31 assets, the EPEX day-ahead price, 9 weather sensors), :func:`forecast_range` forecasts
every asset with a power series (27; batteries have none) and the price, for every day of
the period, as it would have been issued:

* day-ahead at gate closure (12:00 local on D-1), every step of D (92/96/100 quarter-hours),
  and the fixed 24 h horizon;
* all models of ``parameters/forecasting.yaml``: persistence, seasonal naive daily and
  weekly, linear (ridge), LightGBM; refitted weekly on the preceding 30 days;
* weather forecasts derived from the measured weather and stored first (the feed);
* series spread over a process pool (one process per core); everything stored in one
  transaction.

The default period is 15 February .. 31 December 2015: the data set covers 2015 only,
and the first issue needs 30 days of training plus 8 days of lags (prices start on
5 January). That is 320 daily issues per series, the longest year the data allow.

It prints (1) wall-clock seconds of each stage, (2) seconds per series-day of each
model (fit + predict over both schedules, summed over the series, divided by series x
days), (3) the accuracy table per asset type, model and horizon (mean over the sensors
of WAPE and of MAE skill against seasonal naive daily), with a check that linear beats
seasonal naive on WAPE for solar, wind and buildings at 24 h and day-ahead, and (4) for
the linear model the ratio of its whole fit (design matrix + ridge solve per horizon
bucket) to a single ``numpy.linalg.lstsq`` of the same design matrix: the limit, and (5)
the charging stations' day-ahead session-forecast scores (CRPS and pinball loss of the
energy arriving per hour and per day, against the sessions of the same day a week before;
:func:`bvp_lib.forecasting.evaluation.evaluate_sessions`), their headline accuracy.

Usage::

    python benchmarks/bench_forecasting.py            # 15 Feb .. 31 Dec 2015, whole portfolio
    python benchmarks/bench_forecasting.py --quick    # March 2015, four assets and the price
    python benchmarks/bench_forecasting.py --workers 1

Goal: the full run under 10 minutes on a 2-core machine. Exits non-zero if linear does
not beat seasonal naive where it should.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_database  # noqa: E402

QUICK_ASSETS = ["solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "ev-havel-public-01"]
CHECK_TYPES = ("solar", "wind", "building")


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
    from bvp_lib.forecasting import time_fit_vs_lstsq
    from bvp_lib.forecasting.weather_feed import ensure_weather_forecasts, load_weather_forecasts
    from bvp_lib.forecasting.targets import forecast_targets, needed_weather, target_models
    from bvp_lib.beliefs import load_measurements as load_history

    t = next(x for x in forecast_targets([sensor], include_price=False, bind=engine) if x.sensor == sensor)
    model = target_models(t, ["linear"])[0]
    fit_time = pd.Timestamp(start, tz="Europe/Berlin")
    h0 = fit_time - pd.Timedelta("40D")
    hist = load_history([sensor], h0, fit_time, bind=engine)[sensor]
    ws = needed_weather([model])
    ensure_weather_forecasts(ws, h0, fit_time, bind=engine)
    wf = load_weather_forecasts(ws, h0, fit_time, bind=engine)
    return time_fit_vs_lstsq(model, hist, wf, horizons=("day-ahead",), train_window="30D", repeat=5)


def session_scores(engine, start: str, end: str, assets) -> pd.DataFrame:
    """The charging stations' day-ahead session-forecast scores over the period
    (:func:`bvp_lib.forecasting.evaluation.evaluate_sessions`)."""
    from bvp_lib.forecasting.evaluation import evaluate_sessions

    return evaluate_sessions(start, end, assets=assets, bind=engine)


def print_session_scores(scores: pd.DataFrame) -> None:
    """The stations' headline: CRPS of the energy arriving per hour and per day [kWh], against
    the sessions of the same day a week before (skill), pinball loss and 10-90 % coverage."""
    print("\n== EV stations: day-ahead session forecasts (energy arriving per hour and per day; kWh)")
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="March 2015, four assets and the price")
    ap.add_argument("--start", default=None, help="first forecast day (default 2015-02-15; quick 2015-03-01)")
    ap.add_argument("--end", default=None, help="last forecast day (default 2015-12-31; quick 2015-03-31)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: one per core)")
    args = ap.parse_args()
    warnings.simplefilter("ignore", category=UserWarning)

    from bvp_lib.data.populate import populate
    from bvp_lib.forecasting.evaluation import evaluate_range, summarise_by_type
    from bvp_lib.forecasting.rolling import forecast_range

    start = args.start or ("2015-03-01" if args.quick else "2015-02-15")
    end = args.end or ("2015-03-31" if args.quick else "2015-12-31")
    assets = QUICK_ASSETS if args.quick else None
    horizons = ("24h", "day-ahead")
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
    stages: dict[str, float] = {}
    with bench_database("bvp_bench_forecasting") as engine:
        t0 = time.perf_counter()
        if args.quick:
            populate(asset=QUICK_ASSETS, start="2015-01-01", end=end, bind=engine, progress=False)
        else:
            populate(bind=engine, progress=False)
        stages["populate (bundled data set)"] = time.perf_counter() - t0

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

    print(f"\n{days} daily issues ({start} .. {end}) x {n_series} series, horizons {', '.join(horizons)}; "
          f"train window 30D, weekly refit; {args.workers} worker process(es); {len(out):,} forecasts stored.")  # fmt: skip
    print("\n== wall clock [s]")
    for k, v in stages.items():
        print(f"  {k:50s} {v:8.1f}")
        if k.startswith("forecast_range"):
            for kk, vv in out.attrs.get("stages", {}).items():
                print(f"    {kk:48s} {vv:8.1f}")
    total = sum(v for k, v in stages.items() if not k.startswith("populate"))
    print(f"  {'forecast + evaluate':50s} {total:8.1f}   (goal: < 600 s for the full run)")
    print(f"  load average at the end (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")

    print("\n== compute per series-day [s] (fit + predict, both schedules, summed over series)")
    t = per_series_day(out.attrs["timings"], days)
    print(t.to_string(float_format=lambda x: f"{x:.5f}"))

    print("\n== accuracy per asset type, model, horizon (mean over sensors; WAPE and skill in %)")
    s = summarise_by_type(metrics)
    s["wape"] *= 100
    s["skill_mae"] *= 100
    wide = s.pivot_table(index=["asset_type", "source"], columns="horizon", values=["wape", "skill_mae"], observed=True)
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
            print(f"  {at:10s} {h:10s} linear {sel['linear']:6.1f} %  seasonal naive {sel['seasonal_naive_daily']:6.1f} %"
                  f"  {'ok' if better else 'FAIL'}")  # fmt: skip

    print_session_scores(sessions)

    print("\n== linear fit against one numpy lstsq of the same design matrix (day-ahead, 30 days, best of 5)")
    for sensor, r in limits.items():
        print(f"  {sensor:28s} design {r['rows']} x {r['columns']}: build {1e3 * r['design_s']:6.1f} ms, "
              f"fit {1e3 * r['fit_s']:6.1f} ms, lstsq {1e3 * r['lstsq_s']:6.2f} ms -> "
              f"fit/lstsq {r['fit_s'] / r['lstsq_s']:5.1f}x (without the build "
              f"{max(r['fit_s'] - r['design_s'], 0.0) / r['lstsq_s']:4.1f}x)")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
