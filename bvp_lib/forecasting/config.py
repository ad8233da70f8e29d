"""Models and settings from ``parameters/forecasting.yaml``: model choice per asset type
lives in that file, not in code.

:func:`models_for` makes the benchmarks and the configured models of an asset type, with
the asset's site metadata and the names of its weather sensors; :func:`backtest_settings`
and :func:`weather_settings` read the other sections.
"""

from __future__ import annotations

import copy

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import yaml

from bvp_lib.forecasting.base import BaseForecaster
from bvp_lib.forecasting.benchmarks import Persistence, SeasonalNaive
from bvp_lib.forecasting.errors import ForecastingError
from bvp_lib.forecasting.gbm import GradientBoostingForecaster
from bvp_lib.forecasting.linear import LinearForecaster
from bvp_lib.market.clock import market_clock, market_timezone

DEFAULT_PARAMETERS_PATH = Path(__file__).resolve().parents[2] / "parameters" / "forecasting.yaml"
MODEL_TYPES = ("persistence", "seasonal_naive", "linear", "lightgbm", "hist_gradient_boosting")


_PARSED: dict[tuple, dict] = {}


def load_parameters(path: str | Path | None = None) -> dict:
    """The forecasting parameter file as a dict (default ``parameters/forecasting.yaml``).

    Parsed once per file version (path, modification time, size) and handed out as a
    copy: a daily run reads it a dozen times, and parsing took a third of the time to
    read a day's scheduling inputs. An edited file is read again.
    """
    p = Path(path) if path is not None else DEFAULT_PARAMETERS_PATH
    try:
        st = p.stat()
        key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
        if key not in _PARSED:
            params = yaml.safe_load(p.read_text())
            if not isinstance(params, dict) or "asset_types" not in params:
                raise ForecastingError(f"{p}: expected a mapping with an 'asset_types' section.")
            if "market" in params:
                raise ForecastingError(
                    f"{p}: the 'market' section is no longer read. The market's timezone, gate closure and price "
                    "publication are settings (BVP_TIMEZONE, BVP_GATE_CLOSURE, BVP_PRICE_PUBLICATION; `bvp config` "
                    "shows them); the country of public holidays is `calendar: {country: DE}`."
                )
            _PARSED.clear()
            _PARSED[key] = params
    except FileNotFoundError:
        raise ForecastingError(
            f"forecasting parameters {p} do not exist; pass the path of a forecasting.yaml."
        ) from None
    return copy.deepcopy(_PARSED[key])


def parameters_of(parameters) -> dict:
    """Parsed forecasting parameters: a dict as given, else the file (default
    ``parameters/forecasting.yaml``) through :func:`load_parameters`."""
    return parameters if isinstance(parameters, dict) else load_parameters(parameters)


def make_model(
    name: str,
    spec: Mapping,
    *,
    clock: str = "local",
    tz: str | None = None,
    country: str = "DE",
    subdivision: str | None = None,
    horizon_buckets=None,
    max_gap="1h",
    site: Mapping | None = None,
    weather_sensors: Mapping[str, str] | None = None,
    defaults: Mapping[str, Mapping] | None = None,
    system_sensors: Mapping[str, str] | None = None,
) -> BaseForecaster:
    """One model from its parameter-file entry ``{type: ..., <parameters>}``.

    Weather roles in ``regressors``, ``ghi`` and ``wind_speed`` are renamed through
    ``weather_sensors`` (role -> sensor name); system roles in ``fundamentals``
    (``residual_load``, ``load``, ``wind``, ``solar``) through ``system_sensors``, and a
    role the market has no sensor for is left out (the 2015 set has none: the model then
    runs without fundamentals). The model's source name is ``name``.
    """
    tz = market_timezone(tz)
    spec = dict(spec)
    kind = spec.pop("type", name)
    if kind not in MODEL_TYPES:
        raise ForecastingError(f"model {name!r} has unknown type {kind!r}; choose from {list(MODEL_TYPES)}.")
    if kind == "persistence":
        model = Persistence(max_gap=max_gap)
    elif kind == "seasonal_naive":
        model = SeasonalNaive(spec.pop("period_days", 1), spec.pop("clock", clock), tz, max_gap=max_gap)
    else:
        ws = dict(weather_sensors or {})
        if spec.get("regressors") is not None:
            spec["regressors"] = [ws.get(r, r) for r in spec["regressors"]]
        else:
            spec["regressors"] = []  # no weather unless asked for
        for role in ("ghi", "wind_speed"):
            spec[role] = ws.get(spec.get(role, role), spec.get(role, role))
        if spec.get("fundamentals") is not None:
            ss = dict(system_sensors or {})
            spec["fundamentals"] = [ss[r] if r in ss else r for r in spec["fundamentals"] if r in ss or r in ss.values()]
        common = dict(
            clock=clock, tz=tz, country=country, subdivision=subdivision, site=dict(site or {}), max_gap=max_gap
        )
        if horizon_buckets is not None:
            common["horizon_buckets"] = list(horizon_buckets)
        kwargs = {**dict((defaults or {}).get(kind, {})), **common, **spec}
        if kind == "linear":
            model = LinearForecaster(**kwargs)
        else:
            backend = "lightgbm" if kind == "lightgbm" else "sklearn"
            model = GradientBoostingForecaster(backend=backend, **kwargs)
    model.name = name
    return model


def models_for(
    asset_type: str,
    *,
    site: Mapping | None = None,
    weather_sensors: Mapping[str, str] | None = None,
    parameters: dict | str | Path | None = None,
    include_benchmarks: bool = True,
    subdivision: str | None = None,
    system_sensors: Mapping[str, str] | None = None,
) -> list[BaseForecaster]:
    """The benchmarks and configured models of an asset type.

    Parameters
    ----------
    asset_type : str
        A key of ``asset_types`` (``solar``, ``wind``, ``building``, ``charging_station``,
        ``price``, ...).
    site : mapping, optional
        The asset's metadata: ``latitude``, ``longitude`` [deg]; for wind ``hub_height``
        [m], ``turbine_type``; for solar ``tilt``, ``azimuth`` [deg].
    weather_sensors : mapping, optional
        Weather role (``ghi``, ``temperature``, ``wind_speed``) -> sensor name of its
        forecasts in the regressors.
    parameters : dict or path, optional
        Parsed parameters or the file (default ``parameters/forecasting.yaml``).
    include_benchmarks : bool
        Also return the benchmarks (persistence, seasonal naive daily and weekly).
    subdivision : str, optional
        State whose public holidays count in calendar features (``"BB"``).
    system_sensors : mapping, optional
        System role (``residual_load``, ``load``, ``wind``, ``solar``) -> sensor name of
        the market's fundamentals (:func:`system_roles`), for a price model's ``fundamentals``.
    """
    p = parameters_of(parameters)
    types = p.get("asset_types", {})
    if asset_type not in types:
        raise ForecastingError(
            f"asset type {asset_type!r} has no forecasting models in the parameters; known: {sorted(types)}. "
            "Add it under asset_types in parameters/forecasting.yaml."
        )
    entry = types[asset_type] or {}
    common = dict(
        clock=entry.get("clock", "local"),
        tz=market_clock().timezone,
        country=(p.get("calendar") or {}).get("country", "DE"),
        max_gap=p.get("backtest", {}).get("max_gap", "1h"),
    )
    out = []
    if include_benchmarks:
        out += [make_model(n, s or {}, **common) for n, s in (p.get("benchmarks") or {}).items()]
    for n, s in (entry.get("models") or {}).items():
        out.append(
            make_model(
                n,
                s or {},
                **common,
                subdivision=subdivision,
                horizon_buckets=p.get("horizon_buckets"),
                site=site,
                weather_sensors=weather_sensors,
                defaults={"lightgbm": p.get("lightgbm_defaults", {})},
                system_sensors=system_sensors,
            )  # fmt: skip
        )
    return out


LAGS_KNOWN = ("belief_time", "step_end")


def lags_known(asset_type: str, parameters: dict | str | Path | None = None) -> str:
    """When the lags of an asset type's series count as known: ``belief_time`` (every value
    whose stored belief time is at or before the issue time; a day-ahead price from its
    publication, so all of D-1 at gate closure) or ``step_end`` (only steps that ended by
    then). ``lags_known`` under the type in the parameters; default ``belief_time``."""
    entry = (parameters_of(parameters).get("asset_types") or {}).get(asset_type) or {}
    rule = entry.get("lags_known", "belief_time")
    if rule not in LAGS_KNOWN:
        raise ForecastingError(
            f"asset type {asset_type!r}: lags_known must be one of {list(LAGS_KNOWN)}, got {rule!r} "
            "(parameters/forecasting.yaml)."
        )
    return str(rule)


def backtest_settings(parameters: dict | str | Path | None = None) -> dict:
    """Keyword arguments of :func:`rolling_backtest`: the ``backtest`` section, and the
    timezone and gate closure of the market's clock (:mod:`bvp_lib.market.clock`)."""
    p = parameters_of(parameters)
    b = p.get("backtest", {})
    clock = market_clock()
    return {
        "horizons": list(b.get("horizons", ["1h", "6h", "24h", "48h", "day-ahead"])),
        "train_window": b.get("train_window", "30D"),
        "refit": b.get("refit", "7D"),
        "tz": clock.timezone,
        "gate_closure": clock.gate_closure,
        "max_gap": b.get("max_gap", "1h"),
    }


def longest_train_window(parameters: dict | str | Path | None = None) -> pd.Timedelta:
    """The longest ``max_train_window`` of the configured learned models (0 without any)."""
    out = pd.Timedelta(0)
    for entry in (parameters_of(parameters).get("asset_types") or {}).values():
        for spec in ((entry or {}).get("models") or {}).values():
            if (spec or {}).get("max_train_window") is not None:
                out = max(out, pd.Timedelta(spec["max_train_window"]))
    return out


def weather_settings(parameters: dict | str | Path | None = None) -> dict:
    """Keyword arguments of :func:`derive_weather_forecasts` from ``weather_forecasts``
    (``issues``, ``seed``, ``error_specs``).

    A section with the old keys ``horizons`` or ``block`` (one error path per horizon) is
    refused with what to write instead.
    """
    w = parameters_of(parameters).get("weather_forecasts", {}) or {}
    old = [k for k in ("horizons", "block") if k in w]
    if old:
        raise ForecastingError(
            f"weather_forecasts: {old} are no longer read (the derived forecasts are issued like a weather service's "
            "runs, one correlated error path per issue); write `issues: {every: 6h, first: '04:00', max_horizon: 54h}` "
            "instead (parameters/forecasting.yaml)."
        )
    return {"issues": dict(w.get("issues") or {}), "seed": int(w.get("seed", 0)), "error_specs": w.get("errors")}


def weather_archive(parameters: dict | str | Path | None = None) -> str | None:
    """The data source name of a stored real weather forecast archive to use instead of
    derived forecasts (``weather_forecasts.archive.source``), or None."""
    w = parameters_of(parameters).get("weather_forecasts", {}) or {}
    a = w.get("archive")
    if not a:
        return None
    if not isinstance(a, Mapping) or not a.get("source"):
        raise ForecastingError(
            "weather_forecasts.archive must be a mapping with the archive's data source name, e.g. "
            "`archive: {source: 'icon-d2 archive'}` (parameters/forecasting.yaml)."
        )
    return str(a["source"])


# weather role -> keywords of sensor names that play it
WEATHER_ROLES = {
    "temperature": ("temp",),
    "ghi": ("ghi", "irradiance", "radiation"),
    "wind_speed": ("wind",),
}


# system role -> keywords of sensor names that play it (first match wins, in this order)
SYSTEM_ROLES = {
    "residual_load": ("residual",),
    "load": ("load",),
    "wind": ("wind",),
    "solar": ("solar", "pv"),
}


def system_roles(sensor_names) -> dict[str, str]:
    """System roles (``residual_load``, ``load``, ``wind``, ``solar``) -> the market's
    fundamental sensor that plays each, by keyword in its name (``de_residual_load``
    plays ``residual_load``, ``de_load_proxy`` plays ``load``)."""
    out: dict[str, str] = {}
    for name in sensor_names:
        low = str(name).lower()
        for role, keys in SYSTEM_ROLES.items():
            if any(k in low for k in keys):
                out.setdefault(role, str(name))
                break
    return out


def system_settings(parameters: dict | str | Path | None = None) -> dict:
    """Where the fundamentals' forecasts come from (``system_forecasts`` in the parameters):
    ``source``, the data source name of the stored forecasts (default ``system day-ahead
    forecast``, the 2018 set's)."""
    s = parameters_of(parameters).get("system_forecasts") or {}
    return {"source": str(s.get("source", "system day-ahead forecast"))}


def weather_roles(sensor_names) -> dict[str, str]:
    """Weather roles (``temperature``, ``ghi``, ``wind_speed``) -> the sensor that plays
    each, by keyword in its name (``try_region04_irradiance`` plays ``ghi``)."""
    out: dict[str, str] = {}
    for name in sensor_names:
        low = str(name).lower()
        for role, keys in WEATHER_ROLES.items():
            if role not in out and any(k in low for k in keys):
                out[role] = str(name)
    return out


def site_of(asset: Mapping) -> dict:
    """Site metadata of an ``assets.json`` entry for the physical features.

    ``latitude``, ``longitude`` [deg], ``capacity_mw`` [MW]; from ``attributes``:
    ``tilt``, ``azimuth`` [deg] (solar), ``hub_height`` [m] and ``turbine_type`` (wind).
    """
    attrs = dict(asset.get("attributes") or {})
    site = {k: asset.get(k) for k in ("latitude", "longitude", "capacity_mw") if asset.get(k) is not None}
    for src, dst in (("tilt", "tilt"), ("azimuth", "azimuth"), ("hub_height_m", "hub_height"),
                     ("hub_height", "hub_height"), ("turbine_type", "turbine_type")):  # fmt: skip
        if attrs.get(src) is not None:
            site[dst] = attrs[src]
    return site


def models_for_asset(
    asset: Mapping,
    *,
    weather_sensors: Mapping[str, str] | None = None,
    parameters: dict | str | Path | None = None,
    include_benchmarks: bool = True,
) -> list[BaseForecaster]:
    """The models of one ``assets.json`` entry (see :mod:`bvp_lib.data.structure`).

    The asset's ``type`` picks the models, its coordinates and attributes make the site,
    ``attributes.weather_sensors`` (or ``weather_sensors``, role -> sensor) name the
    weather forecasts, ``attributes.holidays_subdivision`` adds a state's holidays.
    """
    attrs = dict(asset.get("attributes") or {})
    roles = weather_roles(attrs.get("weather_sensors") or [])
    roles.update(weather_sensors or {})
    return models_for(
        str(asset["type"]), site=site_of(asset), weather_sensors=roles, parameters=parameters,
        include_benchmarks=include_benchmarks, subdivision=attrs.get("holidays_subdivision"),
    )  # fmt: skip
