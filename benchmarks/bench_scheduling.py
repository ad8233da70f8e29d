"""Benchmark the scheduling LP: build and solve times as the portfolio grows.

Portfolios of N = 1, 10, 100, 1000 batteries of varied size plus a proportional mix of
solar, wind, buildings and EV charging stations (see
:func:`bvp_lib.scheduling.synthetic.synthetic_portfolio`), one day of quarter-hours,
all behind one connection point whose limit binds. Prices are synthetic (seeded,
shaped like the 2015 German day-ahead prices).

For every N it prints, per path, the build time (numpy blocks), the model time (PuLP
objects or the sparse matrix), the solve time, the total, and the LP size; and, in the
same run, **the limit**: the time HiGHS needs to solve the identical LP handed over
directly as a sparse matrix (``highspy.Highs.passModel`` with numpy/scipy arrays, then
``run``), with nothing else around it. It checks that every path's objective agrees
with the limit's to 1e-6 relative.

Usage::

    python benchmarks/bench_scheduling.py            # N = 1, 10, 100, 1000
    python benchmarks/bench_scheduling.py --quick    # N = 1, 10
    python benchmarks/bench_scheduling.py --sizes 1 10 100 --pulp-max 100

This is a script, not a test: it prints a table and exits non-zero if objectives
disagree.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from bvp_lib.scheduling import build_problem
from bvp_lib.scheduling.backends import highs_instance, highs_iterations, highs_status, pass_matrix
from bvp_lib.scheduling.synthetic import synthetic_portfolio, synthetic_prices
from bvp_lib.timing import period_index


def limit_solve(matrix) -> tuple[float, float, int]:
    """Seconds for HiGHS to take and solve the sparse LP directly, its objective and iterations."""
    t0 = time.perf_counter()
    h = highs_instance()
    pass_matrix(h, matrix)
    h.run()
    dt = time.perf_counter() - t0
    status, text, _ = highs_status(h)
    if status != "optimal":
        raise RuntimeError(f"limit solve: {text}")
    return dt, float(h.getInfo().objective_function_value), highs_iterations(h)


def run(
    sizes: list[int], pulp_max: int, day: str, seed: int, solvers: list[str], days: int = 1, repeat: int = 1
) -> int:
    last = (pd.Timestamp(day) + pd.Timedelta(days=days - 1)).date()
    idx = period_index(day, last)
    prices = synthetic_prices(idx, seed)
    print(f"{days} day(s) from {day}: {len(idx)} quarter-hours; prices {prices.min():.2f} … {prices.max():.2f} "
          f"EUR/MWh (synthetic, seed {seed})")
    header = (
        f"{'N':>5} {'assets':>6} {'path':<13} {'build':>7} {'model':>7} {'solve':>8} {'total':>8} "
        f"{'limit':>8} {'tot/lim':>7} {'vars':>8} {'cons':>8} {'nnz':>9} {'int':>4} {'iters':>7} {'rel.diff':>9} "
        f"{'binding':>7}"
    )
    # warm-up: the first HiGHS/PuLP call in a process pays one-off start-up costs
    wa, wc = synthetic_portfolio(1, idx, seed)
    for solver in ["highs", *solvers]:
        build_problem(wa, prices, wc).solve(solver, backend="matrix" if solver == "highs" else "pulp")
    print(header)
    print("-" * len(header))
    failures = 0
    ratios = {}
    for n in sizes:
        assets, cps = synthetic_portfolio(n, idx, seed)
        paths = [("matrix", "highs")]
        if n <= pulp_max:
            paths += [("pulp", s) for s in solvers]
        results = []
        for backend, solver in paths:
            best = None
            for _ in range(repeat if backend == "matrix" else 1):
                problem = build_problem(assets, prices, cps)
                r = problem.solve(solver, backend=backend)
                if best is None or r.stats.total_time < best[1].stats.total_time:
                    best = (problem, r)
            results.append((backend, solver, *best))
        # the limit: the final LP of the matrix path, handed to HiGHS directly (best of `repeat`)
        _, _, mproblem, mres = results[0]
        lp_matrix = mproblem.to_matrix()
        lim_t, lim_obj, lim_it = min(limit_solve(lp_matrix) for _ in range(repeat))
        ratios[n] = mres.stats.total_time / lim_t
        cap = cps[0].export_capacity
        binding = int((mres.connection_flows["grid"].abs() >= cap - 1e-6).sum())
        for backend, solver, problem, r in results:
            s = r.stats
            diff = abs(r.objective_with_tie_break - lim_obj) / max(1.0, abs(lim_obj))
            ok = diff <= 1e-6
            failures += not ok
            print(
                f"{n:>5} {len(assets):>6} {backend + '/' + solver:<13} {s.build_time:>7.3f} {s.model_time:>7.3f} "
                f"{s.solve_time:>8.3f} {s.total_time:>8.3f} {lim_t:>8.3f} {s.total_time / lim_t:>7.2f} "
                f"{s.n_variables:>8} {s.n_constraints:>8} {s.n_nonzeros:>9} {s.n_integer:>4} "
                f"{'-' if s.iterations is None else s.iterations:>7} {diff:>9.1e}"
                f"{'' if ok else '!'} {binding:>4}/{len(idx)}"
            )
        print(
            f"{n:>5} {len(assets):>6} {'limit':<13} {'':>7} {'':>7} {lim_t:>8.3f} {lim_t:>8.3f} {lim_t:>8.3f} "
            f"{1.0:>7.2f} {lp_matrix.n_vars:>8} {lp_matrix.n_rows:>8} {lp_matrix.nnz:>9} {lp_matrix.n_integer:>4} "
            f"{lim_it:>7}"
        )
    print()
    print("build/model/solve/total/limit in seconds; limit = HiGHS alone on the identical sparse LP;")
    print("tot/lim = total / limit; rel.diff = |objective − limit objective| / max(1, |limit objective|);")
    print("iters = HiGHS simplex+IPM iterations (the limit and the matrix path solve the identical LP);")
    print("binding = steps at the connection limit (matrix path).")
    print(f"times are the best of {repeat} run(s) for the matrix path and the limit.")
    if max(sizes) >= 1000 and 1000 in ratios:
        verdict = "met" if ratios[1000] <= 2.0 else "NOT met"
        print(f"goal (matrix path total at N = 1000 within 2x of the limit): {ratios[1000]:.2f}x — {verdict}")
    if failures:
        print(f"{failures} objective(s) differ from the limit by more than 1e-6 relative", file=sys.stderr)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small N only (1, 10)")
    ap.add_argument("--sizes", type=int, nargs="+", help="numbers of batteries (default 1 10 100 1000)")
    ap.add_argument("--pulp-max", type=int, default=None,
                    help="largest N also run through the PuLP backend (default 100; 10 with --quick)")
    ap.add_argument("--solvers", nargs="+", default=["highs", "cbc"], help="solvers for the PuLP path")
    ap.add_argument("--day", default="2015-06-10", help="local day (Europe/Berlin) to schedule")
    ap.add_argument("--days", type=int, default=1, help="horizon length in days (steps = 96 per day)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="runs of the matrix path and the limit (best time kept)")
    a = ap.parse_args(argv)
    sizes = a.sizes or ([1, 10] if a.quick else [1, 10, 100, 1000])
    pulp_max = a.pulp_max if a.pulp_max is not None else (10 if a.quick else 100)
    np.seterr(all="ignore")
    return run(sizes, pulp_max, a.day, a.seed, a.solvers, a.days, max(1, a.repeat))


if __name__ == "__main__":
    sys.exit(main())
