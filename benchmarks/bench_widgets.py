"""Benchmark the schedule explorer: seconds per parameter change, next to the bare LP solve.

Targets: every change within 1 s for the small portfolio and within 3 s for the full
one (``--portfolio small`` or ``full``, default both, one after the other).

A throwaway database gets the small data set (4 assets: solar-havel-01,
wind-flaeming-01, building-havel-rathaus-01, battery-havel-01; 11-14 April 2015), or for
``full`` the whole bundled portfolio (31 assets) for those days. For
each day, the explorer's callback :func:`bvp_lib.widgets.explore_schedule` is
called once to read the day (the database read, reported apart), then for
``--changes`` parameter changes (battery power and energy, building shiftable share,
connection capacity; a fixed, seeded sequence). Each change is timed end to end as the
widget sees it — validate, apply the overrides, build and solve the LP, summarise, draw
the figure and render it to PNG as the notebook does — and, in the same run, **the reference**: the bare build and solve
of the identical LP (:func:`~bvp_lib.widgets.solve_schedule`), with nothing
around it. ``--compare`` adds HiGHS (sparse-matrix path, independent parts apart) and Cbc (PuLP)
each alone on the full problem (binaries where needed) with the explorer's time limit and
MIP gap, and how many changes each stopped at the limit: why the explorer's ``"auto"``
takes both the LP and the MIP to HiGHS.

Usage::

    python benchmarks/bench_widgets.py                       # 2015-04-12, 20 changes, solver "auto", both portfolios
    python benchmarks/bench_widgets.py --portfolio full      # the 31 assets only
    python benchmarks/bench_widgets.py --days 2015-04-11 2015-04-12 2015-04-13 2015-04-14 --compare

A script, not a test: it prints a table and says TOO SLOW when the slowest change
exceeds the portfolio's target (1 s small, 3 s full; ``--limit`` sets one for both); it
exits 0 either way, as timings on a busy machine are no build failure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import bench_database  # noqa: E402

SMALL_ASSETS = ("solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "battery-havel-01")


def changes(n: int, seed: int) -> list[dict]:
    """``n`` parameter changes: one field changed at a time, values drawn from a seeded generator."""
    import numpy as np

    rng = np.random.default_rng(seed)
    fields = {
        "battery_power_mw": [0.5, 1.0, 2.0, 3.0, 5.0, 8.0],
        "battery_energy_mwh": [2.0, 5.0, 10.0, 15.0, 20.0],
        "shiftable_share": [0.0, 0.1, 0.2, 0.4, 0.6],
        "connection_capacity_mw": [2.0, 4.0, 8.0, 16.0],
    }
    state: dict = {}
    out = []
    names = list(fields)
    for i in range(n):
        f = names[i % len(names)]
        state = {**state, f: float(rng.choice(fields[f]))}
        out.append(dict(state))
    return out


def _stats(xs: list[float]) -> str:
    return f"{statistics.median(xs):>7.3f} {max(xs):>6.3f}" if xs else f"{'-':>7} {'-':>6}"


TARGETS = {"small": 1.0, "full": 3.0}


def run(days: list[str], n: int, solver: str, time_limit: float | None, limit: float | None, seed: int,
        compare: bool, portfolio: str = "small") -> int:  # fmt: skip
    from bvp_lib.data.populate import populate
    from bvp_lib.scheduling.build import build_problem
    from bvp_lib.widgets import (ScheduleCache, ScheduleInputs, explore_schedule, explorer_overrides, figure_png,
                                 solve_schedule)

    worst = 0.0
    limit = limit or TARGETS[portfolio]
    with bench_database("bvp_bench_widgets") as engine:
        t = time.perf_counter()
        if portfolio == "small":
            populate(structure=True, data=True, small=True, bind=engine, progress=False)
            assets = SMALL_ASSETS
        else:
            populate(structure=True, data=True, start="2015-04-11", end="2015-04-15", bind=engine, progress=False)
            from bvp_lib.db.catalogue import Catalogue

            assets = tuple(Catalogue.read(engine).assets.index)
        print(f"== {portfolio} portfolio ({len(assets)} assets), target < {limit:g} s per change")
        print(f"data loaded in {time.perf_counter() - t:.1f} s; explorer solver {solver}, time limit "
              f"{time_limit} s, {n} changes per day (seed {seed}); {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.2f} at the start")  # fmt: skip
        # warm-up: the first solver call and the first figure in a process pay one-off start-up costs
        cache = ScheduleCache(bind=engine)
        explore_schedule(ScheduleInputs(day=days[0], assets=assets, solver=solver), cache=cache).close()
        for s in ("highs", "cbc"):
            inputs = cache.day_inputs(days[0], assets)
            build_problem(inputs.assets, inputs.prices, inputs.connection_points).solve(s, 1.0)
        cache.clear()
        header = (f"{'day':<10} {'read':>5} {'n':>3} | {'change (widget)':>14} | {'bare solve':>14} | "
                  f"{'figures':>7} {'MIPs':>4} {'limit':>5} {'msgs':>4}"
                  + (f" | {'bare HiGHS':>14} {'MIPs':>4} {'lim':>3} | {'bare Cbc':>14} {'lim':>3}" if compare else ""))  # fmt: skip
        sub = (f"{'':<10} {'[s]':>5} {'':>3} | {'median':>7} {'max':>6} | {'median':>7} {'max':>6} | {'median':>7} "
               f"{'':>4} {'':>5} {'':>4}" + (f" | {'median':>7} {'max':>6} {'':>4} {'':>3} | {'median':>7} {'max':>6} {'':>3}"
                                           if compare else ""))  # fmt: skip
        print(header)
        print(sub)
        print("-" * len(header))
        for day in days:
            base = ScheduleInputs(day=day, assets=assets, solver=solver, time_limit=time_limit)
            t = time.perf_counter()
            first = explore_schedule(base, cache=cache)
            read = first.timings.get("load", time.perf_counter() - t)
            first.close()
            per, bare, figs, highs, cbc = [], [], [], [], []
            mips = limited = messages = highs_mips = highs_lim = cbc_lim = 0
            for ch in changes(n, seed):
                state = base.replace(**ch)
                t0 = time.perf_counter()
                view = explore_schedule(state, cache=cache)
                t1 = time.perf_counter()
                for fig in view.figures.values():  # what the widget does: render each figure to PNG once
                    figure_png(fig)
                per.append(time.perf_counter() - t0)
                if not view.ok:
                    messages += 1
                    continue
                figs.append(view.timings.get("figures", 0.0) + time.perf_counter() - t1)
                mips += view.result.stats.n_integer > 0
                limited += view.result.status != "optimal"
                view.close()
                # the reference: the identical LP, built and solved bare (same strategy, nothing around it)
                inputs = cache.day_inputs(day, assets, base.mode, base.resolution)
                changed = inputs.with_overrides(explorer_overrides(state))
                objs, points = changed.assets, changed.connection_points
                t0 = time.perf_counter()
                solve_schedule(objs, inputs.prices, points, resolution=inputs.resolution, solver=solver,
                               time_limit=time_limit, mip_gap=base.mip_gap)  # fmt: skip
                bare.append(time.perf_counter() - t0)
                if compare:  # each solver alone on the full problem (binaries where needed), the explorer's limits
                    t0 = time.perf_counter()
                    r = build_problem(objs, inputs.prices, points, resolution=inputs.resolution).solve(
                        "highs", time_limit, base.mip_gap)
                    highs.append(time.perf_counter() - t0)
                    highs_mips += r.stats.n_integer > 0
                    highs_lim += r.status != "optimal"
                    t0 = time.perf_counter()
                    r = build_problem(objs, inputs.prices, points, resolution=inputs.resolution).solve(
                        "cbc", time_limit, base.mip_gap)
                    cbc.append(time.perf_counter() - t0)
                    cbc_lim += r.status != "optimal"
            worst = max(worst, max(per))
            print(f"{day:<10} {read:>5.2f} {len(per):>3} | {_stats(per)} | {_stats(bare)} | "
                  f"{statistics.median(figs) if figs else float('nan'):>7.3f} {mips:>4} {limited:>5} {messages:>4}"
                  + (f" | {_stats(highs)} {highs_mips:>4} {highs_lim:>3} | {_stats(cbc)} {cbc_lim:>3}" if compare else ""))  # fmt: skip
    print(f"slowest change {worst:.3f} s (target < {limit:g} s): {'OK' if worst < limit else 'TOO SLOW'}; "
          f"load average {os.getloadavg()[0]:.2f} at the end")  # fmt: skip
    print("change = explore_schedule end to end (overrides, build, solve, summary, figure) + PNG render; "
          "figures = drawing + render; bare solve = the same "
          "build + solve alone; MIPs = changes that needed binaries; limit = changes stopped by the time limit")
    if compare:
        print("bare HiGHS / bare Cbc = that solver alone on the full problem with the explorer's time limit and "
              "MIP gap; lim = changes it stopped at the limit (not proven within the gap)")
    return 0  # a benchmark reports; it does not fail the build on a busy machine


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--days", nargs="+", default=["2015-04-12"], help="local days of the small set (2015-04-11..14)")
    p.add_argument("--changes", type=int, default=20, help="parameter changes per day")
    p.add_argument("--solver", default=None, help="auto (default when highspy is installed), highs or cbc")
    p.add_argument("--compare", action="store_true",
                   help="also time HiGHS and Cbc alone on every change (the explorer's time limit and MIP gap)")
    p.add_argument("--time-limit", type=float, default=10.0, help="seconds per solve, as the explorer (0: none)")
    p.add_argument("--limit", type=float, default=None, help="target seconds per change (default 1 small, 3 full)")
    p.add_argument("--portfolio", choices=["small", "full", "both"], default="both",
                   help="the small set (4 assets), the full bundled portfolio (31 assets), or both")
    p.add_argument("--seed", type=int, default=2015)
    a = p.parse_args()
    from bvp_lib.widgets import default_solver

    for portfolio in (("small", "full") if a.portfolio == "both" else (a.portfolio,)):
        run(a.days, a.changes, a.solver or default_solver(), a.time_limit or None, a.limit, a.seed, a.compare,
            portfolio)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
