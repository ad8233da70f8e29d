"""Benchmark: write and read 1 million beliefs, against a bare binary COPY in the same run.

    python benchmarks/bench_beliefs.py [--rows 1000000]

Prints rows/s for save_beliefs (new rows: direct COPY path; re-import: merge path) and
load_beliefs, next to psycopg2's bare ``COPY ... FROM STDIN`` / ``COPY ... TO STDOUT``
(binary) of the same rows into and out of the same table: the physical limit here.
Goals (issue 2): write >= 50 % and read >= 30 % of the bare COPY rate.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_database, timer  # noqa: E402

from bvp_lib.beliefs import SourceSpec, load_beliefs, save_beliefs
from bvp_lib.beliefs.store import _encode  # noqa: E402
from bvp_lib.data.structure import load_structure  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--sensors", type=int, default=10)
    args = ap.parse_args()
    n_per = args.rows // args.sensors
    spec = {
        "owners": [{"name": "o"}],
        "assets": [
            {"name": f"a{i:03d}", "type": "solar", "owner": "o", "capacity_mw": 1.0, "latitude": 52, "longitude": 9}
            for i in range(args.sensors)
        ],
    }
    rng = np.random.default_rng(1)
    idx = pd.date_range("2015-01-01", periods=n_per, freq="15min", tz="UTC")
    df = pd.DataFrame(
        {
            "sensor": np.repeat([a["name"] for a in spec["assets"]], n_per),
            "event_start": np.tile(idx, args.sensors),
            "belief_horizon": pd.Timedelta(0),
            "value": rng.normal(size=n_per * args.sensors),
        }
    )
    n = len(df)
    t: dict[str, float] = {}
    with bench_database() as engine:
        load_structure(spec, bind=engine)
        with engine.begin() as c:
            from bvp_lib.beliefs import get_or_create_source

            source_id = get_or_create_source(c, "bench", "measurement")
            ids = dict(c.execute(sa.text("SELECT name, id FROM sensors")).all())
        payload = _encode(
            df["sensor"].map(ids).to_numpy(np.int64),
            df["event_start"].to_numpy("datetime64[us]").astype(np.int64),
            np.zeros(n, dtype=np.int64),
            np.full(n, source_id),
            df["value"].to_numpy(),
        )

        def bare_copy_in():
            raw = engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.copy_expert(
                    "COPY timed_beliefs (sensor_id, event_start, belief_horizon, source_id, value) "
                    "FROM STDIN WITH (FORMAT binary)",
                    io.BytesIO(payload),
                )
                raw.commit()
            finally:
                raw.close()

        def truncate():
            with engine.begin() as c:
                c.execute(sa.text("TRUNCATE timed_beliefs"))
                c.execute(sa.text("CHECKPOINT"))

        truncate()
        with timer(t, "bare COPY FROM STDIN"):
            bare_copy_in()
        truncate()
        with timer(t, "save_beliefs (new rows)"):
            save_beliefs(df, source=SourceSpec("bench", "measurement"), bind=engine)
        with timer(t, "save_beliefs (re-import, unchanged)"):
            save_beliefs(df, source=SourceSpec("bench", "measurement"), bind=engine)
        with timer(t, "save_beliefs (re-import, all changed)"):
            save_beliefs(df.assign(value=df["value"] + 1), source=SourceSpec("bench", "measurement"), bind=engine)
        with engine.begin() as c:
            c.execute(sa.text("ANALYZE timed_beliefs"))
            assert c.execute(sa.text("SELECT count(*) FROM timed_beliefs")).scalar() == n

        def bare_copy_out():
            raw = engine.raw_connection()
            try:
                buf = io.BytesIO()
                raw.cursor().copy_expert(
                    "COPY (SELECT sensor_id, event_start, belief_horizon, source_id, value FROM timed_beliefs) "
                    "TO STDOUT WITH (FORMAT binary)",
                    buf,
                )
                return buf.tell()
            finally:
                raw.close()

        bare_copy_out()  # warm the cache for both
        with timer(t, "bare COPY TO STDOUT"):
            bare_copy_out()
        names = [a["name"] for a in spec["assets"]]
        with timer(t, "load_beliefs"):
            out = load_beliefs(names, bind=engine)
        assert len(out) == n

    print(f"\nBeliefs I/O, {n:,} rows ({args.sensors} sensors x {n_per:,} quarter-hours)\n")
    print(f"{'operation':38s} {'seconds':>8s} {'rows/s':>12s} {'vs bare COPY':>13s}")
    ref_in, ref_out = t["bare COPY FROM STDIN"], t["bare COPY TO STDOUT"]
    for k, v in t.items():
        ref = ref_out if k in ("load_beliefs", "bare COPY TO STDOUT") else ref_in
        print(f"{k:38s} {v:8.2f} {n / v:12,.0f} {ref / v:12.0%}")
    print(
        f"\ngoal: write >= 50 % of bare COPY -> {ref_in / t['save_beliefs (new rows)']:.0%} (new rows), "
        f"{ref_in / t['save_beliefs (re-import, all changed)']:.0%} (merge, all changed); read >= 30 % -> {ref_out / t['load_beliefs']:.0%}"
    )


if __name__ == "__main__":
    main()
