"""Benchmark: the orders strategy against the schedule strategy over the 2015 backtest.

    python benchmarks/bench_orders.py [--from 2015-02-22] [--to 2015-12-31] [--workers 2] [--year 2015]

Loads the bundled data set (31 assets) into a throwaway database and runs one sweep whose
grid is ``strategy: [schedule, orders]`` on a local Dask cluster: the day-ahead
forecasts are made once per day for both (forecast tasks), then each strategy backtests
every day on them (SoC carried over), exactly as ``bvp backtest`` does. Prints, per
asset type and for the portfolio, the captured share (realised / perfect-foresight
value, summed over the days both strategies did) of each strategy side by side, the
compute time per day of each and their ratio, with the goals of issue 13 beside them:
curtailment (solar and wind) >= 0.95, batteries >= 0.90, portfolio >= 0.85, orders at most
3x the schedule strategy's time per day.

After the sweep, ``--bounds K`` (default 12) days spread over the period are bid again, in
this process, on the forecasts the sweep stored: once with every stochastic program solved
and once as the workbench does (programs whose value bounds are within
``bidding.SCREEN_GAP`` screened). Printed per asset type: the programs' expected revenue,
the mean-price plan's (bid flat) and the wait-and-see value (each scenario's prices
known), so what the bid curves add (the value of the stochastic solution) and what
perfect price information would; and the bidding time of both, with the expected revenue
the screening gave up.

The default period is every day the data allows: the price model's 30-day training
window and the scenarios' 42 days of past errors come first (made once, each at its own
gate closure). About an hour on 2 quiet cores; ``--from/--to`` measure less.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import loaded_database  # noqa: E402

GOALS = {"curtailment": 0.95, "battery": 0.90, "portfolio": 0.85}
TYPES = {"solar": "curtailment", "wind": "curtailment", "battery": "battery", "building": "building",
         "charging_station": "charging station", "bidirectional_charging_station": "charging station"}  # fmt: skip


def captured(assets, kinds):
    """Captured share per asset group and for the portfolio, from backtest_asset_days rows."""
    import pandas as pd

    from bvp_lib.valuation import captured_share

    a = assets.copy()
    a["group"] = a["asset"].map(kinds).map(TYPES)
    g = a.groupby("group")[["realised_value_eur", "perfect_foresight_value_eur"]].sum()
    out = {k: captured_share(r.realised_value_eur, r.perfect_foresight_value_eur) for k, r in g.iterrows()}
    out["portfolio"] = captured_share(a["realised_value_eur"].sum(), a["perfect_foresight_value_eur"].sum())
    return pd.Series(out), g


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="first", default=None, help="first day (default <year>-02-22)")
    ap.add_argument("--to", dest="last", default=None, help="last day (default <year>-12-31)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--year", type=int, default=2015, help="bundled data set, 2015 or 2018")
    ap.add_argument("--bounds", type=int, default=12, metavar="K",
                    help="days bid again with every program solved, for the value bounds (0: none)")
    args = ap.parse_args()
    args.first = args.first or f"{args.year}-02-22"
    args.last = args.last or f"{args.year}-12-31"

    import pandas as pd

    from bvp_lib.db.catalogue import Catalogue
    from bvp_lib.runs.backtest import load_days
    from bvp_lib.runs.sweep import connect, parse_sweep, run_sweep

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start; {args.workers} Dask workers")
    with loaded_database("bvp_bench_orders", args.year) as engine:
        spec = parse_sweep({"name": "bench-orders", "from": args.first, "to": args.last, "chunk_days": 14,
                            "base": {"solver": "highs", "mip_gap": 1e-3, "time_limit": 60},
                            "grid": {"strategy": ["schedule", "orders"]}})  # fmt: skip
        client = connect(workers=args.workers)
        try:
            t = time.perf_counter()
            res = run_sweep(spec, client=client, progress=True, bind=engine)
            wall = time.perf_counter() - t
        finally:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
        catalogue = Catalogue.read(engine)
        kinds = catalogue.assets["type"].to_dict()
        shares, sums, secs, done = {}, {}, {}, {}
        days = {}
        for s in spec.scenarios:
            d, a = load_days(s.run_name, bind=engine)
            days[s.values["strategy"]] = d
            ok = d[d["status"] == "done"].index
            done[s.values["strategy"]] = set(ok)
            sums[s.values["strategy"]] = a
        both = sorted(done["schedule"] & done["orders"])
        groups = {}
        for k in ("schedule", "orders"):
            a = sums[k][sums[k]["day"].isin(both)]
            shares[k], groups[k] = captured(a, kinds)
            secs[k] = float(days[k].loc[both, "seconds"].mean()) if both else float("nan")
        # the portfolio as the workbench reports it: one balance responsible party, its
        # imbalance settled net (the assets' deviations offset one another), beside the sum
        # of the assets settled one by one (the asset types' rows)
        net = {k: days[k].loc[both, ["realised_value_eur", "perfect_foresight_value_eur"]].sum() for k in days}
        for k in shares:
            shares[k]["portfolio, assets settled one by one"] = shares[k].pop("portfolio")
            shares[k]["portfolio (settled net)"] = net[k]["realised_value_eur"] / net[k]["perfect_foresight_value_eur"]
        table = pd.DataFrame(shares).reindex(["curtailment", "battery", "building", "charging station",
                                              "portfolio, assets settled one by one", "portfolio (settled net)"])
        table["goal (orders)"] = [GOALS.get(i.split(" (")[0]) for i in table.index]
        print(f"\nsweep wall time {wall:.0f} s; {len(both)} days done by both strategies ({args.first} .. {args.last}); "
              f"failed: schedule {len(days['schedule']) - len(done['schedule'])}, orders "
              f"{len(days['orders']) - len(done['orders'])}")  # fmt: skip
        print("\ncaptured share = realised / perfect-foresight value, summed over those days (the portfolio settled "
              "net is the workbench's portfolio share, as reports and backtests give it)")  # fmt: skip
        print(table.to_string(float_format=lambda x: f"{x:.3f}"))
        ratio = secs["orders"] / secs["schedule"] if secs["schedule"] else float("nan")
        print(f"\ncompute per day (scenario tasks): schedule {secs['schedule']:.2f} s, orders {secs['orders']:.2f} s, "
              f"ratio {ratio:.2f} (goal <= 3)")  # fmt: skip
        for k in ("schedule", "orders"):
            a = sums[k][sums[k]["day"].isin(both)]
            print(f"{k}: realised {a['realised_value_eur'].sum():,.0f} EUR, perfect foresight "
                  f"{a['perfect_foresight_value_eur'].sum():,.0f} EUR")  # fmt: skip
        eur = pd.concat({f"{k} {c.split('_')[0]} [EUR]": groups[k][c] for k in ("schedule", "orders")
                         for c in ("realised_value_eur", "perfect_foresight_value_eur")}, axis=1)  # fmt: skip
        print("\nvalue per asset group [EUR] (perfect foresight differs between the strategies: each backtest "
              "carries its own batteries' SoC into the next day)")  # fmt: skip
        print(eur.round(0).to_string())
        bats = [n for n, t in kinds.items() if t == "battery"]
        for k in ("schedule", "orders"):
            a = sums[k][sums[k]["day"].isin(both) & sums[k]["asset"].isin(bats)]
            print(f"{k}: batteries' SoC at the end of the day, mean {a['soc_end_mwh'].mean():.2f} MWh "
                  f"(quartiles {a['soc_end_mwh'].quantile(0.25):.2f}, {a['soc_end_mwh'].quantile(0.75):.2f})")  # fmt: skip
        failed = {k: d[d["status"] == "failed"]["error"].str.slice(0, 120).value_counts().head(3).to_dict()
                  for k, d in days.items()}  # fmt: skip
        print(f"most common failures: {failed}")
        print(str(res).splitlines()[0])
        if args.bounds > 0 and both:
            bounds(both, args.bounds, kinds, engine, catalogue)
    return 0


def bounds(days, k, kinds, engine, catalogue) -> None:
    """The value bounds of the day's stochastic programs on ``k`` of ``days`` (module docstring;
    each battery from its default SoC, not the backtest's)."""
    import statistics

    import numpy as np
    import pandas as pd

    from bvp_lib.forecasting.probabilistic import price_scenarios
    from bvp_lib.market.bidding import make_order_book
    from bvp_lib.market.bounds import SCREEN_GAP
    from bvp_lib.scheduling.inputs import prepare_day

    pick = [days[i] for i in np.unique(np.linspace(0, len(days) - 1, k).round().astype(int))]
    rows, times = [], {"every program solved": [], f"screened (<= {SCREEN_GAP:g} EUR)": []}
    given_up = 0.0
    for d in pick:
        inputs = prepare_day(d, mode="forecast", bind=engine, catalogue=catalogue)
        sc = price_scenarios(d, save=False, backfill=False, bind=engine, catalogue=catalogue)
        t = time.perf_counter()
        every = make_order_book(inputs, sc, screen=-1.0, full_bounds=True)
        times["every program solved"].append(time.perf_counter() - t)
        t = time.perf_counter()
        screened = make_order_book(inputs, sc)
        times[f"screened (<= {SCREEN_GAP:g} EUR)"].append(time.perf_counter() - t)
        a, b = every.programs(), screened.programs()
        given_up += float(a["expected_revenue_eur"].sum() - b["expected_revenue_eur"].sum())
        a["day"] = d
        kind = dict(zip(zip(b["order"], b["assets"]), b["program"]))
        a["screened"] = [kind.get(x) == "screened" for x in zip(a["order"], a["assets"])]
        rows.append(a)
    t = pd.concat(rows, ignore_index=True)
    t["group"] = t["assets"].map(lambda s: TYPES.get(kinds.get(s.split(", ")[0]), "?") if ", " not in s else "joint")
    joint = t[t["mean_plan_eur"].isna()]  # a connection point's assets solved together: no bounds
    t = t.dropna(subset=["mean_plan_eur", "wait_and_see_eur"])
    g = t.groupby("group")[["expected_revenue_eur", "mean_plan_eur", "wait_and_see_eur"]].sum()
    g["curves add [EUR]"] = g["expected_revenue_eur"] - g["mean_plan_eur"]
    g["perfect prices add [EUR]"] = g["wait_and_see_eur"] - g["expected_revenue_eur"]
    g["programs"] = t.groupby("group").size()
    g["screened"] = t.groupby("group")["screened"].sum()
    print(f"\nvalue bounds of the stochastic programs on {len(pick)} days ({pick[0]} .. {pick[-1]}), every program "
          "solved [EUR, summed over the days]:")  # fmt: skip
    print(g.round(2).to_string())
    if len(joint):
        print(f"(and {len(joint)} programs of a connection point's assets solved together, where the connection binds: "
              "not bounded, not screened)")  # fmt: skip
    for name, ts in times.items():
        print(f"bidding, {name}: min {min(ts):.2f} s, median {statistics.median(ts):.2f} s per day")
    ref = statistics.median(times["every program solved"])
    print(f"screening: {statistics.median(list(times.values())[1]) / ref:.2f} of the time (medians), expected revenue "
          f"given up {given_up:.2f} EUR over the {len(pick)} days")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
