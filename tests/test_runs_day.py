"""The main job end to end on the real database: forecast, schedule, value, report."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bvp_lib.runs import day as pipeline
from tests.test_reporting_runner import assert_self_contained


def beliefs_by_source_type(engine) -> dict:
    with engine.connect() as c:
        return dict(c.execute(sa.text(
            "SELECT d.type, count(*) FROM timed_beliefs b JOIN data_sources d ON d.id = b.source_id GROUP BY 1")).all())


def test_dry_run_stores_nothing(small):
    before = beliefs_by_source_type(small)
    ctx = pipeline.run_day("2015-04-12", solver="highs", save=False)
    assert beliefs_by_source_type(small) == before
    v = ctx.valuation
    assert set(v.assets.index) == {"solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "battery-havel-01"}
    # perfect foresight on the day of the year's lowest price: curtailment and battery arbitrage pay
    assert v.portfolio["perfect_foresight_value_eur"] > 0
    assert v.assets.loc["solar-havel-01", "perfect_foresight_value_eur"] > 0
    assert v.portfolio["captured_share"] is not None


def test_run_day_stores_and_rerun_replaces(small):
    pipeline.run_day("2015-04-13", solver="highs")
    first = beliefs_by_source_type(small)
    assert first.get("forecaster", 0) > 0 and first.get("scheduler", 0) > 0
    pipeline.run_day("2015-04-13", solver="highs")
    assert beliefs_by_source_type(small) == first


def test_bad_settings_named(small):
    with pytest.raises(ValueError, match="(?i)unknown owner 'nobody'"):
        pipeline.prepare("2015-04-12", owner="nobody")
    with pytest.raises(ValueError, match="imbalance_spread must be >= 0"):
        pipeline.prepare("2015-04-12", spread=-1)
    with pytest.raises(ValueError, match="(?i)unknown asset"):
        pipeline.prepare("2015-04-12", assets=["nope"])


def bvp(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


@pytest.mark.slow
def test_report_cli_self_contained_without_password(small, tmp_path):
    """A password in the database URL appears nowhere in the report."""
    secret = "hunter2-report-secret"
    with small.connect() as c:
        c.execute(sa.text(f"DROP ROLE IF EXISTS bvp_pw_test; CREATE ROLE bvp_pw_test LOGIN SUPERUSER PASSWORD '{secret}'"))
        c.commit()
    url = small.url.set(username="bvp_pw_test", password=secret).render_as_string(hide_password=False)
    r = bvp("report", "--date", "2015-04-12", env={"BVP_DATABASE_URL": url, "BVP_REPORTS_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr[-3000:]
    html = (tmp_path / "2015-04-12" / "index.html").read_text()
    assert "data:image/png;base64," in html and "Provenance" in html and "captured share" in html
    assert_self_contained(html)
    assert_self_contained((tmp_path / "index.html").read_text())
    assert "2015-04-12" in (tmp_path / "index.html").read_text()
    for p in Path(tmp_path).rglob("*"):
        if p.is_file():
            assert secret not in p.read_text(errors="ignore"), f"password leaked into {p}"


@pytest.mark.slow
def test_failed_report_names_step_and_keeps_notebook(small, tmp_path):
    # 2 March has too little history for a 30-day training window
    r = bvp("report", "--date", "2015-03-02", env={"BVP_REPORTS_DIR": str(tmp_path)})
    assert r.returncode == 1
    assert "step 'forecast'" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "2015-03-02.failed.ipynb").exists()
    assert not (tmp_path / "2015-03-02").exists()


def test_the_schedule_uses_the_forecasts_of_the_model_asked_for(small):
    """With the primary model's forecasts of the day also stored, a run with another
    model schedules on that model's forecasts (it used to take the primary one)."""
    day = "2015-04-13"
    primary = pipeline.run_day(day, solver="highs")
    naive = pipeline.run_day(day, solver="highs", models=["seasonal_naive_daily"])
    f = naive.forecasts
    price = f[(f["sensor"] == "epex_da") & (f["source"] == "seasonal_naive_daily")].set_index("event_start")["value"]
    planned = naive.planned.inputs.prices
    hourly = planned[planned.index.minute == 0]
    assert hourly.to_numpy() == pytest.approx(price.sort_index().to_numpy())
    assert not (naive.planned.inputs.prices.to_numpy() == pytest.approx(primary.planned.inputs.prices.to_numpy()))


@pytest.mark.parametrize("strategy", ["schedule", "orders"])
def test_a_day_run_reads_the_portfolio_once(small, strategy):
    """The catalogue is read once per day run, by one query on ``assets``; the forecasts,
    both schedules and the valuation share it (they used to read it five times, by twelve
    hand-written queries)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bvp_lib.db.catalogue import Catalogue

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    reads = Catalogue.reads
    try:
        # the steps as the daily report runs them, the other strategy compared on the same read
        ctx = pipeline.prepare("2015-04-13", solver="highs", save=False, strategy=strategy)
        pipeline.forecast(ctx)
        pipeline.schedule(ctx)
        pipeline.value(ctx)
        pipeline.compare(ctx)
        pipeline.commit(ctx)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert ctx.valuation is not None and ctx.strategy == strategy
    other = "orders" if strategy == "schedule" else "schedule"
    assert {f"{strategy}_value_eur", f"{other}_value_eur"} <= set(ctx.valuation.portfolio)
    assert Catalogue.reads - reads == 1
    on_assets = [s for s in statements if re.search(r"\b(FROM|JOIN)\s+assets\b", s)]
    assert len(on_assets) == 1, on_assets
