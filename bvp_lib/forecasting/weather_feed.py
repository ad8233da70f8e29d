"""The weather feed: weather forecasts as beliefs, the regressors of the forecast models.

Weather forecasts are beliefs with a positive horizon on the weather sensors. Where the
database holds only measured weather, they are derived from it
(:func:`~bvp_lib.forecasting.weather.derive_weather_forecasts`: issued every 6 h like a
weather service's runs, one correlated error path per issue) and stored with the data
source ``derived weather forecast`` (type ``forecaster``), so the forecasting pipeline is
the same as with a real weather feed (:func:`ensure_weather_forecasts`). **An issue is
derived once**: once its forecasts are stored it is never derived again, so measured
weather stored or corrected later never changes a forecast already made. A forecast made
at belief time ``b`` reads only the weather forecasts known by ``b``
(:func:`load_weather_forecasts` with ``known_before``; per pair, the regressors' latest
issue known at its belief time).

**A real forecast archive** instead: store its forecasts as beliefs of a data source of
your own (type ``forecaster``; :func:`store_weather_archive`, or
:func:`read_weather_archive_csv` for a CSV with the columns ``event_start``,
``belief_time`` (or ``belief_horizon``) and ``value`` in the sensor's unit, timestamps
with their UTC offset), then name that source in ``parameters/forecasting.yaml``::

    weather_forecasts:
      archive: {source: "icon-d2 archive"}

Nothing is derived then; every weather sensor a model reads must have forecasts from the
archive covering the training window and the forecast days (a clear error names the
sensor and the period otherwise). The measured weather itself (``bvp data import csv
FILE --sensor S --unit ...``) is only needed for derived forecasts.

Units: temperature [°C], irradiance [W m-2], wind speed [m s-1].
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bvp_lib.beliefs import SourceSpec, load_beliefs, load_measurements, save_beliefs
from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.forecasting import weather
from bvp_lib.forecasting.base import FORECASTING_VERSION
from bvp_lib.forecasting.config import longest_train_window, parameters_of, weather_archive, weather_settings
from bvp_lib.forecasting.errors import RegressorError
from bvp_lib.forecasting.regressors import prepare_regressors
from bvp_lib.forecasting.targets import check_weather_known, needed_fundamentals, needed_weather
from bvp_lib.timing import as_date, day_bounds


def weather_source(parameters: dict | str | None = None) -> SourceSpec:
    """The data source of derived weather forecasts: name ``derived weather forecast``, type
    ``forecaster``, model ``derive_weather_forecasts:<hash of seed, issues, errors>``."""
    w = weather_settings(parameters_of(parameters))
    blob = json.dumps(w, sort_keys=True, default=str).encode()
    return SourceSpec(weather.DERIVED_SOURCE, "forecaster", f"derive_weather_forecasts:{hashlib.sha256(blob).hexdigest()[:12]}",
                      FORECASTING_VERSION)  # fmt: skip


def issue_schedule(parameters: dict | str | None = None) -> weather.IssueSchedule:
    """When the derived weather forecasts are issued (``weather_forecasts.issues``)."""
    return weather.IssueSchedule(**weather_settings(parameters_of(parameters))["issues"])


def _source_id(conn, spec: SourceSpec) -> int | None:
    return conn.execute(
        sa.text("SELECT id FROM data_sources WHERE name=:n AND type=:t AND model=:m AND version=:v"),
        {"n": spec.name, "t": spec.type, "m": spec.model, "v": spec.version},
    ).scalar()


def _sites(conn, sensors: Sequence[str], catalogue: Catalogue | None) -> dict[str, dict]:
    w = read_catalogue(conn, catalogue).weather
    return {s: {"latitude": float(w.at[s, "latitude"]), "longitude": float(w.at[s, "longitude"])}
            for s in sensors if s in w.index and pd.notna(w.at[s, "latitude"])}  # fmt: skip


def stored_issues(conn, sensors: Sequence[str], start, end, spec: SourceSpec) -> dict[str, set[int]]:
    """Belief times [ns UTC] of the derived issues stored per sensor, for events in ``[start, end)``."""
    sid = _source_id(conn, spec)
    out: dict[str, set[int]] = {s: set() for s in sensors}
    if sid is None:
        return out
    rows = conn.execute(
        sa.text(
            "SELECT s.name, floor(extract(epoch FROM b.event_start + s.event_resolution - b.belief_horizon))::bigint "
            "FROM timed_beliefs b JOIN sensors s ON s.id = b.sensor_id WHERE b.source_id = :sid AND s.name = ANY(:names) "
            "AND b.event_start >= :a AND b.event_start < :b GROUP BY 1, 2"
        ),
        {"sid": sid, "names": list(sensors), "a": pd.Timestamp(start).to_pydatetime(), "b": pd.Timestamp(end).to_pydatetime()},
    ).all()
    for name, t in rows:
        out[name].add(int(t) * 10**9)
    return out


def ensure_weather_forecasts(
    sensors: Sequence[str],
    start,
    end,
    *,
    parameters: dict | str | None = None,
    bind=None,
    catalogue: Catalogue | None = None,
) -> int:
    """Derive and store the weather forecasts of the issues touching events in ``[start, end)``
    that are not stored yet.

    Every issue (``weather_forecasts.issues``: belief times every 6 h) whose steps reach
    into the period and that has no stored forecast of a sensor is derived from the
    measured weather (:func:`~bvp_lib.forecasting.weather.derive_weather_forecasts`) and
    stored as beliefs with a positive horizon and the source :func:`weather_source`. An
    issue already stored is skipped: it was made once, and measurements stored later never
    change it. With a real archive configured (``weather_forecasts.archive``) nothing is
    derived.

    Parameters
    ----------
    sensors : sequence of str
        Weather sensors [°C, W m-2, m s-1].
    start, end : tz-aware timestamp
        The events that need forecasts.
    parameters : dict or path, optional
        Forecasting parameters.
    bind : Engine or Connection, optional
        Where to read and write (a Connection writes in the caller's transaction).
    catalogue : Catalogue, optional
        The portfolio (the weather sensors' sites, for the clear-sky model of irradiance).

    Returns
    -------
    int
        Beliefs written.

    Raises
    ------
    RegressorError
        A weather sensor without measurements in the period.
    """
    sensors = list(dict.fromkeys(sensors))
    p = parameters_of(parameters)
    if not sensors or weather_archive(p) is not None:
        return 0
    w = weather_settings(p)
    sched = weather.IssueSchedule(**w["issues"])
    max_h = pd.Timedelta(sched.max_horizon)
    start, end = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    iss = sched.issues_between(start.value, end.value)
    if not len(iss):
        return 0
    spec = weather_source(p)
    written = 0
    with transaction(bind) as conn:
        lo = pd.Timestamp(int(iss[0]), tz="UTC")
        hi = pd.Timestamp(int(iss[-1]), tz="UTC") + max_h
        have = stored_issues(conn, sensors, lo - pd.Timedelta("1h"), hi, spec)
        todo = {s: iss[~np.isin(iss, np.fromiter(have[s], np.int64, len(have[s])))] for s in sensors}
        need = [s for s in sensors if len(todo[s])]
        if not need:
            return 0
        first = min(int(todo[s][0]) for s in need)
        last = max(int(todo[s][-1]) for s in need)
        measured = load_measurements(need, pd.Timestamp(first, tz="UTC"), pd.Timestamp(last, tz="UTC") + max_h, bind=conn)
        for s in need:
            m = measured[s]
            if not have[s] and not ((m.index >= start) & (m.index < end)).any():  # nothing stored, nothing to derive from
                raise RegressorError(
                    f"weather sensor {s!r} has no measurements between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} "
                    "UTC, so no weather forecasts can be derived for that period; load the weather "
                    "(`bvp db populate --data --from ... --to ...`), or a real forecast archive (weather_forecasts.archive)."
                )
        sites = _sites(conn, need, catalogue)
        frames = []
        for s in need:
            if not measured[s].empty:
                frames.append(weather.derive_weather_forecasts(measured[s], issues=sched, seed=w["seed"],
                                                               error_specs=w["error_specs"], sites=sites,
                                                               only_issues=todo[s]))  # fmt: skip
        frames = [f for f in frames if len(f)]
        if frames:
            df = pd.concat(frames, ignore_index=True)
            df["sensor"] = df["sensor"].astype(str)
            written = save_beliefs(df[["sensor", "event_start", "belief_horizon", "value"]], source=spec, bind=conn)
    return written


def ensure_weather_for_days(first_day, last_day, *, history: str = "60D", parameters: dict | str | None = None,
                            bind=None, catalogue: Catalogue | None = None) -> int:  # fmt: skip
    """Derive the weather forecasts of every weather sensor for local days ``[first_day,
    last_day]`` and the ``history`` before them (training windows and lags; at least the
    longest ``max_train_window`` of the configured models plus their lags), once.

    Day-ahead forecasts derive missing weather forecasts themselves; a sweep calls this
    first so its parallel forecast tasks find them stored and never write the same rows.

    Returns
    -------
    int
        Beliefs written (0 when all were stored).
    """
    p = parameters_of(parameters)
    start, _ = day_bounds(as_date(first_day))
    _, end = day_bounds(as_date(last_day))
    history = max(pd.Timedelta(history), longest_train_window(p) + pd.Timedelta("10D"))
    with transaction(bind) as conn:
        cat = read_catalogue(conn, catalogue)
        sensors = list(cat.weather.index)
        if not sensors:
            return 0
        measured = conn.execute(sa.text(
            "SELECT min(b.event_start), max(b.event_start) FROM timed_beliefs b JOIN sensors s ON s.id = b.sensor_id "
            "WHERE s.name = ANY(:n) AND b.belief_horizon <= interval '0'"), {"n": sensors}).first()  # fmt: skip
        if measured is None or measured[0] is None:
            return 0
        lo = max(start - pd.Timedelta(history), pd.Timestamp(measured[0]))
        hi = min(end + pd.Timedelta("2D"), pd.Timestamp(measured[1]) + pd.Timedelta("1h"))
        if hi <= lo:
            return 0
        return ensure_weather_forecasts(sensors, lo, hi, parameters=p, bind=conn, catalogue=cat)


def load_weather_forecasts(
    sensors: Sequence[str],
    start,
    end,
    *,
    known_before=None,
    min_horizon=None,
    max_horizon=None,
    parameters: dict | str | None = None,
    bind=None,
) -> pd.DataFrame:
    """Stored weather forecasts (the feed of :func:`ensure_weather_forecasts`) as beliefs.

    Returns
    -------
    pandas.DataFrame
        ``sensor``, ``event_start`` (UTC), ``belief_horizon`` (> 0), ``source``, ``value``
        [sensor unit], ready for :func:`~bvp_lib.forecasting.regressors.prepare_regressors`.
    """
    sensors = list(dict.fromkeys(sensors))
    cols = ["sensor", "event_start", "belief_horizon", "source", "value"]
    if not sensors:
        return pd.DataFrame(columns=cols)
    archive = weather_archive(parameters_of(parameters))
    with transaction(bind) as conn:
        if archive is not None:
            df = load_beliefs(sensors, start, end, sources=[archive], source_types=["forecaster"], min_horizon=min_horizon,
                              max_horizon=max_horizon, known_before=known_before, bind=conn)  # fmt: skip
            missing = [s for s in sensors if not (df["sensor"] == s).any()]
            if missing:
                raise RegressorError(
                    f"the weather forecast archive {archive!r} (weather_forecasts.archive) holds no forecasts of {missing} "
                    f"for events between {pd.Timestamp(start):%Y-%m-%d %H:%M} and {pd.Timestamp(end):%Y-%m-%d %H:%M}"
                    + (f" known by {pd.Timestamp(known_before):%Y-%m-%d %H:%M %Z}" if known_before is not None else "")
                    + "; store them (store_weather_archive / read_weather_archive_csv) or remove the archive setting."
                )
        else:
            sid = _source_id(conn, weather_source(parameters))
            if sid is None:
                raise RegressorError(
                    f"no weather forecasts stored for {sensors}; derive them with ensure_weather_forecasts(...)."
                )
            df = load_beliefs(sensors, start, end, source_ids=[sid], min_horizon=min_horizon, max_horizon=max_horizon,
                              known_before=known_before, bind=conn)  # fmt: skip
    df = df[df["belief_horizon"] > pd.Timedelta(0)]
    return df[cols].reset_index(drop=True)


def weather_cubes(conn, targets_models, start, end, p, *, known_before=None, min_horizon=None, max_horizon=None,
                  catalogue: Catalogue | None = None):  # fmt: skip
    """Derive (where missing), store and load the weather forecasts the models need, as
    regressor cubes (:func:`~bvp_lib.forecasting.regressors.prepare_regressors`).

    ``targets_models`` is a sequence of (target, models); ``conn`` a Connection in the
    caller's transaction; ``known_before``, ``min_horizon``, ``max_horizon`` limit what
    is read as :func:`load_weather_forecasts` does."""
    weather_known = set(read_catalogue(conn, catalogue).weather.index)
    need: list[str] = []
    for t, ms in targets_models:
        n = needed_weather(ms, weather_known)
        check_weather_known(t, n, weather_known)
        need += n
    need = list(dict.fromkeys(need))
    if not need:
        return {}
    ensure_weather_forecasts(need, start, end, parameters=p, bind=conn, catalogue=catalogue)
    wf = load_weather_forecasts(need, start, end, known_before=known_before, min_horizon=min_horizon,
                                max_horizon=max_horizon, parameters=p, bind=conn)  # fmt: skip
    return prepare_regressors(wf) or {}


def regressor_slack(parameters: dict | str | None = None) -> pd.Timedelta | None:
    """How much older than the horizon asked for the latest weather issue known at a belief
    time can be (the derived feed's ``issues.every``); None with a real archive (unknown)."""
    p = parameters_of(parameters)
    return None if weather_archive(p) is not None else pd.Timedelta(issue_schedule(p).every)


def weather_subset(cubes: Mapping, models) -> dict:
    """The regressor cubes the models read: their weather, and their fundamentals
    (:mod:`~bvp_lib.forecasting.system_feed`)."""
    names = needed_weather(models, set(cubes)) + needed_fundamentals(models)
    return {n: cubes[n] for n in names if n in cubes}


def store_weather_archive(forecasts: pd.DataFrame, source: str, *, bind=None) -> int:
    """Store a real weather forecast archive as beliefs of data source ``source`` (type
    ``forecaster``), in one transaction (idempotent).

    Parameters
    ----------
    forecasts : pandas.DataFrame
        ``sensor``, ``event_start`` (tz-aware), ``belief_time`` (tz-aware: when the
        forecast was available) or ``belief_horizon`` (Timedelta, > 0), ``value`` [the
        weather sensor's unit].
    source : str
        The archive's data source name (then ``weather_forecasts: {archive: {source: ...}}``).

    Returns
    -------
    int
        Beliefs written.

    Raises
    ------
    RegressorError
        Missing columns, naive timestamps, a forecast not made before its step ended, an
        unknown or non-weather sensor. Nothing is stored then.
    """
    need = {"sensor", "event_start", "value"}
    if not need <= set(forecasts.columns) or not ({"belief_time", "belief_horizon"} & set(forecasts.columns)):
        raise RegressorError(
            f"a weather forecast archive needs the columns {sorted(need)} and belief_time (or belief_horizon); "
            f"got {list(forecasts.columns)}."
        )
    df = forecasts.copy()
    ev = pd.DatetimeIndex(df["event_start"])
    if ev.tz is None:
        raise RegressorError("the archive's event_start is naive; give timestamps with their UTC offset.")
    with transaction(bind) as conn:
        w = read_catalogue(conn).weather
        unknown = sorted(set(df["sensor"].astype(str)) - set(w.index))
        if unknown:
            raise RegressorError(f"the archive names {unknown}, which are not weather sensors (`bvp db show` lists them).")
        res = read_catalogue(conn).sensors["resolution"]
        if "belief_horizon" not in df.columns:
            bt = pd.DatetimeIndex(df["belief_time"])
            if bt.tz is None:
                raise RegressorError("the archive's belief_time is naive; give timestamps with their UTC offset.")
            df["belief_horizon"] = ev + pd.to_timedelta(df["sensor"].astype(str).map(res)).to_numpy() - bt
        h = pd.to_timedelta(df["belief_horizon"])
        if (h <= pd.Timedelta(0)).any():
            i = int(np.flatnonzero((h <= pd.Timedelta(0)).to_numpy())[0])
            raise RegressorError(
                f"archive row {i}: the forecast of {df['sensor'].iloc[i]} for {ev[i]} was made after its step ended "
                "(belief horizon <= 0); a forecast archive holds forecasts only."
            )
        df["event_start"], df["belief_horizon"] = ev, h
        return save_beliefs(df[["sensor", "event_start", "belief_horizon", "value"]], source=SourceSpec(source, "forecaster"),
                            bind=conn)  # fmt: skip


def read_weather_archive_csv(path: str | Path, sensor: str) -> pd.DataFrame:
    """Read one weather sensor's forecast archive from a CSV for :func:`store_weather_archive`.

    Columns: ``event_start`` and ``belief_time`` (timestamps with UTC offset; or
    ``belief_horizon`` as a duration such as ``13h``) and ``value`` [the sensor's unit].

    Raises
    ------
    RegressorError
        A missing file or column, or a row whose timestamp or value does not parse (named).
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str)
    except FileNotFoundError:
        raise RegressorError(f"{path}: file not found.") from None
    cols = {"event_start", "value"} | ({"belief_time"} if "belief_time" in raw.columns else {"belief_horizon"})
    missing = sorted(cols - set(raw.columns))
    if missing:
        raise RegressorError(f"{path}: missing column(s) {missing}; expected event_start, belief_time (or belief_horizon), value.")
    for col in sorted(cols):
        for i, v in enumerate(raw[col]):
            try:
                if col == "value":
                    float(v)
                elif col == "belief_horizon":
                    pd.Timedelta(v)
                elif pd.Timestamp(v).tz is None:
                    raise ValueError("no UTC offset")
            except (TypeError, ValueError) as e:
                raise RegressorError(f"{path}, line {i + 2}: {col} {v!r} does not parse ({e}).") from None
    out = pd.DataFrame({
        "sensor": sensor,
        "event_start": pd.to_datetime(raw["event_start"], utc=True),
        "value": raw["value"].astype(float),
    })  # fmt: skip
    if "belief_time" in raw.columns:
        out["belief_time"] = pd.to_datetime(raw["belief_time"], utc=True)
    else:
        out["belief_horizon"] = pd.to_timedelta(raw["belief_horizon"])
    return out
