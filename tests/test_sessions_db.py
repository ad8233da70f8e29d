"""EV session forecasts on the real PostgreSQL: what the planned schedule of a station is made
on, the no-look-ahead probe for sessions, the realisation on the real cars, the scores.

One module-wide data set: two stations (a home station and a bidirectional fleet) and the
price, with their sessions and measurements from 15 February to 14 April 2015; the
day-ahead forecasts of 12 April (seasonal naive) stored once. Tests that change sessions do
it in a transaction they roll back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bvp_lib.forecasting import day_ahead
from bvp_lib.forecasting.session_feed import day_ahead_sessions, evaluate_sessions, session_scenarios
from bvp_lib.forecasting.sessions import fit_sessions
from bvp_lib.market.clock import gate_closure_of
from bvp_lib.scheduling import SchedulingInputError
from bvp_lib.scheduling.assets import ChargingStation
from bvp_lib.scheduling.store import schedule_day
from tests.conftest import truncate_all

STATIONS = ["ev-campus-v2g-fleet-01", "ev-havel-home-01"]
DAY = "2015-04-12"
TZ = "Europe/Berlin"


@pytest.fixture(scope="module")
def ev(db_engine):
    from bvp_lib.data.populate import populate

    truncate_all(db_engine)
    populate(structure=True, data=True, asset=STATIONS, start="2015-02-15", end="2015-04-14", bind=db_engine,
             progress=False)  # fmt: skip
    day_ahead.forecast_day_ahead(DAY, assets=STATIONS, models=["seasonal_naive_daily"], bind=db_engine)
    yield db_engine
    truncate_all(db_engine)


def sessions_of(conn) -> pd.DataFrame:
    rows = conn.execute(sa.text(
        "SELECT a.name AS asset, c.session_key, c.arrival, c.departure, c.energy_mwh, c.max_power_mw, "
        "c.battery_capacity_mwh, c.soc_at_arrival_mwh FROM charging_sessions c JOIN assets a ON a.id = c.asset_id"
    )).mappings().all()  # fmt: skip
    df = pd.DataFrame(rows)
    for c in ("arrival", "departure"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return df


def plan(bind, **kw):
    return schedule_day(DAY, mode="forecast", assets=STATIONS, solver="highs", save=False, bind=bind, **kw)


def test_the_planned_schedule_is_made_on_the_sessions_forecast_at_gate_closure(ev):
    b = gate_closure_of(DAY)
    x = day_ahead_sessions(DAY, STATIONS, bind=ev)
    assert x.attrs["belief_time"] == b and set(x["asset"]) == set(STATIONS)
    assert x["arrival"].min() >= pd.Timestamp("2015-04-11", tz=TZ) and x["arrival"].max() < pd.Timestamp("2015-04-13", tz=TZ)
    # the same as the pure model on every stored session (it drops what ended after gate closure itself)
    with ev.connect() as c:
        every = sessions_of(c)
    home = every[every["asset"] == "ev-havel-home-01"]
    m = fit_sessions(home, b, station="ev-havel-home-01", tz=TZ, subdivision="BB", charge_efficiency=0.95)
    mine = x[x["asset"] == "ev-havel-home-01"].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, m.expected_sessions(DAY))
    # the planned schedule uses them; perfect foresight the real sessions
    ds = plan(ev)
    assert ds.inputs.ev_sessions == "forecast" and ds.inputs.sessions["session_key"].str.contains("expected").all()
    pf = schedule_day(DAY, mode="perfect", assets=STATIONS, solver="highs", save=False, bind=ev)
    assert pf.inputs.ev_sessions == "actual" and not pf.inputs.sessions["session_key"].str.contains("expected").any()
    look = plan(ev, ev_sessions="actual")
    pd.testing.assert_frame_equal(look.inputs.sessions, pf.inputs.sessions)


def test_no_look_ahead_for_sessions_changing_or_adding_one_after_gate_closure(ev):
    b = gate_closure_of(DAY).to_pydatetime()
    before = plan(ev)
    with ev.connect() as conn:
        trans = conn.begin()
        # every session that ends after gate closure: half the energy, a quarter-hour longer
        changed = conn.execute(sa.text(
            "UPDATE charging_sessions SET energy_mwh = energy_mwh / 2, departure = departure + interval '15 min' "
            "WHERE departure > :b"), {"b": b}).rowcount  # fmt: skip
        assert changed > 0
        ids = dict(conn.execute(sa.text("SELECT name, id FROM assets")).all())
        new = [("probe-plugged-at-gate-closure", "2015-04-11 09:00", "2015-04-11 12:15"),
               ("probe-on-D", "2015-04-12 10:00", "2015-04-12 16:00"),
               # arrived on a training day (D-3) but still plugged in at gate closure: not known yet
               ("probe-long-stay", "2015-04-09 20:00", "2015-04-11 12:30")]  # fmt: skip
        for key, a, d in new:
            conn.execute(sa.text(
                "INSERT INTO charging_sessions (asset_id, session_key, arrival, departure, energy_mwh, max_power_mw) "
                "VALUES (:i, :k, :a, :d, 0.02, 0.011)"),
                {"i": ids["ev-havel-home-01"], "k": key, "a": pd.Timestamp(a, tz=TZ).to_pydatetime(),
                 "d": pd.Timestamp(d, tz=TZ).to_pydatetime()})  # fmt: skip
        after = plan(conn)
        pd.testing.assert_frame_equal(before.inputs.sessions, after.inputs.sessions)
        pd.testing.assert_frame_equal(before.schedule, after.schedule)
        # ... while what really happened did change (perfect foresight sees it) ...
        pf = schedule_day(DAY, mode="perfect", assets=STATIONS, solver="highs", save=False, bind=conn)
        assert "probe-on-D" in pf.inputs.sessions["session_key"].to_numpy()
        # ... and a change to sessions known at gate closure does move the plan (the probe can fail)
        conn.execute(sa.text("UPDATE charging_sessions SET energy_mwh = energy_mwh / 2 WHERE departure <= :b "
                             "AND arrival > :b - interval '20 days'"), {"b": b})  # fmt: skip
        moved = plan(conn)
        assert not np.allclose(moved.schedule.to_numpy(), before.schedule.to_numpy())
        trans.rollback()


def test_the_realised_power_follows_the_real_cars(ev):
    from bvp_lib.runs.day import run_day

    honest = run_day(DAY, assets=STATIONS, solver="highs", reuse_forecasts=True, save=False, bind=ev)
    look = run_day(DAY, assets=STATIONS, solver="highs", reuse_forecasts=True, save=False, bind=ev,
                   ev_sessions="actual")  # fmt: skip
    pd.testing.assert_frame_equal(look.valuation.realised, look.planned.schedule)  # look-ahead: as planned
    real = {a.name: a for a in honest.perfect.inputs.assets if isinstance(a, ChargingStation)}
    h = 0.25
    home = real["ev-havel-home-01"]
    # every real car of the home station (unidirectional) gets exactly its energy, whatever the plan
    got = -honest.valuation.realised["ev-havel-home-01"].sum() * h * home.charge_efficiency
    assert got == pytest.approx(home.sessions["energy"].sum(), rel=1e-9)
    assert not np.allclose(honest.valuation.realised["ev-havel-home-01"], honest.planned.schedule["ev-havel-home-01"])
    # the perfect-foresight value is the same in both; the planned ones differ
    pv = honest.valuation.assets["perfect_foresight_value_eur"]
    pd.testing.assert_series_equal(pv, look.valuation.assets["perfect_foresight_value_eur"])
    assert not np.allclose(honest.valuation.assets["realised_value_eur"], look.valuation.assets["realised_value_eur"])


def test_scenarios_from_the_database_are_seeded_and_schedulable(ev):
    a = session_scenarios(DAY, STATIONS, 3, seed=1, bind=ev)
    b = session_scenarios(DAY, STATIONS, 3, seed=1, bind=ev)
    assert len(a) == 3 and all(x.equals(y) for x, y in zip(a, b))
    assert set(a[0]["asset"]) <= set(STATIONS) and {"arrival", "departure", "energy_mwh"} <= set(a[0].columns)
    # a scenario is a session table the scheduler takes (cut to the day, one car per charge point)
    from bvp_lib.scheduling import build_problem
    from bvp_lib.scheduling.inputs import build_portfolio, prepare_day

    inputs = prepare_day(DAY, mode="forecast", assets=STATIONS, bind=ev)
    objs, points, info = build_portfolio(DAY, rows=inputs.rows, connection_points=inputs.points_table,
                                         sessions=a[0], baseline=inputs.baseline, prices=inputs.prices)  # fmt: skip

    r = build_problem(objs, inputs.prices, points).solve("highs")
    assert r.status == "optimal" and info["sessions"].sum() > 0


def test_session_scores_and_the_cli(ev):
    s = evaluate_sessions("2015-04-10", "2015-04-12", bind=ev).set_index("station")
    assert list(s.index) == STATIONS and (s["days"] == 3).all() and (s["skipped_days"] == 0).all()
    for c in ("crps_hour_mwh", "crps_day_mwh", "pinball_day_mwh", "reference_crps_day_mwh"):
        assert (s[c] > 0).all() and np.isfinite(s[c]).all()
    assert (s["crps_hour_mwh"] < s["crps_day_mwh"]).all()  # an hour holds less energy than a day
    again = evaluate_sessions("2015-04-10", "2015-04-12", bind=ev).set_index("station")
    pd.testing.assert_frame_equal(s, again)  # seeded
    from bvp_lib.cli.main import app

    r = CliRunner().invoke(app, ["forecast", "evaluate", "--from", DAY, "--to", DAY, "--horizons", "day-ahead",
                                 "--models", "seasonal_naive_daily"])  # fmt: skip
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert "CRPS day kWh" in r.output and "ev-havel-home-01" in r.output
    # the stations' quarter-hour WAPE comes after their session scores, apart from the headline table
    assert lines.index(next(x for x in lines if "session forecasts" in x)) < lines.index(
        next(x for x in lines if "quarter-hour power forecasts" in x))  # fmt: skip


def test_too_little_session_history_is_named(ev):
    with ev.connect() as conn:
        trans = conn.begin()
        day_ahead.forecast_day_ahead("2015-02-20", assets=STATIONS, models=["seasonal_naive_daily"], bind=conn)
        with pytest.raises(SchedulingInputError, match=r"station 'ev-campus-v2g-fleet-01'.*needs 14 days.*has 3 "
                                                       r"\(from 2015-02-16\).*ev_sessions='actual'"):  # fmt: skip
            schedule_day("2015-02-20", mode="forecast", assets=STATIONS, save=False, bind=conn)
        trans.rollback()


def test_ev_sessions_is_a_backtest_parameter():
    from bvp_lib.runs.backtest import BacktestParameterError, _normalise

    assert _normalise({"ev_sessions": "actual"}) == {"ev_sessions": "actual"}
    assert _normalise({}) == {}  # the default, forecast, is not written into the run's parameters
    with pytest.raises(BacktestParameterError, match="ev_sessions must be 'forecast' or 'actual'"):
        _normalise({"ev_sessions": "perfect"})


def test_bvp_schedule_plans_stations_on_forecast_sessions_or_the_real_ones(ev):
    from bvp_lib.cli.main import app

    runner = CliRunner()
    base = ["schedule", "--date", DAY, "--assets", ",".join(STATIONS), "--solver", "highs", "--no-save"]
    honest, look = runner.invoke(app, base), runner.invoke(app, [*base, "--ev-sessions", "actual"])
    assert honest.exit_code == 0 and look.exit_code == 0, honest.output + look.output
    assert honest.output != look.output and "ev-havel-home-01" in honest.output
    bad = runner.invoke(app, [*base, "--ev-sessions", "perfect"])
    assert bad.exit_code == 1 and "ev_sessions must be 'forecast' or 'actual'" in bad.output
