"""bvp_lib.forecasting.store and `bvp forecast` against the real PostgreSQL.

One module-wide data set (loaded once, read by every test): the four assets of the small
set (solar, wind, building, battery), the price and the weather for 15 Feb - 14 Apr 2015
(the spring DST day 29 March with history) and 14 Sep - 25 Oct 2015 (the autumn DST day).
Tests that change data do it inside a transaction they roll back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bvp_lib import forecasting as fc
from bvp_lib.beliefs import measurement_rows
from bvp_lib.forecasting import day_ahead, evaluation, rolling
from bvp_lib.market.clock import gate_closure_of
from tests.conftest import truncate_all

ASSETS = ["solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "battery-havel-01"]
POWER = ASSETS[:3]
TZ = "Europe/Berlin"


@pytest.fixture(scope="module")
def loaded(db_engine):
    from bvp_lib.data.populate import populate

    truncate_all(db_engine)
    populate(structure=True, data=True, asset=ASSETS, start="2015-02-15", end="2015-04-14", bind=db_engine,
             progress=False)  # fmt: skip
    populate(structure=False, data=True, asset=ASSETS, start="2015-09-14", end="2015-10-25", bind=db_engine,
             progress=False)  # fmt: skip
    yield db_engine
    truncate_all(db_engine)


def count(engine, source_type: str | None = None) -> int:
    q = "SELECT count(*) FROM timed_beliefs b JOIN data_sources d ON d.id = b.source_id"
    with engine.connect() as c:
        if source_type is None:
            return c.execute(sa.text(q)).scalar()
        return c.execute(sa.text(q + " WHERE d.type = :t"), {"t": source_type}).scalar()


@pytest.mark.parametrize("day, steps, hours", [("2015-03-29", 92, 23), ("2015-10-25", 100, 25)])
def test_day_ahead_on_dst_days_forecasts_every_step_at_gate_closure(loaded, day, steps, hours):
    out = day_ahead.forecast_day_ahead(day, bind=loaded)
    assert list(out.columns) == ["sensor", "event_start", "belief_horizon", "source", "value"]
    n = out.groupby("sensor").size()
    assert set(n.index) == set(POWER) | {"epex_da"}  # the battery has no power series
    assert (n[POWER] == steps).all() and n["epex_da"] == hours
    primary = out.groupby("sensor")["source"].unique().map(list).to_dict()  # the primary model per type
    assert primary == {"solar-havel-01": ["lightgbm"], "wind-flaeming-01": ["linear"],
                       "building-havel-rathaus-01": ["linear"], "epex_da": ["linear"]}
    b = pd.Timestamp(f"{pd.Timestamp(day).date() - pd.Timedelta('1D')} 12:00", tz=TZ)
    assert out.attrs["belief_time"] == b
    res = pd.to_timedelta(np.where(out["sensor"] == "epex_da", "1h", "15min"))
    assert (out["event_start"] + res - out["belief_horizon"] == b).all()
    start = pd.Timestamp(day, tz=TZ)
    assert out["event_start"].min() == start and out["event_start"].dt.tz is not None
    assert np.isfinite(out["value"]).all()
    solar = out[out["sensor"] == "solar-havel-01"].set_index("event_start")["value"]
    assert solar.min() >= 0 and solar.between_time("21:00", "02:00").abs().max() == 0  # UTC night
    building = out[out["sensor"] == "building-havel-rathaus-01"]["value"]
    assert (building < 0).all()  # consumption is negative
    wide = day_ahead.load_day_ahead(day, POWER + ["epex_da"], bind=loaded)
    assert wide["solar-havel-01"].notna().sum() == steps and wide["epex_da"].notna().sum() == hours
    np.testing.assert_allclose(wide["solar-havel-01"].dropna().to_numpy(), solar.to_numpy())
    actual = day_ahead.load_actuals(day, POWER + ["epex_da"], bind=loaded)
    assert actual["wind-flaeming-01"].notna().sum() == steps and actual["epex_da"].notna().sum() == hours


def test_rerun_is_idempotent_and_the_source_is_the_model_identity(loaded):
    first = day_ahead.forecast_day_ahead("2015-04-13", assets=["wind-flaeming-01"], bind=loaded)
    n = count(loaded)
    again = day_ahead.forecast_day_ahead("2015-04-13", assets=["wind-flaeming-01"], bind=loaded)
    assert count(loaded) == n
    pd.testing.assert_frame_equal(first, again)
    with loaded.connect() as c:
        src = c.execute(sa.text("SELECT name, type, model, version FROM data_sources WHERE name = 'linear'")).all()
    assert src and all(r.type == "forecaster" and r.model.startswith("LinearForecaster:") and r.version for r in src)
    weather = {r[0] for r in loaded.connect().execute(sa.text("SELECT name FROM data_sources WHERE type='forecaster'"))}
    assert "derived weather forecast" in weather


def test_no_look_ahead_through_the_database(loaded):
    day = "2015-04-13"
    b = gate_closure_of(day)
    before = day_ahead.forecast_day_ahead(day, models=["linear", "persistence"], save=False, bind=loaded)
    with loaded.connect() as conn:
        trans = conn.begin()
        # change every actual value known only after gate closure (power of D-1 afternoon, D; D's prices)
        changed = conn.execute(
            sa.text(
                "UPDATE timed_beliefs b SET value = b.value * 3 + 5 FROM sensors s, data_sources d "
                "WHERE s.id = b.sensor_id AND d.id = b.source_id AND d.type = 'measurement' "
                "AND s.weather_sensor_id IS NULL AND b.event_start + s.event_resolution - b.belief_horizon > :b"
            ),
            {"b": b.to_pydatetime()},
        ).rowcount
        assert changed > 0
        after = day_ahead.forecast_day_ahead(day, models=["linear", "persistence"], save=False, bind=conn)
        pd.testing.assert_frame_equal(before, after)
        # ... while a change before gate closure does change the forecast (the test can fail)
        conn.execute(
            sa.text(
                "UPDATE timed_beliefs b SET value = b.value * 3 + 5 FROM sensors s "
                "WHERE s.id = b.sensor_id AND s.name = 'wind-flaeming-01' AND b.event_start < :b "
                "AND b.event_start >= :a"
            ),
            {"b": b.to_pydatetime(), "a": (b - pd.Timedelta("2D")).to_pydatetime()},
        )
        moved = day_ahead.forecast_day_ahead(day, models=["linear", "persistence"], save=False, bind=conn)
        w = before["sensor"] == "wind-flaeming-01"
        assert not np.allclose(moved.loc[w, "value"], before.loc[w, "value"])
        trans.rollback()


def test_bad_input_is_named_and_nothing_is_saved(loaded, monkeypatch):
    n = count(loaded)
    with pytest.raises(fc.ForecastingError, match=r"unknown asset.*'nope'.*bvp db show"):
        day_ahead.forecast_day_ahead("2015-04-13", assets=["nope"], bind=loaded)
    with pytest.raises(fc.InsufficientHistoryError, match=r"'building-havel-rathaus-01'.*needs measurements from 2015-01-17.*populate --data --from 2015-01-17"):
        day_ahead.forecast_day_ahead("2015-02-25", bind=loaded)  # data start 15 Feb: < 30 days + lags
    with pytest.raises(fc.InsufficientHistoryError, match=r"'building-havel-rathaus-01'.*no measurements stored"):
        day_ahead.forecast_day_ahead("2015-07-01", bind=loaded)  # a day without data
    with pytest.raises(fc.ForecastingError, match=r"model\(s\) \['prophet'\] are not configured"):
        day_ahead.forecast_day_ahead("2015-04-13", models=["prophet"], bind=loaded)
    with pytest.raises(fc.ForecastingError, match=r"no day-ahead forecast of 'solar-havel-01' for 2015-04-11.*bvp forecast day-ahead"):
        day_ahead.load_day_ahead("2015-04-11", ["solar-havel-01"], bind=loaded)
    assert count(loaded) == n

    # an error after the forecasts were written rolls the whole call back
    save = day_ahead.save_forecasts

    def save_then_fail(conn, frames):
        assert save(conn, frames) > 0
        raise fc.ForecastingError("boom")

    monkeypatch.setattr(day_ahead, "save_forecasts", save_then_fail)
    with pytest.raises(fc.ForecastingError, match="boom"):
        day_ahead.forecast_day_ahead("2015-04-02", bind=loaded)
    assert count(loaded) == n


def test_forecast_range_is_stored_and_evaluate_range_reads_it_back(loaded):
    kw = dict(assets=["building-havel-rathaus-01", "solar-havel-01"], models=["seasonal_naive_daily", "linear"],
              include_price=False)  # fmt: skip
    out = rolling.forecast_range("2015-04-10", "2015-04-12", horizons=["24h", "day-ahead"], progress=False,
                               bind=loaded, **kw)  # fmt: skip
    assert set(out["horizon"]) == {"24h", "day-ahead"}
    assert len(out) == 2 * 2 * 2 * 3 * 96  # sensors x models x schedules x days x steps
    m = evaluation.evaluate_range("2015-04-10", "2015-04-12", horizons=["24h", "day-ahead"], bind=loaded, **kw)
    assert len(m) == 2 * 2 * 2
    assert {"sensor", "asset_type", "source", "horizon", "mae", "rmse", "wape", "bias", "skill_mae"} <= set(m.columns)
    assert (m["n"] == 3 * 96).all() and np.isfinite(m["wape"]).all()
    assert (m.loc[m["source"] == "seasonal_naive_daily", "skill_mae"] == 0).all()
    # the stored forecasts give the same accuracy as the in-memory backtest
    direct = fc.evaluate(out, measurement_rows(kw["assets"], pd.Timestamp("2015-04-10", tz=TZ),
                                                pd.Timestamp("2015-04-13", tz=TZ), bind=loaded))  # fmt: skip
    merged = m.merge(direct, on=["sensor", "source", "horizon"], suffixes=("", "_direct"))
    np.testing.assert_allclose(merged["wape"], merged["wape_direct"])
    assert (evaluation.summarise_by_type(m).groupby("asset_type").size() == 4).all()


def test_cli_help_and_runs(loaded):
    from bvp_lib.cli.main import app

    runner = CliRunner()
    r = runner.invoke(app, ["forecast", "--help"])
    assert r.exit_code == 0 and "day-ahead" in r.output and "evaluate" in r.output and "--from" in r.output
    args = ["--assets", "wind-flaeming-01", "--models", "seasonal_naive_daily,linear", "--no-price"]
    r = runner.invoke(app, ["forecast", "--from", "2015-04-12", "--to", "2015-04-12", "--horizons", "day-ahead", *args])
    assert r.exit_code == 0, r.output
    assert "forecasts of 1 series" in r.output
    r = runner.invoke(app, ["forecast", "evaluate", "--from", "2015-04-12", "--to", "2015-04-12",
                            "--horizons", "day-ahead", *args])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "WAPE %" in r.output and "wind-flaeming-01" in r.output and "linear" in r.output
    r = runner.invoke(app, ["forecast", "day-ahead", "--date", "2015-04-14", "--assets", "nope"])
    assert r.exit_code == 1 and "unknown asset" in r.output
