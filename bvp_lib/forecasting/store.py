"""Forecasts from and into the database: day-ahead at gate closure, rolling backtests, accuracy.

This module wires :mod:`bvp_lib.forecasting` (pure pandas) to the beliefs tables
(:mod:`bvp_lib.beliefs`). Every value a forecast reads comes from the database *as it was
known at the belief time*:

* measured series (asset power [MW], **production positive, consumption negative**;
  day-ahead prices [EUR/MWh]) are read with ``known_before=belief_time``: a measurement is
  known when its step ends, a price when the auction published it (13:00 on D-1);
* weather forecasts are beliefs with a positive horizon on the weather sensors. Where the
  database holds only measured weather, they are derived from it
  (:func:`~bvp_lib.forecasting.weather.derive_weather_forecasts`, seeded, drawn per
  7-day block so a piece derived later never contradicts one derived earlier) and stored
  with the data source ``derived weather forecast`` (type ``forecaster``), so the
  forecasting pipeline is the same as with a real weather feed
  (:func:`ensure_weather_forecasts`).

Functions
---------
:func:`forecast_day_ahead`
    The daily path: at gate closure (12:00 local on D-1) forecast every step of local day
    D (92, 96 or 100 quarter-hours; 23, 24 or 25 hourly prices) for every asset with a
    power series and the market price; one fit per model on the training window.
:func:`load_day_ahead`, :func:`load_actuals`
    What the scheduler reads: the stored day-ahead forecasts known at gate closure, and
    the measurements of the day, as wide frames (one column per sensor).
:func:`forecast_range`, :func:`evaluate_range`
    Rolling-origin backtests from database history, stored as beliefs, and their accuracy
    (MAE, RMSE, WAPE, bias, skill per sensor, model and horizon); :func:`forecast_errors`
    and :func:`day_ahead_vs_actual` feed the figures of :mod:`bvp_lib.forecasting.plots`.

Every call that writes does so in **one transaction**: on any error nothing is stored.
Writes are idempotent (upserts on sensor, event start, horizon and data source). A
forecast's data source is the model's identity (:meth:`BaseForecaster.source`): name
(``linear``), type ``forecaster``, model class and a hash of its parameters, version.

Which model
-----------
Models per asset type come from ``parameters/forecasting.yaml`` (:func:`models_for`): the
baselines (persistence, seasonal naive daily and weekly) and the learned models
(``linear``, ``lightgbm``). The *primary* model of a type (``primary_models``) is the one
:func:`forecast_day_ahead` runs by default and :func:`load_day_ahead` prefers.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bvp_lib.beliefs import SourceSpec, load_beliefs, save_beliefs
from bvp_lib.db.engine import transaction
from bvp_lib.forecasting import errors as fe
from bvp_lib.forecasting.backtest import FORECAST_COLUMNS, rolling_backtest, to_beliefs
from bvp_lib.forecasting.base import BELIEF_COLUMNS, FORECASTING_VERSION, BaseForecaster, beliefs_frame
from bvp_lib.forecasting.config import backtest_settings, load_parameters, models_for, weather_settings
from bvp_lib.forecasting.errors import ForecastingError, InsufficientHistoryError, RegressorError
from bvp_lib.forecasting.horizons import DEFAULT_HORIZONS, DayAhead, FixedHorizon, day_ahead_issue_times, parse_horizons
from bvp_lib.forecasting.metrics import evaluate
from bvp_lib.forecasting.profiling import single_threaded_blas
from bvp_lib.forecasting.regressors import prepare_regressors
from bvp_lib.forecasting.series import fmt_td, prepare_series
from bvp_lib.forecasting.weather import DERIVED_SOURCE, derive_weather_forecasts
from bvp_lib.timing import as_date, day_bounds

#: data source types whose beliefs are actual values (measurements, imported data)
ACTUAL_SOURCE_TYPES = ("measurement", "user import")
#: weather sensor type -> weather role of the models (parameters/forecasting.yaml)
WEATHER_TYPE_ROLES = {"temperature": "temperature", "irradiance": "ghi", "wind_speed": "wind_speed"}
#: asset type key of market prices in parameters/forecasting.yaml
PRICE_TYPE = "price"
DEFAULT_WEATHER_BLOCK = "7D"


# ---------------------------------------------------------------------------------------
# what to forecast


@dataclass(frozen=True)
class Target:
    """One series to forecast: an asset's power or a market's price.

    Attributes
    ----------
    sensor : str
        The sensor (the asset's or market's name).
    asset_type : str
        Its key under ``asset_types`` in the parameters (``solar``, ..., ``price``).
    resolution : pandas.Timedelta
        The sensor's event resolution.
    unit : str
        ``MW`` (production positive, consumption negative) or ``EUR/MWh``.
    site : dict
        ``latitude``, ``longitude`` [deg] and the physical attributes of the models.
    weather : dict
        Weather role (``temperature``, ``ghi``, ``wind_speed``) -> weather sensor.
    subdivision : str or None
        State whose public holidays count (``"BB"``).
    """

    sensor: str
    asset_type: str
    resolution: pd.Timedelta
    unit: str = "MW"
    site: dict = field(default_factory=dict)
    weather: dict = field(default_factory=dict)
    subdivision: str | None = None


def _params(parameters) -> dict:
    return parameters if isinstance(parameters, dict) else load_parameters(parameters)


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance [km]."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def _weather_for(lat, lon, named: Sequence[str], weather: pd.DataFrame) -> dict[str, str]:
    """Role -> weather sensor: the asset's named weather sensors first, else the nearest of each type."""
    roles: dict[str, str] = {}
    for name in named or []:
        if name in weather.index:
            role = WEATHER_TYPE_ROLES.get(weather.at[name, "type"])
            if role and role not in roles:
                roles[role] = name
    if lat is None or lon is None:
        return roles
    for wtype, role in WEATHER_TYPE_ROLES.items():
        if role in roles:
            continue
        cands = weather[weather["type"] == wtype]
        if len(cands):
            d = [_distance_km(lat, lon, r.latitude, r.longitude) for r in cands.itertuples()]
            roles[role] = str(cands.index[int(np.argmin(d))])
    return roles


def _read_structure(conn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    assets = pd.DataFrame(
        conn.execute(
            sa.text(
                "SELECT a.name, a.asset_type_name AS type, t.is_storage, a.latitude, a.longitude, a.capacity_mw, "
                "a.attributes, m.name AS market, s.name AS sensor, s.unit, "
                "extract(epoch FROM s.event_resolution) AS res_s "
                "FROM assets a JOIN asset_types t ON t.name = a.asset_type_name "
                "LEFT JOIN markets m ON m.id = a.market_id LEFT JOIN sensors s ON s.asset_id = a.id ORDER BY a.name"
            )
        ).all(),
        columns=["name", "type", "is_storage", "latitude", "longitude", "capacity_mw", "attributes", "market",
                 "sensor", "unit", "res_s"],
    ).set_index("name")  # fmt: skip
    markets = pd.DataFrame(
        conn.execute(
            sa.text(
                "SELECT m.name, s.name AS sensor, s.unit, extract(epoch FROM s.event_resolution) AS res_s "
                "FROM markets m JOIN sensors s ON s.market_id = m.id AND s.quantity = 'price' ORDER BY m.name"
            )
        ).all(),
        columns=["name", "sensor", "unit", "res_s"],
    ).set_index("name")
    weather = pd.DataFrame(
        conn.execute(
            sa.text(
                "SELECT s.name, w.weather_sensor_type_name AS type, w.latitude, w.longitude "
                "FROM weather_sensors w JOIN sensors s ON s.weather_sensor_id = w.id ORDER BY s.name"
            )
        ).all(),
        columns=["name", "type", "latitude", "longitude"],
    ).set_index("name")
    return assets, markets, weather


def forecast_targets(
    assets: Sequence[str] | None = None,
    *,
    include_price: bool = True,
    parameters: dict | str | None = None,
    bind=None,
) -> list[Target]:
    """The series to forecast: assets with a power series, and market prices.

    Parameters
    ----------
    assets : sequence of str, optional
        Asset names (or market names, for a price). None: every asset in the database
        whose type has models in the parameters. Batteries (storage types without
        models) have no power series of their own and are skipped even when named.
    include_price : bool
        Add the price of the assets' markets (of every market when ``assets`` is None).
    parameters : dict or path, optional
        Forecasting parameters (default ``parameters/forecasting.yaml``).
    bind : Engine or Connection, optional
        The database.

    Returns
    -------
    list of Target
        Assets first (by name), then prices.

    Raises
    ------
    ForecastingError
        For an unknown name, or a named asset (not storage) whose type has no
        forecasting models.
    """
    p = _params(parameters)
    types = p.get("asset_types", {})
    with transaction(bind) as conn:
        table, markets, weather = _read_structure(conn)
    names = list(dict.fromkeys(assets)) if assets is not None else list(table.index)
    unknown = [n for n in names if n not in table.index and n not in markets.index]
    if unknown:
        known = list(table.index) + list(markets.index)
        raise ForecastingError(
            f"unknown asset(s) {unknown}: the database holds {len(known)} assets and markets "
            f"({', '.join(known[:8])}{', ...' if len(known) > 8 else ''}); `bvp db show` lists them, "
            "`bvp db populate --structure` loads them."
        )
    out: list[Target] = []
    wanted_markets: list[str] = [n for n in names if n in markets.index]
    for name in names:
        if name not in table.index:
            continue
        row = table.loc[name]
        if include_price and row["market"] is not None and row["market"] not in wanted_markets:
            wanted_markets.append(row["market"])
        if row["type"] not in types:
            if assets is None or bool(row["is_storage"]):
                continue  # batteries: no power series of their own (nor models)
            raise ForecastingError(
                f"asset {name!r} is of type {row['type']!r}, which has no forecasting models; add it under "
                "asset_types in parameters/forecasting.yaml or leave the asset out."
            )
        if row["sensor"] is None:
            raise ForecastingError(f"asset {name!r} has no power sensor; reload the structure (`bvp db populate --structure`).")
        attrs = dict(row["attributes"] or {})
        site = {"latitude": float(row["latitude"]), "longitude": float(row["longitude"]),
                "capacity_mw": float(row["capacity_mw"])}  # fmt: skip
        for src, dst in (("tilt", "tilt"), ("azimuth", "azimuth"), ("hub_height_m", "hub_height"),
                         ("hub_height", "hub_height"), ("turbine_type", "turbine_type")):  # fmt: skip
            if attrs.get(src) is not None:
                site[dst] = attrs[src]
        out.append(
            Target(
                sensor=str(row["sensor"]), asset_type=str(row["type"]), resolution=pd.Timedelta(seconds=float(row["res_s"])),
                unit=str(row["unit"]), site=site,
                weather=_weather_for(site["latitude"], site["longitude"], attrs.get("weather_sensors") or [], weather),
                subdivision=attrs.get("holidays_subdivision"),
            )  # fmt: skip
        )
    if assets is None and include_price:
        wanted_markets += [m for m in markets.index if m not in wanted_markets]
    if wanted_markets and PRICE_TYPE not in types:
        raise ForecastingError(f"parameters have no asset type {PRICE_TYPE!r} for market prices; add it or pass include_price=False.")
    ws = (types.get(PRICE_TYPE) or {}).get("weather_site") or {}
    for m in wanted_markets:
        r = markets.loc[m]
        out.append(
            Target(
                sensor=str(r["sensor"]), asset_type=PRICE_TYPE, resolution=pd.Timedelta(seconds=float(r["res_s"])),
                unit=str(r["unit"]), site={},
                weather=_weather_for(ws.get("latitude"), ws.get("longitude"), ws.get("weather_sensors") or [], weather),
            )  # fmt: skip
        )
    return out


def primary_model(asset_type: str, parameters: dict | str | None = None) -> str:
    """The primary model of an asset type: ``primary_models`` in the parameters (per type,
    else ``default``), else the first model listed under the type."""
    p = _params(parameters)
    prim = p.get("primary_models") or {}
    entry = (p.get("asset_types") or {}).get(asset_type) or {}
    listed = list((entry.get("models") or {}).keys())
    name = prim.get(asset_type) or prim.get("default") or (listed[0] if listed else "seasonal_naive_daily")
    return str(name)


def target_models(
    target: Target,
    models: Sequence[str] | None = None,
    *,
    default: str = "all",
    parameters: dict | str | None = None,
) -> list[BaseForecaster]:
    """The models of one target (unfitted), from the parameters.

    Parameters
    ----------
    target : Target
        The series.
    models : sequence of str, optional
        Model names to keep (``persistence``, ``seasonal_naive_daily``,
        ``seasonal_naive_weekly``, ``linear``, ``lightgbm``, ...).
    default : {"all", "primary"}
        Without ``models``: every configured model, or the primary one only.
    """
    p = _params(parameters)
    ms = models_for(target.asset_type, site=target.site, weather_sensors=target.weather, parameters=p,
                    subdivision=target.subdivision)  # fmt: skip
    if models is None:
        if default == "all":
            return ms
        models = [primary_model(target.asset_type, p)]
    by_name = {m.name: m for m in ms}
    missing = [n for n in models if n not in by_name]
    if missing:
        raise ForecastingError(
            f"model(s) {missing} are not configured for {target.sensor!r} (type {target.asset_type}); "
            f"choose from {sorted(by_name)} (parameters/forecasting.yaml)."
        )
    return [by_name[n] for n in dict.fromkeys(models)]


def needed_weather(models: Sequence[BaseForecaster], weather_sensors: set[str] | None = None) -> list[str]:
    """Weather sensors whose forecasts the models read (regressors, GHI of ``pv``, wind of
    ``power_curve``); a ``pv`` GHI that is not a stored weather sensor is optional."""
    need: list[str] = []
    for m in models:
        spec = getattr(m, "spec", None)
        if spec is None:
            continue
        if "weather" in spec.families:
            need += list(spec.regressors or [])
        if "pv" in spec.families and (weather_sensors is None or spec.ghi in weather_sensors):
            need.append(spec.ghi)
        if "power_curve" in spec.families:
            need.append(spec.wind_speed)
    return list(dict.fromkeys(need))


def _check_weather_known(target: Target, need: list[str], known: set[str]) -> None:
    missing = [w for w in need if w not in known]
    if missing:
        raise RegressorError(
            f"{target.sensor!r} ({target.asset_type}) needs forecasts of weather {missing}, but the database has "
            f"no such weather sensor{'s' if len(missing) > 1 else ''} (it has {sorted(known) or 'none'}); load the "
            "weather sensors (`bvp db populate --structure`) or change the model's regressors in "
            "parameters/forecasting.yaml."
        )


# ---------------------------------------------------------------------------------------
# measured history


def _ts(ns: int | pd.Timestamp, tz: str) -> str:
    t = pd.Timestamp(ns, tz="UTC") if not isinstance(ns, pd.Timestamp) else ns
    return f"{t.tz_convert(tz):%Y-%m-%d %H:%M} {tz}"


def load_history(
    sensors: Sequence[str],
    start,
    end,
    *,
    known_before=None,
    bind=None,
) -> dict[str, pd.Series]:
    """Actual values (measurements, imports) of sensors as one Series each.

    Parameters
    ----------
    sensors : sequence of str
        Sensor names.
    start, end : tz-aware timestamp
        Events starting in ``[start, end)``.
    known_before : tz-aware timestamp, optional
        Only values known by then (a measurement when its step ended, a price when
        published).
    bind : Engine or Connection, optional

    Returns
    -------
    dict of str to pandas.Series
        Per sensor, the most recent value per event, indexed by event start (UTC) [sensor
        unit: MW production positive and consumption negative, or EUR/MWh]; empty Series
        where nothing is stored.

    Raises
    ------
    ForecastingError
        When a sensor has actual values from more than one data source.
    """
    df = load_beliefs(list(sensors), start, end, source_types=list(ACTUAL_SOURCE_TYPES), most_recent=True,
                      known_before=known_before, bind=bind)  # fmt: skip
    out = {}
    for s in sensors:
        g = df[df["sensor"] == s]
        if g["source_id"].nunique() > 1:
            raise ForecastingError(
                f"sensor {s!r} has actual values from several data sources ({', '.join(sorted(g['source'].unique()))}); "
                "keep one source per sensor (delete or re-import the other)."
            )
        out[s] = pd.Series(g["value"].to_numpy(float), index=pd.DatetimeIndex(g["event_start"]), name=s)
    return out


def _check_history(target: Target, series: pd.Series, need_start: pd.Timestamp, need_end: pd.Timestamp | None,
                   tz: str, what: str, fix: str) -> None:  # fmt: skip
    """Raise a clear error when a target's history does not cover ``[need_start, need_end]``."""
    name = target.sensor
    only = "" if target.asset_type == PRICE_TYPE else f" --asset {name}"
    d0 = f"{need_start.tz_convert(tz):%Y-%m-%d}"
    if series.empty:
        d1 = f"{(need_end if need_end is not None else need_start).tz_convert(tz):%Y-%m-%d}"
        raise InsufficientHistoryError(
            f"{name!r}: no measurements stored between {_ts(need_start, tz)} and "
            f"{_ts(need_end if need_end is not None else need_start, tz)} ({what}). Load them first, e.g. "
            f"`bvp db populate --data --from {d0} --to {d1}{only}`, or {fix}."
        )
    first = series.index.min()
    if first > need_start:
        raise InsufficientHistoryError(
            f"{name!r}: {what} needs measurements from {_ts(need_start, tz)}, but the database holds them only "
            f"from {_ts(first, tz)}. Load more history (`bvp db populate --data --from {d0}{only}`) or {fix}."
        )
    if need_end is not None:
        last_end = series.index.max() + target.resolution
        if last_end < need_end:
            raise InsufficientHistoryError(
                f"{name!r}: {what} needs measurements up to {_ts(need_end, tz)}, but the latest stored one ends at "
                f"{_ts(last_end, tz)}. Load the missing data or pick an earlier day."
            )


# ---------------------------------------------------------------------------------------
# the weather feed


def weather_source(parameters: dict | str | None = None) -> SourceSpec:
    """The data source of derived weather forecasts: name ``derived weather forecast``, type
    ``forecaster``, model ``derive_weather_forecasts:<hash of seed, horizons, errors, block>``."""
    w = _weather_kwargs(parameters)
    blob = json.dumps({k: (v if k != "horizons" else [fmt_td(h) for h in v]) for k, v in w.items()},
                      sort_keys=True, default=str).encode()  # fmt: skip
    return SourceSpec(DERIVED_SOURCE, "forecaster", f"derive_weather_forecasts:{hashlib.sha256(blob).hexdigest()[:12]}",
                      FORECASTING_VERSION)  # fmt: skip


def _weather_kwargs(parameters) -> dict:
    w = weather_settings(_params(parameters))
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
        measured = load_history(sensors, b0, b1, bind=conn)
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
                frames.append(derive_weather_forecasts(m[np.isin(k, todo)], **w))
        if frames:
            df = pd.concat(frames, ignore_index=True)
            df["sensor"] = df["sensor"].astype(str)
            written = save_beliefs(df[["sensor", "event_start", "belief_horizon", "value"]], source=spec, bind=conn)
    return written


def ensure_weather_for_days(first_day, last_day, *, history: str = "60D", parameters: dict | str | None = None,
                            bind=None) -> int:  # fmt: skip
    """Derive the weather forecasts of every weather sensor for local days ``[first_day,
    last_day]`` and the ``history`` before them (training windows and lags), once.

    Day-ahead forecasts derive missing weather forecasts themselves; a sweep calls this
    first so its parallel forecast tasks find them stored and never write the same rows.

    Returns
    -------
    int
        Beliefs written (0 when all were stored).
    """
    p = _params(parameters)
    tz = backtest_settings(p)["tz"]
    start, _ = day_bounds(as_date(first_day), tz)
    _, end = day_bounds(as_date(last_day), tz)
    with transaction(bind) as conn:
        sensors = list(_read_structure(conn)[2].index)
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


def _weather_cubes(conn, targets_models, start, end, p, *, known_before=None, min_horizon=None, max_horizon=None):
    """Derive (where missing), store and load the weather forecasts the models need, as cubes."""
    weather_known = set(_read_structure(conn)[2].index)
    need: list[str] = []
    for t, ms in targets_models:
        n = needed_weather(ms, weather_known)
        _check_weather_known(t, n, weather_known)
        need += n
    need = list(dict.fromkeys(need))
    if not need:
        return {}
    ensure_weather_forecasts(need, start, end, parameters=p, bind=conn)
    wf = load_weather_forecasts(need, start, end, known_before=known_before, min_horizon=min_horizon,
                                max_horizon=max_horizon, parameters=p, bind=conn)  # fmt: skip
    return prepare_regressors(wf) or {}


def _subset(cubes: Mapping, models) -> dict:
    names = needed_weather(models, set(cubes))
    return {n: cubes[n] for n in names if n in cubes}


# ---------------------------------------------------------------------------------------
# saving


@contextlib.contextmanager
def _transaction(bind, *, keep: bool = True):
    """One transaction for a whole call: committed at the end when ``keep``, rolled back on any
    error (and when not ``keep``: a dry run leaves the database as it was). Inside a
    caller's Connection it is a savepoint."""
    from sqlalchemy.engine import Connection

    if isinstance(bind, Connection):
        sp = bind.begin_nested()
        try:
            yield bind
        except BaseException:
            sp.rollback()
            raise
        if keep:
            sp.commit()
        else:
            sp.rollback()
        return
    if bind is None:
        from bvp_lib.db.engine import get_engine

        bind = get_engine()
    with bind.connect() as conn:
        trans = conn.begin()
        try:
            yield conn
        except BaseException:
            trans.rollback()
            raise
        if keep:
            trans.commit()
        else:
            trans.rollback()


def _save_forecasts(conn, frames: Sequence[tuple[pd.DataFrame, SourceSpec]]) -> int:
    n = 0
    for frame, spec in frames:
        if len(frame):
            n += save_beliefs(frame[["sensor", "event_start", "belief_horizon", "value"]], source=spec, bind=conn)
    return n


# ---------------------------------------------------------------------------------------
# day-ahead at gate closure


def gate_closure(day, parameters: dict | str | None = None) -> pd.Timestamp:
    """Belief time of the day-ahead forecasts of local day ``day``: gate closure on D-1 (UTC)."""
    s = backtest_settings(_params(parameters))
    d = as_date(day)
    return day_ahead_issue_times(d, d, s["tz"], s["gate_closure"])[0].tz_convert("UTC")


def forecast_day_ahead(
    day,
    *,
    assets: list[str] | None = None,
    include_price: bool = True,
    models: list[str] | None = None,
    train_window="30D",
    save: bool = True,
    bind=None,
    progress: bool = False,
    parameters: dict | str | None = None,
) -> pd.DataFrame:
    """Day-ahead forecasts of local day ``day`` as believed at gate closure (12:00 on D-1).

    For every asset with a power series (batteries have none) and the market price: read
    the measurements known at gate closure (``known_before``) over the training window
    plus the models' lags, the weather forecasts known then (derived from measured weather
    and stored first where missing: :func:`ensure_weather_forecasts`), fit each model once
    on the day-ahead pairs of the window, and forecast every step of D: 92, 96 or 100
    quarter-hours (23, 24 or 25 hourly prices).

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        The delivery day D (local day in the market's timezone).
    assets : list of str, optional
        Asset (or market) names; None: every asset.
    include_price : bool
        Also forecast the price of the assets' market [EUR/MWh].
    models : list of str, optional
        Models to run (``linear``, ``lightgbm``, ``seasonal_naive_daily``, ...); default
        the primary model of each asset type (``primary_models`` in the parameters).
    train_window : str or pandas.Timedelta
        Training events: those ending in ``[gate closure - train_window, gate closure]``.
    save : bool
        Store the forecasts (idempotent), source = the model's identity; False is a dry
        run that leaves the database as it was (the weather forecasts derived on the way
        are not kept either).
    bind : Engine or Connection, optional
        The database; an Engine runs the call in one transaction.
    progress : bool
        Show a progress bar over the series.
    parameters : dict or path, optional
        Forecasting parameters (default ``parameters/forecasting.yaml``).

    Returns
    -------
    pandas.DataFrame
        Beliefs ``sensor``, ``event_start`` (UTC), ``belief_horizon`` (``event_start +
        resolution - gate closure``, 12 h 15 min .. 37 h), ``source`` (model name),
        ``value`` [MW, production positive and consumption negative; EUR/MWh for prices].
        ``attrs["belief_time"]`` is gate closure (UTC).

    Raises
    ------
    ForecastingError
        Unknown assets or models; too little history (naming the sensor, the period needed
        and what is stored), gaps longer than ``max_gap``, no measurements up to gate
        closure, no weather for the day. Nothing is stored then.
    """
    p = _params(parameters)
    bs = backtest_settings(p)
    tz = bs["tz"]
    d = as_date(day)
    spec = DayAhead(gate_closure=bs["gate_closure"], tz=tz)
    b = gate_closure(d, p)
    day_start, day_end = day_bounds(d, tz)
    window = pd.Timedelta(train_window)
    with _transaction(bind, keep=save) as conn, single_threaded_blas():
        targets = forecast_targets(assets, include_price=include_price, parameters=p, bind=conn)
        if not targets:
            raise ForecastingError("nothing to forecast: no asset with a power series and no market selected.")
        plan = [(t, target_models(t, models, default="primary", parameters=p)) for t in targets]
        look = max(m.lookback(spec.max_horizon) for _, ms in plan for m in ms)
        learns = any(m.learns for _, ms in plan for m in ms)
        hist_start = b - (window if learns else pd.Timedelta(0)) - look
        history = load_history([t.sensor for t in targets], hist_start, day_start, known_before=b, bind=conn)
        what = f"a day-ahead forecast of {d} (train_window {fmt_td(window)} plus {fmt_td(look)} of lags before gate closure)"
        for t in targets:
            _check_history(t, history[t.sensor], hist_start, b, tz, what, "pass a shorter train_window")
        # weather forecasts known at gate closure; day-ahead pairs need horizons of 12 h .. 37 h (+ one weather step)
        cubes = _weather_cubes(conn, plan, hist_start, day_end, p, known_before=b,
                               min_horizon=day_start - b, max_horizon=spec.max_horizon + pd.Timedelta("1h"))  # fmt: skip
        frames: list[tuple[pd.DataFrame, SourceSpec]] = []
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(plan), desc=f"day-ahead {d}", unit="series")
        for t, ms in plan:
            grid = prepare_series(history[t.sensor], max_gap=bs["max_gap"])
            e = pd.date_range(day_start, day_end, freq=t.resolution, inclusive="left").asi8
            bb = np.full(len(e), b.value, dtype=np.int64)
            tc = _subset(cubes, ms)
            for m in ms:
                fitted = m.clone().fit_prepared(grid, tc, [spec], window, b.value)
                values = fitted.predict_pairs(grid, tc, bb, e)
                frames.append((beliefs_frame(t.sensor, m.name, bb, e, grid.res, values), fitted.source().to_source_spec()))
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        if save:
            _save_forecasts(conn, frames)
    out = pd.concat([f for f, _ in frames], ignore_index=True)
    out.attrs["belief_time"] = b
    return out


# ---------------------------------------------------------------------------------------
# reading what the scheduler needs


def _asset_types_of(conn, sensors: Sequence[str]) -> dict[str, str]:
    rows = conn.execute(
        sa.text(
            "SELECT s.name, COALESCE(a.asset_type_name, CASE WHEN s.market_id IS NOT NULL THEN :price END) "
            "FROM sensors s LEFT JOIN assets a ON a.id = s.asset_id WHERE s.name = ANY(:n)"
        ),
        {"n": list(sensors), "price": PRICE_TYPE},
    ).all()
    return {str(r[0]): r[1] for r in rows}


def _wide(df: pd.DataFrame, sensors: Sequence[str]) -> pd.DataFrame:
    """One column per sensor (each at its own resolution), on the union of their step starts (UTC)."""
    if df.empty:
        return pd.DataFrame(columns=list(sensors), index=pd.DatetimeIndex([], tz="UTC", name="event_start"), dtype=float)
    w = df.pivot_table(index="event_start", columns="sensor", values="value", aggfunc="first", observed=True)
    w.columns = [str(c) for c in w.columns]
    w = w.reindex(columns=list(sensors))
    w.index = pd.DatetimeIndex(w.index).tz_convert("UTC")
    w.index.name = "event_start"
    w.columns.name = None
    return w


def load_day_ahead(day, sensors: Sequence[str], *, source_name: str | None = None, bind=None,
                   parameters: dict | str | None = None) -> pd.DataFrame:  # fmt: skip
    """The stored day-ahead forecasts of local day ``day`` known at gate closure (12:00 on D-1).

    Per sensor and step the most recent forecast known at gate closure (normally the one
    issued then by :func:`forecast_day_ahead` or a day-ahead backtest).

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        The delivery day D (local).
    sensors : sequence of str
        Asset power sensors and/or price sensors.
    source_name : str, optional
        The model (data source name) to read, e.g. ``"linear"``. None: per sensor the
        primary model of its asset type if stored, else the only model stored.
    bind : Engine or Connection, optional
    parameters : dict or path, optional
        Forecasting parameters (primary models, timezone, gate closure).

    Returns
    -------
    pandas.DataFrame
        One column per sensor [MW, production positive and consumption negative; EUR/MWh],
        indexed by step start (UTC). Each column keeps its sensor's resolution: with
        quarter-hourly power and hourly prices together the index holds the quarter-hours
        and a price column is NaN between its hours. When one data source name has
        several versions (changed parameters), the newest is read.

    Raises
    ------
    ForecastingError
        A sensor without a stored forecast for the day, or (``source_name`` None) with
        forecasts of several models and none of them primary.
    """
    p = _params(parameters)
    tz = backtest_settings(p)["tz"]
    sensors = list(dict.fromkeys(sensors))
    d = as_date(day)
    start, end = day_bounds(d, tz)
    b = gate_closure(d, p)
    with transaction(bind) as conn:
        df = load_beliefs(sensors, start, end, source_types=["forecaster"], known_before=b, most_recent=True,
                          sources=[source_name] if source_name else None, bind=conn)  # fmt: skip
        types = _asset_types_of(conn, sensors)
    parts = []
    for s in sensors:
        g = df[df["sensor"] == s]
        if g.empty:
            raise ForecastingError(
                f"no day-ahead forecast of {s!r} for {d}"
                + (f" from model {source_name!r}" if source_name else "")
                + f" known by gate closure ({_ts(b, tz)}); make it with `bvp forecast day-ahead --date {d}` "
                "(forecast_day_ahead)."
            )
        names = sorted(g["source"].unique())
        if source_name is None and len(names) > 1:
            prim = primary_model(types.get(s) or "", p)
            if prim not in names:
                raise ForecastingError(
                    f"day-ahead forecasts of {s!r} for {d} come from several models ({', '.join(names)}) and none is "
                    f"the primary one ({prim}); say which with source_name=..."
                )
            g = g[g["source"] == prim]
        g = g[g["source_id"] == g["source_id"].max()]  # newest version of that model
        parts.append(g)
    return _wide(pd.concat(parts, ignore_index=True), sensors)


def load_actuals(day, sensors: Sequence[str], *, bind=None, parameters: dict | str | None = None) -> pd.DataFrame:
    """The actual values of local day ``day``: measurements (horizon <= 0) and published prices.

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        The local day.
    sensors : sequence of str
        Asset power sensors and/or price sensors.
    bind : Engine or Connection, optional
    parameters : dict or path, optional
        Forecasting parameters (timezone).

    Returns
    -------
    pandas.DataFrame
        One column per sensor [MW, production positive and consumption negative;
        EUR/MWh], indexed by step start (UTC), each at its own resolution (as
        :func:`load_day_ahead`); missing steps are NaN.

    Raises
    ------
    ForecastingError
        A sensor with no actual value on the day.
    """
    tz = backtest_settings(_params(parameters))["tz"]
    sensors = list(dict.fromkeys(sensors))
    d = as_date(day)
    start, end = day_bounds(d, tz)
    hist = load_history(sensors, start, end, bind=bind)
    empty = [s for s in sensors if hist[s].empty]
    if empty:
        raise ForecastingError(
            f"no measurements of {empty} on {d}; load them (`bvp db populate --data --from {d} --to {d}`)."
        )
    rows = pd.concat(
        [pd.DataFrame({"sensor": s, "event_start": hist[s].index, "value": hist[s].to_numpy()}) for s in sensors],
        ignore_index=True,
    )
    return _wide(rows, sensors)


# ---------------------------------------------------------------------------------------
# rolling backtests from the database


def _backtest_task(series, models, cubes, kwargs):
    """One series' backtest (in a worker process); errors come back as (class name, message)."""
    try:
        out = rolling_backtest(series, models, regressors=cubes, progress=False, **kwargs)
        return out, None
    except ForecastingError as e:
        return None, (type(e).__name__, str(e))


def _raise_from(err: tuple[str, str]):
    cls = getattr(fe, err[0], ForecastingError)
    try:
        exc = cls(err[1])
    except TypeError:  # GapError takes more arguments
        exc = ForecastingError(err[1])
    raise exc


def forecast_range(
    start_day,
    end_day,
    *,
    assets: list[str] | None = None,
    models: list[str] | None = None,
    horizons: Sequence = DEFAULT_HORIZONS,
    train_window="30D",
    refit="7D",
    save: bool = True,
    bind=None,
    progress: bool = True,
    include_price: bool = True,
    workers: int = 1,
    parameters: dict | str | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest from database history, stored as beliefs.

    For each series (:func:`forecast_targets`) every issue schedule in ``horizons`` makes
    its forecasts for the events of local days ``start_day`` .. ``end_day``; the models
    are refitted every ``refit`` on the preceding ``train_window``
    (:func:`~bvp_lib.forecasting.backtest.rolling_backtest`: a forecast only uses what
    was known at its belief time). Weather forecasts come from the stored feed
    (:func:`ensure_weather_forecasts`).

    Parameters
    ----------
    start_day, end_day : date or str (YYYY-MM-DD)
        First and last local day of the forecast events (inclusive).
    assets : list of str, optional
        Asset (or market) names; None: every asset with a power series.
    models : list of str, optional
        Model names; None: the baselines and every configured model.
    horizons : sequence
        Issue schedules: durations (``"1h"``, ``"24h"``) and/or ``"day-ahead"``.
    train_window, refit : str or pandas.Timedelta
        Training window of each fit and time between fits.
    save : bool
        Store the forecasts (idempotent; one transaction for the whole call); False is a
        dry run that leaves the database as it was.
    bind : Engine or Connection, optional
    progress : bool
        Progress bar over the series.
    include_price : bool
        Also backtest the market price.
    workers : int
        Processes to spread the series over (1: in this process).
    parameters : dict or path, optional
        Forecasting parameters.

    Returns
    -------
    pandas.DataFrame
        Beliefs plus ``horizon`` (schedule label), as ``rolling_backtest`` returns, for all
        series. ``attrs["timings"]``: per sensor and model the seconds spent fitting and
        predicting and the number of fits; ``attrs["stages"]``: wall-clock seconds of
        loading (with the weather feed), the backtests and storing (overlapped with them).

    Raises
    ------
    ForecastingError
        Unknown assets or models, too little history, gaps, missing weather. Nothing is
        stored then.
    """
    p = _params(parameters)
    bs = backtest_settings(p)
    tz = bs["tz"]
    d0, d1 = as_date(start_day), as_date(end_day)
    if d1 < d0:
        raise ForecastingError(f"--to {d1} is before --from {d0}.")
    start, _ = day_bounds(d0, tz)
    _, end = day_bounds(d1, tz)
    specs = parse_horizons(horizons, tz=tz, gate_closure=bs["gate_closure"])
    max_h = max(s.max_horizon for s in specs)
    window = pd.Timedelta(train_window)
    kwargs = dict(start=d0, end=d1 + dt.timedelta(days=1), horizons=specs, train_window=window, refit=refit, tz=tz,
                  gate_closure=bs["gate_closure"], max_gap=bs["max_gap"])  # fmt: skip
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    with _transaction(bind, keep=save) as conn:
        targets = forecast_targets(assets, include_price=include_price, parameters=p, bind=conn)
        if not targets:
            raise ForecastingError("nothing to forecast: no asset with a power series and no market selected.")
        plan = [(t, target_models(t, models, default="all", parameters=p)) for t in targets]
        look = max(m.lookback(max_h) for _, ms in plan for m in ms)
        first_b = start - max_h
        anchor = pd.Timestamp(first_b.tz_convert(tz).date()).tz_localize(tz).tz_convert("UTC")
        hist_start = anchor - window - look
        history = load_history([t.sensor for t in targets], hist_start, end, bind=conn)
        what = (f"a backtest of {d0} .. {d1} (train_window {fmt_td(window)} plus {fmt_td(look)} of lags before the "
                f"first fit at {_ts(anchor, tz)})")  # fmt: skip
        for t in targets:  # how much history is enough is rolling_backtest's to say, per model
            if history[t.sensor].empty:
                _check_history(t, history[t.sensor], hist_start, end, tz, what, "start the backtest later")
        cubes = _weather_cubes(conn, plan, hist_start, end, p)
        tasks = [(t, history[t.sensor], ms, _subset(cubes, ms)) for t, ms in plan]
        models_of = {t.sensor: ms for t, ms in plan}
        stages["load and weather feed"] = time.perf_counter() - t0
        results: dict[str, pd.DataFrame] = {}
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(tasks), desc=f"forecast {d0} .. {d1}", unit="series")

        def done(sensor: str, res) -> None:
            """Keep a series' forecasts and store them (in this call's transaction) while others compute."""
            out, err = res
            if err is not None:
                _raise_from(err)
            results[sensor] = out
            if save:
                t = time.perf_counter()
                b = to_beliefs(out)
                _save_forecasts(conn, [(b[b["source"] == m.name], m.source().to_source_spec()) for m in models_of[sensor]])
                stages["store"] = stages.get("store", 0.0) + time.perf_counter() - t
            if bar is not None:
                bar.update(1)

        t0 = time.perf_counter()
        if workers > 1 and len(tasks) > 1:
            import multiprocessing as mp

            with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
                futs = {pool.submit(_backtest_task, s, ms, c, kwargs): t.sensor for t, s, ms, c in tasks}
                try:
                    for fut in cf.as_completed(futs):
                        done(futs[fut], fut.result())
                except BaseException:
                    for f in futs:
                        f.cancel()
                    raise
        else:
            for t, s, ms, c in tasks:
                done(t.sensor, _backtest_task(s, ms, c, kwargs))
        if bar is not None:
            bar.close()
        stages["backtests (and store, overlapped)"] = time.perf_counter() - t0
    out = pd.concat([results[t.sensor] for t, _ in plan], ignore_index=True)
    labels = [s.label for s in specs]
    out["horizon"] = pd.Categorical(out["horizon"].astype(str), categories=labels)
    out = out[FORECAST_COLUMNS]
    out.attrs["timings"] = {t.sensor: results[t.sensor].attrs.get("timings", {}) for t, _ in plan}
    out.attrs["asset_types"] = {t.sensor: t.asset_type for t in targets}
    out.attrs["stages"] = stages
    return out


# ---------------------------------------------------------------------------------------
# stored forecasts and their accuracy


def label_schedules(forecasts: pd.DataFrame, horizons: Sequence, resolutions: Mapping[str, pd.Timedelta],
                    *, tz: str = "Europe/Berlin", gate_closure: str = "12:00") -> pd.DataFrame:  # fmt: skip
    """Stored forecast beliefs labelled with the issue schedule they belong to.

    A belief belongs to a fixed horizon ``h`` when its belief horizon is ``h``, and to
    ``day-ahead`` when its belief time (``event_start + resolution - belief_horizon``) is
    gate closure on the day before the event's local day. A belief can belong to both
    (the last step of a day-ahead issue is also its 24 h forecast): it appears once per
    label; a belief of neither is dropped.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        Beliefs (``sensor``, ``event_start``, ``belief_horizon``, ``source``, ``value``).
    horizons : sequence
        Schedules (``"24h"``, ``"day-ahead"``, ...).
    resolutions : mapping of str to pandas.Timedelta
        Event resolution per sensor.
    tz, gate_closure : str
        Market timezone and day-ahead gate closure (local HH:MM on D-1).

    Returns
    -------
    pandas.DataFrame
        The beliefs plus ``horizon`` (label, categorical in the order given).
    """
    specs = parse_horizons(horizons, tz=tz, gate_closure=gate_closure)
    parts = []
    for spec in specs:
        if isinstance(spec, FixedHorizon):
            sel = forecasts[forecasts["belief_horizon"] == spec.horizon]
        else:
            res = pd.to_timedelta(forecasts["sensor"].astype(str).map(dict(resolutions))).to_numpy("timedelta64[ns]")
            es = pd.DatetimeIndex(forecasts["event_start"])
            h = forecasts["belief_horizon"].to_numpy("timedelta64[ns]").astype(np.int64)
            bt = es.asi8 + res.astype(np.int64) - h
            codes, days = pd.factorize(es.tz_convert(tz).normalize())  # local days, once each
            if len(days):
                local = [d.date() for d in days]
                issue = np.array([day_ahead_issue_times(x, x, tz, gate_closure)[0].value for x in local], dtype=np.int64)
                sel = forecasts[bt == issue[codes]]
            else:
                sel = forecasts.iloc[:0]
        parts.append(sel.assign(horizon=spec.label))
    out = pd.concat(parts, ignore_index=True)
    out["horizon"] = pd.Categorical(out["horizon"], categories=[s.label for s in specs])
    return out


def stored_forecasts(
    start_day,
    end_day,
    *,
    assets: list[str] | None = None,
    models: list[str] | None = None,
    horizons: Sequence | None = None,
    include_price: bool = True,
    bind=None,
    parameters: dict | str | None = None,
) -> pd.DataFrame:
    """Stored forecasts of the events of local days ``start_day`` .. ``end_day``, labelled
    with their issue schedule (:func:`label_schedules`).

    Where one model name has several stored versions (changed parameters) for a sensor,
    the newest (highest data source id) is read.

    Returns
    -------
    pandas.DataFrame
        ``sensor``, ``event_start`` (UTC), ``belief_horizon``, ``source``, ``value`` [MW or
        EUR/MWh], ``horizon``; ``attrs["asset_types"]`` maps sensor -> asset type.

    Raises
    ------
    ForecastingError
        When nothing is stored for the selection.
    """
    p = _params(parameters)
    bs = backtest_settings(p)
    tz = bs["tz"]
    d0, d1 = as_date(start_day), as_date(end_day)
    start, _ = day_bounds(d0, tz)
    _, end = day_bounds(d1, tz)
    horizons = list(horizons) if horizons is not None else bs["horizons"]
    with transaction(bind) as conn:
        targets = forecast_targets(assets, include_price=include_price, parameters=p, bind=conn)
        sensors = [t.sensor for t in targets]
        f = load_beliefs(sensors, start, end, source_types=["forecaster"], sources=models, bind=conn)
    if f.empty:
        raise ForecastingError(
            f"no forecasts stored for {sensors[:6]}{' ...' if len(sensors) > 6 else ''} between {d0} and {d1}"
            + (f" from models {list(models)}" if models else "")
            + f"; make them first: `bvp forecast --from {d0} --to {d1}` (forecast_range)."
        )
    newest = f.groupby(["sensor", "source"], observed=True)["source_id"].transform("max")
    f = f[f["source_id"] == newest]
    res = {t.sensor: t.resolution for t in targets}
    out = label_schedules(f[BELIEF_COLUMNS], horizons, res, tz=tz, gate_closure=bs["gate_closure"])
    out.attrs["asset_types"] = {t.sensor: t.asset_type for t in targets}
    return out


def actual_rows(sensors: Sequence[str], start, end, *, bind=None) -> pd.DataFrame:
    """Actual values as rows ``sensor``, ``event_start`` (UTC), ``value`` [sensor unit]."""
    hist = load_history(sensors, start, end, bind=bind)
    parts = [pd.DataFrame({"sensor": s, "event_start": h.index, "value": h.to_numpy()}) for s, h in hist.items()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["sensor", "event_start", "value"])


def forecast_errors(
    start_day,
    end_day,
    *,
    assets: list[str] | None = None,
    models: list[str] | None = None,
    horizons: Sequence | None = None,
    include_price: bool = True,
    bind=None,
    parameters: dict | str | None = None,
) -> pd.DataFrame:
    """Stored forecasts next to the actual values: one row per forecast with an actual.

    Returns
    -------
    pandas.DataFrame
        ``sensor``, ``asset_type``, ``source``, ``horizon``, ``event_start`` (UTC),
        ``forecast``, ``actual``, ``error`` (forecast minus actual) [MW, production positive
        and consumption negative; EUR/MWh for prices]. A positive error is too much
        production or too little consumption.
    """
    p = _params(parameters)
    tz = backtest_settings(p)["tz"]
    f = stored_forecasts(start_day, end_day, assets=assets, models=models, horizons=horizons,
                         include_price=include_price, bind=bind, parameters=p)  # fmt: skip
    start, _ = day_bounds(as_date(start_day), tz)
    _, end = day_bounds(as_date(end_day), tz)
    a = actual_rows(sorted(f["sensor"].unique()), start, end, bind=bind).rename(columns={"value": "actual"})
    df = f.rename(columns={"value": "forecast"}).merge(a, on=["sensor", "event_start"], how="inner")
    df["error"] = df["forecast"] - df["actual"]
    df["asset_type"] = df["sensor"].map(f.attrs["asset_types"])
    return df[["sensor", "asset_type", "source", "horizon", "event_start", "forecast", "actual", "error"]]


def evaluate_range(
    start_day,
    end_day,
    *,
    assets: list[str] | None = None,
    models: list[str] | None = None,
    horizons: Sequence | None = None,
    include_price: bool = True,
    bind=None,
    parameters: dict | str | None = None,
) -> pd.DataFrame:
    """Accuracy of the stored forecasts of local days ``start_day`` .. ``end_day``.

    Reads the stored forecasts (:func:`stored_forecasts`) and the actual values, and
    computes :func:`~bvp_lib.forecasting.metrics.evaluate` per sensor, model and
    schedule. Skill is measured against the reference model (``reference_model`` in the
    parameters, seasonal naive daily) on the same events; it is read along even when
    ``models`` leaves it out, and is NaN when it is not stored.

    Parameters
    ----------
    start_day, end_day : date or str (YYYY-MM-DD)
        First and last local day of the events (inclusive).
    assets, models : list of str, optional
        Asset (or market) names and model names; None: all stored.
    horizons : sequence, optional
        Schedules to evaluate (default the configured backtest horizons).
    include_price : bool
        Also evaluate the price forecasts.
    bind : Engine or Connection, optional
    parameters : dict or path, optional

    Returns
    -------
    pandas.DataFrame
        One row per (sensor, model, horizon): ``sensor``, ``asset_type``, ``source``,
        ``horizon``, ``n``, ``mae``, ``rmse``, ``bias`` [MW or EUR/MWh], ``wape``,
        ``skill_mae``, ``skill_rmse`` [-].
    """
    p = _params(parameters)
    ref = p.get("backtest", {}).get("reference_model", "seasonal_naive_daily")
    names = None if models is None else list(dict.fromkeys([*models, ref]))
    errs = forecast_errors(start_day, end_day, assets=assets, models=names, horizons=horizons,
                           include_price=include_price, bind=bind, parameters=p)  # fmt: skip
    if errs.empty:
        raise ForecastingError(f"no stored forecast between {start_day} and {end_day} has an actual value.")
    f = errs.rename(columns={"forecast": "value"})[["sensor", "event_start", "source", "horizon", "value"]]
    a = errs[["sensor", "event_start", "actual"]].drop_duplicates(["sensor", "event_start"])
    a = a.rename(columns={"actual": "value"})
    has_ref = ref in set(f["source"])
    out = evaluate(f, a, reference_model=ref if has_ref else None)
    if not has_ref:
        out["skill_mae"] = np.nan
        out["skill_rmse"] = np.nan
    if models is not None and ref not in models:
        out = out[out["source"] != ref]
    types = dict(zip(errs["sensor"], errs["asset_type"]))
    out.insert(1, "asset_type", out["sensor"].map(types))
    return out.reset_index(drop=True)


def summarise_by_type(metrics: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per asset type, model and horizon: the mean over sensors of WAPE and skill.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`evaluate_range`.

    Returns
    -------
    pandas.DataFrame
        ``asset_type``, ``source``, ``horizon``, ``sensors`` (count), ``wape``,
        ``skill_mae`` [-] (means over sensors).
    """
    g = metrics.groupby(["asset_type", "source", "horizon"], observed=True)
    out = g.agg(sensors=("sensor", "nunique"), wape=("wape", "mean"), skill_mae=("skill_mae", "mean"))
    return out.reset_index()


def day_ahead_vs_actual(
    day,
    sensor: str,
    *,
    models: list[str] | None = None,
    bind=None,
    parameters: dict | str | None = None,
) -> pd.DataFrame:
    """The stored day-ahead forecasts of each model for one sensor and local day, with the actuals.

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        The local day D (forecasts issued at gate closure on D-1).
    sensor : str
        An asset's power sensor or a market's price sensor.
    models : list of str, optional
        Model names; None: all stored.
    bind : Engine or Connection, optional
    parameters : dict or path, optional

    Returns
    -------
    pandas.DataFrame
        One column per model plus ``actual``, indexed by step start (UTC) [MW, production
        positive and consumption negative; or EUR/MWh]; ``attrs["unit"]`` and
        ``attrs["title"]`` for :func:`bvp_lib.forecasting.plots.forecast_vs_actual_figure`.
    """
    f = stored_forecasts(day, day, assets=[sensor], models=models, horizons=["day-ahead"], include_price=False,
                         bind=bind, parameters=parameters)  # fmt: skip
    f = f[f["sensor"] == sensor]
    if f.empty:
        raise ForecastingError(
            f"no day-ahead forecasts of {sensor!r} for {day} are stored; make them with "
            f"`bvp forecast --from {day} --to {day} --horizons day-ahead` or `bvp forecast day-ahead --date {day}`."
        )
    wide = f.pivot_table(index="event_start", columns="source", values="value", aggfunc="first", observed=True)
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    actual = load_actuals(day, [sensor], bind=bind, parameters=parameters)[sensor]
    wide["actual"] = actual.reindex(wide.index)
    asset_type = f.attrs["asset_types"].get(sensor)
    wide.attrs["unit"] = "EUR/MWh" if asset_type == PRICE_TYPE else "MW"
    wide.attrs["title"] = f"{sensor}: day-ahead forecasts for {as_date(day)} (issued at gate closure on D-1) and actual"
    return wide
