"""Small structures for tests (real rows in the real test database)."""

from __future__ import annotations

TINY = {
    "owners": [{"name": "owner-a", "display_name": "Owner A"}],
    "connection_points": [{"name": "cp-1", "import_capacity_mw": 5.0, "export_capacity_mw": 5.0}],
    "market_types": [{"name": "day_ahead", "display_name": "Day-ahead"}],
    "markets": [{"name": "epex_da", "market_type": "day_ahead", "unit": "EUR/MWh",
                 "timezone": "Europe/Berlin", "event_resolution_minutes": 60}],
    "weather_sensor_types": [{"name": "temperature", "unit": "°C"}],
    "weather_sensors": [{"name": "temp-1", "type": "temperature", "latitude": 52.0, "longitude": 9.0}],
    "assets": [
        {"name": "pv-1", "type": "solar", "owner": "owner-a", "market": "epex_da", "connection_point": "cp-1",
         "capacity_mw": 2.0, "latitude": 52.0, "longitude": 9.0, "curtailable": True},
        {"name": "bld-1", "type": "building", "owner": "owner-a", "market": "epex_da", "connection_point": "cp-1",
         "capacity_mw": 1.0, "latitude": 52.0, "longitude": 9.0, "shiftable_share": 0.2, "shift_window_hours": 3},
    ],
}  # fmt: skip


def load_tiny(engine) -> None:
    from bvp_lib.data.structure import load_structure

    load_structure(TINY, bind=engine)


SMALL_ASSETS = ["solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "battery-havel-01"]


def load_small_with_history(engine) -> None:
    """The --small set (11-14 April 2015) plus its assets' data from 1 March: enough
    history for a 30-day training window."""
    from bvp_lib.data.populate import populate

    populate(structure=True, data=True, small=True, bind=engine, progress=False)
    populate(structure=False, data=True, asset=SMALL_ASSETS, start="2015-03-01", end="2015-04-14", bind=engine,
             progress=False)


LEAK_SECRET = "Pw@leak:42-xyz"  # holds '@' and ':', so each URL form must percent-encode or mask it


def leak_role_urls(engine) -> dict[str, tuple[str, dict]]:
    """A login role with :data:`LEAK_SECRET` on the test server, and one working URL (and
    environment) per way libpq takes a password: user-info, query parameter, PGPASSWORD."""
    from urllib.parse import quote

    import sqlalchemy as sa

    with engine.connect() as c:
        c.execute(sa.text(f"DROP ROLE IF EXISTS bvp_leak; CREATE ROLE bvp_leak LOGIN SUPERUSER PASSWORD '{LEAK_SECRET}'"))
        c.commit()
    host, db = engine.url.query["host"], engine.url.database
    enc = quote(LEAK_SECRET, safe="")
    return {
        "user-info": (f"postgresql://bvp_leak:{enc}@/{db}?host={quote(host, safe='')}", {}),
        "query": (f"postgresql:///{db}?host={quote(host, safe='')}&user=bvp_leak&password={enc}", {}),
        "PGPASSWORD": (f"postgresql:///{db}?host={quote(host, safe='')}&user=bvp_leak", {"PGPASSWORD": LEAK_SECRET}),
    }


def leak_forms() -> list[str]:
    """Every spelling of :data:`LEAK_SECRET` that must appear nowhere."""
    from urllib.parse import quote

    return [LEAK_SECRET, quote(LEAK_SECRET, safe=""), quote(LEAK_SECRET), LEAK_SECRET.split("@")[1]]
