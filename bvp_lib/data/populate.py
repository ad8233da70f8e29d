"""``bvp db populate``: load the bundled data set (or a subset) into the database.

``--structure`` loads owners, asset types, connection points, assets, markets and
sensors from ``data/bundled/assets.json``; ``--data`` loads the time series
(``timeseries.parquet``) and the EV charging sessions. ``--small`` picks the small
subset named in ``manifest.json`` (one solar, one wind, one building, one battery; four
days) so a first try takes seconds. Everything is idempotent: re-running changes
nothing.

Belief horizons of the bundled series
    Asset power and weather are measurements: known when the step ended (horizon 0).
    Day-ahead prices of day D are published after the auction on D-1; they are stored as
    known at :data:`PRICE_PUBLICATION` local time on D-1, so a forecast made at gate
    closure (12:00 on D-1) cannot see them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bvp_lib.beliefs import SourceSpec, save_beliefs
from bvp_lib.db.engine import transaction
from bvp_lib.data.structure import load_structure, read_structure
from bvp_lib.timing import as_date, day_bounds

PRICE_PUBLICATION = dt.time(13, 0)  # local time on D-1 when day D's day-ahead prices are known


def bundle_dir() -> Path:
    from bvp_lib.config import get_settings

    return get_settings().root / "data" / "bundled"


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
            f"{p} is missing: the bundled data set is not generated. Run `python -m bvp_lib.data.bundled` "
            "(or `make data`)."
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
    tz: str = "Europe/Berlin",
) -> Selection:
    """Resolve the CLI's filters to asset names and UTC periods (local days, inclusive)."""
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
    """Horizon of a day-ahead price: event end minus 13:00 local on the day before the event's day."""
    from bvp_lib.data.known import day_ahead_horizon  # the one rule, also for imported prices

    return day_ahead_horizon(event_start, resolution, tz, PRICE_PUBLICATION)


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
    bind=None,
    progress: bool = True,
) -> dict[str, int]:
    """Load the bundled data set; return counts of what was written."""
    from tqdm.auto import tqdm

    folder = Path(folder) if folder else bundle_dir()
    spec = read_structure(folder / "assets.json")
    manifest = read_manifest(folder)
    market_tz = {m["name"]: m.get("timezone", "Europe/Berlin") for m in spec.get("markets", [])}
    tz = next(iter(market_tz.values()), "Europe/Berlin")
    sel = select(spec, manifest, small=small, start=start, end=end, asset_type=asset_type, asset=asset, tz=tz)
    counts: dict[str, int] = {}
    with transaction(bind) as conn:
        if structure:
            counts.update(load_structure(spec, bind=conn, asset_names=sel.assets))
        if not data:
            return counts
        stored = set(conn.execute(sa.text("SELECT name FROM sensors")).scalars())
        wanted = set(sel.assets) | set(market_tz) | {w["name"] for w in spec.get("weather_sensors", [])}
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
            else:
                horizon = pd.Timedelta(0)
                kind = meta.get("kind", "asset")
                # short names; the full provenance of each series is in manifest.json and data/README.md
                src = SourceSpec("DWD TRY2010 weather" if kind == "weather" else "bundled 2015 data set", "measurement")
            df = pd.DataFrame(
                {"sensor": str(name), "event_start": g["event_start"].to_numpy(), "belief_horizon": horizon,
                 "value": g["value"].to_numpy(float)}
            )
            df["event_start"] = pd.to_datetime(df["event_start"], utc=True)
            rows += save_beliefs(df, source=src, bind=conn)
        counts["beliefs"] = rows
        counts["charging_sessions"] = _load_sessions(conn, folder, sel)
    return counts


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
