"""`bvp db populate` on the bundled data set: subsets, idempotency, horizons, and `bvp db show`."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import sqlalchemy as sa

from bvp_lib.beliefs import load_beliefs
from bvp_lib.data.importers import import_series, read_smard_prices
from bvp_lib.data.populate import populate
from bvp_lib.data.structure import StructureError, load_structure


def counts(engine) -> dict:
    with engine.connect() as c:
        return {t: c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("assets", "sensors", "timed_beliefs", "charging_sessions")}


def test_small_loads_four_assets_four_days_idempotently(db):
    out = populate(structure=True, data=True, small=True, bind=db, progress=False)
    c = counts(db)
    assert c["assets"] == 4 and out["assets"] == 4
    with db.connect() as conn:
        types = set(conn.execute(sa.text("SELECT asset_type_name FROM assets")).scalars())
    assert types == {"solar", "wind", "building", "battery"}
    # 3 power series x 4 local days x 96 quarter-hours, 4 x 24 prices, 9 weather sensors x 96 hours
    assert c["timed_beliefs"] == 3 * 4 * 96 + 4 * 24 + 9 * 96
    populate(structure=True, data=True, small=True, bind=db, progress=False)
    assert counts(db) == c


def test_prices_are_known_at_13h_the_day_before(db):
    populate(structure=True, data=True, small=True, bind=db, progress=False)
    p = load_beliefs("epex_da", bind=db)
    first = p.iloc[0]
    # the hour 00:00-01:00 local on 11 April was known at 13:00 local on 10 April: 12 h before it ended
    assert first["event_start"] == pd.Timestamp("2015-04-10 22:00", tz="UTC")
    assert first["belief_horizon"] == pd.Timedelta("12h")
    gate_closure = pd.Timestamp("2015-04-11 12:00", tz="Europe/Berlin")
    seen = load_beliefs("epex_da", known_before=gate_closure, bind=db)
    assert seen["event_start"].max() < pd.Timestamp("2015-04-12", tz="Europe/Berlin")
    assert p["value"].min() == pytest.approx(-79.94)


def test_structure_only_and_filters(db):
    populate(structure=True, data=False, asset_type=["wind"], bind=db, progress=False)
    c = counts(db)
    assert c["timed_beliefs"] == 0 and c["assets"] == 5
    populate(structure=True, data=True, asset=["wind-flaeming-01"], start="2015-10-25", end="2015-10-25",
             bind=db, progress=False)
    w = load_beliefs("wind-flaeming-01", bind=db)
    assert len(w) == 100  # the 25-hour day


def test_sessions_loaded_for_stations(db):
    populate(structure=True, data=True, asset_type=["charging_station"], start="2015-06-01", end="2015-06-07",
             bind=db, progress=False)
    c = counts(db)
    assert c["charging_sessions"] > 0
    with db.connect() as conn:
        bad = conn.execute(sa.text(
            "SELECT count(*) FROM charging_sessions WHERE energy_mwh > max_power_mw * "
            "extract(epoch FROM departure - arrival) / 3600")).scalar()
    assert bad == 0


def test_bad_filters_named(db):
    with pytest.raises(ValueError, match="Unknown asset type.*'tidal'"):
        populate(structure=True, data=True, asset_type=["tidal"], bind=db, progress=False)
    with pytest.raises(ValueError, match="Unknown asset.*'nope'"):
        populate(structure=True, data=True, asset=["nope"], bind=db, progress=False)
    with pytest.raises(ValueError, match="after --to"):
        populate(structure=True, data=True, start="2015-05-02", end="2015-05-01", bind=db, progress=False)
    with pytest.raises(ValueError, match="select no day of the 2015 data set, which covers 2015-01-01 to 2015-12-31"):
        populate(structure=True, data=True, start="2016-03-01", end="2016-03-02", bind=db, progress=False)
    with pytest.raises(ValueError, match="--structure first"):
        populate(structure=False, data=True, small=True, bind=db, progress=False)
    assert counts(db)["timed_beliefs"] == 0


def test_structure_errors_named(db):
    spec = {"owners": [{"name": "o"}], "assets": [
        {"name": "a", "type": "solar", "owner": "ghost", "capacity_mw": 1, "latitude": 52, "longitude": 9}]}
    with pytest.raises(StructureError, match="asset 'a': owner 'ghost'"):
        load_structure(spec, bind=db)
    spec["assets"][0]["owner"] = "o"
    spec["assets"][0]["capacity_mw"] = -1
    with pytest.raises(StructureError, match="capacity_mw -1.0 is negative"):
        load_structure(spec, bind=db)
    assert counts(db)["assets"] == 0


def test_smard_import_of_the_bundled_file(db, tmp_path):
    populate(structure=True, data=False, small=True, bind=db, progress=False)
    from bvp_lib.config import get_settings

    s = read_smard_prices(get_settings().root / "data" / "raw" / "smard" / "Day-ahead_prices_2015.csv")
    assert len(s) == 8664 and s.isna().sum() == 0
    rep = import_series(s, "epex_da", allow_gaps=False, dry_run=True, bind=db)
    assert rep.rows == 8664 and rep.minimum == pytest.approx(-79.94)


def test_cli_populate_and_show(db):
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", "db", "populate", "--structure", "--data", "--small"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "4 assets" in r.stdout
    r = subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", "db", "show"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0 and "battery-havel-01" in r.stdout and "epex_da" in r.stdout
    r = subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", "db", "populate"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 1 and "--structure" in r.stderr
