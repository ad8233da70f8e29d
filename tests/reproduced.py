"""Compare regenerated bundled files with the committed ones (the generation tests).

Byte-equal is the rule. A Parquet table may instead differ in the last bits of its floats:
numpy's vectorised math (``sin``, ``exp``, …) takes other code paths on other CPUs, and
the generators' filters and clear-sky inversions carry a last-bit difference on (found on
an AMD EPYC host, 3 December 2026: 2018 ``timeseries.parquet`` 52,462 of 1,068,720 values
apart, at most 2.3e-13; 2015 37,494 values, all solar parks' MW, at most 1.3e-9 MW). So
such a table counts as reproduced when every other column is equal and every float is
within :data:`TOL` × max(1, |value|) of the committed one; the manifest then
differs only in those files' checksums and sizes. Anything else is reported by file and
column, briefly (a full diff of a megabyte file takes pytest minutes to render).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

TOL = 1e-8  # far below any change a generator edit makes, far above the CPUs' last-bit differences


def _table_difference(new: Path, old: Path) -> str | None:
    a, b = pd.read_parquet(new), pd.read_parquet(old)
    if a.shape != b.shape or list(a.columns) != list(b.columns) or list(a.dtypes) != list(b.dtypes):
        return f"shape/columns/dtypes {a.shape} {list(a.dtypes)} against {b.shape} {list(b.dtypes)}"
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if np.issubdtype(x.dtype, np.floating):
            same = (np.abs(x - y) <= TOL * np.maximum(1.0, np.abs(y))) | (np.isnan(x) & np.isnan(y))
        else:
            same = np.asarray(a[c].eq(b[c]) | (a[c].isna() & b[c].isna()))
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            return f"column {c!r}: {int((~same).sum())} values differ, first at row {i}: {x[i]!r} against {y[i]!r}"
    return None


def _strip(d, names: set[str]):
    if isinstance(d, dict):
        return {k: ({kk: vv for kk, vv in v.items() if kk not in ("sha256", "bytes")} if k in names and isinstance(v, dict)
                    else _strip(v, names)) for k, v in d.items()}  # fmt: skip
    if isinstance(d, list):
        return [_strip(v, names) for v in d]
    return d


def differences(paths, committed: Path) -> list[str]:
    """What keeps the regenerated ``paths`` from reproducing the files in ``committed``."""
    out, numeric = [], set()
    paths = sorted(paths, key=lambda p: p.name == "manifest.json")  # the manifest last
    for path in paths:
        old = committed / path.name
        if not old.exists():
            out.append(f"{path.name}: not committed")
            continue
        if path.read_bytes() == old.read_bytes():
            continue
        if path.suffix == ".parquet":
            why = _table_difference(path, old)
            if why is None:
                numeric.add(path.name)
                continue
            out.append(f"{path.name}: {why}")
        elif path.name == "manifest.json":
            a, b = json.loads(path.read_text(encoding="utf-8")), json.loads(old.read_text(encoding="utf-8"))
            if _strip(a, numeric) != _strip(b, numeric):
                keys = sorted(k for k in set(a) | set(b) if _strip(a.get(k), numeric) != _strip(b.get(k), numeric))
                out.append(f"manifest.json: differs in {keys}")
        else:
            out.append(f"{path.name}: different bytes")
    return out
