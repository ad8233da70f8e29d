"""A report, a backtest and a sweep run with a database password in each form libpq
takes (user-info, ``password=`` query parameter, ``PGPASSWORD``), and the password is in
no output, no file they wrote and no row of the run tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers import SMALL_ASSETS, leak_forms, leak_role_urls


def bvp(*args, env):
    return subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=900)


def leaked_in(text: str) -> list[str]:
    return [s for s in leak_forms() if s in text]


@pytest.mark.slow
def test_report_backtest_and_sweep_leak_no_password(small, tmp_path):
    urls = leak_role_urls(small)
    reports = tmp_path / "reports"
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(f"solver: highs\nassets: {SMALL_ASSETS}\n")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"name: leak-sweep\nfrom: '2015-04-12'\nto: '2015-04-12'\nchunk_days: 1\n"
                     f"base: {{solver: highs, assets: {SMALL_ASSETS}}}\ngrid: {{battery.power_mw: [1.0, 2.0]}}\n")
    runs = {
        "user-info": ["report", "--date", "2015-04-12"],
        "query": ["backtest", "--from", "2015-04-12", "--to", "2015-04-12", "--name", "leak", "-f", str(scenario),
                  "--no-progress"],
        "PGPASSWORD": ["sweep", "-f", str(sweep), "--workers", "1"],
    }
    for form, args in runs.items():
        url, env = urls[form]
        r = bvp(*args, env={"BVP_DATABASE_URL": url, "BVP_REPORTS_DIR": str(reports), **env})
        assert r.returncode == 0, (form, r.stdout[-2000:], r.stderr[-3000:])
        assert not leaked_in(r.stdout + r.stderr), f"{form}: password printed"
    # what they wrote: the report, the sweep report, anything else under reports/
    written = [p for p in Path(reports).rglob("*") if p.is_file()]
    assert any(p.name == "index.html" for p in written) and any("sweeps" in p.parts for p in written)
    for p in written:
        assert not leaked_in(p.read_text(errors="ignore")), f"password in {p}"
    assert "package lock" in (reports / "2015-04-12" / "index.html").read_text()  # provenance names the lock
    assert not [p for p in written if p.name.endswith(".lock")], "a report lock file was left behind"
    # the run tables, whole rows as text
    with small.connect() as c:
        for table in ("backtest_runs", "backtest_days", "backtest_asset_days"):
            rows = c.execute(sa.text(f"SELECT t::text FROM {table} t")).scalars().all()
            assert rows, f"{table} is empty: the runs did not store"
            assert not leaked_in("\n".join(rows)), f"password in {table}"
        code = c.execute(sa.text("SELECT code_version FROM backtest_runs WHERE name = 'leak'")).scalar()
    assert " lock " in code  # the run records the lock file's hash
