"""Benchmark the strict rule on the real days with negative prices: proven optimal, how fast.

Loads a bundled data set (31 assets) into a throwaway database, finds every local day
with at least one negative day-ahead price, and schedules each with perfect foresight
(the realised data: the ceiling every report and backtest values against) the way the
daily report does: the strict rule (storage never charges and discharges in one step,
binaries where the LP would), HiGHS through the matrix path, a MIP gap of ``--mip-gap``
(default 1e-6: *exact* in issue 16's sense) and ``--time-limit`` seconds.

Per day it prints the status, the gap HiGHS proved, the binaries, the time, and **the
reference measured in the same run**: HiGHS alone on the same final model with the
integrality dropped (its LP relaxation), with the ratio (issue 16's goal: exact, at most
2x the relaxation); and the intra-step optimum (``complementarity="intra-step"``, the
relaxation's value), whose excess over the strict one is what switching within a step
would be worth that day.

Usage::

    python benchmarks/bench_negative_days.py                 # 2015, gap 1e-6, 60 s per solve
    python benchmarks/bench_negative_days.py --year 2018 --time-limit 120 --repeat 2

A script, not a test: it prints a table and a summary.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import loaded_database  # noqa: E402


def negative_days(engine, tz: str) -> list:
    import sqlalchemy as sa

    q = sa.text("SELECT DISTINCT (b.event_start AT TIME ZONE :tz)::date FROM timed_beliefs b "
                "JOIN sensors s ON s.id = b.sensor_id WHERE s.quantity = 'price' AND b.value < 0 ORDER BY 1")
    with engine.connect() as c:
        return [r[0] for r in c.execute(q, {"tz": tz})]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--year", type=int, default=2015, help="bundled data set, 2015 or 2018")
    ap.add_argument("--mip-gap", type=float, default=1e-6)
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve")
    ap.add_argument("--repeat", type=int, default=1, help="solves per day (least and median time kept)")
    ap.add_argument("--days", type=int, default=None, help="only the first N such days")
    ap.add_argument("--only", nargs="+", metavar="YYYY-MM-DD", default=None,
                    help="only these local days (each must have a negative price)")
    a = ap.parse_args()

    from bvp_lib.market.clock import market_clock
    from bvp_lib.scheduling.backends import highs_instance, highs_status, pass_matrix
    from bvp_lib.scheduling.inputs import prepare_day

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    with loaded_database("bvp_bench_negative", a.year) as engine:
        days = negative_days(engine, market_clock().timezone)[: a.days]
        if a.only:
            wanted = {str(d) for d in a.only}
            unknown = sorted(wanted - {str(d) for d in days})
            if unknown:
                print(f"--only: {', '.join(unknown)} has no negative price in {a.year}; the days that do: "
                      f"{', '.join(str(d) for d in days)}", file=sys.stderr)
                return 2
            days = [d for d in days if str(d) in wanted]
        print(f"{len(days)} days with negative prices; perfect foresight, strict rule, HiGHS, MIP gap {a.mip_gap:g}, "
              f"{a.time_limit:g} s per solve, {a.repeat} solve(s) per day")
        head = (f"{'day':<11} {'status':<10} {'gap':>8} {'binaries':>8} {'time [s]':>9} {'median':>7} {'LP rel. [s]':>11} "
                f"{'ratio':>6} {'solver':>6} {'objective [EUR]':>15} {'intra-step [EUR]':>16}")
        print(head)
        print("-" * len(head))
        rows = []
        for d in days:
            inputs = prepare_day(d, mode="perfect", bind=engine)
            times, r, problem, solver_t = [], None, None, []
            for _ in range(max(1, a.repeat)):
                problem = inputs.build()
                r = problem.solve("highs", a.time_limit, a.mip_gap, backend="matrix")
                times.append(r.stats.total_time)
                solver_t.append(r.stats.solve_time)
            m = problem.to_matrix(tie_break=False)
            m.integrality = np.zeros(m.n_vars, bool)
            t0 = time.perf_counter()
            h = highs_instance(time_limit=a.time_limit)
            pass_matrix(h, m)
            h.run()
            lp_t = time.perf_counter() - t0
            intra = inputs.build(complementarity="intra-step").solve("highs", a.time_limit, backend="matrix")
            gap = r.stats.proven_gap
            exact = r.status == "optimal" and gap is not None and gap <= 1e-6
            rows.append({"day": d, "exact": exact, "time": min(times), "ratio": min(times) / lp_t,
                         "solver_ratio": min(solver_t) / lp_t,
                         "binaries": r.stats.n_integer, "lp_ok": highs_status(h)[0] == "optimal"})  # fmt: skip
            print(f"{d!s:<11} {r.status:<10} {('%.1e' % gap) if gap is not None else '-':>8} {r.stats.n_integer:>8} "
                  f"{min(times):>9.2f} {float(np.median(times)):>7.2f} {lp_t:>11.3f} {min(times) / lp_t:>6.0f} "
                  f"{min(solver_t) / lp_t:>6.1f} "
                  f"{r.objective:>15,.2f} {intra.objective:>16,.2f}", flush=True)
        t = np.array([x["time"] for x in rows])
        ok = sum(x["exact"] for x in rows)
        fast = sum(x["exact"] and x["ratio"] <= 2.0 for x in rows)
        fast_solver = sum(x["exact"] and x["solver_ratio"] <= 2.0 for x in rows)
        print()
        print(f"proven optimal (gap <= 1e-6): {ok} of {len(rows)} days; time min {t.min():.2f} s, median "
              f"{np.median(t):.2f} s, max {t.max():.2f} s; total {t.sum():.0f} s")
        print(f"issue 16's goal (exact, at most 2x the LP relaxation): {fast} of {len(rows)} days; counting the "
              f"solver's time alone (solver = its seconds / LP rel., build and reading left out): {fast_solver}")
        print("time = build + solve (+ rounds adding binaries) + canonical tie-break, the least of the repeats;")
        print("LP rel. = HiGHS alone on the final model without integrality (the reference); ratio = time / LP rel.;")
        print("solver = the MIP solves' seconds (every round, its parts and the tie-break) / LP rel.;")
        print("intra-step = the optimum with switching within a step allowed (the relaxation's value).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
