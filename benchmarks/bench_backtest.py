"""Benchmark: a backtest of the full data set on Dask, 1 worker against 2, in one run.

    python benchmarks/bench_backtest.py [--from 2015-02-15] [--to 2015-12-31] [--chunk-days 7]

Loads the full bundled data set (31 assets) into a throwaway database and runs the same
one-scenario sweep (:mod:`bvp_lib.runs.sweep`: forecast tasks per day range, the scenario's
ranges in order) on a local Dask cluster of 1 worker, then — with the forecasts and
results removed — of 2 workers. Prints wall seconds per day for each, the speed-up, the
compute time per forecast day and per scenario-day, and the database's cost of storing a
scenario-day's results and a day's forecasts: the figures behind the cluster estimate in
README.md ("What a big sweep costs").

The default period is the year the data allows (30 days of training history first):
about 2 hours on 2 cores. ``--from/--to`` measure a shorter period.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_database  # noqa: E402

BASE = {"solver": "highs", "mip_gap": 1e-3, "time_limit": 60}


def _clear(engine) -> None:
    """Forget the forecasts and backtest results, keep data and derived weather forecasts."""
    import sqlalchemy as sa

    with engine.begin() as c:
        c.execute(sa.text("DELETE FROM timed_beliefs b USING data_sources s WHERE s.id = b.source_id "
                          "AND s.type = 'forecaster' AND s.name <> 'derived weather forecast'"))  # fmt: skip
        c.execute(sa.text("DELETE FROM sweeps"))
        c.execute(sa.text("DELETE FROM backtest_runs"))


def _store_cost(engine, days: int = 200) -> dict:
    """Seconds to store one scenario-day's results (1 + 31 rows, one transaction) and one
    day's forecasts (a fresh source, direct COPY), averaged."""
    import datetime as dt

    from bvp_lib.runs.backtest import _store_day, ensure_run
    from bvp_lib.beliefs import SourceSpec, load_beliefs, save_beliefs

    rid = ensure_run("bench-store", {"solver": "highs"}, bind=engine)
    assets = [{"asset": f"asset-{i:02d}", "rv": 1.0, "pv": 2.0, "es": 0.1, "ec": 0.0, "bc": 0.5, "soc": 1.0}
              for i in range(31)]  # fmt: skip
    portfolio = {"realised_value_eur": 1.0, "perfect_foresight_value_eur": 2.0, "planned_value_eur": 1.5}
    t = time.perf_counter()
    for k in range(days):
        with engine.begin() as c:
            _store_day(c, rid, dt.date(2030, 1, 1) + dt.timedelta(days=k), status="done", error=None,
                       portfolio=portfolio, seconds=1.0, assets=assets)  # fmt: skip
    per_day = (time.perf_counter() - t) / days
    f = load_beliefs(_sensors(engine), source_types=["forecaster"], bind=engine)
    f = f.drop_duplicates(["sensor", "event_start", "belief_horizon"])
    n_days = max(f["event_start"].dt.floor("D").nunique(), 1) if len(f) else 1
    if len(f):
        t = time.perf_counter()
        save_beliefs(f[["sensor", "event_start", "belief_horizon", "value"]],
                     source=SourceSpec("bench-copy", "forecaster", "bench", "1"), bind=engine)  # fmt: skip
        f_day = (time.perf_counter() - t) / n_days
    else:
        f_day = float("nan")
    return {"results_s_per_day": per_day, "forecast_rows_per_day": len(f) / n_days, "forecasts_s_per_day": f_day}


def _read_cost(engine, days) -> float:
    """Seconds to read what one scenario-day reads (asset rows, sessions, stored day-ahead
    forecasts, measurements and prices) and build its portfolio, both modes; an upper
    bound of the database's share of a scenario-day."""
    from bvp_lib.scheduling.inputs import prepare_day

    t = time.perf_counter()
    for d in days:
        prepare_day(d, mode="forecast", bind=engine)
        prepare_day(d, mode="perfect", bind=engine)
    return (time.perf_counter() - t) / len(days)


def _sensors(engine) -> list[str]:
    import sqlalchemy as sa

    with engine.connect() as c:
        return [r[0] for r in c.execute(sa.text("SELECT name FROM sensors WHERE weather_sensor_id IS NULL")).all()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="first", default="2015-02-15", help="first local day (default 2015-02-15)")
    ap.add_argument("--to", dest="last", default="2015-12-31", help="last local day (default 2015-12-31)")
    ap.add_argument("--chunk-days", type=int, default=7, help="days per Dask task (default 7)")
    args = ap.parse_args()
    from bvp_lib.data.populate import populate
    from bvp_lib.db.engine import dispose_engines
    from bvp_lib.forecasting.weather_feed import ensure_weather_for_days
    from bvp_lib.runs.sweep import connect, parse_sweep, run_sweep

    with bench_database("bvp_bench_backtest") as engine:
        t = time.perf_counter()
        counts = populate(structure=True, data=True, bind=engine, progress=False)
        t_pop = time.perf_counter() - t
        os.environ["BVP_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)  # the workers' database
        dispose_engines()
        t = time.perf_counter()
        ensure_weather_for_days(args.first, args.last)
        t_weather = time.perf_counter() - t
        runs = {}
        for n in (1, 2):
            _clear(engine)
            spec = parse_sweep({"name": f"bench-{n}", "from": args.first, "to": args.last,
                                "chunk_days": args.chunk_days, "base": BASE})  # fmt: skip
            t = time.perf_counter()
            client = connect(workers=n)
            t_start = time.perf_counter() - t
            try:
                t = time.perf_counter()
                r = run_sweep(spec, client=client, progress=True)
                wall = time.perf_counter() - t
            finally:
                cluster = client.cluster
                client.close()
                cluster.close()
            runs[n] = (r, wall, t_start)
        store = _store_cost(engine)
        sample = [d for d in runs[2][0].spec.days][-7:]
        store["read_s_per_day"] = _read_cost(engine, sample)
        os.environ.pop("BVP_DATABASE_URL")
    r1, w1, s1 = runs[1]
    r2, w2, s2 = runs[2]
    n_days = len(r1.spec.days)
    print(f"\nBacktest of the full data set ({counts['assets']} assets), {args.first} .. {args.last}: {n_days} days, "
          f"ranges of {args.chunk_days} days, {BASE}")  # fmt: skip
    print(f"(populate {t_pop:.1f} s and weather forecasts {t_weather:.1f} s, once, not timed below)\n")
    print(f"{'workers':>8} {'wall [s]':>10} {'s/day':>8} {'days done':>10} {'failed':>7} "
          f"{'forecast s/day':>15} {'scenario s/day':>15} {'cluster start [s]':>18}")  # fmt: skip
    for n, (r, w, s) in runs.items():
        t = r.table.iloc[0]
        print(f"{n:>8} {w:>10.1f} {w / n_days:>8.2f} {int(t['days_done']):>10} {int(t['days_failed']):>7} "
              f"{r.forecast_seconds / max(r.forecast_days, 1):>15.2f} {r.scenario_seconds / max(r.computed_days, 1):>15.2f} "
              f"{s:>18.1f}")  # fmt: skip
    print(f"\nspeed-up 1 -> 2 workers: {w1 / w2:.2f}x (wall time ratio, same run, same days)")
    same = abs(float(r1.table.iloc[0]["realised_value_eur"]) - float(r2.table.iloc[0]["realised_value_eur"]))
    print(f"realised value {float(r1.table.iloc[0]['realised_value_eur']):,.2f} EUR with 1 worker, "
          f"{float(r2.table.iloc[0]['realised_value_eur']):,.2f} EUR with 2 (difference {same:.2e})")  # fmt: skip
    print(f"\ndatabase: storing one scenario-day's results (1 + 31 rows, one transaction) {store['results_s_per_day'] * 1e3:.1f} ms; "
          f"one day's forecasts ({store['forecast_rows_per_day']:,.0f} beliefs) {store['forecasts_s_per_day'] * 1e3:.1f} ms; "
          f"reading one scenario-day's inputs (both schedules) {store['read_s_per_day'] * 1e3:.0f} ms")  # fmt: skip
    if r1.failed_days:
        print("failed days:", r1.table.iloc[0]["days_failed"])


if __name__ == "__main__":
    main()
