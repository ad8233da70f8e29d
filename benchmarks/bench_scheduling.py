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

**Issue 16's table** (``--issue``; ``make bench`` runs its small cases): N batteries of
varied size (1–3 MW, 2–6 MWh, η = 0.95 each way, start at half charge), one site limit
of half the summed power, a two-peak price with noise, and the same day with six hours
at −80 EUR/MWh (:func:`bvp_lib.scheduling.synthetic.battery_fleet`,
:func:`~bvp_lib.scheduling.synthetic.two_peak_prices`). Per case: the status, the proven
gap, the time of the default solve (strict rule, matrix backend, canonical tie-break),
**the reference measured in the same run** — HiGHS alone on the same problem's LP
relaxation (the final model with integrality dropped) — and their ratio; then the
intra-step option's time and objective, and the goal beside the figures.

Usage::

    python benchmarks/bench_scheduling.py            # N = 1, 10, 100, 1000, then the issue's small cases
    python benchmarks/bench_scheduling.py --quick    # N = 1, 10
    python benchmarks/bench_scheduling.py --sizes 1 10 100 --pulp-max 100
    python benchmarks/bench_scheduling.py --issue    # the whole issue-16 table (N up to 10,000; long)
    python benchmarks/bench_scheduling.py --issue --cases pos:1000 neg:50 --time-limit 60

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


# (name, N, days, negative?, goal [s] or None)
ISSUE_CASES = [
    ("pos", 200, 1, False, None),
    ("pos", 1000, 1, False, 5.0),
    ("pos", 10000, 1, False, 60.0),
    ("week", 50, 7, False, None),
    ("neg", 1, 1, True, None),
    ("neg", 2, 1, True, None),
    ("neg", 50, 1, True, 5.0),
    ("neg", 1000, 1, True, 60.0),
]
SMALL_ISSUE_CASES = ["pos:200", "neg:1", "neg:2", "neg:50"]


def relaxation_time(problem, time_limit=None, threads=None) -> tuple[float, bool]:
    """Seconds of the problem's LP relaxation by the faster of two methods, and whether it finished:
    HiGHS alone on the final model without integrality, and (a MIP from ``GUIDED_MIN`` batteries)
    the same relaxation in its intra-step form with the SoC room rows (tighter, valid for every strict
    schedule) by sifting (``scheduling.rounding.relaxation``)."""
    from bvp_lib.scheduling.problem import GUIDED_MIN
    from bvp_lib.scheduling.rounding import relaxation

    m = problem.to_matrix(tie_break=False)
    mip = m.n_integer > 0
    best = (np.inf, False)
    if mip and problem.batteries is not None and len(problem.batteries.names) >= GUIDED_MIN:
        t0 = time.perf_counter()
        done = relaxation(problem, m, time_limit=time_limit, threads=threads) is not None
        best = (time.perf_counter() - t0, done)
        if done:
            time_limit = best[0] if time_limit is None else min(time_limit, best[0])  # the plain solve only if faster
    m.integrality = np.zeros(m.n_vars, bool)
    t0 = time.perf_counter()
    h = highs_instance(time_limit=time_limit, threads=threads)
    pass_matrix(h, m)
    h.run()
    plain = (time.perf_counter() - t0, highs_status(h)[0] == "optimal")
    if plain[1] and (not best[1] or plain[0] < best[0]):
        return plain
    return best if best[1] else max(best, plain)


def run_issue(cases: list[str], time_limit: float, seed: int, day: str, repeat: int = 1) -> int:
    """Print issue 16's table (see the module docstring)."""
    from bvp_lib.scheduling.synthetic import battery_fleet, two_peak_prices

    wanted = [(c.split(":")[0], int(c.split(":")[1])) for c in cases]
    rows = [c for c in ISSUE_CASES if (c[0], c[1]) in wanted]
    print()
    print(f"Issue 16: N batteries 1–3 MW / 2–6 MWh, η 0.95, site limit = half the summed power, two-peak price "
          f"(seed {seed}); 'neg' = six hours at −80 EUR/MWh. Time limit {time_limit:g} s per solve; "
          f"best of {repeat}. Machine: 2 cores, shared.")
    head = (f"{'case':<11} {'steps':>5} {'path':<6} {'status':<10} {'gap':>8} {'time':>8} {'median':>8} {'LP rel.':>8} {'ratio':>6} "
            f"{'binaries':>8} {'objective':>14} {'intra-step':>10} {'intra obj':>14} {'goal':<22}")
    print(head)
    print("-" * len(head))
    for name, n, days, neg, goal in rows:
        last = (pd.Timestamp(day) + pd.Timedelta(days=days - 1)).date()
        idx = period_index(day, last)
        prices = two_peak_prices(idx, seed, negative_hours=6 if neg else 0)
        bats, cps = battery_fleet(n, idx, seed)
        best = None
        times = []
        for _ in range(repeat):
            problem = build_problem(bats, prices, cps)
            try:
                r = problem.solve("highs", backend="matrix", time_limit=time_limit)
                t, st, gap, obj, nint = r.stats.total_time, r.status, r.stats.proven_gap, r.objective, r.stats.n_integer
                path = ("binned" if "binned" in r.stats.solver_status else "sifted" if "sifting" in r.stats.solver_status
                        else "MIP" if nint > 0 else "plain")
            except Exception as e:  # a time limit without a schedule
                t, st, gap, obj, nint = time_limit, "no schedule", None, float("nan"), -1
                path = "-"
                print(f"   ({name}:{n}: {type(e).__name__}: {str(e)[:80]})")
            times.append(t)
            if best is None or t < best[0]:
                best = (t, st, gap, obj, nint, problem, path)
        t, st, gap, obj, nint, problem, path = best
        lp_t, lp_done = min(relaxation_time(problem, 3 * time_limit) for _ in range(repeat))
        it_t, it_obj = np.inf, float("nan")
        for _ in range(repeat):
            try:
                ri = build_problem(bats, prices, cps, complementarity="intra-step").solve(
                    "highs", backend="matrix", time_limit=time_limit)
            except Exception:  # time limit without a schedule
                continue
            if ri.stats.total_time < it_t:
                it_t, it_obj = ri.stats.total_time, ri.objective
        ok_time = goal is None or t <= goal
        ok_gap = gap is not None and gap <= 1e-6 and st == "optimal"
        ok_ratio = nint <= 0 or t <= 2.0 * lp_t
        verdict = "met" if (ok_time and ok_gap and ok_ratio) else "NOT met"
        goal_text = (f"≤ {goal:g} s, exact" if goal else "exact") + (", ≤ 2× LP" if nint > 0 else "")
        ratio = format(t / lp_t, ".2f") if (lp_done and nint >= 0) else "-"
        print(f"{name + ':' + str(n):<11} {len(idx):>5} {path:<6} {st:<10} {('%.1e' % gap) if gap is not None else '-':>8} "
              f"{t:>8.2f} {float(np.median(times)):>8.2f} {('' if lp_done else '>') + format(lp_t, '.2f'):>8} {ratio:>6} "
              f"{(str(nint) if nint >= 0 else '-'):>8} {obj:>14.4f} "
              f"{(format(it_t, '.2f') if np.isfinite(it_t) else '>' + format(time_limit, 'g')):>10} {it_obj:>14.4f} "
              f"{goal_text + ': ' + verdict:<22}", flush=True)
    print()
    print("path: binned = bins proven exact (scheduling/binning.py, from 2000 batteries), sifted = sifting from the")
    print("duration-binned aggregate (scheduling/sifting.py, from 100 batteries),")
    print("plain = HiGHS on the whole LP, MIP = binaries for the strict rule where the LP charged and discharged at once.")
    print("time = build + solve (+ binaries rounds) + canonical tie-break [s], the least of the repeats, median beside it;")
    print("LP rel. = the same final model with integrality dropped (the reference): HiGHS alone, or from 100")
    print("batteries its intra-step form by sifting where faster; ratio = time / LP rel.; gap = proven relative gap")
    print("(the MIP's final gap; 0 for an LP); intra-step = the same case with complementarity='intra-step' (pure LP,")
    print("dissipation through losses allowed), whose objective minus the strict one is what switching is worth.")
    return 0


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
    ap.add_argument("--issue", action="store_true", help="only issue 16's table, all cases (N up to 10,000)")
    ap.add_argument("--cases", nargs="+", help="issue cases as kind:N, e.g. pos:1000 neg:50 (kinds: pos, week, neg)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds per solve in the issue table")
    a = ap.parse_args(argv)
    if a.issue or a.cases:
        cases = a.cases or [f"{c[0]}:{c[1]}" for c in ISSUE_CASES]
        return run_issue(cases, a.time_limit, a.seed, a.day, max(1, a.repeat))
    sizes = a.sizes or ([1, 10] if a.quick else [1, 10, 100, 1000])
    pulp_max = a.pulp_max if a.pulp_max is not None else (10 if a.quick else 100)
    np.seterr(all="ignore")
    rc = run(sizes, pulp_max, a.day, a.seed, a.solvers, a.days, max(1, a.repeat))
    if not a.quick:
        rc |= run_issue(SMALL_ISSUE_CASES, min(a.time_limit, 60.0), a.seed, a.day)
    return rc


if __name__ == "__main__":
    sys.exit(main())
