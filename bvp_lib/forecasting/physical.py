"""Physical features: clear-sky and plane-of-array irradiance (pvlib), wind power curves
(windpowerlib).

They turn weather forecasts into what an asset would produce, so a linear model only has
to learn a scale. All inputs are known at the belief time: sun geometry is a function of
the event time; irradiance and wind speed are forecasts.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from bvp_lib.forecasting.errors import ForecastingError

DEFAULT_PV_SITE = {"tilt": 30.0, "azimuth": 180.0, "albedo": 0.2}
DEFAULT_WIND_SITE = {"hub_height": 100.0, "measurement_height": 10.0, "turbine_type": "E-101/3050"}


def _site_value(site: Mapping, key: str, what: str):
    if site is None or site.get(key) is None:
        raise ForecastingError(
            f"{what} needs the site's {key!r}; pass site={{'latitude': ..., 'longitude': ...}} "
            "(from the asset's metadata) to the model."
        )
    return float(site[key])


def solar_geometry(mid_ns: np.ndarray, latitude: float, longitude: float) -> tuple[np.ndarray, np.ndarray]:
    """Apparent solar zenith and azimuth at instants ``mid_ns`` [ns UTC] -> [deg], [deg]."""
    import pvlib

    times = pd.DatetimeIndex(np.asarray(mid_ns, dtype=np.int64), tz="UTC")
    pos = pvlib.solarposition.get_solarposition(times, latitude, longitude, method="ephemeris")
    return pos["apparent_zenith"].to_numpy(), pos["azimuth"].to_numpy()


def clearsky_ghi(zenith: np.ndarray) -> np.ndarray:
    """Clear-sky global horizontal irradiance (Haurwitz model) [W m-2] from zenith [deg]."""
    import pvlib

    return pvlib.clearsky.haurwitz(pd.Series(zenith))["ghi"].to_numpy()


def poa_irradiance(
    ghi: np.ndarray,
    zenith: np.ndarray,
    azimuth: np.ndarray,
    mid_ns: np.ndarray,
    tilt: float,
    surface_azimuth: float,
    albedo: float = 0.2,
) -> np.ndarray:
    """Plane-of-array irradiance [W m-2] from global horizontal irradiance [W m-2].

    GHI is split into direct and diffuse with the Erbs model, then transposed to the
    module plane (tilt [deg], azimuth [deg, 180 = south]) with the isotropic sky model:
    :math:`E_{poa} = DNI \\cos\\theta + DHI (1 + \\cos\\beta)/2 + GHI\\,\\rho (1 - \\cos\\beta)/2`.
    """
    import pvlib

    times = pd.DatetimeIndex(np.asarray(mid_ns, dtype=np.int64), tz="UTC")
    ghi = np.clip(np.asarray(ghi, dtype=float), 0.0, None)
    split = pvlib.irradiance.erbs(ghi, zenith, times)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, surface_azimuth, zenith, azimuth, split["dni"], ghi, split["dhi"], albedo=albedo, model="isotropic"
    )
    return np.nan_to_num(np.asarray(poa["poa_global"], dtype=float), nan=0.0)


def pv_features(
    mid_ns: np.ndarray, ghi_forecast: np.ndarray | None, site: Mapping
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Solar features at step midpoints: clear-sky GHI, cos(zenith), and POA irradiance.

    Parameters
    ----------
    mid_ns : numpy.ndarray
        Midpoints of the event steps [ns UTC].
    ghi_forecast : numpy.ndarray or None
        Forecast GHI known at the belief time [W m-2]; None uses clear-sky GHI only.
    site : mapping
        ``latitude``, ``longitude`` [deg]; optional ``tilt``, ``azimuth`` [deg], ``albedo``.

    Returns
    -------
    X : numpy.ndarray
        Columns ``clearsky_ghi`` [W m-2], ``cos_zenith`` [-], ``poa`` [W m-2] (from the
        forecast GHI, else clear sky).
    names : list of str
    night : numpy.ndarray
        True where the sun is below the horizon (clear-sky GHI is 0).
    """
    s = {**DEFAULT_PV_SITE, **dict(site or {})}
    lat = _site_value(s, "latitude", "the pv feature")
    lon = _site_value(s, "longitude", "the pv feature")
    zen, azi = solar_geometry(mid_ns, lat, lon)
    cs = clearsky_ghi(zen)
    ghi = cs if ghi_forecast is None else ghi_forecast
    poa = poa_irradiance(ghi, zen, azi, mid_ns, float(s["tilt"]), float(s["azimuth"]), float(s["albedo"]))
    cosz = np.clip(np.cos(np.radians(zen)), 0.0, None)
    night = cs <= 0.0
    X = np.column_stack([cs, cosz, np.where(night, 0.0, poa)])
    return X, ["clearsky_ghi", "cos_zenith", "poa"], night


@lru_cache(maxsize=16)
def _library_curve(turbine_type: str) -> tuple[np.ndarray, np.ndarray]:
    from windpowerlib import WindTurbine

    try:
        wt = WindTurbine(turbine_type=turbine_type, hub_height=100.0)
    except Exception as e:  # windpowerlib raises several types for unknown turbines
        raise ForecastingError(
            f"wind turbine type {turbine_type!r} is not in windpowerlib's turbine library ({e}); "
            "pick one from windpowerlib.get_turbine_types() or give a power_curve."
        ) from None
    pc = wt.power_curve
    return pc["wind_speed"].to_numpy(dtype=float), pc["value"].to_numpy(dtype=float)


def power_curve(site: Mapping | None) -> tuple[np.ndarray, np.ndarray]:
    """A turbine power curve: wind speeds [m s-1] and power as a share of rated [-].

    ``site["power_curve"] = {"wind_speed": [...], "value": [...]}`` gives one; else
    ``site["turbine_type"]`` (default E-101/3050) is read from windpowerlib's library.
    """
    s = {**DEFAULT_WIND_SITE, **dict(site or {})}
    if s.get("power_curve"):
        ws = np.asarray(s["power_curve"]["wind_speed"], dtype=float)
        p = np.asarray(s["power_curve"]["value"], dtype=float)
    else:
        ws, p = _library_curve(str(s["turbine_type"]))
    if len(ws) < 2 or np.any(np.diff(ws) <= 0) or p.max() <= 0:
        raise ForecastingError("a power curve needs increasing wind speeds and some positive power.")
    return ws, p / p.max()


def hub_wind_speed(wind_speed: np.ndarray, measurement_height: float, hub_height: float) -> np.ndarray:
    """Wind speed at hub height [m s-1] by the Hellman power law (exponent 1/7)."""
    from windpowerlib.wind_speed import hellman

    return np.asarray(hellman(np.asarray(wind_speed, dtype=float), measurement_height, hub_height), dtype=float)


def power_curve_feature(wind_speed_forecast: np.ndarray, site: Mapping | None) -> np.ndarray:
    """Power curve of the forecast hub-height wind speed, as a share of rated power [-].

    ``site`` may give ``hub_height`` and ``measurement_height`` [m] (defaults 100 m and
    10 m) and the curve (:func:`power_curve`). Above the last curve point (cut-out) the
    power is 0, as in :func:`windpowerlib.power_output.power_curve`.
    """
    from windpowerlib.power_output import power_curve as wpl_power_curve

    s = {**DEFAULT_WIND_SITE, **dict(site or {})}
    ws_hub = hub_wind_speed(wind_speed_forecast, float(s["measurement_height"]), float(s["hub_height"]))
    curve_ws, curve_p = power_curve(s)
    return np.asarray(
        wpl_power_curve(ws_hub, pd.Series(curve_ws), pd.Series(curve_p), density_correction=False), dtype=float
    )
