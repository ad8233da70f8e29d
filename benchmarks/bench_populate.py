"""Benchmark: populate the full bundled data set into an empty database.

    python benchmarks/bench_populate.py

Prints rows, seconds and rows/s of ``populate(structure=True, data=True)`` next to a
bare binary ``COPY FROM STDIN`` of the same belief rows into the same (emptied) table,
measured in the same run. Goals (issue 8): >= 50 % of the bare COPY rate; the full
populate under 2 minutes.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_database  # noqa: E402

from bvp_lib.beliefs.store import _decode  # noqa: E402
from bvp_lib.data.populate import populate  # noqa: E402


def main() -> None:
    with bench_database("bvp_bench_populate") as engine:
        t0 = time.perf_counter()
        counts = populate(structure=True, data=True, bind=engine, progress=True)
        t_pop = time.perf_counter() - t0
        rows = counts["beliefs"]
        # the same rows as one binary COPY stream, then copied back into the emptied table
        raw = engine.raw_connection()
        try:
            buf = io.BytesIO()
            raw.cursor().copy_expert(
                "COPY (SELECT sensor_id, event_start, belief_horizon, source_id, value FROM timed_beliefs) "
                "TO STDOUT WITH (FORMAT binary)", buf)  # fmt: skip
            payload = buf.getvalue()
            assert len(_decode(payload)) == rows
            cur = raw.cursor()
            cur.execute("TRUNCATE timed_beliefs")
            cur.execute("CHECKPOINT")
            raw.commit()
            t0 = time.perf_counter()
            cur.copy_expert(
                "COPY timed_beliefs (sensor_id, event_start, belief_horizon, source_id, value) FROM STDIN WITH (FORMAT binary)",
                io.BytesIO(payload))  # fmt: skip
            raw.commit()
            t_copy = time.perf_counter() - t0
        finally:
            raw.close()
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM timed_beliefs")).scalar() == rows
    print(f"\nPopulate the full bundled data set: {counts}\n")
    print(f"{'operation':28s} {'rows':>10s} {'seconds':>8s} {'rows/s':>10s} {'vs COPY':>8s}")
    print(f"{'bare COPY FROM STDIN':28s} {rows:10,d} {t_copy:8.2f} {rows / t_copy:10,.0f} {1:8.0%}")
    print(f"{'populate (all of it)':28s} {rows:10,d} {t_pop:8.2f} {rows / t_pop:10,.0f} {t_copy / t_pop:8.0%}")
    print(f"\ngoal: >= 50 % of bare COPY -> {t_copy / t_pop:.0%}; under 120 s -> {t_pop:.1f} s")


if __name__ == "__main__":
    main()
