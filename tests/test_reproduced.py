"""The generation tests' comparison (tests/reproduced.py): last-bit float differences pass,
anything else is named by file and column."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from tests.reproduced import differences


def _write(d, values, note="x"):
    d.mkdir(exist_ok=True)
    pd.DataFrame({"sensor": ["a", "b", "c"], "value": values}).to_parquet(d / "t.parquet")
    (d / "manifest.json").write_text(json.dumps({"files": {"t.parquet": {"sha256": str(values), "bytes": 1}},
                                                 "note": note}))  # fmt: skip
    (d / "x.csv").write_text("a,b\n1,2\n")
    return [d / "t.parquet", d / "manifest.json", d / "x.csv"]


def test_last_bit_differences_pass_and_real_ones_are_named(tmp_path):
    old = tmp_path / "old"
    _write(old, [0.1, 809.0698102338947, np.nan])
    assert differences(_write(tmp_path / "same", [0.1, 809.0698102338947, np.nan]), old) == []
    assert differences(_write(tmp_path / "ulp", [0.1, 809.0698102338945, np.nan]), old) == []
    bad = differences(_write(tmp_path / "bad", [0.1, 809.0699, np.nan]), old)
    assert len(bad) == 2 and "t.parquet: column 'value': 1 values differ, first at row 1" in bad[0]
    assert "manifest.json" in bad[1]
    note = differences(_write(tmp_path / "note", [0.1, 809.0698102338945, np.nan], note="y"), old)
    assert note == ["manifest.json: differs in ['note']"]
    csv = _write(tmp_path / "csv", [0.1, 809.0698102338947, np.nan])
    csv[2].write_text("a,b\n1,3\n")
    assert differences(csv, old) == ["x.csv: different bytes"]
