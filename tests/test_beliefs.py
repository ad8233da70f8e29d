"""save_beliefs / load_beliefs against the real PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bvp_lib.beliefs import BeliefError, SourceSpec, load_beliefs, load_series, save_beliefs
from bvp_lib.timing import day_bounds, day_index
from tests.helpers import load_tiny

MEAS = SourceSpec("meter", "measurement")


def frame(sensor="pv-1", start="2015-04-12 00:00+02:00", periods=8, freq="15min", horizon="0h", values=None):
    idx = pd.date_range(start, periods=periods, freq=freq)
    vals = np.arange(periods, dtype=float) if values is None else values
    return pd.DataFrame({"sensor": sensor, "event_start": idx, "belief_horizon": pd.Timedelta(horizon), "value": vals})


def count(engine) -> int:
    with engine.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM timed_beliefs")).scalar()


@pytest.fixture
def tiny(db):
    load_tiny(db)
    return db


def test_roundtrip_utc_and_values(tiny):
    df = frame()
    assert save_beliefs(df, source=MEAS, bind=tiny) == 8
    out = load_beliefs("pv-1", bind=tiny)
    assert list(out.columns) == ["sensor", "event_start", "belief_horizon", "source", "source_id", "value"]
    assert str(out["event_start"].dt.tz) == "UTC"
    assert out["event_start"].iloc[0] == pd.Timestamp("2015-04-11 22:00", tz="UTC")
    np.testing.assert_array_equal(out["value"], np.arange(8.0))
    assert (out["source"] == "meter").all()
    assert (out["belief_horizon"] == pd.Timedelta(0)).all()


def test_reimport_is_idempotent_and_updates(tiny):
    save_beliefs(frame(), source=MEAS, bind=tiny)
    save_beliefs(frame(), source=MEAS, bind=tiny)
    assert count(tiny) == 8
    save_beliefs(frame(values=np.full(8, 7.0)), source=MEAS, bind=tiny)
    assert count(tiny) == 8
    assert (load_beliefs("pv-1", bind=tiny)["value"] == 7.0).all()
    save_beliefs(frame(values=np.full(8, 9.0)), source=MEAS, on_conflict="nothing", bind=tiny)
    assert (load_beliefs("pv-1", bind=tiny)["value"] == 7.0).all()


def test_failing_batch_leaves_table_as_it_was(tiny):
    save_beliefs(frame(), source=MEAS, bind=tiny)
    bad = pd.concat([frame(start="2015-04-13 00:00+02:00"), frame(sensor="nope")])
    with pytest.raises(BeliefError, match="Unknown sensor.*nope"):
        save_beliefs(bad, source=MEAS, bind=tiny)
    assert count(tiny) == 8
    # a failure inside the database (after the COPY) rolls back too
    with tiny.connect() as c:
        with pytest.raises(sa.exc.DBAPIError):
            with c.begin():
                save_beliefs(frame(start="2015-04-14 00:00+02:00"), source=MEAS, bind=c)
                c.execute(sa.text("SELECT 1/0"))
    assert count(tiny) == 8


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d.assign(event_start=d["event_start"].dt.tz_localize(None)), "naive"),
        (lambda d: d.assign(value=[1.0, np.nan] + [0.0] * 6), "NaN"),
        (lambda d: d.assign(value=["x"] + [0.0] * 7), "not a number"),
        (lambda d: d.assign(event_start=d["event_start"] + pd.Timedelta("5min")), "grid"),
        (lambda d: pd.concat([d, d.assign(value=d["value"] + 1).iloc[:1]]), "Duplicate"),
        (lambda d: d.drop(columns="belief_horizon"), "belief_horizon"),
    ],
)
def test_bad_input_is_refused_with_row(tiny, mutate, match):
    with pytest.raises(BeliefError, match=match):
        save_beliefs(mutate(frame()), source=MEAS, bind=tiny)
    assert count(tiny) == 0


def test_resolution_mismatch_named(tiny):
    with pytest.raises(BeliefError, match="resolution 1h but sensor.*pv-1 have 15min"):
        save_beliefs(frame(freq="1h"), source=MEAS, event_resolution="1h", bind=tiny)


@pytest.mark.parametrize("day, steps", [("2015-03-29", 92), ("2015-10-25", 100), ("2015-06-01", 96)])
def test_dst_days(tiny, day, steps):
    idx = day_index(day, "Europe/Berlin", "15min")  # a local day: 23 h or 25 h on DST days
    assert len(idx) == steps
    df = pd.DataFrame({"sensor": "pv-1", "event_start": idx, "belief_horizon": pd.Timedelta(0), "value": 1.0})
    save_beliefs(df, source=MEAS, bind=tiny)
    start, end = day_bounds(day, "Europe/Berlin")
    out = load_beliefs("pv-1", start, end, bind=tiny)
    assert len(out) == steps
    assert out["event_start"].is_unique


def test_belief_filters(tiny):
    # three beliefs about the same hour: a 24 h forecast, a 1 h forecast, a measurement
    base = frame(periods=4)
    for h, v in (("24h", 1.0), ("1h", 2.0), ("0h", 3.0)):
        save_beliefs(base.assign(belief_horizon=pd.Timedelta(h), value=v), source=MEAS, bind=tiny)
    assert len(load_beliefs("pv-1", bind=tiny)) == 12
    recent = load_beliefs("pv-1", most_recent=True, bind=tiny)
    assert len(recent) == 4 and (recent["value"] == 3.0).all()
    at_least_6h = load_beliefs("pv-1", most_recent=True, min_horizon="6h", bind=tiny)
    assert (at_least_6h["value"] == 1.0).all()
    # known before the first event's end minus 30 min: only the 24 h forecasts and, for
    # none of the events, the 1 h forecast (belief time = end - 1 h)
    t0 = base["event_start"].iloc[0]
    kb = load_beliefs("pv-1", most_recent=True, known_before=t0 + pd.Timedelta("15min") - pd.Timedelta("1h"), bind=tiny)
    assert len(kb) == 4 and (kb["value"] == 2.0).sum() == 1 and (kb["value"] == 1.0).sum() == 3


def test_resample_power_mean_and_upsample(tiny):
    save_beliefs(frame(periods=8, values=np.array([0, 4, 4, 4, 1, 1, 1, 1.0])), source=MEAS, bind=tiny)
    hourly = load_beliefs("pv-1", resolution="1h", bind=tiny)
    np.testing.assert_allclose(hourly["value"], [3.0, 1.0])
    prices = pd.DataFrame({"sensor": "epex_da", "event_start": pd.date_range("2015-04-12", periods=2, freq="1h", tz="UTC"),
                           "belief_horizon": pd.Timedelta(0), "value": [10.0, -5.0]})
    save_beliefs(prices, source=SourceSpec("smard", "user import"), bind=tiny)
    q = load_beliefs("epex_da", resolution="15min", bind=tiny)
    np.testing.assert_allclose(q["value"], [10.0] * 4 + [-5.0] * 4)


def test_resample_drops_partial_steps(tiny):
    save_beliefs(frame(periods=6), source=MEAS, bind=tiny)
    assert len(load_beliefs("pv-1", resolution="1h", bind=tiny)) == 1


def test_load_series_and_sources(tiny):
    save_beliefs(frame(), source=MEAS, bind=tiny)
    save_beliefs(frame(horizon="24h"), source=SourceSpec("linear", "forecaster", "ols", "1"), bind=tiny)
    with pytest.raises(BeliefError, match="several sources"):
        load_series("pv-1", bind=tiny)
    s = load_series("pv-1", source_types=["forecaster"], bind=tiny)
    assert len(s) == 8 and s.index.tz is not None
    with pytest.raises(BeliefError, match="naive"):
        load_beliefs("pv-1", start="2015-04-12", bind=tiny)
    with pytest.raises(BeliefError, match="Unknown sensor"):
        load_beliefs("nope", bind=tiny)


def test_belief_time_column(tiny):
    df = frame(periods=2).drop(columns="belief_horizon")
    df["belief_time"] = pd.Timestamp("2015-04-11 12:00", tz="Europe/Berlin")
    save_beliefs(df, source=MEAS, bind=tiny)
    out = load_beliefs("pv-1", bind=tiny)
    # event 00:00-00:15 local, belief at 12:00 the day before: 12 h 15 min ahead of the end
    assert out["belief_horizon"].iloc[0] == pd.Timedelta("12h15min")
