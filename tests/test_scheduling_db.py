"""Scheduling a day from the database (bvp_lib.scheduling.store) and ``bvp schedule``.

Real PostgreSQL (the ``db`` fixture), real solvers, the bundled data set's small subset
(solar-havel-01, wind-flaeming-01, building-havel-rathaus-01, battery-havel-01;
11–14 April 2015). Power in MW, production positive, consumption negative.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bvp_lib.beliefs import SourceSpec, load_beliefs, save_beliefs
from bvp_lib.data.populate import populate
from bvp_lib.scheduling import InfeasibleScheduleError, SchedulingInputError
from bvp_lib.scheduling.store import PERFECT_SOURCE, SCHEDULER_SOURCE, schedule_day
from bvp_lib.scheduling.ev import clip_sessions
from bvp_lib.market.clock import gate_closure_of as gate_closure
from bvp_lib.scheduling.inputs import portfolio_from_db
from bvp_lib.timing import day_bounds, day_index

DAY = "2015-04-12"
SMALL = ["solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "battery-havel-01"]
SERIES = ["solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01"]


@pytest.fixture
def small(db):
    populate(structure=True, data=True, small=True, bind=db, progress=False)
    return db


def scheduler_rows(engine) -> pd.DataFrame:
    """Stored schedule beliefs with their source."""
    with engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT s.name AS sensor, b.event_start, b.belief_horizon, b.value, d.name AS source, d.model, "
                "d.version FROM timed_beliefs b JOIN sensors s ON s.id = b.sensor_id "
                "JOIN data_sources d ON d.id = b.source_id WHERE d.type = 'scheduler' ORDER BY 1, 2"
            )
        ).mappings().all()
    return pd.DataFrame(rows, columns=["sensor", "event_start", "belief_horizon", "value", "source", "model", "version"])


def store_forecasts(engine, *, source: str = "test forecaster", known_at: pd.Timestamp | None = None,
                    scale: float = 1.0) -> None:  # fmt: skip
    """Copy the day's measurements and prices as day-ahead forecasts known at ``known_at`` (default gate closure)."""
    start, end = day_bounds(DAY)
    bt = known_at if known_at is not None else gate_closure(DAY)
    act = load_beliefs(SERIES + ["epex_da"], start, end, source_types=["measurement"], most_recent=True, bind=engine)
    res = np.where(act["sensor"] == "epex_da", pd.Timedelta("1h"), pd.Timedelta("15min"))
    df = pd.DataFrame({
        "sensor": act["sensor"], "event_start": act["event_start"],
        "belief_horizon": act["event_start"] + pd.to_timedelta(res) - bt, "value": act["value"] * scale,
    })  # fmt: skip
    save_beliefs(df, source=SourceSpec(source, "forecaster"), bind=engine)


# --------------------------------------------------------------------------- perfect foresight


def test_perfect_foresight_small_day_is_stored(small):
    """12 April 2015 has negative prices (−79.94 EUR/MWh at 14:00 local): the solar park
    and the wind turbine are curtailed then and the battery charges."""
    ds = schedule_day(DAY, mode="perfect", solver="cbc", bind=small)
    r = ds.result
    assert r.status == "optimal" and len(r.schedule) == 96
    assert list(r.schedule.columns) == sorted(SMALL)  # all assets, by name
    neg = ds.prices < 0
    assert neg.any() and ds.prices.min() == pytest.approx(-79.94)
    # hourly prices repeated on quarter-hours
    assert (ds.prices.to_numpy().reshape(-1, 4) == ds.prices.to_numpy()[::4, None]).all()
    # curtailment: below the measured production exactly when the price is negative
    solar, base = r.schedule["solar-havel-01"], r.baseline["solar-havel-01"]
    assert (solar[neg & (base > 0)] < 1e-6).all()
    assert np.allclose(solar[~neg], base[~neg], atol=1e-6)
    # the battery charges (negative power) at the day's lowest price
    low = ds.prices.idxmin()
    assert r.schedule.loc[low, "battery-havel-01"] == pytest.approx(-5.0)
    assert r.soc["battery-havel-01"].iloc[-1] >= r.soc["battery-havel-01"].iloc[0] - 1e-6
    assert r.value > 0
    # the summary: baseline vs schedule energy, action energy, value; totals
    s = ds.summary()
    assert list(s.index) == sorted(SMALL) + ["total"]
    assert s.loc["total", "value_eur"] == pytest.approx(r.value, abs=1e-6)
    assert s.loc["solar-havel-01", "action_mwh"] > 1.0
    # info for valuation
    assert ds.info.loc["battery-havel-01", ["capacity_mwh", "charge_efficiency", "soc_start_mwh"]].tolist() == [
        10.0, 0.95, 5.0]  # fmt: skip
    assert ds.info.loc["solar-havel-01", "connection_point"] == "cp-havelland-20kv"
    assert ds.storage().loc["battery-havel-01", "soc_start"] == pytest.approx(5.0)
    # stored: 4 assets × 96 quarter-hours, horizon 0, source records solver and version
    import bvp_lib

    rows = scheduler_rows(small)
    assert len(rows) == 4 * 96 == ds.saved_rows
    assert set(rows["source"]) == {PERFECT_SOURCE} and set(rows["model"]) == {"cbc"}
    assert set(rows["version"]) == {bvp_lib.__version__}
    assert (pd.to_timedelta(rows["belief_horizon"]) == pd.Timedelta(0)).all()
    stored = rows[rows["sensor"] == "battery-havel-01"]["value"].to_numpy()
    np.testing.assert_allclose(stored, r.schedule["battery-havel-01"].to_numpy(), atol=1e-9)


def test_rerun_replaces(small):
    """Re-running replaces the stored schedule: same rows, no duplicates."""
    schedule_day(DAY, mode="perfect", solver="highs", bind=small)
    first = scheduler_rows(small)
    again = schedule_day(DAY, mode="perfect", solver="highs", bind=small)
    second = scheduler_rows(small)
    assert len(second) == len(first) == 4 * 96 == again.saved_rows
    pd.testing.assert_frame_equal(first, second)
    # a different solver is a different source: its schedule is stored beside
    schedule_day(DAY, mode="perfect", solver="cbc", bind=small)
    assert scheduler_rows(small).groupby("model").size().to_dict() == {"cbc": 384, "highs": 384}


def test_failed_run_stores_nothing_and_keeps_earlier_schedule(small):
    schedule_day(DAY, mode="perfect", assets=["building-havel-rathaus-01"], solver="highs", bind=small)
    before = scheduler_rows(small)
    assert len(before) == 96
    # bad battery data: refused before the solver runs, naming asset and family
    with pytest.raises(SchedulingInputError, match="battery-havel-01.*SoC at start 20") as e:
        schedule_day(DAY, mode="perfect", soc_start={"battery-havel-01": 20.0}, bind=small)
    assert e.value.asset == "battery-havel-01" and e.value.family == "soc_limits"
    # no grid connection for the building's load: infeasible, naming the connection limit
    with small.begin() as c:
        c.execute(sa.text("UPDATE connection_points SET import_capacity_mw = 0, export_capacity_mw = 0"))
    with pytest.raises(InfeasibleScheduleError) as e:
        schedule_day(DAY, mode="perfect", assets=["building-havel-rathaus-01"], solver="highs", bind=small)
    assert e.value.family == "connection_limit" and e.value.asset == "cp-havelland-20kv"
    pd.testing.assert_frame_equal(scheduler_rows(small), before)


# --------------------------------------------------------------------------- forecast mode


def test_forecast_mode_without_forecasts_names_them(small):
    with pytest.raises(SchedulingInputError, match=r"no day-ahead forecast of 'epex_da' for 2015-04-12 known by gate "
                       r"closure \(2015-04-11 12:00 Europe/Berlin\).*--perfect-foresight"):  # fmt: skip
        schedule_day(DAY, mode="forecast", bind=small)
    # prices forecast, power not
    start, end = day_bounds(DAY)
    act = load_beliefs(["epex_da"], start, end, bind=small)
    save_beliefs(act.assign(belief_horizon=act["event_start"] + pd.Timedelta("1h") - gate_closure(DAY))[
        ["sensor", "event_start", "belief_horizon", "value"]], source=SourceSpec("p", "forecaster"), bind=small)
    with pytest.raises(SchedulingInputError, match="no day-ahead forecast of 'building-havel-rathaus-01'"):
        schedule_day(DAY, mode="forecast", bind=small)
    assert scheduler_rows(small).empty


def test_forecast_mode_uses_what_was_known_at_gate_closure(small):
    # forecasts made after gate closure are not visible
    store_forecasts(small, known_at=gate_closure(DAY) + pd.Timedelta("1h"), source="late forecaster")
    with pytest.raises(SchedulingInputError, match="no day-ahead forecast of 'epex_da'"):
        schedule_day(DAY, mode="forecast", bind=small)
    # forecasts at gate closure: the schedule equals perfect foresight on the same numbers
    store_forecasts(small)
    ds = schedule_day(DAY, mode="forecast", solver="highs", bind=small)
    pf = schedule_day(DAY, mode="perfect", solver="highs", save=False, bind=small)
    assert ds.result.objective == pytest.approx(pf.result.objective, abs=1e-4)
    assert ds.inputs.forecast_source is None and ds.inputs.belief_time == pd.Timestamp("2015-04-11 10:00", tz="UTC")
    rows = scheduler_rows(small)
    assert set(rows["source"]) == {SCHEDULER_SOURCE} and len(rows) == 384
    h = pd.to_timedelta(rows["belief_horizon"])
    # horizon = event end − gate closure (12:00 local on D-1 = 10:00 UTC): 12h15min to 36h
    assert h.min() == pd.Timedelta("12h15min") and h.max() == pd.Timedelta("36h")
    # two forecasters: ambiguous unless one is named
    store_forecasts(small, source="second forecaster", scale=0.9)
    with pytest.raises(SchedulingInputError, match="several models.*second forecaster, test forecaster.*forecast_source="):
        schedule_day(DAY, mode="forecast", bind=small)
    ds2 = schedule_day(DAY, mode="forecast", forecast_source="second forecaster", solver="highs", bind=small)
    np.testing.assert_allclose(ds2.inputs.baseline["solar-havel-01"], 0.9 * ds.inputs.baseline["solar-havel-01"])
    assert len(scheduler_rows(small)) == 384  # replaced, same source


def test_missing_prices_for_part_of_the_day_are_named(small):
    with small.begin() as c:
        c.execute(sa.text(
            "DELETE FROM timed_beliefs WHERE sensor_id = (SELECT id FROM sensors WHERE name = 'epex_da') "
            "AND event_start >= '2015-04-12 10:00+00' AND event_start < '2015-04-12 12:00+00'"
        ))  # fmt: skip
    with pytest.raises(SchedulingInputError, match=r"realised prices for epex_da missing from 2015-04-12 10:00 to 12:00 UTC"):
        schedule_day(DAY, mode="perfect", bind=small)
    assert scheduler_rows(small).empty


def test_missing_measurements_are_named(small):
    with small.begin() as c:
        c.execute(sa.text(
            "DELETE FROM timed_beliefs WHERE sensor_id = (SELECT id FROM sensors WHERE name = 'wind-flaeming-01') "
            "AND event_start = '2015-04-12 03:15+00'"
        ))  # fmt: skip
    with pytest.raises(SchedulingInputError, match=r"measurements for wind-flaeming-01 missing from 2015-04-12 03:15 to 03:30"):
        schedule_day(DAY, mode="perfect", bind=small)


def test_unknown_asset_and_hourly_resolution(small):
    with pytest.raises(SchedulingInputError, match="unknown asset.*nope"):
        schedule_day(DAY, mode="perfect", assets=["nope"], bind=small)
    # hourly schedule: quarter-hour sensors get each hour's power four times
    ds = schedule_day(DAY, mode="perfect", resolution="1h", assets=["solar-havel-01", "battery-havel-01"],
                      solver="highs", bind=small)  # fmt: skip
    assert len(ds.result.schedule) == 24
    rows = scheduler_rows(small)
    assert len(rows) == 2 * 96
    bat = rows[rows["sensor"] == "battery-havel-01"]["value"].to_numpy()
    np.testing.assert_allclose(bat, np.repeat(ds.result.schedule["battery-havel-01"].to_numpy(), 4), atol=1e-9)


# --------------------------------------------------------------------------- DST


@pytest.mark.parametrize("day, steps", [("2015-03-29", 92), ("2015-10-25", 100)])
def test_dst_day(db, day, steps):
    assets = ["solar-havel-01", "building-havel-rathaus-01", "battery-havel-01"]
    populate(structure=True, data=True, asset=assets, start=day, end=day, bind=db, progress=False)
    ds = schedule_day(day, mode="perfect", solver="highs", bind=db)
    assert len(ds.result.schedule) == steps
    assert ds.result.schedule.index.equals(day_index(day))
    assert len(ds.prices) == steps and not ds.prices.isna().any()
    rows = scheduler_rows(db)
    assert rows.groupby("sensor").size().to_dict() == {a: steps for a in assets}


# --------------------------------------------------------------------------- EV sessions


def test_clip_sessions_across_midnight():
    """η = 0.9, P = 0.011 MW. Car A arrived 2 h before the start needing 0.05 MWh: the
    baseline gave it 0.9 × 0.011 × 2 = 0.0198 MWh, 0.0302 MWh remain. Car B leaves 3 h
    after the end, needing 0.05 MWh but only 1 h in the horizon: 0.0099 MWh is required.
    Car C needed 0.01 MWh and got it before the start: dropped (unidirectional)."""
    start, end = pd.Timestamp("2015-04-11 22:00", tz="UTC"), pd.Timestamp("2015-04-12 22:00", tz="UTC")
    s = pd.DataFrame({
        "session_key": ["A", "B", "C", "D"],
        "arrival": pd.to_datetime(["2015-04-11 20:00", "2015-04-12 21:00", "2015-04-11 20:00", "2015-04-12 08:00"], utc=True),
        "departure": pd.to_datetime(["2015-04-12 05:00", "2015-04-13 01:00", "2015-04-12 05:00", "2015-04-12 10:00"], utc=True),
        "energy_mwh": [0.05, 0.05, 0.01, 0.01], "max_power_mw": [0.011] * 4,
        "battery_capacity_mwh": [0.06, 0.06, 0.06, 0.06], "soc_at_arrival_mwh": [0.0, 0.0, 0.02, 0.0],
    })  # fmt: skip
    out = clip_sessions(s, start, end, charge_efficiency=0.9)
    assert list(out.index) == ["A", "B", "D"]
    assert out.loc["A", "arrival"] == start and out.loc["A", "energy"] == pytest.approx(0.05 - 0.0198)
    assert out.loc["A", "soc_at_arrival"] == pytest.approx(0.0198)
    assert out.loc["B", "departure"] == end and out.loc["B", "energy"] == pytest.approx(0.0099)
    assert out.loc["D", "energy"] == 0.01 and out.loc["D", "departure"] == s["departure"][3]
    # bidirectional: a car with its energy in can still discharge and recharge
    assert "C" in clip_sessions(s, start, end, charge_efficiency=0.9, bidirectional=True).index


def test_charging_stations_from_the_database(db):
    stations = ["ev-havel-home-01", "ev-campus-v2g-fleet-01"]
    populate(structure=True, data=True, asset=stations, start="2015-04-11", end="2015-04-12", bind=db, progress=False)
    start, end = day_bounds(DAY)
    idx = day_index(DAY)
    prices = pd.Series(np.where(idx.hour < 12, 20.0, 50.0), index=idx)
    objs, points, info = portfolio_from_db(DAY, baseline=pd.DataFrame(index=idx), prices=prices, bind=db)
    assert [o.name for o in objs] == sorted(stations)
    assert [p.name for p in points] == ["cp-havelland-20kv"] and set(points[0].assets) == set(stations)
    home = next(o for o in objs if o.name == "ev-havel-home-01")
    assert not home.bidirectional and len(home.sessions) == info.loc["ev-havel-home-01", "sessions"] > 0
    assert (home.sessions["arrival"] >= start).all() and (home.sessions["departure"] <= end).all()
    assert "cross midnight" in info.loc["ev-havel-home-01", "note"]
    fleet = next(o for o in objs if o.name == "ev-campus-v2g-fleet-01")
    assert fleet.bidirectional and {"capacity", "soc_at_arrival"} <= set(fleet.sessions.columns)
    ds = schedule_day(DAY, mode="perfect", solver="highs", bind=db)
    sess = ds.result.sessions
    assert len(sess) and (ds.result.schedule["ev-havel-home-01"] <= 1e-9).all()
    # each unidirectional car gets its (clipped) energy: Σ charging × η × Δt = energy
    got = (-sess[sess["station"] == "ev-havel-home-01"].groupby("session")["power"].sum() * 0.25 * home.charge_efficiency)
    np.testing.assert_allclose(got.sort_index(), home.sessions["energy"].sort_index(), atol=1e-6)
    assert ds.saved_rows == 2 * 96


# --------------------------------------------------------------------------- CLI


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)  # fmt: skip


def test_cli_help():
    p = run_cli("schedule", "--help")
    assert p.returncode == 0
    for opt in ("--date", "--assets", "--horizon", "--resolution", "--forecast-source", "--perfect-foresight",
                "--solver", "--time-limit", "--mip-gap"):  # fmt: skip
        assert opt in p.stdout


def test_cli_run(small):
    p = run_cli("schedule", "--date", DAY, "--perfect-foresight", "--solver", "highs")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "battery-havel-01" in out and "total" in out and "value EUR" in out
    assert "solver highs" in out and "optimal" in out and "stored 384 beliefs" in out
    rows = scheduler_rows(small)
    assert len(rows) == 384 and set(rows["model"]) == {"highs"}


def test_cli_refuses_other_horizons_and_names_missing_forecasts(small):
    from typer.testing import CliRunner

    from bvp_lib.cli.main import app

    r = CliRunner().invoke(app, ["schedule", "--date", DAY, "--horizon", "48h"])
    assert r.exit_code == 1 and "--horizon 48h is not supported" in r.output
    r = CliRunner().invoke(app, ["schedule", "--date", DAY])
    assert r.exit_code == 1 and "no day-ahead forecast of 'epex_da'" in r.output


# --------------------------------------------------------------------------- helpers for own constraints


def test_local_steps_follow_the_local_clock():
    from bvp_lib.scheduling.timeseries import local_steps

    idx = day_index("2015-03-29")  # 23 hours: the clock jumps from 02:00 to 03:00
    evening = local_steps(idx, "22:00", "24:00")
    assert evening.sum() == 8 and idx[evening][0] == pd.Timestamp("2015-03-29 20:00", tz="UTC")
    night = local_steps(idx, "22:00", "03:00")  # wraps over midnight; 02:00-03:00 does not exist
    assert night.sum() == 8 + 8
    with pytest.raises(ValueError, match="HH:MM"):
        local_steps(idx, "7pm", "24:00")


def test_own_constraint_on_a_day_problem(small):
    from bvp_lib.scheduling.result import compare
    from bvp_lib.scheduling.inputs import prepare_day
    from bvp_lib.scheduling.timeseries import local_steps

    inputs = prepare_day(DAY, mode="perfect", bind=small)
    free = inputs.build().solve("highs")
    problem = inputs.build()
    charge = problem.var("battery-havel-01", "charge")
    for v in charge[local_steps(charge.index, "22:00", "24:00")]:
        problem.model += v <= 1.0
    capped = problem.solve("highs")
    late = local_steps(capped.schedule.index, "22:00", "24:00")
    assert capped.schedule["battery-havel-01"][late].min() >= -1.0 - 1e-7
    assert free.schedule["battery-havel-01"][late].min() < -1.0
    table = compare({"free": free, "capped": capped})
    assert table.loc["capped", "value_change_eur"] < 0 and table.loc["free", "value_change_eur"] == 0
