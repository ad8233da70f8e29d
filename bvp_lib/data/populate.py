"""``bvp db populate``: load a bundled data set (or a subset) into the database.

Two data sets are bundled: **2015** (``data/bundled/``, the default) and **2018**
(``data/bundled/2018/``, see :mod:`bvp_lib.data.bundled_2018`); ``year`` picks one. They
share the portfolio's asset names, so one database holds one of them: loading the other
year over it is refused (reset the database or use another one).

``--structure`` loads owners, asset types, connection points, assets, markets and
sensors from ``assets.json``; ``--data`` loads the time series (``timeseries.parquet``,
for 2018 also the system fundamentals' forecasts ``system_forecasts.parquet``) and the EV
charging sessions. ``--small`` picks the small subset named in ``manifest.json`` (one
solar, one wind, one building, one battery; four days) so a first try takes seconds.
Everything is idempotent: re-running changes nothing.

Belief horizons of the bundled series
    Asset power and weather are measurements: known when the step ended (horizon 0).
    Day-ahead prices of day D are published after the auction on D-1; they are stored as
    known at the market clock's price publication on D-1 (``BVP_PRICE_PUBLICATION``,
    13:00 local; :meth:`bvp_lib.market.clock.MarketClock.price_horizons`), so a forecast
    made at gate closure (12:00 on D-1) cannot see them. System fundamentals (2018) are measurements
    known ``known_after_end_minutes`` (60) after the hour ended (horizon -1 h); their
    day-ahead forecasts are known at their issue time, 09:00 local on D-1 (horizon =
    event end - issue time, 16 h to 40 h), source type ``forecaster``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bvp_lib.beliefs import SourceSpec, save_beliefs
from bvp_lib.db.engine import transaction
from bvp_lib.data.structure import load_structure, read_structure
from bvp_lib.market.clock import market_clock, market_timezone
from bvp_lib.timing import as_date, day_bounds

#: bundled data sets: year -> folder under data/bundled ("" = data/bundled itself)
BUNDLED_YEARS = {2015: "", 2018: "2018"}
DEFAULT_YEAR = 2015
SYSTEM_FORECAST_SOURCE = SourceSpec("system day-ahead forecast", "forecaster", "synthetic, issued 09:00 D-1",
                                    "bundled 2018")  # fmt: skip


def bundle_dir(year: int | None = None) -> Path:
    """Folder of the bundled data set of ``year`` (default 2015: ``data/bundled``)."""
    from bvp_lib.config import get_settings

    year = DEFAULT_YEAR if year is None else int(year)
    if year not in BUNDLED_YEARS:
        raise ValueError(f"No bundled data set for {year}; the bundled years are {sorted(BUNDLED_YEARS)}.")
    return get_settings().root / "data" / "bundled" / BUNDLED_YEARS[year]


@dataclass
class Selection:
    """Which assets and period to load."""

    assets: list[str]
    periods: list[tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=list)  # UTC [start, end)

    def mask(self, ts: pd.Series) -> np.ndarray:
        if not self.periods:
            return np.ones(len(ts), dtype=bool)
        m = np.zeros(len(ts), dtype=bool)
        for a, b in self.periods:
            m |= ((ts >= a) & (ts < b)).to_numpy()
        return m


def read_manifest(folder: Path) -> dict:
    p = folder / "manifest.json"
    if not p.exists():
        raise FileNotFoundError(
            f"{p} is missing: the bundled data set is not generated. Run `python -m bvp_lib.data.bundled "
            "[--year 2018]` (or `make data [YEAR=2018]`)."
        )
    return json.loads(p.read_text())


def select(
    spec: dict,
    manifest: dict,
    *,
    small: bool = False,
    start=None,
    end=None,
    asset_type: list[str] | None = None,
    asset: list[str] | None = None,
    tz: str | None = None,
) -> Selection:
    """Resolve the CLI's filters to asset names and UTC periods (local days, inclusive)."""
    tz = market_timezone(tz)
    assets = spec["assets"]
    names = [a["name"] for a in assets]
    if small:
        sm = manifest.get("small") or {}
        names = list(sm.get("assets", []))
        days = list(sm.get("days", []))
        if not names or not days:
            raise ValueError("manifest.json names no small subset ('small': {'assets': [...], 'days': [...]}).")
    if asset_type:
        known = sorted({a["type"] for a in assets})
        bad = sorted(set(asset_type) - set(known))
        if bad:
            raise ValueError(f"Unknown asset type(s) {bad}; the data set has {known}.")
        names = [a["name"] for a in assets if a["type"] in asset_type and a["name"] in names]
    if asset:
        unknown = sorted(set(asset) - {a["name"] for a in assets})
        if unknown:
            raise ValueError(f"Unknown asset(s) {unknown}; see data/bundled/assets.json.")
        names = [n for n in names if n in asset] if (small or asset_type) else list(asset)
    periods = []
    if small and start is None and end is None:
        periods = [day_bounds(d, tz) for d in days]
    elif start is not None or end is not None:
        s = day_bounds(as_date(start), tz)[0] if start is not None else pd.Timestamp.min.tz_localize("UTC")
        e = day_bounds(as_date(end), tz)[1] if end is not None else pd.Timestamp.max.tz_localize("UTC")
        if s >= e:
            raise ValueError(f"--from {start} is after --to {end}.")
        periods = [(s, e)]
    return Selection(names, periods)


def _price_horizon(event_start: pd.Series, resolution: pd.Timedelta, tz: str) -> pd.Series:
    """Horizon of a day-ahead price: event end minus its publication on the day before the
    event's local day (the one rule, also for imported prices: :mod:`bvp_lib.data.known`)."""
    from bvp_lib.data.known import day_ahead_horizon

    return pd.Series(day_ahead_horizon(event_start, resolution, tz), index=event_start.index)


def populate(
    *,
    structure: bool = True,
    data: bool = True,
    small: bool = False,
    start=None,
    end=None,
    asset_type: list[str] | None = None,
    asset: list[str] | None = None,
    folder: Path | None = None,
    year: int | None = None,
    bind=None,
    progress: bool = True,
) -> dict[str, int]:
    """Load a bundled data set; return counts of what was written.

    ``year`` picks the data set (2015, the default, or 2018); ``folder`` overrides its
    folder. The other arguments are the CLI's filters (:func:`select`).
    """
    from tqdm.auto import tqdm

    folder = Path(folder) if folder else bundle_dir(year)
    spec = read_structure(folder / "assets.json")
    manifest = read_manifest(folder)
    default_tz = market_clock().timezone
    market_tz = {m["name"]: m.get("timezone", default_tz) for m in spec.get("markets", [])}
    tz = next(iter(market_tz.values()), default_tz)
    data_year = int(manifest.get("year") or pd.Timestamp(manifest["period"]["start"]).tz_convert(tz).year)
    # (the 2015 manifest names no year: its local year)
    system = {ss["name"]: ss for m in spec.get("markets", []) for ss in (m.get("system_sensors") or [])}
    sel = select(spec, manifest, small=small, start=start, end=end, asset_type=asset_type, asset=asset, tz=tz)
    p0, p1 = (pd.Timestamp(manifest["period"][k]) for k in ("start", "end"))
    if data and sel.periods and not any(s < p1 and e > p0 for s, e in sel.periods):
        last = (p1 - pd.Timedelta("1ns")).tz_convert(tz).date()
        raise ValueError(f"--from/--to select no day of the {data_year} data set, which covers {p0.tz_convert(tz).date()} "
                         f"to {last}: choose days inside it, or another --year.")  # fmt: skip
    counts: dict[str, int] = {}
    with transaction(bind) as conn:
        _check_one_data_set(conn, spec, data_year)
        if structure:
            counts.update(load_structure(spec, bind=conn, asset_names=sel.assets))
        if not data:
            return counts
        stored = set(conn.execute(sa.text("SELECT name FROM sensors")).scalars())
        wanted = set(sel.assets) | set(market_tz) | set(system) | {w["name"] for w in spec.get("weather_sensors", [])}
        missing = sorted(n for n in wanted if n not in stored and n in set(sel.assets))
        if missing:
            raise ValueError(f"Asset(s) {missing} are not in the database: run with --structure first.")
        sensors = sorted(n for n in wanted if n in stored)
        ts = pd.read_parquet(folder / "timeseries.parquet", filters=[("sensor", "in", sensors)])
        ts["event_start"] = pd.to_datetime(ts["event_start"], utc=True)
        ts = ts[sel.mask(ts["event_start"])]
        series_meta = manifest.get("series", {})
        rows = 0
        groups = list(ts.groupby("sensor", sort=True, observed=True))
        for name, g in tqdm(groups, desc="populate", unit="series", disable=not progress):
            meta = series_meta.get(str(name), {})
            if name in market_tz:
                res = pd.Timedelta(minutes=int(meta.get("resolution_minutes", 60)))
                horizon = _price_horizon(g["event_start"], res, market_tz[name])
                src = SourceSpec("SMARD day-ahead prices", "measurement")
            elif name in system:
                horizon = -pd.Timedelta(minutes=int(meta.get("known_after_end_minutes", 0)))
                src = SourceSpec("ENTSO-E actual generation", "measurement")
            else:
                horizon = pd.Timedelta(0)
                kind = meta.get("kind", "asset")
                # short names; the full provenance of each series is in manifest.json and data/README.md
                if data_year == 2015:
                    src = SourceSpec("DWD TRY2010 weather" if kind == "weather" else "bundled 2015 data set", "measurement")
                else:
                    src = SourceSpec(f"bundled {data_year} {'weather' if kind == 'weather' else 'data set'}", "measurement")
            df = pd.DataFrame(
                {"sensor": str(name), "event_start": g["event_start"].to_numpy(), "belief_horizon": horizon,
                 "value": g["value"].to_numpy(float)}
            )
            df["event_start"] = pd.to_datetime(df["event_start"], utc=True)
            rows += save_beliefs(df, source=src, bind=conn)
        forecasts = _load_system_forecasts(conn, folder, sel, sorted(n for n in system if n in stored), system)
        counts["beliefs"] = rows + forecasts
        if system:
            counts["system_forecasts"] = forecasts
        counts["charging_sessions"] = _load_sessions(conn, folder, sel)
    return counts


def _check_one_data_set(conn, spec: dict, year: int) -> None:
    """Refuse to load the bundled ``year`` over another bundled year: they share asset names."""
    names = [a["name"] for a in spec.get("assets", [])]
    rows = conn.execute(sa.text("SELECT name, attributes->>'data_set_year' FROM assets WHERE name = ANY(:n) LIMIT 1000"),
                        {"n": names}).all()  # fmt: skip
    other = [(n, int(y) if y else DEFAULT_YEAR) for n, y in rows if (int(y) if y else DEFAULT_YEAR) != year]
    if other:
        name, held = other[0]
        raise ValueError(
            f"The database holds the bundled {held} data set (asset {name!r}, and {len(other) - 1} more); the {year} "
            f"set uses the same asset names and would mix with it. Load it into an empty database (`bvp db reset "
            f"--yes`), or into another one: BVP_DATABASE_NAME=bvp{year} bvp db upgrade, then populate with that setting."
        )


def _load_system_forecasts(conn, folder: Path, sel: Selection, sensors: list[str], system: dict) -> int:
    """The system fundamentals' day-ahead forecasts, known at their issue time (horizon = event end - issue)."""
    p = folder / "system_forecasts.parquet"
    if not sensors or not p.exists():
        return 0
    fc = pd.read_parquet(p, filters=[("sensor", "in", sensors)])
    for c in ("event_start", "issued_at"):
        fc[c] = pd.to_datetime(fc[c], utc=True)
    fc = fc[sel.mask(fc["event_start"])]
    if fc.empty:
        return 0
    res = pd.to_timedelta(fc["sensor"].map({n: int(system[n].get("event_resolution_minutes", 60)) for n in sensors}),
                          unit="min")  # fmt: skip
    horizon = fc["event_start"] + res - fc["issued_at"]
    if (horizon <= pd.Timedelta(0)).any():
        bad = fc[horizon <= pd.Timedelta(0)].iloc[0]
        raise ValueError(f"{p}: the forecast of {bad['sensor']} for {bad['event_start']} was issued at or after the "
                         "event ended; a forecast must be known before.")  # fmt: skip
    df = pd.DataFrame({"sensor": fc["sensor"].astype(str).to_numpy(), "event_start": fc["event_start"].to_numpy(),
                       "belief_horizon": horizon.to_numpy(), "value": fc["value"].to_numpy(float)})  # fmt: skip
    df["event_start"] = pd.to_datetime(df["event_start"], utc=True)
    return save_beliefs(df, source=SYSTEM_FORECAST_SOURCE, bind=conn)


def _load_sessions(conn, folder: Path, sel: Selection) -> int:
    p = folder / "charging_sessions.csv"
    if not p.exists():
        return 0
    df = pd.read_csv(p)
    df = df[df["asset"].isin(sel.assets)]
    for c in ("arrival", "departure"):
        df[c] = pd.to_datetime(df[c], utc=True)
    df = df[sel.mask(df["arrival"])]
    if df.empty:
        return 0
    ids = dict(conn.execute(sa.text("SELECT name, id FROM assets")).all())
    rows = [
        {
            "asset_id": ids[r.asset], "session_key": str(r.session_key), "arrival": r.arrival.to_pydatetime(),
            "departure": r.departure.to_pydatetime(), "energy_mwh": float(r.energy_mwh),
            "max_power_mw": float(r.max_power_mw),
            "battery_capacity_mwh": None if pd.isna(getattr(r, "battery_capacity_mwh", np.nan)) else float(r.battery_capacity_mwh),
            "soc_at_arrival_mwh": None if pd.isna(getattr(r, "soc_at_arrival_mwh", np.nan)) else float(r.soc_at_arrival_mwh),
        }
        for r in df.itertuples(index=False)
    ]  # fmt: skip
    from sqlalchemy.dialects.postgresql import insert

    from bvp_lib.db.models import ChargingSession

    for i in range(0, len(rows), 5000):
        stmt = insert(ChargingSession.__table__).values(rows[i : i + 5000])
        stmt = stmt.on_conflict_do_update(
            constraint="uq_charging_sessions_key",
            set_={c: stmt.excluded[c] for c in ("arrival", "departure", "energy_mwh", "max_power_mw",
                                                "battery_capacity_mwh", "soc_at_arrival_mwh")},
        )  # fmt: skip
        conn.execute(stmt)
    return len(rows)
