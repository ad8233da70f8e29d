"""Credentials masked everywhere; production refused at the first command; solver limits
checked; report locks removed; every bad import refused cleanly by the CLI, the same with
and without --dry-run."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

import pytest
from typer.testing import CliRunner

from bvp_lib.cli.main import app
from bvp_lib.redact import install_log_redaction, known_secrets, mask_text, mask_url
from tests.helpers import load_tiny

SECRET = "Pw@leak:42-xyz"


@pytest.mark.parametrize("url, shown", [
    ("postgresql://bvp:hunter2@db:5432/bvp", "postgresql://bvp:***@db:5432/bvp"),
    ("postgresql://bvp:p@ss@db/bvp", "postgresql://bvp:***@db/bvp"),  # an unencoded '@' in the password
    ("postgresql://bvp:a:b/c?d@db/bvp?sslmode=require", "postgresql://bvp:***@db/bvp?sslmode=require"),
    ("postgresql:///bvp?host=/run/pg&user=u&password=hunter2", "postgresql:///bvp?host=/run/pg&user=u&password=***"),
    ("postgresql:///bvp?PASSWORD=hunter2&user=u", "postgresql:///bvp?PASSWORD=***&user=u"),
    ("postgresql://u:pw1@h/db?password=pw2", "postgresql://u:***@h/db?password=***"),
    ("host=db dbname=bvp password='hun ter2' user=u", "host=db dbname=bvp password=*** user=u"),
    ("postgresql://bvp@db/bvp", "postgresql://bvp@db/bvp"),
    ("postgresql://db:5432/bvp?user=a@b", "postgresql://db:5432/bvp?user=a@b"),
])  # fmt: skip
def test_mask_url_every_libpq_form(url, shown):
    assert mask_url(url) == shown


def test_mask_text_and_logs_hide_pgpassword_and_url_passwords(monkeypatch, caplog):
    monkeypatch.setenv("PGPASSWORD", "pg-env-secret")
    monkeypatch.setenv("BVP_DATABASE_URL", f"postgresql://u:{SECRET.replace('@', '%40')}@h/db")
    assert {"pg-env-secret", SECRET, SECRET.replace("@", "%40")} <= known_secrets()
    text = f"failed for pg-env-secret and {SECRET} at postgresql://x:y@h/db password=zzz"
    assert mask_text(text) == "failed for *** and *** at postgresql://x:***@h/db password=***"
    install_log_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("bvp.test").warning("connecting with %s", "pg-env-secret")
    assert "pg-env-secret" not in caplog.text and "connecting with ***" in caplog.text


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_production_without_url_fails_at_the_first_command(tmp_path):
    t = time.perf_counter()
    for cmd in (["config"], ["report", "--date", "2015-04-12"], ["db", "status"], ["backtest", "--from", "2015-04-12",
                                                                                    "--to", "2015-04-12"]):
        r = run(*cmd, env={"BVP_ENV": "production", "BVP_DATABASE_URL": "", "SQLALCHEMY_DATABASE_URI": "",
                           "BVP_REPORTS_DIR": str(tmp_path)})
        assert r.returncode == 1, (cmd, r.stdout)
        assert "BVP_ENV=production needs a database" in r.stderr and "BVP_DATABASE_URL" in r.stderr
        assert "Traceback" not in r.stderr and "(embedded server)" not in r.stdout
    assert not any(tmp_path.iterdir())  # no report folder, no notebook started
    assert time.perf_counter() - t < 60


def test_config_and_status_mask_every_password_form(db_engine):
    from tests.helpers import leak_forms, leak_role_urls

    for form, (url, env) in leak_role_urls(db_engine).items():
        for cmd in (["config"], ["db", "status"]):
            r = run(*cmd, env={"BVP_DATABASE_URL": url, **env})
            out = r.stdout + r.stderr
            assert r.returncode == 0, (form, out)
            assert not [s for s in leak_forms() if s in out], (form, out)
            if form != "PGPASSWORD":
                assert "***" in out, out
            if cmd == ["db", "status"]:
                assert "schema:" in out  # it connected with that password
    r = run("db", "status", env={"BVP_DATABASE_URL": "postgresql://u:p@ss-tail@localhost/db"})
    assert r.returncode == 1 and "unencoded '@'" in r.stderr and "ss-tail" not in r.stderr + r.stdout
    r = run("config", env={"BVP_DATABASE_URL": "postgresql://u:p@ss-tail@localhost/db"})
    assert "ss-tail" not in r.stdout + r.stderr and "postgresql://u:***@localhost/db" in r.stdout
    assert "package lock" in r.stdout and "requirements.lock sha256:" in r.stdout


def test_negative_time_limit_refused_cleanly(db, tmp_path):
    load_tiny(db)
    r = CliRunner().invoke(app, ["schedule", "--date", "2015-04-12", "--time-limit", "-1"])
    assert r.exit_code == 1 and "time_limit must be a positive number of seconds, not -1" in r.output
    scenario = tmp_path / "s.yaml"
    scenario.write_text("time_limit: -1\n")
    r = CliRunner().invoke(app, ["backtest", "--from", "2015-04-12", "--to", "2015-04-12", "-f", str(scenario),
                                 "--no-progress"])
    assert r.exit_code == 1 and "time_limit must be a positive number" in r.output and "Traceback" not in r.output


def test_report_lock_is_exclusive_and_removed(tmp_path):
    from bvp_lib.reporting.runner import _lock

    inside, overlaps = [], []

    def hold():
        for _ in range(20):
            with _lock(tmp_path / ".day.lock"):
                if inside:
                    overlaps.append(1)
                inside.append(1)
                time.sleep(0.001)
                inside.pop()

    threads = [threading.Thread(target=hold) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not overlaps and list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------
# the importers' CLI on the bad files of the issue: one line, no traceback, same with --dry-run


def invoke_both(args):
    dry = CliRunner().invoke(app, [*args, "--dry-run"])
    real = CliRunner().invoke(app, args)
    assert dry.exit_code == real.exit_code, (dry.output, real.output)
    assert dry.output.replace("would store", "stored").replace(" (dry run)", "") == real.output.replace(
        "would be loaded", "loaded")
    assert "Traceback" not in real.output and not isinstance(real.exception, Exception) or real.exit_code in (0, 1)
    return real


def beliefs(db) -> int:
    import sqlalchemy as sa

    with db.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM timed_beliefs")).scalar()


def quarter_hours(n=8, start="2015-04-12T00:00+02:00"):
    import pandas as pd

    return [f"{t.isoformat()},{i * 100}" for i, t in enumerate(pd.date_range(start, periods=n, freq="15min"))]


@pytest.mark.parametrize("name, content, extra, words", [
    ("empty.csv", "", [], "empty.csv, line 1: the file is empty"),
    ("header.csv", "timestamp,value\n", [], "header.csv, line 1: the file has a header"),
    ("naive.csv", "timestamp,value\n" + "\n".join(quarter_hours()[:5] + ["2015-04-12T01:15,1"]
                                                  + quarter_hours()[6:]) + "\n", [],
     "naive.csv, line 7, column 'timestamp': timestamp '2015-04-12T01:15' has no UTC offset"),
    ("inf.csv", "timestamp,value\n" + "\n".join(quarter_hours()[:3] + ["2015-04-12T00:45+02:00,inf"]) + "\n", [],
     "inf.csv, line 5, column 'value': 'inf' is not a finite number. [rule finite]"),
    ("offgrid.csv", "timestamp,value\n" + "\n".join(quarter_hours()[:3] + ["2015-04-12T00:53+02:00,1"]) + "\n", [],
     "offgrid.csv, line 5, column 'timestamp': timestamp 2015-04-11 22:53:00+00:00 UTC is not on the sensor's 15min grid"),
    ("dup.csv", "timestamp,value\n" + "\n".join(quarter_hours()[:3] + ["2015-04-12T00:15+02:00,7"]) + "\n", [],
     "dup.csv, line 5, column 'timestamp': timestamp 2015-04-11 22:15:00+00:00 UTC is on lines 3 and 5"),
    ("gap.csv", "timestamp,value\n" + "\n".join(quarter_hours()[:3] + quarter_hours()[5:]) + "\n", [],
     "gap.csv, line 5, column 'timestamp': gap after"),
    ("mars.csv", "timestamp,value\n" + "\n".join(quarter_hours()) + "\n", ["--timezone", "Mars/Olympus"],
     "mars.csv: unknown timezone 'Mars/Olympus' (--timezone)"),
    ("latin.csv", "Zeit,Leistung [kW] Gerät\n".encode("cp1252") + "\n".join(quarter_hours()).encode(), [],
     "latin.csv, line 1: byte b'\\xe4' is not utf-8 text"),
])  # fmt: skip
def test_cli_refuses_each_bad_csv_in_one_line(db, tmp_path, name, content, extra, words):
    load_tiny(db)
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    r = invoke_both(["data", "import", "csv", str(p), "--sensor", "pv-1", "--unit", "kW", *extra])
    assert r.exit_code == 1 and words in r.output, r.output
    assert r.output.count("\n") == 1 and beliefs(db) == 0


def test_cli_refuses_a_directory_and_a_missing_file(db, tmp_path):
    load_tiny(db)
    for kind in ("csv", "smard", "entsoe", "assets"):
        extra = ["--sensor", "pv-1", "--unit", "kW"] if kind == "csv" else []
        r = invoke_both(["data", "import", kind, str(tmp_path), *extra])
        assert r.exit_code == 1 and "is a directory, not a file" in r.output and "[rule file]" in r.output, r.output
        r = invoke_both(["data", "import", kind, str(tmp_path / "nope.csv"), *extra])
        assert r.exit_code == 1 and "file not found" in r.output, r.output


ENTSOE = '"MTU (CET/CEST)","Day-ahead Price [EUR/MWh]"\n'


def entsoe_spring(price_in_missing_hour="-"):
    rows = []
    for h in range(24):
        mark = "(CET)" if h < 2 else "(CEST)"
        rows.append(f'"29.03.2015 {h:02d}:00 - 29.03.2015 {(h + 1) % 24:02d}:00 {mark}",'
                    + (price_in_missing_hour if h == 2 else f"{h}.5"))
    return ENTSOE + "\n".join(rows) + "\n"


def test_entsoe_spring_day_listing_the_missing_hour_and_published(db, tmp_path):
    import pandas as pd
    import sqlalchemy as sa

    load_tiny(db)
    p = tmp_path / "spring.csv"
    p.write_text(entsoe_spring())
    r = invoke_both(["data", "import", "entsoe", str(p)])
    assert r.exit_code == 0 and "stored 23 beliefs" in r.output and "known at 13:00 Europe/Berlin" in r.output
    with db.connect() as c:
        first = c.execute(sa.text("SELECT min(event_start), min(belief_horizon) FROM timed_beliefs")).one()
    # the first hour (00:00-01:00 CET, ends 00:00 UTC) was known at 13:00 CET (12:00 UTC) the day before: 12 h
    assert first[0] == pd.Timestamp("2015-03-28 23:00", tz="UTC") and first[1] == pd.Timedelta("12h")
    r = invoke_both(["data", "import", "entsoe", str(p), "--published", "2015-03-28T12:50+01:00"])
    assert r.exit_code == 0 and "known at 2015-03-28 11:50:00+00:00 UTC" in r.output
    r = invoke_both(["data", "import", "entsoe", str(p), "--published", "tomorrow-ish"])
    assert r.exit_code == 1 and "--published 'tomorrow-ish' is not understood" in r.output
    p.write_text(entsoe_spring("7.5"))
    r = invoke_both(["data", "import", "entsoe", str(p)])
    assert r.exit_code == 1 and "line 4, column 'MTU (CET/CEST)': local time '29.03.2015 02:00' does not exist" in r.output


def test_smard_and_assets_files(db, tmp_path):
    load_tiny(db)
    head = "Date;Time of day;Germany/Austria/Luxembourg[€/MWh]\n"
    rows = [f"Apr 12, 2015;{h % 12 or 12}:00 {'AM' if h < 12 else 'PM'};{h}.25" for h in range(24)]
    p = tmp_path / "smard.csv"
    p.write_text("\ufeff" + head + "\n".join(rows) + "\n")
    r = invoke_both(["data", "import", "smard", str(p)])
    assert r.exit_code == 0 and "stored 24 beliefs" in r.output, r.output
    rows[5] = "Apr 12, 2015;5:00 AM;12,5x"
    p.write_text(head + "\n".join(rows) + "\n")
    r = invoke_both(["data", "import", "smard", str(p)])
    assert r.exit_code == 1 and "line 7, column 'Germany/Austria/Luxembourg[€/MWh]': '12,5x' is not a number" in r.output
    a = tmp_path / "assets.json"
    a.write_text('{\n  "assets": [\n    {"name": "x",\n  ]\n}\n')
    r = invoke_both(["data", "import", "assets", str(a)])
    assert r.exit_code == 1 and "assets.json, line 4" in r.output and "[rule json]" in r.output
    a.write_text('{\n  "assets": [\n    {"name": "pv-9", "type": "solar"}\n  ]\n}\n')
    r = invoke_both(["data", "import", "assets", str(a)])
    assert r.exit_code == 1 and "line 3" in r.output and "pv-9" in r.output and "[rule structure]" in r.output


def test_excel_names_the_spreadsheet_row_and_column(db, tmp_path):
    import numpy as np
    import pandas as pd

    load_tiny(db)
    idx = pd.date_range("2015-04-12", periods=8, freq="15min")
    values = list(np.arange(8.0) * 100)
    values[4] = "n/a"
    p = tmp_path / "design.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"time": idx, "P_kW": values}).to_excel(w, sheet_name="1_PV_Hof", index=False)
    args = ["data", "import", "excel", str(p), "--sheet", "1_PV", "--column", "P_kW", "--sensor", "pv-1",
            "--unit", "kW", "--timezone", "Europe/Berlin"]
    r = invoke_both(args)
    assert r.exit_code == 1 and "design.xlsx[1_PV_Hof], line 6, column 'B (P_kW)': 'n/a' is not a number" in r.output
    values[4] = 400.0
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"time": idx, "P_kW": values}).to_excel(w, sheet_name="1_PV_Hof", index=False)
    r = invoke_both(args)
    assert r.exit_code == 0 and "stored 8 beliefs" in r.output and beliefs(db) == 8
    r = invoke_both([*args[:-1], "Mars/Olympus"])
    assert r.exit_code == 1 and "unknown timezone 'Mars/Olympus'" in r.output
