"""What to forecast: the targets of the portfolio (asset power series and market
prices), their models, the weather they read, and whether their history suffices.

Targets come from the catalogue (:class:`bvp_lib.db.catalogue.Catalogue`, one read of
the portfolio); models per asset type from ``parameters/forecasting.yaml``
(:func:`~bvp_lib.forecasting.config.models_for`): the benchmarks (persistence, seasonal
naive daily and weekly) and the learned models (``linear``, ``lightgbm``). The
*primary* model of a type (``primary_models``) is the one a day run forecasts with by
default and the scheduler reads.

Power in MW, production positive and consumption negative; prices in EUR/MWh.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bvp_lib.db.catalogue import Catalogue, unknown_names
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.forecasting.base import BaseForecaster
from bvp_lib.forecasting.config import models_for, parameters_of, system_roles
from bvp_lib.forecasting.errors import ForecastingError, InsufficientHistoryError, RegressorError

#: weather sensor type -> weather role of the models (parameters/forecasting.yaml)
WEATHER_TYPE_ROLES = {"temperature": "temperature", "irradiance": "ghi", "wind_speed": "wind_speed"}


#: asset type key of market prices in parameters/forecasting.yaml
PRICE_TYPE = "price"


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
    system : dict
        System role (``residual_load``, ``load``, ``wind``, ``solar``) -> the market's
        fundamental sensor [MW] (a price's only; empty where the market has none).
    """

    sensor: str
    asset_type: str
    resolution: pd.Timedelta
    unit: str = "MW"
    site: dict = field(default_factory=dict)
    weather: dict = field(default_factory=dict)
    subdivision: str | None = None
    system: dict = field(default_factory=dict)


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


def forecast_targets(
    assets: Sequence[str] | None = None,
    *,
    include_price: bool = True,
    parameters: dict | str | None = None,
    bind=None,
    catalogue: Catalogue | None = None,
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
        The database (read only when no ``catalogue`` is given).
    catalogue : Catalogue, optional
        The portfolio as the caller read it (:class:`bvp_lib.db.catalogue.Catalogue`).

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
    p = parameters_of(parameters)
    types = p.get("asset_types", {})
    cat = read_catalogue(bind, catalogue)
    table, markets, weather = cat.assets, cat.markets, cat.weather
    names = list(dict.fromkeys(assets)) if assets is not None else list(table.index)
    unknown = [n for n in names if n not in table.index and n not in markets.index]
    if unknown:
        known = list(table.index) + list(markets.index)
        raise ForecastingError(unknown_names("asset(s)", unknown, known, " (assets and markets); `bvp db show` lists "
                                             "them, `bvp db populate --structure` loads them."))  # fmt: skip
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
                sensor=str(row["sensor"]), asset_type=str(row["type"]),
                resolution=pd.Timedelta(seconds=float(row["sensor_res_s"])), unit=str(row["sensor_unit"]), site=site,
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
                sensor=str(r["sensor"]), asset_type=PRICE_TYPE, resolution=pd.Timedelta(r["resolution"]), unit=str(r["unit"]),
                site={}, weather=_weather_for(ws.get("latitude"), ws.get("longitude"), ws.get("weather_sensors") or [],
                                              weather),
                system=system_roles(list(cat.system.index[cat.system["market"] == m])),
            )  # fmt: skip
        )
    return out


def primary_model(asset_type: str, parameters: dict | str | None = None) -> str:
    """The primary model of an asset type: ``primary_models`` in the parameters (per type,
    else ``default``), else the first model listed under the type."""
    p = parameters_of(parameters)
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
    p = parameters_of(parameters)
    ms = models_for(target.asset_type, site=target.site, weather_sensors=target.weather, parameters=p,
                    subdivision=target.subdivision, system_sensors=target.system)  # fmt: skip
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


def needed_fundamentals(models: Sequence[BaseForecaster]) -> list[str]:
    """System sensors whose forecasts the models read (the ``fundamentals`` family)."""
    need: list[str] = []
    for m in models:
        spec = getattr(m, "spec", None)
        if spec is not None:
            need += spec.used_fundamentals()
    return list(dict.fromkeys(need))


def check_weather_known(target: Target, need: list[str], known: set[str]) -> None:
    missing = [w for w in need if w not in known]
    if missing:
        raise RegressorError(
            f"{target.sensor!r} ({target.asset_type}) needs forecasts of weather {missing}, but the database has "
            f"no such weather sensor{'s' if len(missing) > 1 else ''} (it has {sorted(known) or 'none'}); load the "
            "weather sensors (`bvp db populate --structure`) or change the model's regressors in "
            "parameters/forecasting.yaml."
        )


def fmt_local(ns: int | pd.Timestamp, tz: str) -> str:
    t = pd.Timestamp(ns, tz="UTC") if not isinstance(ns, pd.Timestamp) else ns
    return f"{t.tz_convert(tz):%Y-%m-%d %H:%M} {tz}"


def check_history(target: Target, series: pd.Series, need_start: pd.Timestamp, need_end: pd.Timestamp | None,
                   tz: str, what: str, fix: str) -> None:  # fmt: skip
    """Raise a clear error when a target's history does not cover ``[need_start, need_end]``."""
    name = target.sensor
    only = "" if target.asset_type == PRICE_TYPE else f" --asset {name}"
    d0 = f"{need_start.tz_convert(tz):%Y-%m-%d}"
    if series.empty:
        d1 = f"{(need_end if need_end is not None else need_start).tz_convert(tz):%Y-%m-%d}"
        raise InsufficientHistoryError(
            f"{name!r}: no measurements stored between {fmt_local(need_start, tz)} and "
            f"{fmt_local(need_end if need_end is not None else need_start, tz)} ({what}). Load them first, e.g. "
            f"`bvp db populate --data --from {d0} --to {d1}{only}`, or {fix}."
        )
    first = series.index.min()
    if first > need_start:
        raise InsufficientHistoryError(
            f"{name!r}: {what} needs measurements from {fmt_local(need_start, tz)}, but the database holds them only "
            f"from {fmt_local(first, tz)}. Load more history (`bvp db populate --data --from {d0}{only}`) or {fix}."
        )
    if need_end is not None:
        last_end = series.index.max() + target.resolution
        if last_end < need_end:
            raise InsufficientHistoryError(
                f"{name!r}: {what} needs measurements up to {fmt_local(need_end, tz)}, but the latest stored one ends at "
                f"{fmt_local(last_end, tz)}. Load the missing data or pick an earlier day."
            )
