"""Beliefs in and out of PostgreSQL, fast and all-or-nothing (see :mod:`bvp_lib.beliefs`).

Writing (:func:`save_beliefs`) streams the frame with binary ``COPY`` into a staging
table and merges it with ``INSERT ... ON CONFLICT``, in one transaction: either every
row lands or none does. When none of the written sensors and sources holds beliefs in
the written period yet, the rows are copied straight into the table (same result,
about twice as fast). Reading (:func:`load_beliefs`) streams ``COPY (SELECT ...) TO
STDOUT`` in binary and decodes it with numpy.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bvp_lib.beliefs.common import BELIEF_COLUMNS, BeliefError, fmt_td  # noqa: F401 - BELIEF_COLUMNS re-exported
from bvp_lib.db.engine import transaction
from bvp_lib.db.models import SOURCE_TYPES
from bvp_lib.market.clock import market_timezone

# PostgreSQL epoch (2000-01-01 UTC) in microseconds since the Unix epoch
_PG_EPOCH_US = 946_684_800_000_000
_US_PER_DAY = 86_400_000_000
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)

# one binary COPY tuple: (sensor_id int4, event_start timestamptz, belief_horizon interval,
# source_id int4, value float8), every field non-null and fixed width
_ROW = np.dtype(
    [
        ("nfields", ">i2"),
        ("l_sensor", ">i4"), ("sensor_id", ">i4"),
        ("l_start", ">i4"), ("event_start", ">i8"),
        ("l_horizon", ">i4"), ("h_us", ">i8"), ("h_days", ">i4"), ("h_months", ">i4"),
        ("l_source", ">i4"), ("source_id", ">i4"),
        ("l_value", ">i4"), ("value", ">f8"),
    ]
)  # fmt: skip

@dataclass(frozen=True)
class SourceSpec:
    """The identity of a data source: (name, type, model, version)."""

    name: str
    type: str = "user import"
    model: str = ""
    version: str = ""

    def label(self) -> str:
        extra = " ".join(x for x in (self.model, self.version) if x)
        return f"{self.name} ({extra})" if extra else self.name


# ---------------------------------------------------------------------------------------
# look-ups




def get_or_create_source(
    conn: Connection, name: str, type: str = "user import", model: str = "", version: str = "",
    attributes: dict | None = None,
) -> int:
    """The id of data source (name, type, model, version), created if missing (race-safe)."""
    if type not in SOURCE_TYPES:
        raise BeliefError(f"Data source type {type!r} is unknown; use one of {', '.join(SOURCE_TYPES)}.")
    row = conn.execute(
        sa.text(
            "INSERT INTO data_sources (name, type, model, version, attributes) "
            "VALUES (:n, :t, :m, :v, CAST(:a AS jsonb)) "
            "ON CONFLICT ON CONSTRAINT uq_data_sources_identity DO NOTHING RETURNING id"
        ),
        {"n": name, "t": type, "m": model, "v": version, "a": _json(attributes or {})},
    ).scalar()
    if row is not None:
        return int(row)
    return int(
        conn.execute(
            sa.text("SELECT id FROM data_sources WHERE name=:n AND type=:t AND model=:m AND version=:v"),
            {"n": name, "t": type, "m": model, "v": version},
        ).scalar_one()
    )


def _json(d: dict) -> str:
    import json

    return json.dumps(d, sort_keys=True, default=str)


def sensor_table(conn: Connection, names: Iterable[str] | None = None) -> pd.DataFrame:
    """Sensors as a frame indexed by name: id, quantity, unit, resolution (Timedelta)."""
    q = "SELECT id, name, quantity, unit, extract(epoch FROM event_resolution) AS res_s FROM sensors"
    params: dict = {}
    if names is not None:
        names = list(dict.fromkeys(names))
        q += " WHERE name = ANY(:names)"
        params["names"] = names
    rows = conn.execute(sa.text(q), params).all()
    df = pd.DataFrame(rows, columns=["id", "name", "quantity", "unit", "res_s"]).set_index("name")
    df["resolution"] = pd.to_timedelta(df["res_s"].astype(float), unit="s")
    if names is not None:
        missing = [n for n in names if n not in df.index]
        if missing:
            from bvp_lib.db.catalogue import did_you_mean

            known = [r[0] for r in conn.execute(sa.text("SELECT name FROM sensors"))]
            raise BeliefError(
                "Unknown sensor(s): " + ", ".join(f"{n}{' (' + did_you_mean(n, known).strip() + ')' if did_you_mean(n, known) else ''}"
                                                 for n in map(str, missing[:10]))
                + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
                + ". Load the structure first (`bvp db populate --structure`) or check the names "
                "(`bvp db show`)."
            )
    return df.drop(columns="res_s")


# ---------------------------------------------------------------------------------------
# validation


def _row_label(df: pd.DataFrame, i: int) -> str:
    r = df.iloc[i]
    return f"row {i} (sensor {r.get('sensor', r.get('sensor_id'))!s}, event_start {r['event_start']})"


def _validate_frame(df: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("event_start", "value") if c not in df.columns]
    if "sensor" not in df.columns and "sensor_id" not in df.columns:
        missing.append("sensor")
    if "belief_horizon" not in df.columns and "belief_time" not in df.columns:
        missing.append("belief_horizon (or belief_time)")
    if missing:
        raise BeliefError(
            f"Beliefs frame lacks column(s) {missing}; it needs sensor, event_start, belief_horizon "
            f"(or belief_time), value and optionally source. Got columns {list(df.columns)}."
        )
    df = df.reset_index(drop=True)
    es = df["event_start"]
    if not pd.api.types.is_datetime64_any_dtype(es):
        try:
            es = pd.to_datetime(es, utc=False)
        except (ValueError, TypeError) as e:
            raise BeliefError(f"event_start cannot be read as timestamps: {e}") from None
    if getattr(es.dt, "tz", None) is None:
        raise BeliefError(
            f"event_start has naive timestamps ({_row_label(df, 0)}): give them a timezone, "
            f"for example with .dt.tz_localize('{market_timezone()}', ambiguous=..., nonexistent='raise')."
        )
    df["event_start"] = es.dt.tz_convert("UTC")
    if df["event_start"].isna().any():
        i = int(np.flatnonzero(df["event_start"].isna().to_numpy())[0])
        raise BeliefError(f"event_start is missing in row {i}.")
    vals = pd.to_numeric(df["value"], errors="coerce")
    bad = vals.isna() & df["value"].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise BeliefError(f"value {df['value'].iloc[i]!r} is not a number in {_row_label(df, i)}.")
    vals = vals.astype(float)
    nan = ~np.isfinite(vals.to_numpy())
    if nan.any():
        i = int(np.flatnonzero(nan)[0])
        raise BeliefError(
            f"value is NaN or infinite in {_row_label(df, i)} ({int(nan.sum())} such rows). "
            "Drop or fill them explicitly before saving: a missing value is not a belief."
        )
    df["value"] = vals
    return df


# ---------------------------------------------------------------------------------------
# writing


def _encode(sensor_id: np.ndarray, start_us: np.ndarray, horizon_us: np.ndarray,
            source_id: np.ndarray, value: np.ndarray) -> bytes:
    rows = np.empty(len(value), dtype=_ROW)
    rows["nfields"] = 5
    rows["l_sensor"], rows["l_start"], rows["l_horizon"] = 4, 8, 16
    rows["l_source"], rows["l_value"] = 4, 8
    rows["sensor_id"] = sensor_id
    rows["event_start"] = start_us - _PG_EPOCH_US
    rows["h_us"] = horizon_us
    rows["h_days"] = 0
    rows["h_months"] = 0
    rows["source_id"] = source_id
    rows["value"] = value
    return _HEADER + rows.tobytes() + _TRAILER


def save_beliefs(
    df: pd.DataFrame,
    *,
    source: SourceSpec | int | None = None,
    on_conflict: str = "update",
    event_resolution: timedelta | str | None = None,
    bind: Engine | Connection | None = None,
) -> int:
    """Store beliefs in one transaction; return the number of rows written.

    Parameters
    ----------
    df : DataFrame
        Columns ``sensor`` (name; or ``sensor_id``), ``event_start`` (tz-aware),
        ``belief_horizon`` (Timedelta; or ``belief_time``, tz-aware, from which the
        horizon is derived as ``event_start + resolution - belief_time``), ``value``
        (float, in the sensor's unit: power [MW] production positive, price
        [EUR/MWh]...) and optionally ``source_id``.
    source : SourceSpec or int, optional
        The data source for all rows (created if missing). Required unless ``df`` has
        ``source_id``.
    on_conflict : {"update", "nothing"}
        For a row whose (sensor, event_start, belief_horizon, source) is stored already:
        replace its value (idempotent re-import of corrected data) or keep the stored one.
    event_resolution : Timedelta, optional
        The resolution the data has; refused if it differs from the sensor's.
    bind : Engine or Connection, optional
        Where to write; a Connection writes inside the caller's transaction.

    Raises
    ------
    BeliefError
        Naive timestamps, NaN values, unknown sensors, a resolution that does not match
        the sensor (or event starts off its grid), conflicting duplicates in ``df``.
        Nothing is written then.
    """
    if on_conflict not in ("update", "nothing"):
        raise BeliefError(f"on_conflict must be 'update' or 'nothing', not {on_conflict!r}.")
    if len(df) == 0:
        return 0
    df = _validate_frame(df)
    with transaction(bind) as conn:
        if "sensor_id" in df.columns:
            ids = df["sensor_id"].astype(np.int64)
            sensors = sensor_table(conn)
            known = set(sensors["id"])
            unknown = sorted(set(ids.unique()) - known)
            if unknown:
                raise BeliefError(f"Unknown sensor id(s) {unknown[:10]}.")
            sensors = sensors[sensors["id"].isin(ids.unique())]
            res_by_id = dict(zip(sensors["id"], sensors["resolution"]))
            name_by_id = dict(zip(sensors["id"], sensors.index))
        else:
            names = df["sensor"].astype(str)
            sensors = sensor_table(conn, names.unique())
            ids = names.map(sensors["id"]).astype(np.int64)
            res_by_id = dict(zip(sensors["id"], sensors["resolution"]))
            name_by_id = dict(zip(sensors["id"], sensors.index))
        sensor_id = ids.to_numpy(np.int64)
        res = pd.Series(sensor_id).map(res_by_id)
        res_us = res.to_numpy("timedelta64[us]").astype(np.int64)
        if event_resolution is not None:
            er = pd.Timedelta(event_resolution)
            wrong = [name_by_id[i] for i in np.unique(sensor_id) if res_by_id[i] != er]
            if wrong:
                raise BeliefError(
                    f"The data has resolution {fmt_td(er)} but sensor(s) {', '.join(wrong)} have "
                    f"{', '.join(fmt_td(res_by_id[i]) for i in np.unique(sensor_id) if name_by_id[i] in wrong)}: "
                    "resample the data first (or load it into a sensor of that resolution)."
                )
        start_us = df["event_start"].to_numpy("datetime64[us]").astype(np.int64)
        # starts must lie on the sensor's grid (checked for resolutions up to one hour; longer
        # resolutions follow the local calendar and are not checked here)
        small = res_us <= 3_600_000_000
        off = np.zeros(len(df), dtype=bool)
        off[small] = (start_us[small] % res_us[small]) != 0
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise BeliefError(
                f"event_start is not on the {fmt_td(res.iloc[i])} grid of sensor "
                f"{name_by_id[sensor_id[i]]} in {_row_label(df, i)}: the data's resolution does "
                "not match the sensor's (resample it first)."
            )
        if "belief_horizon" in df.columns:
            h = pd.to_timedelta(df["belief_horizon"])
        else:
            bt = pd.to_datetime(df["belief_time"])
            if getattr(bt.dt, "tz", None) is None:
                raise BeliefError("belief_time has naive timestamps: give them a timezone.")
            h = df["event_start"] + res.to_numpy() - bt.dt.tz_convert("UTC")
        if h.isna().any():
            i = int(np.flatnonzero(h.isna().to_numpy())[0])
            raise BeliefError(f"belief_horizon is missing in {_row_label(df, i)}.")
        horizon_us = h.to_numpy("timedelta64[us]").astype(np.int64)
        if "source_id" in df.columns and source is None:
            source_id = df["source_id"].to_numpy(np.int64)
        elif isinstance(source, int):
            source_id = np.full(len(df), source, dtype=np.int64)
        elif isinstance(source, SourceSpec):
            sid = get_or_create_source(conn, source.name, source.type, source.model, source.version)
            source_id = np.full(len(df), sid, dtype=np.int64)
        else:
            raise BeliefError("Say which data source made these beliefs: pass source=SourceSpec(...).")
        value = df["value"].to_numpy(np.float64)
        # duplicates within the frame: same key twice with different values is ambiguous
        key = pd.DataFrame({"s": sensor_id, "t": start_us, "h": horizon_us, "src": source_id})
        dup = key.duplicated(keep=False).to_numpy()
        if dup.any():
            k = key[dup].assign(v=value[dup])
            nvals = k.groupby(["s", "t", "h", "src"])["v"].nunique()
            if (nvals > 1).any():
                s, t, hh, _ = nvals[nvals > 1].index[0]
                i = int(np.flatnonzero((sensor_id == s) & (start_us == t) & (horizon_us == hh))[0])
                raise BeliefError(
                    f"Duplicate belief with different values in {_row_label(df, i)}: the same "
                    "sensor, event start, horizon and source appears more than once."
                )
            keep = ~key.duplicated(keep="first").to_numpy()
            sensor_id, start_us, horizon_us = sensor_id[keep], start_us[keep], horizon_us[keep]
            source_id, value = source_id[keep], value[keep]
        payload = _encode(sensor_id, start_us, horizon_us, source_id, value)
        _copy_in(conn, payload, sensor_id, start_us, source_id, on_conflict)
        return len(value)


def _copy_in(conn: Connection, payload: bytes, sensor_id, start_us, source_id, on_conflict: str) -> None:
    raw = conn.connection.driver_connection
    cur = raw.cursor()
    try:
        pairs = np.unique(np.stack([sensor_id, source_id], axis=1), axis=0)
        lo = pd.Timestamp(int(start_us.min()), unit="us", tz="UTC").to_pydatetime()
        hi = pd.Timestamp(int(start_us.max()), unit="us", tz="UTC").to_pydatetime()
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM timed_beliefs b JOIN unnest(%s::int[], %s::int[]) AS p(s, src) "
            "ON b.sensor_id = p.s AND b.source_id = p.src WHERE b.event_start BETWEEN %s AND %s)",
            ([int(x) for x in pairs[:, 0]], [int(x) for x in pairs[:, 1]], lo, hi),
        )
        overlap = cur.fetchone()[0]
        if not overlap:
            # nothing stored there yet: copy straight in; a concurrent writer that got there
            # first makes this fail on the primary key, and then we merge instead
            cur.execute("SAVEPOINT bvp_direct_copy")
            try:
                cur.copy_expert(
                    "COPY timed_beliefs (sensor_id, event_start, belief_horizon, source_id, value) "
                    "FROM STDIN WITH (FORMAT binary)",
                    io.BytesIO(payload),
                )
                cur.execute("RELEASE SAVEPOINT bvp_direct_copy")
                return
            except Exception as e:  # psycopg2.errors.UniqueViolation
                if getattr(e, "pgcode", None) != "23505":
                    raise
                cur.execute("ROLLBACK TO SAVEPOINT bvp_direct_copy")
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bvp_staging (LIKE timed_beliefs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cur.execute("TRUNCATE bvp_staging")
        cur.copy_expert(
            "COPY bvp_staging (sensor_id, event_start, belief_horizon, source_id, value) "
            "FROM STDIN WITH (FORMAT binary)",
            io.BytesIO(payload),
        )
        action = (
            "DO UPDATE SET value = EXCLUDED.value WHERE timed_beliefs.value IS DISTINCT FROM EXCLUDED.value"
            if on_conflict == "update"
            else "DO NOTHING"
        )
        cur.execute(
            "INSERT INTO timed_beliefs (sensor_id, event_start, belief_horizon, source_id, value) "
            "SELECT sensor_id, event_start, belief_horizon, source_id, value FROM bvp_staging "
            f"ON CONFLICT (sensor_id, event_start, belief_horizon, source_id) {action}"
        )
        cur.execute("TRUNCATE bvp_staging")
    finally:
        cur.close()


# ---------------------------------------------------------------------------------------
# reading


def _to_utc(t, name: str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    if ts.tzinfo is None:
        raise BeliefError(f"{name}={t!r} is a naive timestamp: give it a timezone (for example '+01:00' or 'UTC').")
    return ts.tz_convert("UTC")


def _decode(buf: bytes) -> np.ndarray:
    if len(buf) < len(_HEADER) + 2 or not buf.startswith(_HEADER[:11]):
        raise BeliefError("Unexpected COPY stream from the database.")
    ext = struct.unpack(">i", buf[15:19])[0]
    body = memoryview(buf)[19 + ext : len(buf) - 2]
    return np.frombuffer(body, dtype=_ROW)


def load_beliefs(
    sensors: str | Sequence[str],
    start=None,
    end=None,
    *,
    sources: Sequence[str] | None = None,
    source_types: Sequence[str] | None = None,
    source_ids: Sequence[int] | None = None,
    most_recent: bool = False,
    min_horizon: timedelta | str | None = None,
    max_horizon: timedelta | str | None = None,
    known_before=None,
    resolution: timedelta | str | None = None,
    bind: Engine | Connection | None = None,
) -> pd.DataFrame:
    """Read beliefs as a tidy frame.

    Parameters
    ----------
    sensors : str or list of str
        Sensor names.
    start, end : tz-aware timestamp, optional
        Events starting in ``[start, end)``.
    sources, source_types, source_ids : optional
        Keep only these data source names, types (measurement, forecaster, ...) or ids.
    most_recent : bool
        Keep, per sensor, event and source, only the most recent belief (smallest horizon
        that passed the other filters).
    min_horizon, max_horizon : Timedelta, optional
        Keep beliefs known at least ``min_horizon`` (at most ``max_horizon``) before the
        event ended.
    known_before : tz-aware timestamp, optional
        Keep beliefs formed at or before this time:
        ``event_start + resolution - belief_horizon <= known_before``. This is what a
        backtest may see.
    resolution : Timedelta, optional
        Resample each (sensor, source, horizon) series to this resolution (see
        :func:`resample_beliefs`).

    Returns
    -------
    DataFrame
        Columns ``sensor``, ``event_start`` (UTC), ``belief_horizon`` (Timedelta),
        ``source`` (name), ``source_id``, ``value`` (sensor's unit), sorted by sensor,
        event start, source, horizon.
    """
    names = [sensors] if isinstance(sensors, str) else list(sensors)
    where = ["b.sensor_id = ANY(%(sids)s)"]
    with transaction(bind) as conn:
        st = sensor_table(conn, names)
        params: dict = {"sids": [int(x) for x in st["id"]]}
        if start is not None:
            where.append("b.event_start >= %(start)s")
            params["start"] = _to_utc(start, "start").to_pydatetime()
        if end is not None:
            where.append("b.event_start < %(end)s")
            params["end"] = _to_utc(end, "end").to_pydatetime()
        if min_horizon is not None:
            where.append("b.belief_horizon >= %(minh)s")
            params["minh"] = pd.Timedelta(min_horizon).to_pytimedelta()
        if max_horizon is not None:
            where.append("b.belief_horizon <= %(maxh)s")
            params["maxh"] = pd.Timedelta(max_horizon).to_pytimedelta()
        if known_before is not None:
            where.append("b.event_start + s.event_resolution - b.belief_horizon <= %(kb)s")
            params["kb"] = _to_utc(known_before, "known_before").to_pydatetime()
        src_filter = []
        if sources is not None:
            src_filter.append("d.name = ANY(%(snames)s)")
            params["snames"] = list(sources)
        if source_types is not None:
            src_filter.append("d.type = ANY(%(stypes)s)")
            params["stypes"] = list(source_types)
        if source_ids is not None:
            where.append("b.source_id = ANY(%(sidl)s)")
            params["sidl"] = [int(x) for x in source_ids]
        if src_filter:
            where.append(
                "b.source_id IN (SELECT d.id FROM data_sources d WHERE " + " AND ".join(src_filter) + ")"
            )
        cols = "b.sensor_id, b.event_start, b.belief_horizon, b.source_id, b.value"
        sql = f"SELECT {cols} FROM timed_beliefs b JOIN sensors s ON s.id = b.sensor_id WHERE {' AND '.join(where)}"
        if most_recent:
            sql = (
                f"SELECT DISTINCT ON (b.sensor_id, b.event_start, b.source_id) {cols} FROM timed_beliefs b "
                f"JOIN sensors s ON s.id = b.sensor_id WHERE {' AND '.join(where)} "
                "ORDER BY b.sensor_id, b.event_start, b.source_id, b.belief_horizon"
            )
        raw = conn.connection.driver_connection
        cur = raw.cursor()
        try:
            query = cur.mogrify(sql, params).decode()
            buf = io.BytesIO()
            cur.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", buf)
            src_names = dict(conn.execute(sa.text("SELECT id, name FROM data_sources")).all())
        finally:
            cur.close()
    rows = _decode(buf.getvalue())
    name_by_id = pd.Series(st.index.to_numpy(), index=st["id"].to_numpy())
    sid = rows["sensor_id"].astype(np.int64)
    h_us = rows["h_us"].astype(np.int64) + rows["h_days"].astype(np.int64) * _US_PER_DAY + rows[
        "h_months"
    ].astype(np.int64) * 30 * _US_PER_DAY
    src = rows["source_id"].astype(np.int64)
    out = pd.DataFrame(
        {
            "sensor": pd.Categorical.from_codes(
                pd.Index(name_by_id.index).get_indexer(sid), categories=name_by_id.to_numpy()
            )
            if len(sid)
            else pd.Categorical([], categories=name_by_id.to_numpy()),
            "event_start": pd.to_datetime(rows["event_start"].astype(np.int64) + _PG_EPOCH_US, unit="us", utc=True),
            "belief_horizon": pd.to_timedelta(h_us, unit="us"),
            "source": pd.Series(src).map(src_names).to_numpy(),
            "source_id": src,
            "value": rows["value"].astype(np.float64),
        }
    )
    out["sensor"] = out["sensor"].astype(str)
    out = out.sort_values(["sensor", "event_start", "source_id", "belief_horizon"], kind="stable").reset_index(drop=True)
    if resolution is not None:
        from bvp_lib.beliefs.frames import resample_beliefs

        out = resample_beliefs(out, resolution, st)
    return out


def load_series(
    sensor: str, start=None, end=None, *, bind: Engine | Connection | None = None, **filters
) -> pd.Series:
    """One sensor's most recent belief per event as a Series (UTC index, sensor's unit).

    Takes the filters of :func:`load_beliefs`; raises if more than one source remains
    (say which with ``sources=``/``source_types=``).
    """
    df = load_beliefs(sensor, start, end, most_recent=True, bind=bind, **filters)
    if df["source_id"].nunique() > 1:
        raise BeliefError(
            f"Sensor {sensor} has beliefs from several sources ({', '.join(sorted(df['source'].unique()))}): "
            "pick one with sources=[...] or source_types=[...]."
        )
    return pd.Series(df["value"].to_numpy(), index=pd.DatetimeIndex(df["event_start"]), name=sensor)
