"""Benchmark: reading and checking a year of quarter-hours through the importers' one
validation path, against a bare ``pandas.read_csv`` + ``to_datetime`` of the same file
(which checks nothing: no lines, no rules) in the same run.

    python benchmarks/bench_import.py [--repeat 5]

Prints min and median seconds per file (35,040 rows) and the ratio to the bare parse,
for timestamps with UTC offsets and for local timestamps (DST days resolved). The
database write is measured by bench_beliefs.py. Goal: validation at most 5x the bare
parse (the line-tracking csv reader is pure Python around the C tokenizer; pandas' C
parser knows no line numbers), and well under a second per year of quarter-hours.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bvp_lib.data.importers import read_tidy_csv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bvp-bench-import-"))
    idx = pd.date_range("2015-01-01", "2016-01-01", freq="15min", tz="Europe/Berlin", inclusive="left")
    vals = np.random.default_rng(1).uniform(0, 2000, len(idx))
    files = {
        "offsets": (folder / "offsets.csv", [f"{t.isoformat()},{v:.3f}" for t, v in zip(idx, vals)], None),
        "local": (folder / "local.csv", [f"{t:%Y-%m-%d %H:%M},{v:.3f}" for t, v in zip(idx, vals)], "Europe/Berlin"),
    }
    print(f"{len(idx):,} rows per file; {args.repeat} repeats; the machine may be shared: read min and median")
    for name, (path, rows, tz) in files.items():
        path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
        ours, bare = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            s = read_tidy_csv(path, unit="kW", resolution="15min", timezone=tz)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            df = pd.read_csv(path)
            if tz is None:
                pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
            else:
                pd.to_datetime(df["timestamp"]).dt.tz_localize(tz, ambiguous="infer")
            bare.append(time.perf_counter() - t)
        assert len(s) == len(idx)
        ratio = statistics.median(ours) / statistics.median(bare)
        print(f"{name:8s} validate min {min(ours):.3f} s, median {statistics.median(ours):.3f} s; bare parse "
              f"median {statistics.median(bare):.3f} s; ratio {ratio:.1f}x (goal <= 5x)")


if __name__ == "__main__":
    main()
