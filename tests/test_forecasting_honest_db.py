"""Honest day-ahead inputs against the real PostgreSQL (2015 set): every price published by
gate closure is a lag and nothing later; derived weather forecasts are made once, stored
with their issue time and never re-derived from measurements stored later; a real forecast
archive replaces them.

One module-wide data set: the small set's solar, wind and building and the price and
weather, 15 Feb - 14 Apr 2015. Tests that change data do it inside a transaction they roll
back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bvp_lib import forecasting as fc
from bvp_lib.beliefs import load_beliefs, load_measurements
from bvp_lib.forecasting import day_ahead, weather_feed
from bvp_lib.forecasting.config import load_parameters
from bvp_lib.forecasting.targets import forecast_targets, target_models
from bvp_lib.market.clock import gate_closure_of
from tests.conftest import truncate_all

ASSETS = ["solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01"]
TZ = "Europe/Berlin"
DAY = "2015-04-13"
WIND = "try_region04_wind_speed"


@pytest.fixture(scope="module")
def loaded(db_engine):
    from bvp_lib.data.populate import populate

    truncate_all(db_engine)
    populate(structure=True, data=True, asset=ASSETS, start="2015-02-15", end="2015-04-14", bind=db_engine,
             progress=False)  # fmt: skip
    yield db_engine
    truncate_all(db_engine)


def shift(conn, sensor: str, start: str, end: str, by: float = 100.0) -> int:
    """Add ``by`` to the actual values of ``sensor`` for events in [start, end) (local times)."""
    return conn.execute(
        sa.text("UPDATE timed_beliefs b SET value = b.value + :by FROM sensors s, data_sources d WHERE s.id = b.sensor_id "
                "AND d.id = b.source_id AND d.type = 'measurement' AND s.name = :s AND b.event_start >= :a "
                "AND b.event_start < :b"),
        {"by": by, "s": sensor, "a": pd.Timestamp(start, tz=TZ).to_pydatetime(), "b": pd.Timestamp(end, tz=TZ).to_pydatetime()},
    ).rowcount  # fmt: skip


def price_forecast(bind) -> pd.DataFrame:
    return day_ahead.forecast_day_ahead(DAY, assets=["epex_da"], models=["linear", "lightgbm", "seasonal_naive_daily"],
                                        save=False, bind=bind)  # fmt: skip


def test_d1_afternoon_prices_are_lags_and_prices_published_after_gate_closure_are_not(loaded):
    before = price_forecast(loaded)
    for src in ("linear", "lightgbm"):  # the 2015 set has no fundamentals: the price models run without them
        t = forecast_targets(["epex_da"], bind=loaded)[0]
        assert target_models(t, [src])[0].spec.used_fundamentals() == []
    with loaded.connect() as conn:
        tx = conn.begin()
        # D's prices are published at 13:00 on D-1, after gate closure (12:00): unseen
        assert shift(conn, "epex_da", DAY, "2015-04-14") == 24
        pd.testing.assert_frame_equal(price_forecast(conn), before)
        # D-1's afternoon was published at 13:00 on D-2: known at gate closure, so read
        assert shift(conn, "epex_da", "2015-04-12 14:00", DAY) == 10
        moved = price_forecast(conn)
        tx.rollback()
    for src in ("linear", "lightgbm", "seasonal_naive_daily"):
        a = before[before["source"] == src]["value"].to_numpy()
        b = moved[moved["source"] == src]["value"].to_numpy()
        assert not np.allclose(a, b), src
    naive = moved[moved["source"] == "seasonal_naive_daily"].set_index("event_start")["value"]
    old = before[before["source"] == "seasonal_naive_daily"].set_index("event_start")["value"]
    afternoon = naive.index.tz_convert(TZ).hour >= 14
    np.testing.assert_allclose(naive[afternoon] - old[afternoon], 100.0)  # yesterday's hour, for every hour of D


def derived_rows(conn) -> pd.DataFrame:
    spec = weather_feed.weather_source()
    sid = weather_feed._source_id(conn, spec)
    df = load_beliefs([WIND], source_ids=[sid], bind=conn)
    return df[["event_start", "belief_horizon", "value"]].reset_index(drop=True)


def test_weather_forecasts_are_made_once_and_never_rederived_from_later_measurements(loaded):
    a, b = pd.Timestamp("2015-03-20", tz=TZ), pd.Timestamp("2015-04-14", tz=TZ)
    with loaded.connect() as conn:
        tx = conn.begin()
        assert weather_feed.ensure_weather_forecasts([WIND], a, b, bind=conn) > 0
        stored = derived_rows(conn)
        issues = fc.weather.issue_times(stored, "1h")
        assert set(issues.hour) == {4, 10, 16, 22} and stored["belief_horizon"].max() == pd.Timedelta("54h")
        wind_before = day_ahead.forecast_day_ahead(DAY, assets=["wind-flaeming-01"], include_price=False,
                                                   models=["linear"], save=False, bind=conn)  # fmt: skip
        # the measured weather is corrected later (every value of the period): the issues made stay as they were
        n = conn.execute(sa.text(
            "UPDATE timed_beliefs b SET value = b.value * 2 + 3 FROM sensors s WHERE s.id = b.sensor_id AND s.name = :s "
            "AND b.belief_horizon <= interval '0' AND b.event_start >= :a"), {"s": WIND, "a": a.to_pydatetime()}).rowcount  # fmt: skip
        assert n > 24 * 20
        assert weather_feed.ensure_weather_forecasts([WIND], a, b, bind=conn) == 0
        pd.testing.assert_frame_equal(derived_rows(conn), stored)
        wind_after = day_ahead.forecast_day_ahead(DAY, assets=["wind-flaeming-01"], include_price=False,
                                                  models=["linear"], save=False, bind=conn)  # fmt: skip
        pd.testing.assert_frame_equal(wind_after, wind_before)
        # an issue not made yet is made from what is measured now (the test can fail: derivation does read them)
        last = issues.max()
        conn.execute(sa.text(
            "DELETE FROM timed_beliefs b USING sensors s WHERE s.id = b.sensor_id AND s.name = :s AND b.belief_horizon > "
            "interval '0' AND b.event_start + interval '1 hour' - b.belief_horizon = :t"), {"s": WIND, "t": last.to_pydatetime()})
        assert weather_feed.ensure_weather_forecasts([WIND], a, b, bind=conn) > 0
        again = derived_rows(conn)
        again_issue = fc.weather.issue_times(again, "1h")
        new = again[again_issue == last].set_index("event_start")["value"]
        old = stored[issues == last].set_index("event_start")["value"]
        assert not np.allclose(new.to_numpy(), old.reindex(new.index).to_numpy())
        tx.rollback()


def derived_count(conn) -> int:
    return conn.execute(sa.text("SELECT count(*) FROM timed_beliefs b JOIN data_sources d ON d.id = b.source_id "
                                "WHERE d.name = 'derived weather forecast'")).scalar()  # fmt: skip


def test_a_real_forecast_archive_replaces_the_derived_forecasts(loaded, tmp_path):
    a, b = pd.Timestamp("2015-02-15", tz=TZ), pd.Timestamp("2015-04-14", tz=TZ)
    measured = load_measurements([WIND], a, b, bind=loaded)[WIND]
    # an archive issued once a day at 06:00 UTC for the next 48 h, a (made-up) forecaster that misses by 1 m/s
    rows = []
    for issue in pd.date_range(a.tz_convert("UTC").normalize() + pd.Timedelta("6h"), b.tz_convert("UTC"), freq="1D"):
        ev = measured[(measured.index >= issue) & (measured.index < issue + pd.Timedelta("48h"))]
        rows.append(pd.DataFrame({"event_start": ev.index.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                                  "belief_time": issue.strftime("%Y-%m-%dT%H:%M:%S+00:00"), "value": ev.to_numpy() + 1.0}))
    path = tmp_path / "wind_archive.csv"
    pd.concat(rows).to_csv(path, index=False)
    p = load_parameters()
    p["weather_forecasts"]["archive"] = {"source": "test archive"}
    with loaded.connect() as conn:
        tx = conn.begin()
        n = weather_feed.store_weather_archive(weather_feed.read_weather_archive_csv(path, WIND), "test archive", bind=conn)
        assert n == sum(len(r) for r in rows)
        derived_before = derived_count(conn)
        with_archive = day_ahead.forecast_day_ahead(DAY, assets=["wind-flaeming-01"], include_price=False,
                                                    models=["linear"], save=True, bind=conn, parameters=p)  # fmt: skip
        assert derived_count(conn) == derived_before  # nothing derived
        derived = day_ahead.forecast_day_ahead(DAY, assets=["wind-flaeming-01"], include_price=False, models=["linear"],
                                               save=False, bind=conn)  # fmt: skip
        assert len(with_archive) == 96 and not np.allclose(with_archive["value"], derived["value"])
        assert weather_feed.ensure_weather_forecasts([WIND], a, b, parameters=p, bind=conn) == 0  # nothing derived
        # the archive's forecasts are what the model read: its regressor at gate closure is the archive's value
        wf = weather_feed.load_weather_forecasts([WIND], pd.Timestamp(DAY, tz=TZ), pd.Timestamp("2015-04-14", tz=TZ),
                                                 known_before=gate_closure_of(DAY), parameters=p, bind=conn)  # fmt: skip
        assert set(wf["source"]) == {"test archive"}
        cube = fc.prepare_regressors(wf)[WIND]
        e = pd.Timestamp(f"{DAY} 15:00", tz=TZ)
        assert cube.lookup(np.array([e.value]), np.array([gate_closure_of(DAY).value]))[0] == pytest.approx(measured[e] + 1.0)
        # a model that reads a sensor the archive lacks is refused, naming it
        with pytest.raises(fc.RegressorError, match=r"archive 'test archive'.*try_region04_irradiance"):
            day_ahead.forecast_day_ahead(DAY, assets=["solar-havel-01"], include_price=False, models=["linear"],
                                         save=False, bind=conn, parameters=p)  # fmt: skip
        tx.rollback()


def test_a_bad_archive_is_refused_with_the_line(loaded, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("event_start,belief_time,value\n2015-03-01T10:00:00+00:00,2015-03-01 04:00,3.2\n")
    with pytest.raises(fc.RegressorError, match=r"bad.csv, line 2: belief_time '2015-03-01 04:00'.*no UTC offset"):
        weather_feed.read_weather_archive_csv(path, WIND)
    late = pd.DataFrame({"sensor": [WIND], "event_start": [pd.Timestamp("2015-03-01 10:00", tz="UTC")],
                         "belief_time": [pd.Timestamp("2015-03-01 12:00", tz="UTC")], "value": [3.0]})  # fmt: skip
    with pytest.raises(fc.RegressorError, match="made after its step ended"):
        weather_feed.store_weather_archive(late, "test archive", bind=loaded)
    with pytest.raises(fc.RegressorError, match=r"not weather sensors"):
        weather_feed.store_weather_archive(late.assign(sensor="epex_da"), "test archive", bind=loaded)
