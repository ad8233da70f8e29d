"""The backtest core on the real database and the small data set: same numbers as the
daily runs, resume, failing days, SoC carry-over, parameters guarded per run name."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from bvp_lib.runs import day as pipeline
from bvp_lib.runs.backtest import BacktestParameterError, end_soc, load_days, run_backtest

PARAMS = {"solver": "highs"}
D1, D2 = dt.date(2015, 4, 12), dt.date(2015, 4, 13)
BATTERY = "battery-havel-01"


@pytest.fixture(scope="module")
def two_days(small):
    return run_backtest("two-days", D1, D2, parameters=PARAMS, progress=False)


def test_same_numbers_as_daily_runs_and_soc_carries_over(small, two_days):
    s = two_days
    assert list(s.days.index) == [D1, D2] and set(s.days["status"]) == {"done"} and not s.failed
    ctx1 = pipeline.run_day(D1, solver="highs")
    soc1 = end_soc(ctx1)
    assert BATTERY in soc1
    ctx2 = pipeline.run_day(D2, solver="highs", soc_start=soc1)
    # day 2 starts where day 1's plan ended
    assert ctx2.planned.info.loc[BATTERY, "soc_start_mwh"] == pytest.approx(soc1[BATTERY], abs=1e-6)
    assert ctx2.perfect.info.loc[BATTERY, "soc_start_mwh"] == pytest.approx(soc1[BATTERY], abs=1e-6)
    for d, ctx in ((D1, ctx1), (D2, ctx2)):
        p = ctx.valuation.portfolio
        row = s.days.loc[d]
        for k in ("realised_value_eur", "perfect_foresight_value_eur", "planned_value_eur", "energy_shifted_mwh"):
            assert row[k] == pytest.approx(p[k], rel=1e-6, abs=1e-6), (d, k)
    _, assets = load_days("two-days")
    assert len(assets) == 2 * 4
    a1 = assets[(assets["day"] == D1) & (assets["asset"] == BATTERY)].iloc[0]
    assert a1["soc_end_mwh"] == pytest.approx(soc1[BATTERY], abs=1e-6)
    for d, ctx in ((D1, ctx1), (D2, ctx2)):
        got = assets[assets["day"] == d].set_index("asset")["realised_value_eur"]
        want = ctx.valuation.assets["realised_value_eur"]
        assert got.sort_index().to_numpy() == pytest.approx(want.sort_index().to_numpy(), rel=1e-6, abs=1e-6)
    assert "2 days, 2 done, 0 failed" in str(s)


def test_resume_skips_done_days_and_force_recomputes(small, two_days):
    with small.connect() as c:
        before = c.execute(sa.text("SELECT day, finished_at FROM backtest_days ORDER BY day")).all()
    again = run_backtest("two-days", D1, D2, parameters=PARAMS, progress=False)
    assert again.skipped == [D1, D2] and again.computed == []
    with small.connect() as c:
        assert c.execute(sa.text("SELECT day, finished_at FROM backtest_days ORDER BY day")).all() == before
    # extend the period: only the new day is computed, starting from day 2's stored end SoC
    longer = run_backtest("two-days", D1, D2 + dt.timedelta(days=1), parameters=PARAMS, progress=False)
    assert longer.skipped == [D1, D2] and longer.computed == [D2 + dt.timedelta(days=1)]
    forced = run_backtest("two-days", D2, D2, parameters=PARAMS, force=True, progress=False)
    assert forced.computed == [D2]
    with small.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM backtest_days")).scalar() == 3
        assert c.execute(sa.text("SELECT count(*) FROM backtest_runs")).scalar() == 1


def test_failing_day_recorded_and_rest_continue(small, monkeypatch):
    # a real failure: too little history for the forecasters at the start of the data set
    s = run_backtest("early", "2015-03-02", "2015-03-02", parameters=PARAMS, progress=False)
    assert s.days.loc[dt.date(2015, 3, 2), "status"] == "failed" and s.failed["2015-03-02"]
    assert "failed days:" in str(s) and "2015-03-02" in str(s)
    # a failing first day is recorded and the next day still runs (from the default SoC)
    real = pipeline.run_day

    def flaky(day, **kw):
        if day == D1:
            raise RuntimeError("solver crashed")
        return real(day, **kw)

    monkeypatch.setattr(pipeline, "run_day", flaky)
    m = run_backtest("flaky", D1, D2, parameters=PARAMS, progress=False)
    assert m.failed == {"2015-04-12": "RuntimeError: solver crashed"}
    assert m.days.loc[D2, "status"] == "done" and m.days.loc[D2, "realised_value_eur"] is not None
    _, assets = load_days("flaky")
    assert set(assets["day"]) == {D2}
    # resume retries the failed day only
    monkeypatch.setattr(pipeline, "run_day", real)
    r = run_backtest("flaky", D1, D2, parameters=PARAMS, progress=False)
    assert r.computed == [D1] and r.skipped == [D2] and not r.failed


def test_same_name_other_parameters_refused(small, two_days):
    with pytest.raises(BacktestParameterError, match="exists with other parameters"):
        run_backtest("two-days", D1, D2, parameters={"solver": "highs", "spread": 20.0}, progress=False)
    with pytest.raises(BacktestParameterError, match="Unknown backtest parameter"):
        run_backtest("other", D1, D2, parameters={"battery_power": 3}, progress=False)


def test_cli_refuses_reused_name(small, two_days, tmp_path):
    from typer.testing import CliRunner

    from bvp_lib.cli.main import app

    out = CliRunner().invoke(app, ["backtest", "--from", "2015-04-12", "--to", "2015-04-13", "--name", "two-days",
                                   "--no-progress"])  # solver default differs from the run's highs
    assert out.exit_code == 1 and "exists with other parameters" in out.output
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("solver: highs\n")
    ok = CliRunner().invoke(app, ["backtest", "--from", "2015-04-12", "--to", "2015-04-12", "--name", "two-days",
                                  "--no-progress", "-f", str(scenario)])
    assert ok.exit_code == 0, ok.output
    assert "skipped 1 already done" in ok.output
