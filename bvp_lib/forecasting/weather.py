"""Weather "forecasts" derived from measured weather: issued like a weather service's runs,
with an error that is one correlated path per issue, sized from published verification.

Where the data hold only measured weather, a forecaster that used it would see the future.
:func:`derive_weather_forecasts` turns each measured series ``m(t)`` into the forecasts of a
weather service that **issues** a run every ``every`` (belief times ``t_i``, by default
04:00, 10:00, 16:00, 22:00 UTC: the 00, 06, 12 and 18 UTC model runs, delivered about
4 h after their analysis time), each covering the steps up to ``max_horizon`` ahead. A
forecast of issue ``i`` for the step starting at ``t`` (horizon ``h = t + r - t_i``) is

.. math::

    f_i(t) = m(t) + \\sigma(h)\\, x_i(t)                                \\quad \\text{(additive: temperature, wind speed)}

    f_i(t) = m(t) + \\sigma(h)\\, G_{cs}(t)\\, x_i(t)                    \\quad \\text{(clear sky: irradiance)}

    f_i(t) = m(t)\\,(1 + \\sigma(h)\\, x_i(t))                           \\quad \\text{(relative)}

    \\sigma(h) = \\sigma_\\infty \\sqrt{1 - e^{-h/\\tau}}

where :math:`x_i` is **one** unit-variance AR(1) path per issue along its steps,
:math:`x_i(t) = \\varphi\\, x_i(t - r) + \\sqrt{1-\\varphi^2}\\,\\varepsilon_t` with
:math:`\\varphi = e^{-r/T_c}` (error correlation time :math:`T_c`): the errors of the hours
of one issue are correlated, so a forecast misses a whole cloudy afternoon or a front
arriving hours late, not single hours. Each issue draws a new path. For irradiance the
error is on the clear-sky index: :math:`G_{cs}` is the clear-sky GHI at the sensor's site
(Haurwitz, at the step's midpoint), so a clear day can be forecast cloudy and an overcast
one sunny, and night stays dark (:math:`G_{cs} = 0`). Forecasts are clipped to the
quantity's bounds (wind speed and irradiance >= 0; irradiance <= the larger of the clear
sky and the measured value).

Sizes and correlation times (``parameters/forecasting.yaml``, ``weather_forecasts``;
``data/README.md`` gives the sources and the values measured on the bundled data):

===========  ==================  ================  ===================================================
quantity     sigma(24 h)         T_c (phi per h)   published day-ahead error it reproduces
===========  ==================  ================  ===================================================
irradiance   0.19 (clear-sky     6 h (0.846)       single-site hourly GHI, day ahead: RMSE about
             index)                                30-40 % of the mean GHI in Germany (Lorenz et al.
                                                   2009; Perez et al. 2013)
wind speed   1.9 m/s (10 m)      12 h (0.920)      single-site 10 m wind speed, day ahead: RMSE
                                                   1.5-2.5 m/s (NWP verification against stations)
temperature  1.7 K (2 m)         12 h (0.920)      single-site 2 m temperature, day ahead: RMSE
                                                   about 1.5-2 K
===========  ==================  ================  ===================================================

The correlation times are assumptions (NWP errors of fronts and cloud fields persist for
hours; the same as the 2018 set's fundamentals' forecasts).

Reproducible: the path of issue ``i`` of a sensor is drawn from
``numpy.random.default_rng([seed, crc32(sensor name), t_i in minutes since 1970])``, over
the issue's whole span, so an issue's forecasts never depend on which period is derived,
and the same input, issues and seed always give the same forecasts. The errors are
synthetic: they make a backtest honest about *not knowing* the weather, at the accuracy
of a real day-ahead forecast; a real forecast archive can be stored instead
(:mod:`bvp_lib.forecasting.weather_feed`).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from bvp_lib.forecasting.errors import RegressorError
from bvp_lib.forecasting.series import require_aware

DERIVED_SOURCE = "derived weather forecast"
KINDS = ("additive", "relative", "clear_sky")


@dataclass(frozen=True)
class WeatherErrorSpec:
    """Error model of one weather quantity (see module docstring).

    Attributes
    ----------
    kind : {"additive", "relative", "clear_sky"}
        Error added to the value [unit], relative to it [-], or on the clear-sky index
        (times the site's clear-sky GHI) [-].
    sigma_inf : float
        Error standard deviation at long horizons [unit or -].
    tau : str
        Horizon scale of the error growth (pandas Timedelta string).
    correlation_time : str
        Correlation time of the error along the steps of one issue.
    lower, upper : float or None
        Physical bounds [unit].
    """

    kind: str = "additive"
    sigma_inf: float = 1.0
    tau: str = "12h"
    correlation_time: str = "12h"
    lower: float | None = None
    upper: float | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise RegressorError(f"weather error kind must be one of {list(KINDS)}, got {self.kind!r}.")
        if self.sigma_inf < 0:
            raise RegressorError(f"weather error sigma_inf must be >= 0, got {self.sigma_inf}.")

    def sigma(self, horizon) -> np.ndarray | float:
        """Error standard deviation at ``horizon`` (a Timedelta, or horizons [ns]) [unit or -]."""
        h = np.asarray(horizon, dtype=np.int64) if not isinstance(horizon, (str, pd.Timedelta)) else pd.Timedelta(horizon).value
        ratio = np.asarray(h, dtype=float) / pd.Timedelta(self.tau).value
        out = self.sigma_inf * np.sqrt(1.0 - np.exp(-ratio))
        return float(out) if np.ndim(out) == 0 else out

    def phi(self, resolution: pd.Timedelta) -> float:
        """AR(1) coefficient per step of ``resolution`` along an issue [-]."""
        return float(np.exp(-(pd.Timedelta(resolution) / pd.Timedelta(self.correlation_time))))


# by keyword in the sensor name (first match wins); sizes: module docstring
DEFAULT_ERROR_SPECS: dict[str, WeatherErrorSpec] = {
    "temp": WeatherErrorSpec("additive", 1.8, "12h", "12h"),  # [K]
    "wind": WeatherErrorSpec("additive", 2.0, "12h", "12h", lower=0.0),  # [m s-1]
    "ghi": WeatherErrorSpec("clear_sky", 0.20, "12h", "6h", lower=0.0),  # [-] clear-sky index
    "irradiance": WeatherErrorSpec("clear_sky", 0.20, "12h", "6h", lower=0.0),
    "radiation": WeatherErrorSpec("clear_sky", 0.20, "12h", "6h", lower=0.0),
    "dni": WeatherErrorSpec("relative", 0.45, "12h", "6h", lower=0.0),
    "dhi": WeatherErrorSpec("relative", 0.30, "12h", "6h", lower=0.0),
    "pressure": WeatherErrorSpec("additive", 3.0, "12h", "12h"),  # [hPa]
    "humidity": WeatherErrorSpec("additive", 8.0, "12h", "6h", lower=0.0, upper=100.0),  # [%]
}


@dataclass(frozen=True)
class IssueSchedule:
    """When the derived forecasts are issued: belief times ``first + k * every`` (UTC,
    from 1970-01-01), each covering the steps that end up to ``max_horizon`` after it.

    Attributes
    ----------
    every : str
        Time between issues (a whole number of minutes that divides a day, e.g. ``6h``).
    first : str
        Belief time of the first issue of a UTC day (``HH:MM``).
    max_horizon : str
        Longest horizon of an issue (its last step ends that long after it).
    """

    every: str = "6h"
    first: str = "04:00"
    max_horizon: str = "54h"

    def __post_init__(self):
        e, m = pd.Timedelta(self.every), pd.Timedelta(self.max_horizon)
        if e <= pd.Timedelta(0) or pd.Timedelta("1D") % e != pd.Timedelta(0):
            raise RegressorError(f"weather issues: every={self.every!r} must be positive and divide a day (6h, 12h, 24h).")
        if m <= pd.Timedelta(0):
            raise RegressorError(f"weather issues: max_horizon={self.max_horizon!r} must be positive.")
        try:
            pd.Timedelta(f"{self.first}:00") if len(str(self.first)) == 5 else pd.Timedelta(self.first)
        except ValueError:
            raise RegressorError(f"weather issues: first={self.first!r} is not a clock time (HH:MM).") from None

    @property
    def offset_ns(self) -> int:
        f = str(self.first)
        t = pd.Timedelta(f"{f}:00") if len(f) == 5 else pd.Timedelta(f)
        return t.value % pd.Timedelta(self.every).value

    def issues_between(self, start_ns: int, end_ns: int) -> np.ndarray:
        """Belief times of the issues whose steps touch events in ``[start, end)`` [ns UTC]."""
        every = pd.Timedelta(self.every).value
        lo = int(start_ns) - pd.Timedelta(self.max_horizon).value
        k0 = -(-(lo - self.offset_ns) // every)
        k1 = -(-(int(end_ns) - self.offset_ns) // every)
        return self.offset_ns + every * np.arange(k0, k1, dtype=np.int64)


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
        f"error_specs={{{name!r}: {{'kind': 'additive', 'sigma_inf': 1.0, 'tau': '12h'}}}}."
    )


def issue_paths(issues_ns: np.ndarray, n: int, phi: float, key: tuple) -> np.ndarray:
    """Unit-variance stationary AR(1) paths of ``n`` steps, one row per issue.

    Each issue's path comes from its own generator, seeded by ``(*key, issue minutes)``,
    so it never depends on the other issues asked for.

    Parameters
    ----------
    issues_ns : numpy.ndarray
        Belief times of the issues [ns UTC].
    n : int
        Steps per issue.
    phi : float
        AR(1) coefficient per step [-].
    key : tuple of int
        Seed parts (seed, sensor checksum).
    """
    eps = np.empty((len(issues_ns), n))
    x0 = np.empty(len(issues_ns))
    for j, t in enumerate(np.asarray(issues_ns, dtype=np.int64)):  # one small generator per issue (4 a day)
        rng = np.random.default_rng([*key, int(t // 60_000_000_000) % 2**63])
        x0[j] = rng.standard_normal()
        eps[j] = rng.standard_normal(n)
    paths, _ = lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], eps, axis=1, zi=(phi * x0)[:, None])
    return paths


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


def clear_sky_ghi(t_ns: np.ndarray, res: int, site: Mapping | None, name: str = "irradiance") -> np.ndarray:
    """Clear-sky GHI (Haurwitz) at the midpoints of steps starting at ``t_ns`` [W m-2].

    Parameters
    ----------
    t_ns : numpy.ndarray
        Step starts [ns UTC].
    res : int
        Step length [ns].
    site : mapping
        ``latitude``, ``longitude`` [deg].
    name : str
        The sensor, for the message.
    """
    from bvp_lib.forecasting.physical import clearsky_ghi, solar_geometry

    if not site or site.get("latitude") is None or site.get("longitude") is None:
        raise RegressorError(
            f"weather sensor {name!r}: the clear-sky error model of irradiance needs the sensor's site; pass "
            f"sites={{{name!r}: {{'latitude': ..., 'longitude': ...}}}} (the database's weather sensors carry them)."
        )
    zen, _ = solar_geometry(np.asarray(t_ns, dtype=np.int64) + res // 2, float(site["latitude"]), float(site["longitude"]))
    return np.nan_to_num(clearsky_ghi(zen), nan=0.0)


def derive_weather_forecasts(
    measured: pd.DataFrame | pd.Series,
    *,
    issues: IssueSchedule | Mapping | None = None,
    seed: int = 0,
    error_specs: Mapping[str, WeatherErrorSpec | dict] | None = None,
    sites: Mapping[str, Mapping] | None = None,
    source: str = DERIVED_SOURCE,
    only_issues: np.ndarray | None = None,
) -> pd.DataFrame:
    """Weather forecast beliefs derived from measured weather (see module docstring).

    Parameters
    ----------
    measured : pandas.DataFrame or pandas.Series
        Measured weather: wide (tz-aware index of event starts on a regular grid, one
        column per weather sensor) or long (columns ``sensor``, ``event_start``,
        ``value``) [each sensor's unit: temperature °C, wind speed m s-1, irradiance W m-2].
    issues : IssueSchedule or mapping, optional
        When the forecasts are issued and how far ahead (default every 6 h from 04:00 UTC,
        up to 54 h ahead: enough for day-ahead and 48 h forecasts).
    seed : int
        Seed of the error paths.
    error_specs : mapping, optional
        Error model per sensor name or keyword (overrides :data:`DEFAULT_ERROR_SPECS`).
    sites : mapping, optional
        Sensor -> ``{"latitude", "longitude"}`` [deg]; needed by the clear-sky model of
        irradiance.
    source : str
        The ``source`` of the returned beliefs.
    only_issues : numpy.ndarray, optional
        Derive only these issues (belief times [ns UTC]); default every issue whose steps
        touch the measured period.

    Returns
    -------
    pandas.DataFrame
        Beliefs: ``sensor``, ``event_start`` (UTC), ``belief_horizon`` (> 0: the step's end
        minus the issue's belief time), ``source``, ``value``; one row per sensor, issue and
        measured step it covers (NaN measurements give no forecast).
    """
    sched = issues if isinstance(issues, IssueSchedule) else IssueSchedule(**dict(issues or {}))
    wide = _wide(measured)
    cols = ["sensor", "event_start", "belief_horizon", "source", "value"]
    if wide.empty:
        return pd.DataFrame(columns=cols)
    t = wide.index.asi8
    steps = np.diff(t)
    res = int(steps.min()) if len(steps) else 3_600 * 10**9
    if np.any((t - t[0]) % res):
        raise RegressorError(f"measured weather is not on one {pd.Timedelta(res, unit='ns')} grid; resample it first.")
    max_h = pd.Timedelta(sched.max_horizon).value
    n = max_h // res  # steps per issue: horizons res .. max_horizon
    if n < 1:
        raise RegressorError(f"weather issues: max_horizon {sched.max_horizon} is shorter than a step ({pd.Timedelta(res, unit='ns')}).")
    iss = sched.issues_between(int(t[0]), int(t[-1]) + res) if only_issues is None else np.asarray(only_issues, np.int64)
    if not len(iss):
        return pd.DataFrame(columns=cols)
    # step j of issue i starts at s_i + j*res, s_i the first grid step starting at or after the issue
    s0 = t[0] + -(-(iss - t[0]) // res) * res
    ev = s0[:, None] + res * np.arange(n, dtype=np.int64)[None, :]  # (issues, n) event starts
    hz = ev + res - iss[:, None]
    keep_h = hz <= max_h
    pos = (ev - t[0]) // res
    inside = (pos >= 0) & (pos < (t[-1] - t[0]) // res + 1)
    full = np.full((t[-1] - t[0]) // res + 1, np.nan)
    frames = []
    for name in wide.columns:  # per weather sensor: all its issues in one vectorised block
        spec = error_spec_for(str(name), error_specs)
        g = full.copy()
        g[(t - t[0]) // res] = wide[name].to_numpy(dtype=float)
        m = np.where(inside, g[np.clip(pos, 0, len(g) - 1)], np.nan)
        ok = keep_h & inside & np.isfinite(m)
        if not ok.any():
            continue
        x = issue_paths(iss, n, spec.phi(pd.Timedelta(res, unit="ns")), (seed, zlib.crc32(str(name).encode())))
        err = spec.sigma(hz[ok]) * x[ok]
        mm = m[ok]
        if spec.kind == "additive":
            f = mm + err
        elif spec.kind == "relative":
            f = mm * (1.0 + err)
        else:
            cs = clear_sky_ghi(ev[ok], res, (sites or {}).get(str(name)), str(name))
            f = np.minimum(mm + err * cs, np.maximum(cs, mm))
        if spec.lower is not None or spec.upper is not None:
            f = np.clip(f, spec.lower, spec.upper)
        frames.append(pd.DataFrame({
            "sensor": str(name),
            "event_start": pd.DatetimeIndex(ev[ok], tz="UTC"),
            "belief_horizon": pd.to_timedelta(hz[ok], unit="ns"),
            "source": source,
            "value": f,
        }))  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    out["sensor"] = out["sensor"].astype("category")
    out["source"] = out["source"].astype("category")
    return out


def issue_times(forecasts: pd.DataFrame, resolution) -> pd.DatetimeIndex:
    """Belief time (issue) of each forecast belief, in row order: ``event_start + resolution
    - belief_horizon`` (UTC)."""
    h = pd.to_timedelta(forecasts["belief_horizon"]).to_numpy()
    return pd.DatetimeIndex(forecasts["event_start"]) + pd.Timedelta(resolution) - pd.TimedeltaIndex(h)


def error_autocorrelation(forecasts: pd.DataFrame, measured: pd.Series, *, lag: int = 1,
                          sigma: WeatherErrorSpec | None = None, resolution="1h",
                          scale: pd.Series | None = None, min_scale: float = 0.0) -> float:  # fmt: skip
    """Correlation of the errors ``f - m`` of steps ``lag`` apart within one issue [-].

    Parameters
    ----------
    forecasts : pandas.DataFrame
        Forecast beliefs of one sensor (:func:`derive_weather_forecasts`).
    measured : pandas.Series
        The measured series (tz-aware index).
    lag : int
        Steps apart.
    sigma : WeatherErrorSpec, optional
        Divide each error by ``sigma(h)`` first (removes the growth with the horizon).
    resolution : str
        The sensor's resolution.
    scale : pandas.Series, optional
        Divide each error by this value of its step too (irradiance: the clear-sky GHI,
        :func:`clear_sky_ghi`); steps where it is ``<= min_scale`` are left out (night).

    Returns
    -------
    float
        Pearson correlation of (error at step k, error at step k + lag) over all pairs of
        one issue.
    """
    df = forecasts[["event_start", "belief_horizon", "value"]].copy()
    df["issue"] = issue_times(forecasts, resolution)
    df["m"] = measured.reindex(pd.DatetimeIndex(df["event_start"])).to_numpy()
    df["err"] = df["value"] - df["m"]
    if sigma is not None:
        df["err"] = df["err"] / sigma.sigma(pd.to_timedelta(df["belief_horizon"]).to_numpy().astype("timedelta64[ns]").astype(np.int64))
    if scale is not None:
        sc = scale.reindex(pd.DatetimeIndex(df["event_start"])).to_numpy(dtype=float)
        df["err"] = np.where(sc > min_scale, df["err"] / np.where(sc > min_scale, sc, 1.0), np.nan)
    df = df.sort_values(["issue", "event_start"])
    nxt = df.groupby("issue")["err"].shift(-lag)
    step_ok = df.groupby("issue")["event_start"].shift(-lag) - df["event_start"] == lag * pd.Timedelta(resolution)
    pair = df["err"].notna() & nxt.notna() & step_ok
    return float(np.corrcoef(df.loc[pair, "err"], nxt[pair])[0, 1])
