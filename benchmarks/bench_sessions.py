"""Benchmark: what forecasting the EV sessions does to the stations' captured share.

    python benchmarks/bench_sessions.py [--from 2015-04-06] [--to 2015-05-03]

In a throwaway database holding the five charging stations of the bundled 2015 data set
(their sessions and power, the price and the weather, all of 2015), the daily run
(:func:`bvp_lib.runs.day.run_day`) of the stations for every day of the period, twice on
the same day-ahead price forecasts (linear, made at gate closure):

* **before** (``ev_sessions="actual"``): the planned schedule made on the real sessions of
  D, taken as known at gate closure (look-ahead: what the workbench did before) and
  realised as planned;
* **after** (``ev_sessions="forecast"``): the planned schedule made on the expected sessions
  forecast at gate closure from the sessions ended by then, realised on the real cars
  (:func:`bvp_lib.valuation.realise_station`), deviations settled as imbalance.

It prints per station and in total the realised and perfect-foresight value [EUR] and the
captured share before and after (it falls: that is the honest figure), the seconds of a
day's schedule step (min and median over the days) before and after, and the session
forecasts' scores over the period (:func:`bvp_lib.forecasting.evaluation.evaluate_sessions`).
The stations are scheduled alone (their connection point's other assets left out); the
default period is four weeks (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_database  # noqa: E402

STATIONS = ["ev-campus-v2g-fleet-01", "ev-campus-work-01", "ev-havel-home-01", "ev-havel-public-01",
            "ev-havel-v2g-home-01"]  # fmt: skip
RUN = {"solver": "highs", "mip_gap": 1e-3, "time_limit": 60}


def run(days, engine, ev_sessions: str, *, first: bool) -> tuple[pd.DataFrame, list[float], list[str]]:
    """The daily runs of the stations; per (day, station) the values [EUR]; schedule seconds per day."""
    from bvp_lib.runs.day import run_day
    from bvp_lib.valuation import revenue

    rows, seconds, failed = [], [], []
    for d in days:
        try:
            ctx = run_day(d, assets=STATIONS, ev_sessions=ev_sessions, reuse_forecasts=not first, save=first,
                          models=["linear"], bind=engine, **RUN)  # fmt: skip
        except Exception as e:  # noqa: BLE001 - a failing day is reported, the benchmark goes on
            failed.append(f"{d}: {type(e).__name__}: {e}")
            continue
        seconds.append(ctx.timings["schedule"])
        a = ctx.valuation.assets.reset_index()
        a.insert(0, "day", d)
        price, cols = ctx.perfect.inputs.prices, list(a["asset"])
        # the price part of the realised value: what moving the real consumption saved
        a["arbitrage_eur"] = (revenue(ctx.valuation.realised[cols], price) - revenue(ctx.perfect.baseline[cols], price)).to_numpy()
        rows.append(a)
    return pd.concat(rows, ignore_index=True), seconds, failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="first", default="2015-04-06", help="first local day (default 2015-04-06)")
    ap.add_argument("--to", dest="last", default="2015-05-03", help="last local day (default 2015-05-03)")
    args = ap.parse_args()
    warnings.simplefilter("ignore", category=UserWarning)
    from bvp_lib.data.populate import populate
    from bvp_lib.forecasting.evaluation import evaluate_sessions
    from bvp_lib.timing import days_between
    from bvp_lib.valuation import captured_share

    days = days_between(args.first, args.last)
    with bench_database("bvp_bench_sessions") as engine:
        t = time.perf_counter()
        populate(structure=True, data=True, asset=STATIONS, bind=engine, progress=False)
        t_pop = time.perf_counter() - t
        t = time.perf_counter()
        before, s_before, f_before = run(days, engine, "actual", first=True)  # stores the price forecasts
        t_before = time.perf_counter() - t
        t = time.perf_counter()
        after, s_after, f_after = run(days, engine, "forecast", first=False)
        t_after = time.perf_counter() - t
        scores = evaluate_sessions(args.first, args.last, bind=engine)

    print(f"\nThe five charging stations, {args.first} .. {args.last} ({len(days)} days), price forecast linear at gate "
          f"closure, {RUN}; populate {t_pop:.1f} s; shared 2-core machine\n")  # fmt: skip
    cols = ["realised_value_eur", "perfect_foresight_value_eur", "arbitrage_eur"]
    b = before.groupby("asset")[cols].sum()
    a = after.groupby("asset")[cols].sum()
    table = pd.DataFrame({
        "perfect [EUR]": b["perfect_foresight_value_eur"],
        "realised before [EUR]": b["realised_value_eur"],
        "share before": [captured_share(r, p) for r, p in zip(b["realised_value_eur"], b["perfect_foresight_value_eur"])],
        "realised after [EUR]": a["realised_value_eur"],
        "share after": [captured_share(r, p) for r, p in zip(a["realised_value_eur"], a["perfect_foresight_value_eur"])],
    })  # fmt: skip
    tot_b, tot_a = b.sum(), a.sum()
    table.loc["all stations"] = [tot_b["perfect_foresight_value_eur"], tot_b["realised_value_eur"],
                                 captured_share(tot_b["realised_value_eur"], tot_b["perfect_foresight_value_eur"]),
                                 tot_a["realised_value_eur"],
                                 captured_share(tot_a["realised_value_eur"], tot_a["perfect_foresight_value_eur"])]  # fmt: skip
    table["arbitrage after [EUR]"] = list(a["arbitrage_eur"]) + [tot_a["arbitrage_eur"]]
    table["imbalance after [EUR]"] = table["realised after [EUR]"] - table["arbitrage after [EUR]"]
    print(table.to_string(float_format=lambda x: f"{x:,.3f}"))
    print("\nrealised value = arbitrage (revenue of the realised power - of the real cars' baseline, at the day-ahead\n"
          "price; perfect foresight earns only this part) + imbalance (spread x (imbalance volume of the baseline\n"
          "on its forecast - of the realised power against the plan)); before, both baselines are the real sessions'")
    print(f"\nstations' captured share: before (sessions taken as known at gate closure) "
          f"{table.loc['all stations', 'share before']:.1%}, after (sessions forecast) "
          f"{table.loc['all stations', 'share after']:.1%}")  # fmt: skip
    for name, s, t_all in (("before", s_before, t_before), ("after", s_after, t_after)):
        if s:
            print(f"schedule step {name}: min {min(s):.2f} s, median {statistics.median(s):.2f} s per day "
                  f"({t_all:.0f} s for the whole run)")  # fmt: skip
    for name, f in (("before", f_before), ("after", f_after)):
        if f:
            print(f"failed days {name}:", *f, sep="\n  ")
    print("\nsession forecasts over the period (energy arriving; kWh):")
    t = scores.set_index("station")
    out = pd.DataFrame({
        "actual/d": 1e3 * t["actual_mwh_per_day"], "CRPS hour": 1e3 * t["crps_hour_mwh"],
        "ref hour": 1e3 * t["reference_crps_hour_mwh"], "CRPS day": 1e3 * t["crps_day_mwh"],
        "ref day": 1e3 * t["reference_crps_day_mwh"], "CRPS day %": 100 * t["crps_day_relative"],
        "skill day %": 100 * t["skill_day"], "in 10-90 %": 100 * t["coverage_day"],
    })  # fmt: skip
    print(out.round(2).to_string())
    return 1 if (f_before or f_after) else 0


if __name__ == "__main__":
    sys.exit(main())
