"""The weather feed: weather forecasts as beliefs, the regressors of the forecast models.

Weather forecasts are beliefs with a positive horizon on the weather sensors. Where the
database holds only measured weather, they are derived from it
(:func:`~bvp_lib.forecasting.weather.derive_weather_forecasts`, seeded, drawn per
7-day block so a piece derived later never contradicts one derived earlier) and stored
with the data source ``derived weather forecast`` (type ``forecaster``), so the
forecasting pipeline is the same as with a real weather feed
(:func:`ensure_weather_forecasts`). A forecast made at belief time ``b`` reads only the
weather forecasts known by ``b`` (:func:`load_weather_forecasts` with ``known_before``).

Units: temperature [°C], irradiance [W m-2], wind speed [m s-1].
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bvp_lib.beliefs import SourceSpec, load_beliefs, load_measurements, save_beliefs
from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.forecasting import weather
from bvp_lib.forecasting.base import FORECASTING_VERSION
from bvp_lib.forecasting.config import parameters_of, weather_settings
from bvp_lib.forecasting.errors import RegressorError
from bvp_lib.forecasting.regressors import prepare_regressors
from bvp_lib.forecasting.series import fmt_td
from bvp_lib.forecasting.targets import check_weather_known, needed_weather
from bvp_lib.timing import as_date, day_bounds

DEFAULT_WEATHER_BLOCK = "7D"


def weather_source(parameters: dict | str | None = None) -> SourceSpec:
    """The data source of derived weather forecasts: name ``derived weather forecast``, type
    ``forecaster``, model ``derive_weather_forecasts:<hash of seed, horizons, errors, block>``."""
    w = _weather_kwargs(parameters)
    blob = json.dumps({k: (v if k != "horizons" else [fmt_td(h) for h in v]) for k, v in w.items()},
                      sort_keys=True, default=str).encode()  # fmt: skip
    return SourceSpec(weather.DERIVED_SOURCE, "forecaster", f"derive_weather_forecasts:{hashlib.sha256(blob).hexdigest()[:12]}",
                      FORECASTING_VERSION)  # fmt: skip


def _weather_kwargs(parameters) -> dict:
    w = weather_settings(parameters_of(parameters))
    w.setdefault("block", DEFAULT_WEATHER_BLOCK)
    return w


def _source_id(conn, spec: SourceSpec) -> int | None:
    return conn.execute(
        sa.text("SELECT id FROM data_sources WHERE name=:n AND type=:t AND model=:m AND version=:v"),
        {"n": spec.name, "t": spec.type, "m": spec.model, "v": spec.version},
    ).scalar()


def ensure_weather_forecasts(
    sensors: Sequence[str],
    start,
    end,
    *,
    parameters: dict | str | None = None,
    bind=None,
) -> int:
    """Derive and store weather forecasts for events in ``[start, end)`` where they are missing.

    Measured weather (horizon 0) of each 7-day block (from 1970-01-01 UTC) touching the
    period becomes forecasts at every configured horizon (``weather_forecasts`` in the
    parameters; :func:`~bvp_lib.forecasting.weather.derive_weather_forecasts`), stored as
    beliefs with a positive horizon and the source :func:`weather_source`. Blocks whose
    forecasts are all stored are skipped; re-deriving a block gives the same values.

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
    if not sensors:
        return 0
    w = _weather_kwargs(parameters)
    block = pd.Timedelta(w["block"]).value
    n_h = len({pd.Timedelta(h) for h in w["horizons"]})
    start, end = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    k0, k1 = start.value // block, -(-end.value // block)
    b0, b1 = pd.Timestamp(k0 * block, tz="UTC"), pd.Timestamp(k1 * block, tz="UTC")
    spec = weather_source(parameters)
    written = 0
    with transaction(bind) as conn:
        measured = load_measurements(sensors, b0, b1, bind=conn)
        for s in sensors:
            m = measured[s]
            if not ((m.index >= start) & (m.index < end)).any():
                raise RegressorError(
                    f"weather sensor {s!r} has no measurements between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} "
                    "UTC, so no weather forecasts can be derived for that period; load the weather "
                    "(`bvp db populate --data --from ... --to ...`)."
                )
        sid = _source_id(conn, spec)
        stored = pd.DataFrame(columns=["sensor", "k", "n"])
        if sid is not None:
            stored = pd.DataFrame(
                conn.execute(
                    sa.text(
                        "SELECT s.name, floor(extract(epoch FROM b.event_start) * 1e9 / :blk)::bigint AS k, count(*) "
                        "FROM timed_beliefs b JOIN sensors s ON s.id = b.sensor_id "
                        "WHERE b.source_id = :sid AND s.name = ANY(:names) AND b.event_start >= :a AND b.event_start < :b "
                        "GROUP BY 1, 2"
                    ),
                    {"blk": block, "sid": sid, "names": sensors, "a": b0.to_pydatetime(), "b": b1.to_pydatetime()},
                ).all(),
                columns=["sensor", "k", "n"],
            )
        have = {(r.sensor, int(r.k)): int(r.n) for r in stored.itertuples()}
        frames = []
        for s in sensors:
            m = measured[s]
            if m.empty:
                continue
            k = m.index.asi8 // block
            counts = pd.Series(k).value_counts()
            todo = [int(kk) for kk, n in counts.items() if have.get((s, int(kk))) != int(n) * n_h]
            if todo:
                frames.append(weather.derive_weather_forecasts(m[np.isin(k, todo)], **w))
        if frames:
            df = pd.concat(frames, ignore_index=True)
            df["sensor"] = df["sensor"].astype(str)
            written = save_beliefs(df[["sensor", "event_start", "belief_horizon", "value"]], source=spec, bind=conn)
    return written


def ensure_weather_for_days(first_day, last_day, *, history: str = "60D", parameters: dict | str | None = None,
                            bind=None, catalogue: Catalogue | None = None) -> int:  # fmt: skip
    """Derive the weather forecasts of every weather sensor for local days ``[first_day,
    last_day]`` and the ``history`` before them (training windows and lags), once.

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
    with transaction(bind) as conn:
        sensors = list(read_catalogue(conn, catalogue).weather.index)
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
        return ensure_weather_forecasts(sensors, lo, hi, parameters=p, bind=conn)


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
    with transaction(bind) as conn:
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
    ensure_weather_forecasts(need, start, end, parameters=p, bind=conn)
    wf = load_weather_forecasts(need, start, end, known_before=known_before, min_horizon=min_horizon,
                                max_horizon=max_horizon, parameters=p, bind=conn)  # fmt: skip
    return prepare_regressors(wf) or {}


def weather_subset(cubes: Mapping, models) -> dict:
    names = needed_weather(models, set(cubes))
    return {n: cubes[n] for n in names if n in cubes}
