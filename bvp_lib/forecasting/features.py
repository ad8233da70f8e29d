"""The design matrix of (belief time, event) pairs, built for all pairs at once.

Feature families (choose per asset type in ``parameters/forecasting.yaml``):

``lags``
    ``last`` (latest known value, i.e. persistence), ``day`` and ``day2`` (same step on
    the latest and the one-but-latest known day), ``week`` (same step on the latest
    known week), ``day_type`` and ``day_type2`` (same step on the latest and the
    one-but-latest known day of the same day type: workday, Saturday, Sunday/holiday),
    ``week_day_type`` (the holiday-aware weekly naive: same step and weekday of the latest
    known week in which that weekday had the same day type; a holiday takes the latest
    Sunday-like day), ``mean_day`` (mean of the latest known 24 h) [series unit]; the
    model's ``lags`` choose which (default the six of :data:`DEFAULT_LAGS`). All known at
    the belief time (:mod:`bvp_lib.forecasting.lags`).
``calendar``
    Local hour of day, Saturday, Sunday/public holiday (:mod:`~bvp_lib.forecasting.calendar`);
    with ``hour_by_day_type`` (linear models) one column per hour and day type.
``horizon``
    The belief horizon [h] (pairs of one bucket have different horizons).
``weather``
    Each regressor's latest forecast known at the belief time [its unit].
``pv``
    Clear-sky GHI [W m-2], cos(zenith) [-], plane-of-array irradiance from the GHI
    forecast [W m-2] (pvlib; needs the site's latitude and longitude).
``power_curve``
    The turbine power curve of the forecast hub-height wind speed [share of rated].
``fundamentals``
    The system fundamentals' day-ahead forecasts known at the belief time (residual load,
    load, wind, solar [MW]; :func:`fundamental_features`): per sensor ``f``, chosen by
    ``fundamental_terms``: ``level`` :math:`f(e)`, ``ramps`` :math:`f(e) - f(e - 1 h)` and
    :math:`f(e + 1 h) - f(e)`, ``day_change`` :math:`f(e) - f(e - 1 d)` (against the hour of
    the price lag ``day``), ``square`` :math:`f(e)^2 / 10^4` [MW², scaled], ``hour_slopes``
    :math:`f(e) \\cdot [\\text{hour} = k]` for the 24 local hours (a slope per hour, for
    linear models). Where no forecast of ``e`` is known at ``b`` (a belief time before the
    day's issue) the same hour of the latest day whose forecast is known stands in.

Event-only features (calendar, sun) are computed once per distinct event start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from bvp_lib.forecasting import lags
from bvp_lib.forecasting.calendar import calendar_features, local_parts
from bvp_lib.forecasting.errors import ForecastingError, RegressorError
from bvp_lib.forecasting.physical import power_curve_feature, pv_features
from bvp_lib.forecasting.regressors import RegressorCube
from bvp_lib.forecasting.series import SeriesGrid
from bvp_lib.market.clock import market_timezone

FAMILIES = ("lags", "calendar", "horizon", "weather", "pv", "power_curve", "fundamentals")
LAGS = ("last", "day", "day2", "week", "day_type", "day_type2", "week_day_type", "mean_day")
DEFAULT_LAGS = ("last", "day", "day2", "week", "day_type", "mean_day")
FUNDAMENTAL_TERMS = ("level", "ramps", "day_change", "square", "hour_slopes")
HOUR_NS = 3_600 * 10**9


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a model uses and how to compute them.

    Attributes
    ----------
    families : tuple of str
        Feature families (module docstring).
    regressors : tuple of str or None
        Regressor sensors used by ``weather`` (None: every regressor given).
    ghi, wind_speed : str
        Regressor sensors used by ``pv`` and ``power_curve``.
    tz, country : str
        The market's timezone and holiday country.
    subdivision : str or None
        State of the holidays (``"BB"``); None: national holidays only.
    clock : {"local", "utc"}
        Clock of the seasonal lags (see :mod:`bvp_lib.forecasting.lags`).
    one_hot : bool
        Calendar as one-hot columns (linear models) or ordinal (trees).
    site : mapping
        Site metadata for ``pv`` / ``power_curve`` (latitude, longitude, tilt, ...).
    fundamentals : tuple of str
        Regressor sensors of the ``fundamentals`` family (system forecasts [MW]).
    fundamental_terms : tuple of str
        Columns made of each (:data:`FUNDAMENTAL_TERMS`; module docstring).
    lags : tuple of str
        Lag columns of the ``lags`` family (:data:`LAGS`).
    hour_by_day_type : bool
        One-hot calendar as hour x day type (72 columns; linear models).
    """

    families: tuple[str, ...] = ("lags", "calendar", "horizon", "weather")
    regressors: tuple[str, ...] | None = None
    ghi: str = "ghi"
    wind_speed: str = "wind_speed"
    tz: str | None = None
    country: str = "DE"
    subdivision: str | None = None
    clock: str = "local"
    one_hot: bool = True
    site: Mapping = field(default_factory=dict)
    fundamentals: tuple[str, ...] = ()
    fundamental_terms: tuple[str, ...] = ("level", "ramps", "day_change")
    lags: tuple[str, ...] = DEFAULT_LAGS
    hour_by_day_type: bool = False

    def __post_init__(self):
        object.__setattr__(self, "tz", market_timezone(self.tz))
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown:
            raise ForecastingError(f"unknown feature families {unknown}; choose from {list(FAMILIES)}.")
        bad_lags = [x for x in self.lags if x not in LAGS]
        if bad_lags or not self.lags:
            raise ForecastingError(f"unknown or no lags {bad_lags}; choose from {list(LAGS)}.")
        bad = [t for t in self.fundamental_terms if t not in FUNDAMENTAL_TERMS]
        if bad:
            raise ForecastingError(f"unknown fundamental_terms {bad}; choose from {list(FUNDAMENTAL_TERMS)}.")
        if self.clock not in lags.CLOCKS:
            raise ForecastingError(f"clock must be one of {lags.CLOCKS}, got {self.clock!r}.")

    def used_fundamentals(self) -> list[str]:
        """Regressor sensors read for the ``fundamentals`` family."""
        return list(self.fundamentals) if "fundamentals" in self.families else []

    def used_regressors(self, cubes: Mapping[str, RegressorCube] | None) -> list[str]:
        """Regressor sensors read for the ``weather`` family."""
        if "weather" not in self.families:
            return []
        if self.regressors is None:
            return sorted(cubes or {})
        return list(self.regressors)


@dataclass(frozen=True)
class Design:
    """A design matrix: ``X`` (pairs x features), column ``names``, and the ``night`` mask
    (True where the sun is down; only with the ``pv`` family)."""

    X: np.ndarray
    names: list[str]
    night: np.ndarray | None = None


def _cube(cubes: Mapping[str, RegressorCube] | None, name: str, series: str) -> RegressorCube:
    if not cubes or name not in cubes:
        have = sorted(cubes or {})
        raise RegressorError(
            f"series {series!r}: the model needs forecasts of regressor {name!r}, but the "
            f"regressors hold {have or 'none'}; pass them (derive_weather_forecasts for measured "
            "weather) or change the model's regressors in parameters/forecasting.yaml."
        )
    return cubes[name]


def lag_features(grid: SeriesGrid, b: np.ndarray, e: np.ndarray, spec: FeatureSpec) -> tuple[list, list[str]]:
    """The lag columns ``spec.lags`` of pairs (module docstring) [series unit]."""
    day_steps = max(1, lags.DAY_NS // grid.res)
    dt = dict(clock=spec.clock, tz=spec.tz, country=spec.country, subdivision=spec.subdivision)
    make = {
        "last": lambda: lags.last_values(grid, b),
        "day": lambda: lags.seasonal_values(grid, b, e, 1, spec.clock, spec.tz),
        "day2": lambda: lags.seasonal_values(grid, b, e, 1, spec.clock, spec.tz, extra_periods=1),
        "week": lambda: lags.seasonal_values(grid, b, e, 7, spec.clock, spec.tz),
        "day_type": lambda: grid.values[lags.same_day_type_positions(grid, b, e, **dt)],
        "day_type2": lambda: grid.values[lags.same_day_type_positions(grid, b, e, **dt, max_days=21, nth=2)],
        "week_day_type": lambda: grid.values[lags.same_day_type_positions(grid, b, e, **dt, max_days=28, step_days=7)],
        "mean_day": lambda: lags.window_means(grid, b, day_steps),
    }
    return [make[x]() for x in spec.lags], list(spec.lags)


def fundamental_features(
    cubes: Mapping[str, RegressorCube] | None, b: np.ndarray, e: np.ndarray, spec: FeatureSpec, series: str
) -> tuple[list, list[str]]:
    """Columns of the ``fundamentals`` family (module docstring) [MW, MW² / 10^4].

    Every value is a forecast known at the belief time ``b``
    (:meth:`~bvp_lib.forecasting.regressors.RegressorCube.lookup_latest_day`).
    """
    cols: list[np.ndarray] = []
    names: list[str] = []
    terms = spec.fundamental_terms
    hours = None
    for f in spec.used_fundamentals():
        cube = _cube(cubes, f, series)
        level = cube.lookup_latest_day(e, b)
        if "level" in terms:
            cols.append(level)
            names.append(f"system:{f}")
        if "ramps" in terms:
            cols.append(level - cube.lookup_latest_day(e - cube.res, b))
            cols.append(cube.lookup_latest_day(e + cube.res, b) - level)
            names += [f"system:{f}:ramp_in", f"system:{f}:ramp_out"]
        if "day_change" in terms:
            cols.append(level - cube.lookup_latest_day(e - lags.DAY_NS, b))
            names.append(f"system:{f}:day_change")
        if "square" in terms:
            cols.append(level**2 / 1e4)
            names.append(f"system:{f}:square")
        if "hour_slopes" in terms:
            if hours is None:
                hours = np.floor(local_parts(e, spec.tz)["hour"]).astype(int)
            cols += [level * (hours == h) for h in range(24)]
            names += [f"system:{f}:hour_{h:02d}" for h in range(24)]
    return cols, names


def build_design(
    grid: SeriesGrid,
    b: np.ndarray,
    e: np.ndarray,
    spec: FeatureSpec,
    cubes: Mapping[str, RegressorCube] | None = None,
) -> Design:
    """Design matrix of forecast pairs.

    Parameters
    ----------
    grid : SeriesGrid
        History of the forecast series (only values known at each ``b`` are read).
    b, e : numpy.ndarray
        Belief times and event starts [ns UTC], aligned.
    spec : FeatureSpec
        Feature families and their settings.
    cubes : mapping of str to RegressorCube, optional
        Regressor forecasts.

    Returns
    -------
    Design
    """
    b = np.asarray(b, dtype=np.int64)
    e = np.asarray(e, dtype=np.int64)
    cols: list[np.ndarray] = []
    names: list[str] = []
    night = None
    fam = spec.families
    ue, inv = np.unique(e, return_inverse=True)  # event-only features once per event
    if "lags" in fam:
        c, n = lag_features(grid, b, e, spec)
        cols += c
        names += n
    if "calendar" in fam:
        Xc, n = calendar_features(ue, spec.tz, spec.country, spec.one_hot, spec.subdivision, spec.hour_by_day_type)
        cols += list(Xc[inv].T)
        names += n
    if "horizon" in fam:
        cols.append((e + grid.res - b) / HOUR_NS)
        names.append("horizon_h")
    for r in spec.used_regressors(cubes):
        cols.append(_cube(cubes, r, grid.name).lookup(e, b))
        names.append(f"weather:{r}")
    if "pv" in fam:
        ghi = None
        if cubes and spec.ghi in cubes:
            ghi = cubes[spec.ghi].lookup(e, b)
        mid = e + grid.res // 2
        if ghi is None:
            Xp, n, nt = pv_features(ue + grid.res // 2, None, spec.site)
            Xp, night = Xp[inv], nt[inv]
        else:
            Xp, n, night = pv_features(mid, ghi, spec.site)
        cols += list(Xp.T)
        names += n
    if "power_curve" in fam:
        ws = _cube(cubes, spec.wind_speed, grid.name).lookup(e, b)
        cols.append(power_curve_feature(ws, spec.site))
        names.append("power_curve")
    if "fundamentals" in fam:
        c, n = fundamental_features(cubes, b, e, spec, grid.name)
        cols += c
        names += n
    if not cols:
        raise ForecastingError(f"series {grid.name!r}: the model has no features; choose families from {FAMILIES}.")
    X = np.column_stack(cols).astype(float)
    return Design(X=X, names=names, night=night)


def feature_spec(families: Sequence[str] | None = None, **kwargs) -> FeatureSpec:
    """A :class:`FeatureSpec` from plain parameters (lists become tuples)."""
    if families is not None:
        kwargs["families"] = tuple(families)
    for key in ("regressors", "fundamentals", "fundamental_terms", "lags"):
        if kwargs.get(key) is not None:
            kwargs[key] = tuple(kwargs[key])
    return FeatureSpec(**kwargs)
