"""Benchmark: one daily report on the full data set, end to end.

    python benchmarks/bench_report.py [--day 2015-04-12] [--solver highs]

Loads the full bundled data set into a throwaway database, then runs ``bvp report`` for
one day (papermill: kernel start, forecast, schedule, value, figures, HTML) and prints
seconds per stage as the notebook measured them, next to the wall time of the whole
run. The difference is the notebook overhead (kernel start, plotting, rendering).
Goals (issue 5): under 60 s for the full portfolio; overhead under a third of it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_database  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--day", default="2015-04-12", help="local day (default: the year's lowest price)")
    ap.add_argument("--solver", default="highs")
    args = ap.parse_args()
    from bvp_lib.data.populate import populate
    from bvp_lib.db.engine import dispose_engines
    from bvp_lib.reporting.daily import run_reports

    with bench_database("bvp_bench_report") as engine:
        t = time.perf_counter()
        counts = populate(structure=True, data=True, bind=engine, progress=False)
        t_pop = time.perf_counter() - t
        os.environ["BVP_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        dispose_engines()
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            res = run_reports(args.day, parameters_file=None, overrides={"solver": args.solver}, reports_dir=out,
                              progress=False)[0]
            wall = time.perf_counter() - t
            stages = json.loads((res.folder / "timings.json").read_text())
        os.environ.pop("BVP_DATABASE_URL")
    inside = stages.pop("run")
    print(f"\nDaily report {args.day}, full portfolio ({counts['assets']} assets), solver {args.solver}")
    print(f"(populate of the throwaway database: {t_pop:.1f} s, not part of the report)\n")
    print(f"{'stage':34s} {'seconds':>8s} {'share':>7s}")
    for k, v in stages.items():
        print(f"{k:34s} {v:8.2f} {v / wall:7.0%}")
    print(f"{'notebook run (prepare..provenance)':34s} {inside:8.2f} {inside / wall:7.0%}")
    over = wall - sum(stages.values())
    print(f"{'overhead (kernel, figures, HTML)':34s} {over:8.2f} {over / wall:7.0%}")
    print(f"{'total (bvp report)':34s} {wall:8.2f} {1:7.0%}")
    print(f"\ngoal: total < 60 s -> {wall:.1f} s; overhead < 1/3 -> {over / wall:.0%}")


if __name__ == "__main__":
    main()
