"""`bvp db populate --year 2018` on the real PostgreSQL: small set, system sensors and their
forecasts as beliefs known before gate closure, the bidding-zone switch, one data set per database."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bvp_lib.beliefs import load_beliefs
from bvp_lib.data.populate import bundle_dir, populate

TZ = "Europe/Berlin"
SYSTEM = ["de_load_proxy", "de_wind", "de_solar", "de_residual_load"]


def counts(engine) -> dict:
    with engine.connect() as c:
        return {t: c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("assets", "sensors", "timed_beliefs", "charging_sessions")}


def test_small_2018_loads_idempotently(db):
    out = populate(structure=True, data=True, small=True, year=2018, bind=db, progress=False)
    c = counts(db)
    assert c["assets"] == 4 and c["sensors"] == 4 + 1 + 4 + 9
    # 3 power series x 4 days x 96 quarter-hours, 4 x 24 prices, 9 weather and 4 system sensors x 96 hours,
    # 4 system forecasts x 96 hours (29 April - 2 May 2018 have no DST change)
    assert c["timed_beliefs"] == 3 * 4 * 96 + 4 * 24 + 9 * 96 + 4 * 96 + 4 * 96
    assert out["system_forecasts"] == 4 * 96
    populate(structure=True, data=True, small=True, year=2018, bind=db, progress=False)
    assert counts(db) == c
    with db.connect() as conn:
        rows = conn.execute(sa.text("SELECT s.name, s.quantity, s.unit, m.name FROM sensors s JOIN markets m "
                                    "ON m.id = s.market_id ORDER BY s.name")).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [("de_load_proxy", "power", "MW", "epex_da"), ("de_residual_load", "power", "MW", "epex_da"),
                                        ("de_solar", "power", "MW", "epex_da"), ("de_wind", "power", "MW", "epex_da"),
                                        ("epex_da", "price", "EUR/MWh", "epex_da")]  # fmt: skip
    p = load_beliefs("epex_da", bind=db)["value"]
    assert p.min() == pytest.approx(-58.96) and (p < 0).sum() >= 18


def test_system_forecasts_are_known_before_gate_closure(db):
    populate(structure=True, data=True, small=True, year=2018, bind=db, progress=False)
    fc = load_beliefs(SYSTEM, source_types=["forecaster"], bind=db)
    assert len(fc) == 4 * 96 and set(fc["source"]) == {"system day-ahead forecast"}
    belief_time = fc["event_start"] + pd.Timedelta("1h") - fc["belief_horizon"]
    day = fc["event_start"].dt.tz_convert(TZ).dt.tz_localize(None).dt.normalize()
    gate = (day - pd.Timedelta("1D") + pd.Timedelta("12h")).dt.tz_localize(TZ)
    assert (belief_time <= gate).all() and (belief_time.dt.tz_convert(TZ).dt.hour == 9).all()
    assert fc["belief_horizon"].min() == pd.Timedelta("16h") and fc["belief_horizon"].max() == pd.Timedelta("39h")
    # measurements: known one hour after the hour ended
    m = load_beliefs(SYSTEM, source_types=["measurement"], bind=db)
    assert len(m) == 4 * 96 and (m["belief_horizon"] == pd.Timedelta("-1h")).all()
    # at gate closure on 30 April a price forecaster sees every fundamental's forecast of 1 May, no measurement of it
    gc = pd.Timestamp("2018-04-30 12:00", tz=TZ)
    may1 = pd.Timestamp("2018-05-01", tz=TZ), pd.Timestamp("2018-05-02", tz=TZ)
    seen = load_beliefs(SYSTEM, *may1, known_before=gc, bind=db)
    assert len(seen) == 4 * 24 and set(seen["source"]) == {"system day-ahead forecast"}
    seen_measured = load_beliefs(SYSTEM, None, may1[0], known_before=gc, source_types=["measurement"], bind=db)
    assert seen_measured["event_start"].max() + pd.Timedelta("2h") <= gc  # the hour ending 11:00 local is the last


def test_zone_switch_in_the_database_has_no_gap_and_no_duplicate(db):
    populate(structure=True, data=True, year=2018, asset=["battery-havel-01"], start="2018-09-30", end="2018-10-01",
             bind=db, progress=False)  # fmt: skip
    p = load_beliefs("epex_da", bind=db)
    assert len(p) == 48 and p["event_start"].is_unique and (np.diff(p["event_start"].astype("int64")) == 3_600 * 10**9).all()
    local = p["event_start"].dt.tz_convert(TZ)
    assert local.iloc[0] == pd.Timestamp("2018-09-30 00:00", tz=TZ) and local.iloc[-1] == pd.Timestamp("2018-10-01 23:00", tz=TZ)
    raw = pd.read_csv(bundle_dir(2018) / "prices_epex_da.csv")
    raw.index = pd.to_datetime(raw.pop("event_start"), utc=True)
    np.testing.assert_array_equal(p["value"].to_numpy(), raw["price_eur_per_mwh"].reindex(p["event_start"]).to_numpy())


def test_one_bundled_year_per_database(db):
    populate(structure=True, data=True, small=True, year=2018, bind=db, progress=False)
    before = counts(db)
    with pytest.raises(ValueError, match="holds the bundled 2018 data set.*BVP_DATABASE_NAME"):
        populate(structure=True, data=True, small=True, bind=db, progress=False)  # 2015, the default
    assert counts(db) == before
    with pytest.raises(ValueError, match="No bundled data set for 2017"):
        populate(structure=True, data=True, year=2017, bind=db, progress=False)


def test_2018_is_refused_over_2015(db):
    populate(structure=True, data=True, small=True, bind=db, progress=False)
    populate(structure=True, data=True, small=True, year=2015, bind=db, progress=False)  # the same year again: fine
    before = counts(db)
    with pytest.raises(ValueError, match="holds the bundled 2015 data set.*the 2018 set"):
        populate(structure=True, data=True, small=True, year=2018, bind=db, progress=False)
    assert counts(db) == before


def test_forecast_targets_keep_one_price_per_market(db):
    """System sensors are linked to the market but are not its price: forecasting sees one price target."""
    from bvp_lib.forecasting import targets as store

    populate(structure=True, data=False, small=True, year=2018, bind=db, progress=False)
    targets = store.forecast_targets(bind=db)
    prices = [t for t in targets if t.asset_type == "price"]
    assert [(t.sensor, t.unit) for t in prices] == [("epex_da", "EUR/MWh")]
    assert {t.sensor for t in targets} == {"solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "epex_da"}


def test_cli_populate_2018_small_and_show(db):
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", "db", "populate", "--structure", "--data", "--small",
                        "--year", "2018"], capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "4 assets" in r.stdout and "384 system_forecasts" in r.stdout
    r = subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", "db", "show"], capture_output=True, text=True,
                       env=env, timeout=120)  # fmt: skip
    assert r.returncode == 0 and "de_residual_load" in r.stdout
    assert any(line.startswith("system") and "de_wind" in line for line in r.stdout.splitlines())
    r = subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", "db", "populate", "--structure", "--data", "--small"],
                       capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert r.returncode == 1 and "holds the bundled 2018 data set" in r.stderr and "Traceback" not in r.stderr
