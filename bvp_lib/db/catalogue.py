"""The catalogue: one read of the portfolio's structure, shared by every stage of a run.

What a day's forecasts, schedules and value need to know about the portfolio (its
assets with their flexibility columns and power sensor, the markets and their price
sensors, the weather sensors, the connection points, every sensor's unit and
resolution) is read here in one transaction by :meth:`Catalogue.read`, and handed to
the stages (``catalogue=`` arguments). A day run reads it once; nothing else in bvp_lib
queries the ``assets`` table.

Charging sessions depend on the day and are read with :meth:`Catalogue.sessions`.
:func:`last_complete_day` and :func:`data_period` say which days the stored data covers.

Sign convention of the power columns: MW, production positive, consumption negative.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd
import sqlalchemy as sa

from bvp_lib.db.engine import transaction
from bvp_lib.market.clock import DEFAULT_MARKET, market_clock

#: flexibility columns of ``assets`` (units in the names; see bvp_lib.db.models.Asset)
ASSET_COLUMNS = [
    "capacity_mw", "energy_capacity_mwh", "min_soc_mwh", "max_soc_mwh", "soc_at_start_mwh", "max_charge_mw",
    "max_discharge_mw", "charging_efficiency", "discharging_efficiency", "self_discharge_per_hour",
    "shiftable_share", "shift_window_hours", "curtailable",
]  # fmt: skip

_ASSETS_SQL = (
    "SELECT a.id, a.name, a.display_name, a.asset_type_name AS type, t.is_storage, o.name AS owner, "
    "cp.name AS connection_point, m.name AS market, a.latitude, a.longitude, "
    + ", ".join(f"a.{c}" for c in ASSET_COLUMNS)
    + ", a.attributes, ps.name AS sensor, ps.unit AS sensor_unit, "
    "extract(epoch FROM ps.event_resolution) AS sensor_res_s "
    "FROM assets a JOIN asset_types t ON t.name = a.asset_type_name JOIN owners o ON o.id = a.owner_id "
    "LEFT JOIN connection_points cp ON cp.id = a.connection_point_id LEFT JOIN markets m ON m.id = a.market_id "
    "LEFT JOIN LATERAL (SELECT s.name, s.unit, s.event_resolution FROM sensors s WHERE s.asset_id = a.id "
    " AND s.quantity = 'power' ORDER BY (s.name = a.name) DESC, s.id LIMIT 1) ps ON true "
    "ORDER BY a.name"
)
_SENSORS_SQL = (
    "SELECT s.id, s.name, s.quantity, s.unit, extract(epoch FROM s.event_resolution) AS res_s, "
    "CASE WHEN s.asset_id IS NOT NULL THEN 'asset' WHEN s.market_id IS NOT NULL AND s.quantity = 'price' THEN 'market' "
    "WHEN s.market_id IS NOT NULL THEN 'system' WHEN s.weather_sensor_id IS NOT NULL THEN 'weather' "
    "ELSE 'other' END AS kind, s.asset_id, m.name AS market, m.timezone AS market_timezone, "
    "w.name AS weather_sensor, w.weather_sensor_type_name AS weather_type, w.latitude, w.longitude "
    "FROM sensors s LEFT JOIN markets m ON m.id = s.market_id "
    "LEFT JOIN weather_sensors w ON w.id = s.weather_sensor_id ORDER BY s.name"
)
_POINTS_SQL = "SELECT name, import_capacity_mw, export_capacity_mw FROM connection_points ORDER BY name"
SESSION_COLUMNS = ["asset_id", "session_key", "arrival", "departure", "energy_mwh", "max_power_mw",
                   "battery_capacity_mwh", "soc_at_arrival_mwh"]  # fmt: skip


class CatalogueError(ValueError):
    """A name the catalogue does not hold, or a portfolio the stages cannot use."""


def did_you_mean(name: str, known: Iterable[str], n: int = 3) -> str:
    """`` Did you mean 'x'?`` for the closest of ``known`` (difflib), or ``""``."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=n, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def unknown_names(kind: str, names: Sequence[str], known: Sequence[str], hint: str) -> str:
    """A message for names that are not known: each with its "did you mean", then what is known."""
    parts = []
    for n in names:
        dym = did_you_mean(n, known).strip()
        parts.append(f"{n!r}" + (f" ({dym})" if dym else ""))
    known = list(known)
    shown = ", ".join(known[:20]) + (f" and {len(known) - 20} more" if len(known) > 20 else "")
    return f"unknown {kind} {', '.join(parts)}; the database has {shown or 'none'}{hint}"


@dataclass
class Catalogue:
    """The portfolio's structure, read once (see the module docstring).

    Attributes
    ----------
    assets : pandas.DataFrame
        One row per asset (index = name): ``id``, ``display_name``, ``type``,
        ``is_storage``, ``owner``, ``connection_point``, ``market``, ``latitude``,
        ``longitude`` [deg], the flexibility columns of :data:`ASSET_COLUMNS` (units in
        their names), ``attributes`` (dict), ``sensor`` (its power sensor),
        ``sensor_unit``, ``sensor_res_s`` [s].
    sensors : pandas.DataFrame
        Every sensor (index = name): ``id``, ``quantity``, ``unit``, ``resolution``
        (Timedelta), ``kind`` (asset, market, weather), ``asset``, ``asset_type``,
        ``market``, ``market_timezone``, ``weather_sensor``, ``weather_type``,
        ``latitude``, ``longitude``.
    connection_points : pandas.DataFrame
        Index = name: ``import_capacity_mw``, ``export_capacity_mw`` [MW].
    """

    assets: pd.DataFrame
    sensors: pd.DataFrame
    connection_points: pd.DataFrame
    #: catalogue reads in this process (a day run reads one)
    reads: ClassVar[int] = 0

    # -----------------------------------------------------------------------------------
    # reading

    @classmethod
    def read(cls, bind=None) -> Catalogue:
        """Read the structure in one transaction: three queries, one of them on ``assets``."""
        with transaction(bind) as c:
            assets = pd.DataFrame(c.execute(sa.text(_ASSETS_SQL)).mappings().all())
            sensors = pd.DataFrame(c.execute(sa.text(_SENSORS_SQL)).mappings().all())
            points = pd.DataFrame(c.execute(sa.text(_POINTS_SQL)).all(),
                                  columns=["name", "import_capacity_mw", "export_capacity_mw"])  # fmt: skip
        Catalogue.reads += 1
        if assets.empty:
            assets = pd.DataFrame(columns=["id", "name", "display_name", "type", "is_storage", "owner",
                                           "connection_point", "market", "latitude", "longitude", *ASSET_COLUMNS,
                                           "attributes", "sensor", "sensor_unit", "sensor_res_s"])  # fmt: skip
        if sensors.empty:
            sensors = pd.DataFrame(columns=["id", "name", "quantity", "unit", "res_s", "kind", "asset_id", "market",
                                            "market_timezone", "weather_sensor", "weather_type", "latitude",
                                            "longitude"])  # fmt: skip
        by_id = assets.set_index("id")
        sensors["asset"] = sensors["asset_id"].map(by_id["name"]) if len(by_id) else None
        sensors["asset_type"] = sensors["asset_id"].map(by_id["type"]) if len(by_id) else None
        sensors = sensors.drop(columns="asset_id")
        assets = assets.set_index("name")
        assets = assets.astype({c: object for c in assets.columns})
        assets = assets.where(assets.notna(), None)
        sensors = sensors.set_index("name")
        sensors["resolution"] = pd.to_timedelta(sensors.pop("res_s").astype(float), unit="s")
        return cls(assets=assets, sensors=sensors, connection_points=points.set_index("name"))

    # -----------------------------------------------------------------------------------
    # the portfolio

    @property
    def owners(self) -> list[str]:
        return sorted(set(self.assets["owner"]))

    @property
    def markets(self) -> pd.DataFrame:
        """Markets (index = market name): ``sensor`` (its price sensor), ``unit``,
        ``resolution``, ``market_timezone``."""
        m = self.sensors[self.sensors["kind"] == "market"]
        m = m.rename_axis("sensor").reset_index().drop_duplicates("market").set_index("market")
        return m[["sensor", "unit", "resolution", "market_timezone"]]

    @property
    def system(self) -> pd.DataFrame:
        """System fundamentals of the markets (index = sensor name): ``market``, ``unit``,
        ``resolution`` (national load, wind, solar, residual load [MW] in the 2018 set)."""
        return self.sensors[self.sensors["kind"] == "system"][["market", "quantity", "unit", "resolution"]]

    @property
    def weather(self) -> pd.DataFrame:
        """Weather sensors (index = sensor name): ``type``, ``latitude``, ``longitude`` [deg]."""
        w = self.sensors[self.sensors["kind"] == "weather"]
        return w[["weather_type", "latitude", "longitude"]].rename(columns={"weather_type": "type"})

    def require_assets(self) -> None:
        if self.assets.empty:
            raise CatalogueError(
                "the database holds no assets: load them first (`bvp db populate --structure --data`, "
                "`bvp db populate --small`, or `bvp data import assets`)."
            )

    def select(self, assets: Sequence[str] | None = None, owner: str | None = None) -> list[str]:
        """Asset names: ``assets`` (all when None), of ``owner`` when given, in that order.

        Raises
        ------
        CatalogueError
            No assets stored, an empty selection, unknown asset or owner names (with
            "did you mean").
        """
        self.require_assets()
        known = list(self.assets.index)
        if assets is not None:
            chosen = list(dict.fromkeys(str(a).strip() for a in assets if str(a).strip()))
            if not chosen:
                raise CatalogueError("no assets to schedule (an empty asset list was given)")
            unknown = [a for a in chosen if a not in self.assets.index]
            if unknown:
                raise CatalogueError(unknown_names("asset(s)", unknown, known, "; `bvp db show` lists them."))
        else:
            chosen = known
        if owner:
            if owner not in set(self.assets["owner"]):
                raise CatalogueError(unknown_names("owner", [owner], self.owners, "."))
            chosen = [a for a in chosen if self.assets.at[a, "owner"] == owner]
        return chosen

    def rows(self, assets: Sequence[str] | None = None) -> pd.DataFrame:
        """The asset rows of :meth:`select` (a copy)."""
        return self.assets.loc[self.select(assets)].copy()

    def asset_type_of(self, sensor: str, price_type: str = "price") -> str | None:
        """The asset type of a sensor's asset; ``price_type`` for a market's price sensor."""
        if sensor not in self.sensors.index:
            return None
        r = self.sensors.loc[sensor]
        if r["kind"] == "market":
            return price_type
        return r["asset_type"]

    def price_sensor(self, assets: Sequence[str] | None = None) -> str:
        """The price sensor of the assets' market (default :data:`bvp_lib.market.clock.DEFAULT_MARKET`).

        Raises
        ------
        CatalogueError
            The assets trade on several markets.
        """
        rows = self.assets.loc[list(assets)] if assets is not None else self.assets
        markets = sorted({m for m in rows["market"] if m is not None})
        if len(markets) > 1:
            raise CatalogueError(
                f"the assets trade on several markets ({', '.join(markets)}); schedule them one market at a time"
            )
        name = markets[0] if markets else market_clock().market or DEFAULT_MARKET
        known = self.markets
        return str(known.at[name, "sensor"]) if name in known.index else name

    def resolution(self, sensor: str, default: str = "1h") -> pd.Timedelta:
        """The event resolution of a sensor (``default`` for a sensor not stored)."""
        if sensor in self.sensors.index:
            return pd.Timedelta(self.sensors.at[sensor, "resolution"])
        return pd.Timedelta(default)

    def check_clock(self) -> None:
        """Every stored market's timezone is the market clock's.

        Raises
        ------
        CatalogueError
            Naming the market, both timezones and what to do.
        """
        tz = market_clock().timezone
        for name, stored in self.markets["market_timezone"].items():
            if stored and stored != tz:
                raise CatalogueError(
                    f"market {name!r} is stored with the timezone {stored}, but the market clock says {tz} "
                    f"(BVP_TIMEZONE): set BVP_TIMEZONE={stored}, or reload the structure for {tz}."
                )

    # -----------------------------------------------------------------------------------
    # per day

    def sessions(self, assets: Sequence[str], start: pd.Timestamp, end: pd.Timestamp, *, bind=None,
                 known_before: pd.Timestamp | None = None) -> pd.DataFrame:  # fmt: skip
        """Charging sessions of the stations ``assets`` plugged in during ``[start, end)``
        (arrival < end and departure > start), columns :data:`SESSION_COLUMNS` plus ``asset``.

        ``known_before``: only the sessions known then, i.e. ended (departure <= it)."""
        ids = {int(self.assets.at[a, "id"]): a for a in assets}
        if not ids:
            return pd.DataFrame(columns=[*SESSION_COLUMNS, "asset"])
        known = "" if known_before is None else "AND departure <= :known "
        args = {"ids": list(ids), "start": start.to_pydatetime(), "end": end.to_pydatetime()}
        if known_before is not None:
            args["known"] = known_before.to_pydatetime()
        with transaction(bind) as c:
            rows = c.execute(
                sa.text(
                    f"SELECT {', '.join(SESSION_COLUMNS)} FROM charging_sessions WHERE asset_id = ANY(:ids) "
                    f"AND arrival < :end AND departure > :start {known}ORDER BY asset_id, arrival, session_key"
                ),
                args,
            ).all()
        df = pd.DataFrame(rows, columns=SESSION_COLUMNS)
        for col in ("arrival", "departure"):
            df[col] = pd.to_datetime(df[col], utc=True)
        df["asset"] = df["asset_id"].map(ids)
        return df

    def first_arrivals(self, assets: Sequence[str], *, known_before: pd.Timestamp, bind=None) -> dict[str, pd.Timestamp]:
        """The first arrival (UTC) of each station's sessions known at ``known_before``
        (ended by then); stations without one are left out."""
        ids = {int(self.assets.at[a, "id"]): a for a in assets}
        if not ids:
            return {}
        with transaction(bind) as c:
            rows = c.execute(
                sa.text("SELECT asset_id, min(arrival) FROM charging_sessions WHERE asset_id = ANY(:ids) "
                        "AND departure <= :known GROUP BY asset_id"),
                {"ids": list(ids), "known": known_before.to_pydatetime()},
            ).all()  # fmt: skip
        return {ids[int(i)]: pd.Timestamp(t).tz_convert("UTC") for i, t in rows if t is not None}


def catalogue(bind=None, catalogue: Catalogue | None = None) -> Catalogue:
    """``catalogue`` when a caller has one, else a new read."""
    return catalogue if catalogue is not None else Catalogue.read(bind)


def _data_ends(c) -> list:
    return c.execute(sa.text(
        "SELECT s.name, min(b.event_start) AS first_start, max(b.event_start + s.event_resolution) AS last_end "
        "FROM sensors s JOIN timed_beliefs b ON b.sensor_id = s.id JOIN data_sources d ON d.id = b.source_id "
        "WHERE (s.asset_id IS NOT NULL OR s.market_id IS NOT NULL) AND d.type <> 'scheduler' AND d.type <> 'forecaster' "
        "GROUP BY s.name")).all()  # fmt: skip


def data_period(bind=None, tz: str | None = None) -> tuple[dt.date, dt.date] | None:
    """The first and last local day for which the price and every asset series with data
    are complete (None when nothing is stored)."""
    tz = tz or market_clock().timezone
    with transaction(bind) as c:
        rows = _data_ends(c)
    if not rows:
        return None
    start = max(pd.Timestamp(r.first_start) for r in rows).tz_convert(tz)
    end = min(pd.Timestamp(r.last_end) for r in rows).tz_convert(tz)
    first = start.date() if start == start.normalize() else start.date() + dt.timedelta(days=1)
    # data ending at local midnight of day X, or during day X, completes day X - 1 last
    return first, end.date() - dt.timedelta(days=1)


def last_complete_day(bind=None, tz: str | None = None) -> dt.date:
    """The last local day for which the day-ahead price and every asset series with data
    are complete (their last stored step ends at or after that day's end)."""
    period = data_period(bind, tz)
    if period is None:
        raise ValueError("The database holds no asset or price data: run `bvp db populate --structure --data` first.")
    return period[1]
