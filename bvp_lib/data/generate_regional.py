"""Regional solar and wind output and weather consistent with the real national output.

The 2018 data set shapes its solar and wind assets from Germany's real output
(:mod:`bvp_lib.data.generate_entsoe`) instead of simulating them on a typical weather
year, so production and prices come from the same weather. Two levels of deviation keep
regions and parks from being copies of the nation and of one another; the regional
weather sensors are then derived from the regional output by inverting the models that
map weather to output, so a forecast on that weather is meaningful.

Deviation factors (:class:`Deviation`)
    A mean-one log-normal factor along time,

    .. math:: g(t) = \\exp(\\sigma x(t) - \\sigma^2/2), \\qquad
              x(t) = \\varphi x(t-\\Delta t) + \\sqrt{1-\\varphi^2}\\,\\varepsilon_t, \\quad
              \\varphi = e^{-\\Delta t / T}

    with a unit-variance AR(1) path :math:`x` (correlation time :math:`T`), drawn from
    ``numpy.random.default_rng([seed, crc32(name)])``: one path per region or park name.

Wind (regional level in wind-speed space)
    The national onshore capacity factor :math:`cf_n(t)` is turned into a national
    equivalent hub-height wind speed :math:`v_n = P^{-1}(cf_n)` by inverting a *fleet*
    power curve :math:`P(v)` (:func:`fleet_power_curve`: the E-101/3050 curve of
    windpowerlib's library, smoothed with the Staffell-Pfenninger wind-speed spread
    :math:`\\sigma_v = 0.6 + 0.2 v` [m s-1], which turns one turbine into a fleet spread
    over a region). A region's hub wind is :math:`v_r = c_r\\,v_n\\,g_r(t)` and its capacity
    factor :math:`cf_r = P(v_r)`; the scale :math:`c_r` is set so that the region's yearly
    capacity factor equals the national one (:func:`scale_wind_to_mean`). A park's is
    :math:`cf_p = P(v_r\\,g_p(t))`. The regional wind sensor holds the 10 m wind
    :math:`v_{10} = v_r (10\\,\\mathrm{m}/h)^{1/7}` (Hellman exponent 1/7, the profile the
    forecasting's power-curve feature uses), hub height :math:`h` = 100 m.

Solar (regional level in capacity-factor space)
    A region's capacity factor per MWp is
    :math:`cf_r = \\min(c_r\\,cf_n(t)\\,g_r(t),\\ cf_{max,r}(t))`, where
    :math:`cf_{max,r}(t)` is what the reference fleet (:func:`reference_pv_cf`) makes at
    the region's station under a clear sky (clearness index :data:`KT_MAX`); this is
    zero while the sun is below the horizon for the whole quarter-hour, so the region is
    dark at night. :math:`c_r` keeps the yearly capacity factor equal to the national one
    (:func:`scale_solar_to_mean`). A park's capacity factor is
    :math:`cf_p = \\min(cf_r\\,g_p(t), 1)` and its power
    :math:`P = \\min(C_{DC}\\,cf_p, C_{AC})`. The regional irradiance sensor holds the
    global horizontal irradiance for which the reference fleet makes exactly
    :math:`cf_r` (:func:`ghi_for_cf`: the inverted PV model).

Reference PV fleet (:func:`reference_pv_cf`)
    Modules at 30 degrees tilt facing east, south and west (weights 0.25, 0.5, 0.25, a
    rough German roof mix); GHI split by the Erbs model into direct and diffuse, the
    isotropic sky model to the module plane (as the forecasting's ``pv`` feature),
    SAPM cell temperature (open rack, glass/polymer), PVWatts DC
    :math:`p_{dc} = E_{poa}/1000\\,(1 + \\gamma (T_c - 25))` with :math:`\\gamma` =
    -0.4 %/K and 14 % DC losses, an inverter of 96 % efficiency and a DC/AC ratio of
    1.1. Output is per unit of DC peak capacity [MW/MWp].
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.signal import lfilter

#: clearness index of a clear sky at the inversion's upper end [-]
KT_MAX = 0.82
#: clearness-index grid of the PV inversion
KT_GRID = np.linspace(0.0, KT_MAX, 42)
#: (surface azimuth [deg], weight) of the reference PV fleet; tilt REFERENCE_TILT
REFERENCE_FLEET = ((90.0, 0.25), (180.0, 0.5), (270.0, 0.25))
REFERENCE_TILT = 30.0
PV_GAMMA = -0.004  # [1/K]
PV_DC_LOSSES = 0.14
PV_INVERTER_EFFICIENCY = 0.96
PV_DC_AC_RATIO = 1.1
FLEET_TURBINE = "E-101/3050"
FLEET_HUB_HEIGHT = 100.0  # [m]
HELLMAN_EXPONENT = 1.0 / 7.0


@dataclass(frozen=True)
class Deviation:
    """A seeded mean-one log-normal AR(1) factor (module docstring).

    Attributes
    ----------
    sigma : float
        Standard deviation of :math:`\\ln g` [-].
    correlation_time : str
        Correlation time :math:`T` of the AR(1) path (pandas Timedelta string).
    """

    sigma: float
    correlation_time: str

    def factor(self, n: int, step: pd.Timedelta, name: str, seed: int) -> np.ndarray:
        """The factor :math:`g` at ``n`` consecutive steps of length ``step`` for ``name``."""
        phi = float(np.exp(-(pd.Timedelta(step) / pd.Timedelta(self.correlation_time))))
        rng = np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])
        x = ar1_path(n, phi, rng)
        return np.exp(self.sigma * x - 0.5 * self.sigma**2)

    def summary(self) -> dict:
        return asdict(self)


def ar1_path(n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    """Stationary unit-variance AR(1) path: :math:`x_t = \\varphi x_{t-1} + \\sqrt{1-\\varphi^2}\\,\\varepsilon_t`."""
    eps = rng.standard_normal(n)
    x0 = rng.standard_normal()
    path, _ = lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], eps, zi=[phi * x0])
    return path


# ----------------------------------------------------------------------------- wind


@lru_cache(maxsize=4)
def _fleet_curve(turbine_type: str, hub_height: float) -> tuple[np.ndarray, np.ndarray]:
    from windpowerlib import WindTurbine
    from windpowerlib.power_curves import smooth_power_curve

    wt = WindTurbine(turbine_type=turbine_type, hub_height=hub_height)
    pc = wt.power_curve
    smooth = smooth_power_curve(pc["wind_speed"], pc["value"], standard_deviation_method="Staffell_Pfenninger")
    v = smooth["wind_speed"].to_numpy(float)
    p = smooth["value"].to_numpy(float) / float(wt.nominal_power)
    top = int(np.argmax(p))
    return v[: top + 1], np.maximum.accumulate(p[: top + 1])


def fleet_power_curve(turbine_type: str = FLEET_TURBINE, hub_height: float = FLEET_HUB_HEIGHT) -> pd.DataFrame:
    """The smoothed fleet power curve up to its maximum.

    Returns
    -------
    pandas.DataFrame
        ``wind_speed`` [m s-1] at hub height and ``cf`` [-] (share of rated power),
        non-decreasing; beyond the last point the curve holds its maximum.
    """
    v, p = _fleet_curve(turbine_type, float(hub_height))
    return pd.DataFrame({"wind_speed": v, "cf": p})


def cf_for_wind_speed(v_hub: np.ndarray, curve: pd.DataFrame) -> np.ndarray:
    """Fleet capacity factor [-] at hub-height wind speed [m s-1] (linear on the curve)."""
    return np.interp(np.asarray(v_hub, float), curve["wind_speed"].to_numpy(), curve["cf"].to_numpy())


def wind_speed_for_cf(cf: np.ndarray, curve: pd.DataFrame) -> np.ndarray:
    """Hub-height wind speed [m s-1] at which the fleet curve gives ``cf`` (the inverse curve).

    Flat stretches of the curve map to their first wind speed; a ``cf`` above the curve's
    maximum maps to the wind speed of the maximum.
    """
    v, p = curve["wind_speed"].to_numpy(), curve["cf"].to_numpy()
    keep = np.r_[True, np.diff(p) > 0]
    return np.interp(np.asarray(cf, float), p[keep], v[keep])


def _bisect(f, lo: float, hi: float, target: float, what: str) -> float:
    flo, fhi = f(lo), f(hi)
    if not flo <= target <= fhi:
        raise ValueError(f"{what}: the target mean {target:.4f} is not within [{flo:.4f}, {fhi:.4f}] for scales "
                         f"{lo}..{hi}.")  # fmt: skip
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def scale_wind_to_mean(v_hub: np.ndarray, target_cf: float, curve: pd.DataFrame, what: str = "wind") -> float:
    """The scale :math:`c` with :math:`\\overline{P(c\\,v)} = \\overline{cf}_{target}` (bisection)."""
    return _bisect(lambda c: float(cf_for_wind_speed(c * v_hub, curve).mean()), 0.3, 3.0, target_cf, what)


def wind_10m(v_hub: np.ndarray, hub_height: float = FLEET_HUB_HEIGHT) -> np.ndarray:
    """10 m wind speed [m s-1] from hub-height wind by the Hellman power law (exponent 1/7)."""
    return np.asarray(v_hub, float) * (10.0 / hub_height) ** HELLMAN_EXPONENT


def wind_hub(v_10m: np.ndarray, hub_height: float = FLEET_HUB_HEIGHT) -> np.ndarray:
    """Hub-height wind speed [m s-1] from 10 m wind (inverse of :func:`wind_10m`)."""
    return np.asarray(v_10m, float) * (hub_height / 10.0) ** HELLMAN_EXPONENT


# ----------------------------------------------------------------------------- solar


@dataclass
class SunGeometry:
    """Sun position per quarter-hour at one site.

    Attributes
    ----------
    index : pandas.DatetimeIndex
        Quarter-hour starts (UTC).
    zenith, azimuth : numpy.ndarray
        Apparent zenith and azimuth at the middle of each quarter-hour [deg].
    e0h : numpy.ndarray
        Extraterrestrial irradiance on a horizontal plane, mean of the quarter-hour
        (three 5-minute sun positions) [W m-2]; zero when the sun stays below the
        horizon.
    """

    index: pd.DatetimeIndex
    zenith: np.ndarray
    azimuth: np.ndarray
    e0h: np.ndarray

    @classmethod
    def at(cls, index: pd.DatetimeIndex, latitude: float, longitude: float, altitude: float = 0.0) -> SunGeometry:
        import pvlib

        fine = pd.date_range(index[0] + pd.Timedelta(minutes=2.5), periods=len(index) * 3, freq="5min")
        fpos = pvlib.solarposition.get_solarposition(fine, latitude, longitude, altitude=altitude)
        e0 = pvlib.irradiance.get_extra_radiation(fine).to_numpy() * np.clip(np.cos(np.radians(fpos["zenith"])), 0, None)
        mid = index + pd.Timedelta(minutes=7.5)
        pos = pvlib.solarposition.get_solarposition(mid, latitude, longitude, altitude=altitude)
        return cls(index, pos["apparent_zenith"].to_numpy(), pos["azimuth"].to_numpy(),
                   e0.to_numpy().reshape(-1, 3).mean(axis=1) if hasattr(e0, "to_numpy") else e0.reshape(-1, 3).mean(axis=1))  # fmt: skip


def reference_pv_cf(ghi, zenith, azimuth, day_of_year, temp_air, wind_speed) -> np.ndarray:
    """AC output of the reference PV fleet per unit of DC capacity [MW/MWp] (module docstring).

    All arguments broadcast: ``ghi`` [W m-2], ``zenith`` and ``azimuth`` of the sun
    [deg], ``day_of_year`` [1..366], ``temp_air`` [°C], ``wind_speed`` [m s-1] at 10 m.
    """
    import pvlib

    ghi, zen, azi, doy, temp, wind = np.broadcast_arrays(*(np.asarray(a, float) for a in
                                                          (ghi, zenith, azimuth, day_of_year, temp_air, wind_speed)))  # fmt: skip
    shape = ghi.shape
    g, z, a, d, t, w = (x.ravel() for x in (ghi, zen, azi, doy, temp, wind))
    split = pvlib.irradiance.erbs(g, z, d)
    dni, dhi = np.nan_to_num(np.asarray(split["dni"], float)), np.nan_to_num(np.asarray(split["dhi"], float))
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"]
    out = np.zeros_like(g)
    with np.errstate(invalid="ignore"):
        for surface_azimuth, weight in REFERENCE_FLEET:
            poa = pvlib.irradiance.get_total_irradiance(REFERENCE_TILT, surface_azimuth, z, a, dni, g, dhi,
                                                        albedo=0.2, model="isotropic")["poa_global"]  # fmt: skip
            poa = np.clip(np.nan_to_num(np.asarray(poa, float)), 0.0, None)
            tcell = pvlib.temperature.sapm_cell(poa, t, w, params["a"], params["b"], params["deltaT"])
            dc = poa / 1000.0 * (1.0 + PV_GAMMA * (tcell - 25.0)) * (1.0 - PV_DC_LOSSES)
            out += weight * np.clip(PV_INVERTER_EFFICIENCY * dc, 0.0, 1.0 / PV_DC_AC_RATIO)
    out[g <= 0] = 0.0
    return out.reshape(shape)


def pv_cf_grid(geo: SunGeometry, temp_air: np.ndarray, wind_speed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference fleet's output on the clearness-index grid :data:`KT_GRID`.

    Returns
    -------
    ghi : numpy.ndarray
        Shape (n, K): :math:`GHI = k_t E_{0,h}` [W m-2].
    cf : numpy.ndarray
        Shape (n, K): output [MW/MWp], made non-decreasing along the grid.
    """
    ghi = np.outer(geo.e0h, KT_GRID)
    doy = geo.index.dayofyear.to_numpy()[:, None]
    cf = reference_pv_cf(ghi, geo.zenith[:, None], geo.azimuth[:, None], doy,
                         np.asarray(temp_air, float)[:, None], np.asarray(wind_speed, float)[:, None])  # fmt: skip
    return ghi, np.maximum.accumulate(cf, axis=1)


def ghi_for_cf(cf: np.ndarray, grid: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Global horizontal irradiance [W m-2] for which the reference fleet makes ``cf``.

    The inverse of :func:`reference_pv_cf` per quarter-hour, by linear interpolation on
    the clearness-index grid (:func:`pv_cf_grid`); ``cf`` is to be within the grid's
    range (:func:`regional_solar_cf` ensures it). Zero where the grid is all zero
    (night).
    """
    ghi_g, cf_g = grid
    cf = np.asarray(cf, float)
    n, k = cf_g.shape
    # index of the first grid point with cf_g >= cf, per row (rows are non-decreasing)
    j = np.minimum((cf_g < cf[:, None] - 1e-12).sum(axis=1), k - 1)
    j0 = np.maximum(j - 1, 0)
    rows = np.arange(n)
    c0, c1 = cf_g[rows, j0], cf_g[rows, j]
    g0, g1 = ghi_g[rows, j0], ghi_g[rows, j]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(c1 > c0, (cf - c0) / (c1 - c0), 0.0)
    out = g0 + np.clip(w, 0.0, 1.0) * (g1 - g0)
    return np.where(cf_g[:, -1] > 0, out, 0.0)


def regional_solar_cf(cf_nat: np.ndarray, g: np.ndarray, cf_max: np.ndarray, scale: float) -> np.ndarray:
    """:math:`cf_r = \\min(c\\,cf_n\\,g,\\ cf_{max})` [MW/MWp]."""
    return np.minimum(scale * np.asarray(cf_nat) * np.asarray(g), np.asarray(cf_max))


def scale_solar_to_mean(cf_nat: np.ndarray, g: np.ndarray, cf_max: np.ndarray, what: str = "solar") -> float:
    """The scale :math:`c` with :math:`\\overline{cf_r} = \\overline{cf_n}` (bisection)."""
    target = float(np.mean(cf_nat))
    return _bisect(lambda c: float(regional_solar_cf(cf_nat, g, cf_max, c).mean()), 0.3, 3.0, target, what)
