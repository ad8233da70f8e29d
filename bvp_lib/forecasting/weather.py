"""Weather "forecasts" derived from measured weather, with a horizon-dependent error.

Where the data hold only measured weather, a forecaster that used it would see the future.
:func:`derive_weather_forecasts` turns each measured series ``m(t)`` into beliefs with a
positive horizon ``h``, so the pipeline is the same as with a real weather feed:

.. math::

    f_h(t) = m(t) + \\sigma(h)\\, x_h(t)              \\quad \\text{(additive: temperature, wind speed)}

    f_h(t) = m(t)\\,(1 + \\sigma(h)\\, x_h(t))        \\quad \\text{(relative: irradiance; zero stays zero at night)}

    \\sigma(h) = \\sigma_\\infty \\sqrt{1 - e^{-h/\\tau}}

where :math:`x_h` is a unit-variance AR(1) process along event time,
:math:`x_h(t) = \\varphi\\, x_h(t-1) + \\sqrt{1-\\varphi^2}\\,\\varepsilon_t`, with
:math:`\\varphi = e^{-r/T_c}` for resolution :math:`r` and error correlation time
:math:`T_c` (forecast errors persist for hours). The error grows with the horizon from
near zero (:math:`\\sigma(1\\,h) \\approx 0.2\\,\\sigma_\\infty` for :math:`\\tau` = 24 h)
towards :math:`\\sigma_\\infty`. Results are clipped to the quantity's physical bounds
(wind speed and irradiance >= 0).

Each (quantity, horizon) has its own error path, drawn from
``numpy.random.default_rng([seed, crc32(sensor name), horizon in minutes])``: the same
input, horizons and seed always give the same forecasts. The errors are synthetic — they
make a backtest honest about *not knowing* the weather, not about how good a real
numerical weather prediction is.

Stored feeds (``block``)
    By default the error path of a sensor and horizon runs over the whole measured
    series, so the forecast of one event depends on where the series starts. With
    ``block="7D"`` the paths are drawn per block of event time anchored at 1970-01-01
    UTC (one AR(1) path per sensor, horizon and block, seeded by all four): the forecast
    of an event is then the same whichever period is derived, so a feed derived piece by
    piece into the database (:mod:`bvp_lib.forecasting.weather_feed`) never contradicts itself.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from bvp_lib.forecasting.errors import RegressorError
from bvp_lib.forecasting.series import require_aware

DERIVED_SOURCE = "derived weather forecast"
DEFAULT_WEATHER_HORIZONS = tuple(f"{h}h" for h in range(1, 51))  # hourly up to 50 h


@dataclass(frozen=True)
class WeatherErrorSpec:
    """Error model of one weather quantity (see module docstring).

    Attributes
    ----------
    kind : {"additive", "relative"}
        Error added to the value [unit], or relative to it [-].
    sigma_inf : float
        Error standard deviation at long horizons [unit or -].
    tau : str
        Horizon scale of the error growth (pandas Timedelta string).
    correlation_time : str
        Correlation time of the error along event time.
    lower, upper : float or None
        Physical bounds [unit].
    """

    kind: str = "additive"
    sigma_inf: float = 1.0
    tau: str = "24h"
    correlation_time: str = "6h"
    lower: float | None = None
    upper: float | None = None

    def __post_init__(self):
        if self.kind not in ("additive", "relative"):
            raise RegressorError(f"weather error kind must be 'additive' or 'relative', got {self.kind!r}.")
        if self.sigma_inf < 0:
            raise RegressorError(f"weather error sigma_inf must be >= 0, got {self.sigma_inf}.")

    def sigma(self, horizon) -> float:
        """Error standard deviation at ``horizon`` [unit or -]."""
        ratio = pd.Timedelta(horizon) / pd.Timedelta(self.tau)
        return float(self.sigma_inf * np.sqrt(1.0 - np.exp(-ratio)))


# by keyword in the sensor name (first match wins)
DEFAULT_ERROR_SPECS: dict[str, WeatherErrorSpec] = {
    "temp": WeatherErrorSpec("additive", 2.5, "24h", "6h"),  # [K]
    "wind": WeatherErrorSpec("additive", 2.0, "24h", "6h", lower=0.0),  # [m s-1]
    "ghi": WeatherErrorSpec("relative", 0.35, "24h", "3h", lower=0.0),  # [-]
    "dni": WeatherErrorSpec("relative", 0.45, "24h", "3h", lower=0.0),
    "dhi": WeatherErrorSpec("relative", 0.30, "24h", "3h", lower=0.0),
    "irradiance": WeatherErrorSpec("relative", 0.35, "24h", "3h", lower=0.0),
    "radiation": WeatherErrorSpec("relative", 0.35, "24h", "3h", lower=0.0),
    "pressure": WeatherErrorSpec("additive", 3.0, "24h", "12h"),  # [hPa]
    "humidity": WeatherErrorSpec("additive", 8.0, "24h", "6h", lower=0.0, upper=100.0),  # [%]
}


def error_spec_for(name: str, specs: Mapping[str, WeatherErrorSpec | dict] | None = None) -> WeatherErrorSpec:
    """The error model of sensor ``name``: exact key, else the first keyword it contains."""
    table = {**DEFAULT_ERROR_SPECS, **(specs or {})}
    table = {k: (v if isinstance(v, WeatherErrorSpec) else WeatherErrorSpec(**v)) for k, v in table.items()}
    if name in table:
        return table[name]
    low = name.lower()
    for key in list((specs or {}).keys()) + list(DEFAULT_ERROR_SPECS):
        if key.lower() in low:
            return table[key]
    raise RegressorError(
        f"no forecast error model for weather sensor {name!r}; pass one, e.g. "
        f"error_specs={{{name!r}: {{'kind': 'additive', 'sigma_inf': 1.0, 'tau': '24h'}}}}."
    )


def ar1_errors(n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance stationary AR(1) path of length ``n`` (vectorised with a linear filter)."""
    eps = rng.standard_normal(n)
    x0 = rng.standard_normal()
    path, _ = lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], eps, zi=[phi * x0])
    return path


def blocked_ar1_errors(t_ns: np.ndarray, res: int, block_steps: int, phi: float, key: tuple) -> np.ndarray:
    """Unit-variance AR(1) errors at instants ``t_ns``, one path per block of event time.

    Step ``i = t // res`` (since 1970-01-01 UTC) lies in block ``i // block_steps``; each
    block's whole path is drawn from a generator seeded by ``(*key, block)``, so the error
    at an instant never depends on which other instants are asked for.

    Parameters
    ----------
    t_ns : numpy.ndarray
        Event starts [ns since 1970-01-01 UTC], on the ``res`` grid.
    res : int
        Resolution [ns].
    block_steps : int
        Steps per block.
    phi : float
        AR(1) coefficient per step [-].
    key : tuple of int
        Seed parts (seed, sensor checksum, horizon in minutes).
    """
    steps = np.asarray(t_ns, dtype=np.int64) // res
    blocks, inv = np.unique(steps // block_steps, return_inverse=True)
    eps = np.empty((len(blocks), block_steps))
    x0 = np.empty(len(blocks))
    for j, k in enumerate(blocks):  # one small generator per block (a year of 7-day blocks: 53)
        rng = np.random.default_rng([*key, int(k)])
        eps[j] = rng.standard_normal(block_steps)
        x0[j] = rng.standard_normal()
    paths, _ = lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], eps, axis=1, zi=(phi * x0)[:, None])
    return paths[inv, steps % block_steps]


def _wide(measured) -> pd.DataFrame:
    if isinstance(measured, pd.Series):
        if measured.name is None:
            raise RegressorError("the measured weather Series has no name; name it after its sensor.")
        measured = measured.to_frame()
    if not isinstance(measured, pd.DataFrame):
        raise RegressorError(f"measured weather must be a DataFrame, got {type(measured).__name__}.")
    if {"sensor", "event_start", "value"} <= set(measured.columns):
        measured = measured.pivot_table(index="event_start", columns="sensor", values="value", aggfunc="first")
    idx = require_aware(pd.DatetimeIndex(measured.index), "measured weather")
    out = measured.set_axis(idx, axis=0).sort_index()
    if out.index.has_duplicates:
        raise RegressorError("measured weather has duplicate timestamps; keep one value per event start.")
    return out


def derive_weather_forecasts(
    measured: pd.DataFrame | pd.Series,
    horizons: Sequence = DEFAULT_WEATHER_HORIZONS,
    seed: int = 0,
    error_specs: Mapping[str, WeatherErrorSpec | dict] | None = None,
    source: str = DERIVED_SOURCE,
    block=None,
) -> pd.DataFrame:
    """Weather forecast beliefs derived from measured weather (see module docstring).

    Parameters
    ----------
    measured : pandas.DataFrame or pandas.Series
        Measured weather: wide (tz-aware index of event starts, one column per weather
        sensor) or long (columns ``sensor``, ``event_start``, ``value``) [each sensor's
        unit: temperature °C, wind speed m s-1, irradiance W m-2].
    horizons : sequence of str or pandas.Timedelta
        Belief horizons to derive (default hourly 1 h .. 50 h, enough for day-ahead and
        48 h forecasts of 15-minute steps from hourly weather).
    seed : int
        Seed of the error paths.
    error_specs : mapping, optional
        Error model per sensor name or keyword (overrides :data:`DEFAULT_ERROR_SPECS`).
    source : str
        The ``source`` of the returned beliefs.
    block : str or pandas.Timedelta, optional
        Draw the error paths per block of event time anchored at 1970-01-01 UTC (a
        whole number of steps), so an event's forecast does not depend on the period
        derived (module docstring). None: one path over the whole series.

    Returns
    -------
    pandas.DataFrame
        Beliefs: ``sensor``, ``event_start`` (UTC), ``belief_horizon`` (> 0), ``source``,
        ``value``; one row per sensor, measured step and horizon (NaN measurements give
        no forecast).
    """
    wide = _wide(measured)
    hs = sorted({pd.Timedelta(h) for h in horizons})
    if not hs or hs[0] <= pd.Timedelta(0):
        raise RegressorError(f"weather forecast horizons must be positive, got {list(horizons)}.")
    steps = np.diff(wide.index.asi8)
    res = pd.Timedelta(int(steps.min()) if len(steps) else 3_600 * 10**9, unit="ns")
    block_steps = None
    if block is not None:
        block_steps, rest = divmod(pd.Timedelta(block).value, res.value)
        if block_steps < 1 or rest:
            raise RegressorError(f"weather error block {block!r} is not a whole number of {res} steps.")
        if len(wide) and (wide.index.asi8.min() < 0 or np.any(wide.index.asi8 % res.value)):
            raise RegressorError(
                f"measured weather must lie on a {res} grid from 1970-01-01 UTC to derive it in blocks."
            )
    frames = []
    for name in wide.columns:  # per weather sensor and horizon: a few hundred vectorised paths
        spec = error_spec_for(str(name), error_specs)
        phi = float(np.exp(-(res / pd.Timedelta(spec.correlation_time))))
        m = wide[name].to_numpy(dtype=float)
        ok = np.isfinite(m)
        crc = zlib.crc32(str(name).encode())
        for h in hs:
            minutes = int(h / pd.Timedelta("1min"))
            if block is None:
                err = spec.sigma(h) * ar1_errors(len(m), phi, np.random.default_rng([seed, crc, minutes]))
            else:
                err = spec.sigma(h) * blocked_ar1_errors(wide.index.asi8, res.value, block_steps, phi, (seed, crc, minutes))
            f = m + err if spec.kind == "additive" else m * (1.0 + err)
            f = np.clip(f, spec.lower, spec.upper) if (spec.lower is not None or spec.upper is not None) else f
            frames.append(
                pd.DataFrame(
                    {
                        "sensor": str(name),
                        "event_start": wide.index[ok],
                        "belief_horizon": h,
                        "source": source,
                        "value": f[ok],
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    out["sensor"] = out["sensor"].astype("category")
    out["source"] = out["source"].astype("category")
    return out
