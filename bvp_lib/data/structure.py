"""Load the portfolio's structure (owners, asset types, assets, markets, sensors) from the
``assets.json`` layout into the database, idempotently.

The layout (``data/bundled/assets.json`` is an example)::

    {"owners": [{"name", "display_name"}],
     "asset_types": [{"name", "display_name", "is_consumer", "is_producer", "can_curtail",
                      "can_shift", "is_storage"}],
     "connection_points": [{"name", "import_capacity_mw", "export_capacity_mw"}],
     "market_types": [{"name", "display_name"}],
     "markets": [{"name", "display_name", "market_type", "unit", "timezone", "country",
                  "event_resolution_minutes",
                  "system_sensors": [{"name", "display_name", "quantity", "unit",
                                      "event_resolution_minutes"}]}],   # optional
     "weather_sensor_types": [{"name", "unit"}],
     "weather_sensors": [{"name", "type", "latitude", "longitude", "event_resolution_minutes"}],
     "assets": [{"name", "display_name", "type", "owner", "market", "connection_point",
                 "capacity_mw", "latitude", "longitude", "event_resolution_minutes",
                 <flexibility attributes of bvp_lib.db.models.Asset>, "attributes": {...}}]}

Every asset gets a power sensor with the asset's name (MW, production positive,
consumption negative), every market a price sensor with the market's name (EUR/MWh),
every weather sensor a sensor with its own name. A market's ``system_sensors`` (e.g. the
bidding zone's load, wind, solar and residual load [MW] in the 2018 set) become sensors
linked to that market (``market_id``) with their own name, quantity and unit; the market's
price sensor is the one with quantity ``price``. Re-loading updates changed attributes
and adds what is new; it never deletes (so stored beliefs stay).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from bvp_lib.db import models as m
from bvp_lib.market.clock import market_clock

STANDARD_ASSET_TYPES = [
    dict(name="solar", display_name="Solar park", is_producer=True, can_curtail=True),
    dict(name="wind", display_name="Wind turbine", is_producer=True, can_curtail=True),
    dict(name="charging_station", display_name="EV charging station", is_consumer=True, can_shift=True),
    dict(
        name="bidirectional_charging_station", display_name="Bidirectional EV charging station",
        is_consumer=True, is_producer=True, can_shift=True, is_storage=True,
    ),
    dict(name="battery", display_name="Battery", is_consumer=True, is_producer=True, can_shift=True, is_storage=True),
    dict(name="building", display_name="Building", is_consumer=True, can_shift=True),
]

ASSET_FIELDS = [
    "energy_capacity_mwh", "min_soc_mwh", "max_soc_mwh", "soc_at_start_mwh", "max_charge_mw",
    "max_discharge_mw", "charging_efficiency", "discharging_efficiency", "self_discharge_per_hour",
    "shiftable_share", "shift_window_hours",
]  # fmt: skip


class StructureError(ValueError):
    """The structure file is inconsistent; the message names the entry."""


def read_structure(path: str | Path) -> dict:
    path = Path(path)
    try:
        spec = json.loads(path.read_text())
    except FileNotFoundError:
        raise StructureError(f"{path} does not exist.") from None
    except json.JSONDecodeError as e:
        raise StructureError(f"{path} is not valid JSON: line {e.lineno} column {e.colno}: {e.msg}.") from None
    if not isinstance(spec, dict) or "assets" not in spec:
        raise StructureError(f"{path}: expected an object with an 'assets' list (see bvp_lib.data.structure).")
    return spec


def _upsert(conn: Connection, table, rows: list[dict], key: list[str]) -> None:
    if not rows:
        return
    stmt = insert(table).values(rows)
    update = {c: stmt.excluded[c] for c in rows[0] if c not in key}
    stmt = stmt.on_conflict_do_update(index_elements=key, set_=update) if update else stmt.on_conflict_do_nothing()
    conn.execute(stmt)


def _need(entry: dict, field: str, what: str):
    if field not in entry or entry[field] is None:
        raise StructureError(f"{what} {entry.get('name', '?')!r} lacks {field!r}.")
    return entry[field]


def _minutes(entry: dict, default: int) -> timedelta:
    return timedelta(minutes=int(entry.get("event_resolution_minutes", default)))


def load_structure(
    spec: dict, *, bind: Engine | Connection | None = None, asset_names: list[str] | None = None
) -> dict[str, int]:
    """Upsert the structure in one transaction; return counts per kind.

    ``asset_names`` restricts the assets loaded (``--small``, ``--asset``).
    """
    from bvp_lib.db.engine import transaction

    t = m.Base.metadata.tables
    assets = spec.get("assets", [])
    if asset_names is not None:
        unknown = sorted(set(asset_names) - {a.get("name") for a in assets})
        if unknown:
            raise StructureError(f"Unknown asset(s) {unknown}; the file has {sorted(a['name'] for a in assets)}.")
        assets = [a for a in assets if a["name"] in set(asset_names)]
    names = [a.get("name") for a in spec.get("assets", [])]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise StructureError(f"Asset name(s) {dup} appear more than once; names must be unique.")
    with transaction(bind) as conn:
        types = {d["name"]: d for d in STANDARD_ASSET_TYPES}
        for d in spec.get("asset_types", []):
            types[d["name"]] = {**types.get(d["name"], {}), **d}
        _upsert(conn, t["asset_types"], [
            {"name": d["name"], "display_name": d.get("display_name", ""),
             **{f: bool(d.get(f, False)) for f in ("is_consumer", "is_producer", "can_curtail", "can_shift", "is_storage")}}
            for d in types.values()
        ], ["name"])  # fmt: skip
        _upsert(conn, t["owners"], [
            {"name": _need(o, "name", "owner"), "display_name": o.get("display_name", "")} for o in spec.get("owners", [])
        ], ["name"])  # fmt: skip
        _upsert(conn, t["connection_points"], [
            {"name": c["name"], "import_capacity_mw": float(_need(c, "import_capacity_mw", "connection point")),
             "export_capacity_mw": float(_need(c, "export_capacity_mw", "connection point"))}
            for c in spec.get("connection_points", [])
        ], ["name"])  # fmt: skip
        _upsert(conn, t["market_types"], [
            {"name": d["name"], "display_name": d.get("display_name", "")} for d in spec.get("market_types", [])
        ], ["name"])  # fmt: skip
        _upsert(conn, t["markets"], [
            {"name": d["name"], "display_name": d.get("display_name", ""),
             "market_type_name": _need(d, "market_type", "market"), "unit": d.get("unit", "EUR/MWh"),
             "timezone": d.get("timezone", market_clock().timezone), "country": d.get("country", "DE"),
             "event_resolution": _minutes(d, 60)}
            for d in spec.get("markets", [])
        ], ["name"])  # fmt: skip
        _upsert(conn, t["weather_sensor_types"], [
            {"name": d["name"], "display_name": d.get("display_name", ""), "unit": _need(d, "unit", "weather sensor type")}
            for d in spec.get("weather_sensor_types", [])
        ], ["name"])  # fmt: skip
        _upsert(conn, t["weather_sensors"], [
            {"name": d["name"], "display_name": d.get("display_name", ""),
             "weather_sensor_type_name": _need(d, "type", "weather sensor"),
             "latitude": float(_need(d, "latitude", "weather sensor")),
             "longitude": float(_need(d, "longitude", "weather sensor")),
             "event_resolution": _minutes(d, 60), "attributes": d.get("attributes", {})}
            for d in spec.get("weather_sensors", [])
        ], ["name"])  # fmt: skip

        def ids(table: str) -> dict[str, int]:
            return dict(conn.execute(sa.text(f"SELECT name, id FROM {table}")).all())

        owners, markets, cps = ids("owners"), ids("markets"), ids("connection_points")
        known_types = set(conn.execute(sa.text("SELECT name FROM asset_types")).scalars())
        rows = []
        for a in assets:
            what = f"asset {a.get('name')!r}"
            if a.get("type") not in known_types:
                raise StructureError(f"{what}: type {a.get('type')!r} is not one of {sorted(known_types)}.")
            if a.get("owner") not in owners:
                raise StructureError(f"{what}: owner {a.get('owner')!r} is not in 'owners'.")
            if a.get("market") is not None and a["market"] not in markets:
                raise StructureError(f"{what}: market {a['market']!r} is not in 'markets'.")
            if a.get("connection_point") is not None and a["connection_point"] not in cps:
                raise StructureError(f"{what}: connection point {a['connection_point']!r} is not in 'connection_points'.")
            cap = float(_need(a, "capacity_mw", "asset"))
            if cap < 0:
                raise StructureError(f"{what}: capacity_mw {cap} is negative.")
            rows.append({
                "name": a["name"], "display_name": a.get("display_name", ""), "asset_type_name": a["type"],
                "owner_id": owners[a["owner"]], "market_id": markets.get(a.get("market")),
                "connection_point_id": cps.get(a.get("connection_point")), "capacity_mw": cap,
                "latitude": float(_need(a, "latitude", "asset")), "longitude": float(_need(a, "longitude", "asset")),
                "event_resolution": _minutes(a, 15), "curtailable": bool(a.get("curtailable", False)),
                "attributes": a.get("attributes", {}) or {},
                **{f: (None if a.get(f) is None else float(a[f])) for f in ASSET_FIELDS},
            })  # fmt: skip
        _upsert(conn, t["assets"], rows, ["name"])
        asset_ids = ids("assets")
        ws = dict(conn.execute(sa.text("SELECT name, weather_sensor_type_name FROM weather_sensors")).all())
        units = dict(conn.execute(sa.text("SELECT name, unit FROM weather_sensor_types")).all())
        sensors = [
            {"name": a["name"], "quantity": "power", "unit": "MW", "event_resolution": _minutes(a, 15),
             "asset_id": asset_ids[a["name"]], "market_id": None, "weather_sensor_id": None}
            for a in assets
        ] + [
            {"name": d["name"], "quantity": "price", "unit": d.get("unit", "EUR/MWh"), "event_resolution": _minutes(d, 60),
             "asset_id": None, "market_id": markets[d["name"]], "weather_sensor_id": None}
            for d in spec.get("markets", [])
        ]  # fmt: skip
        for d in spec.get("markets", []):
            for ss in d.get("system_sensors") or []:
                what = f"system sensor {ss.get('name')!r} of market {d['name']!r}"
                quantity, unit = _need(ss, "quantity", "system sensor"), _need(ss, "unit", "system sensor")
                expected = m.SENSOR_QUANTITIES.get(quantity)
                if quantity == "price" or expected is None or expected != unit:
                    raise StructureError(f"{what}: quantity {quantity!r} in {unit!r} is not one of "
                                         f"{ {k: v for k, v in m.SENSOR_QUANTITIES.items() if k != 'price'} }.")
                sensors.append({"name": ss["name"], "quantity": quantity, "unit": unit,
                                "event_resolution": _minutes(ss, 60), "asset_id": None,
                                "market_id": markets[d["name"]], "weather_sensor_id": None})  # fmt: skip
        wids = ids("weather_sensors")
        for d in spec.get("weather_sensors", []):
            sensors.append({
                "name": d["name"], "quantity": ws[d["name"]], "unit": units[ws[d["name"]]],
                "event_resolution": _minutes(d, 60), "asset_id": None, "market_id": None,
                "weather_sensor_id": wids[d["name"]],
            })  # fmt: skip
        names = [x["name"] for x in sensors]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise StructureError(f"Sensor name(s) {dup} are used twice (assets, markets, system and weather sensors "
                                 "share one name space).")
        _upsert(conn, t["sensors"], sensors, ["name"])
        return {
            "owners": len(spec.get("owners", [])),
            "assets": len(assets),
            "markets": len(spec.get("markets", [])),
            "weather_sensors": len(spec.get("weather_sensors", [])),
            "sensors": len(sensors),
        }
