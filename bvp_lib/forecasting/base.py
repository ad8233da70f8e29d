"""The common fit/predict interface of all forecasting models, and the beliefs they return.

A model is fitted at a *fit time* ``T`` on a history whose training targets end at or
before ``T``; it then forecasts pairs (belief time ``b >= T``, event start ``e``). Every
value a forecast reads is known at ``b``: lags of the series up to ``b``, regressor
forecasts with belief time up to ``b``, and parameters learned from data up to ``T``.

Forecasts are a tidy **beliefs** DataFrame (:data:`BELIEF_COLUMNS`):

========================  ===========================================================
``sensor`` (str)          the forecast series (history's name)
``event_start``           start of the event step, tz-aware UTC
``belief_horizon``        ``event_start + resolution - belief_time`` (> 0) [Timedelta]
``source`` (str)          the model's name
``value``                 the forecast [MW, production positive, consumption negative;
                          or EUR/MWh for prices]
========================  ===========================================================

:meth:`BaseForecaster.source` gives the identity to store with them (name, model class,
version, parameters and their hash).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from bvp_lib.forecasting.errors import (
    ForecastingError,
    HorizonError,
    InsufficientHistoryError,
    NotFittedError,
)
from bvp_lib.forecasting.horizons import DEFAULT_HORIZONS, HorizonSpec, forecast_pairs, parse_horizons
from bvp_lib.forecasting.regressors import RegressorCube, prepare_regressors
from bvp_lib.forecasting.series import (
    DEFAULT_MAX_GAP,
    SeriesGrid,
    as_utc_ns,
    check_not_constant,
    fmt_td,
    fmt_ts,
    prepare_series,
)
from bvp_lib.market.clock import market_timezone

BELIEF_COLUMNS = ["sensor", "event_start", "belief_horizon", "source", "value"]
FORECASTING_VERSION = "1"
DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class SourceIdentity:
    """Who made a forecast, for storage: name, model (class), version, parameters.

    ``params_hash`` is the first 12 hex digits of the SHA-256 of the parameters as sorted
    JSON: two models with the same name but different parameters get different hashes.
    """

    name: str
    model: str
    version: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def params_hash(self) -> str:
        blob = json.dumps(self.params, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "type": "forecaster",
            "model": f"{self.model}:{self.params_hash}",
            "version": self.version,
            "attributes": {"params": json.loads(json.dumps(self.params, default=str)), "params_hash": self.params_hash},
        }

    def to_source_spec(self):
        """As :class:`bvp_lib.beliefs.SourceSpec` (type ``forecaster``) for ``save_beliefs``."""
        from bvp_lib.beliefs import SourceSpec

        d = self.as_dict()
        return SourceSpec(name=d["name"], type=d["type"], model=d["model"], version=d["version"])


@runtime_checkable
class Forecaster(Protocol):
    """What every forecasting model offers (see :class:`BaseForecaster`)."""

    name: str

    def fit(self, history, regressors=None, *, horizons=DEFAULT_HORIZONS, train_window=None, fit_time=None): ...

    def predict(self, belief_time, event_starts, *, history, regressors=None) -> pd.DataFrame: ...

    def source(self) -> SourceIdentity: ...


def beliefs_frame(sensor: str, source: str, b: np.ndarray, e: np.ndarray, res: int, values: np.ndarray) -> pd.DataFrame:
    """Forecast values of pairs (belief time ``b``, event start ``e``) as a beliefs frame."""
    return pd.DataFrame(
        {
            "sensor": sensor,
            "event_start": pd.DatetimeIndex(np.asarray(e, dtype=np.int64), tz="UTC"),
            "belief_horizon": pd.to_timedelta(
                np.asarray(e, dtype=np.int64) + res - np.asarray(b, dtype=np.int64), unit="ns"
            ),
            "source": source,
            "value": np.asarray(values, dtype=float),
        },
        columns=BELIEF_COLUMNS,
    )


def training_pairs(
    grid: SeriesGrid, specs: Sequence[HorizonSpec], start: int, end: int
) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of ``specs`` whose events lie in ``[start, end)`` and are measured."""
    bs, es = [], []
    for spec in specs:
        b, e = forecast_pairs(spec, start, end, grid.t0, grid.res)
        bs.append(b)
        es.append(e)
    b, e = np.concatenate(bs), np.concatenate(es)
    pos = grid.pos(e)
    ok = (pos >= 0) & (pos < grid.n)
    ok[ok] = grid.observed[pos[ok]]
    return b[ok], e[ok]


class BaseForecaster:
    """Plumbing shared by all models: validation, training pairs, beliefs output.

    Subclasses set :attr:`name` and implement ``_fit_pairs(grid, cubes, b, e)`` and
    ``_predict_pairs(grid, cubes, b, e) -> values``, both vectorised over pairs.

    Parameters
    ----------
    max_gap : str or pandas.Timedelta or None
        Gap rule of the history (:func:`~bvp_lib.forecasting.series.prepare_series`).
    """

    name: ClassVar[str] = "base"
    version: ClassVar[str] = FORECASTING_VERSION
    learns: ClassVar[bool] = True  # has parameters (predict needs fit) and refuses constant series
    #: the model's own longest training window (None: the run's ``train_window``)
    max_train_window: pd.Timedelta | None = None

    def __init__(self, *, max_gap=DEFAULT_MAX_GAP, **params):
        self._params = {"max_gap": None if max_gap is None else fmt_td(max_gap), **params}
        self.max_gap = max_gap
        self.fit_time: int | None = None
        self.resolution: int | None = None
        self.sensor: str | None = None
        self.horizons: tuple[HorizonSpec, ...] = ()

    # -- identity --------------------------------------------------------------------
    def get_params(self) -> dict:
        """The constructor parameters (JSON-able)."""
        return dict(self._params)

    def clone(self):
        """An unfitted copy with the same parameters."""
        new = type(self)(**copy.deepcopy(self.get_params()))
        new.name = self.name
        return new

    def source(self) -> SourceIdentity:
        return SourceIdentity(self.name, type(self).__name__, self.version, self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"

    # -- data needs ------------------------------------------------------------------
    def lookback(self, max_horizon: pd.Timedelta) -> pd.Timedelta:
        """History needed before the first training event (for lags) [Timedelta]."""
        return pd.Timedelta("7D") + pd.Timedelta(max_horizon) + pd.Timedelta("1D")

    def history_window(self, train_window) -> pd.Timedelta:
        """The training window whose history a fit may read: the run's ``train_window``, or
        the model's own :attr:`max_train_window` when that is longer [Timedelta]."""
        w = pd.Timedelta(train_window)
        return max(w, self.max_train_window) if self.max_train_window is not None else w

    # -- public API ------------------------------------------------------------------
    def fit(
        self,
        history: pd.Series | SeriesGrid,
        regressors: pd.DataFrame | None = None,
        *,
        horizons=DEFAULT_HORIZONS,
        train_window=None,
        fit_time=None,
        tz: str | None = None,
        gate_closure: str | None = None,
    ):
        """Fit on the pairs the issue horizons ``horizons`` make in the training window.

        Parameters
        ----------
        history : pandas.Series or SeriesGrid
            Measured values indexed by tz-aware event start [MW, production positive and
            consumption negative; or EUR/MWh]; named after the sensor.
        regressors : pandas.DataFrame, optional
            Regressor forecasts as beliefs (:mod:`bvp_lib.forecasting.regressors`).
        horizons : sequence
            Issue horizons to learn (``"1h"``, ``"24h"``, ``"day-ahead"``, ...).
        train_window : str or pandas.Timedelta, optional
            Train on events in ``[fit_time - train_window, fit_time)``; default: every
            event after the lookback (:meth:`lookback`).
        fit_time : tz-aware timestamp, optional
            When the model is fitted; default the end of the history. Only events ending
            by then are targets.
        tz, gate_closure : str
            Market timezone and gate closure of ``"day-ahead"``.

        Returns
        -------
        self

        Raises
        ------
        NaiveTimestampsError, IrregularSeriesError, GapError
            For a history that cannot be put on a regular UTC grid.
        InsufficientHistoryError
            When the history does not cover ``train_window`` plus the lags' lookback.
        ConstantSeriesError
            When a learned model's training targets never change.
        RegressorError
            When a regressor the model needs is missing or not known early enough.
        """
        tz = market_timezone(tz)
        grid = prepare_series(history, max_gap=self.max_gap)
        cubes = prepare_regressors(regressors)
        specs = parse_horizons(horizons, tz=tz, gate_closure=gate_closure)
        T = grid.end if fit_time is None else int(as_utc_ns(fit_time, "fit_time")[0])
        return self.fit_prepared(grid, cubes, specs, train_window, T)

    def fit_prepared(
        self,
        grid: SeriesGrid,
        cubes: Mapping[str, RegressorCube] | None,
        specs: Sequence[HorizonSpec],
        train_window,
        fit_time: int,
    ):
        """:meth:`fit` on prepared inputs (fit time in ns UTC)."""
        max_h = max(s.max_horizon for s in specs)
        look = self.lookback(max_h).value
        T = min(int(fit_time), grid.end)
        start = grid.start + look if train_window is None else T - pd.Timedelta(train_window).value
        if train_window is not None and self.max_train_window is not None:
            # up to the model's own window, as far as the history reaches, and never less than the run's
            start = min(start, max(T - self.max_train_window.value, grid.start + look))
        self.sensor, self.resolution, self.fit_time, self.horizons = grid.name, grid.res, int(fit_time), tuple(specs)
        if not self.learns:
            return self
        look_td = fmt_td(pd.Timedelta(look, unit="ns"))
        if train_window is None and start >= T:
            raise InsufficientHistoryError(
                f"series {grid.name!r}: the history covers {fmt_td(pd.Timedelta(T - grid.start, unit='ns'))} "
                f"up to {fmt_ts(T)}, but the lags need {look_td} before the first training event. Pass a "
                "longer history."
            )
        if train_window is not None and start - look < grid.start:
            need = T - (start - look)
            raise InsufficientHistoryError(
                f"series {grid.name!r}: fitting at {fmt_ts(T)} with train_window {fmt_td(train_window)} needs "
                f"history from {fmt_ts(T - need)} (the window plus {look_td} for lags), but it starts at "
                f"{fmt_ts(grid.start)}. Pass a longer history, a shorter train_window, or start later."
            )
        b, e = training_pairs(grid, specs, start, T)
        if not len(e):
            raise InsufficientHistoryError(
                f"series {grid.name!r}: no measured training events between {fmt_ts(start)} and {fmt_ts(T)}."
            )
        period = f"{fmt_ts(start)} to {fmt_ts(T)}"
        check_not_constant(grid.values[grid.pos(e)], grid.name, period)
        self._fit_pairs(grid, cubes, b, e)
        return self

    def predict(
        self,
        belief_time,
        event_starts,
        *,
        history: pd.Series | SeriesGrid,
        regressors: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast event steps as believed at ``belief_time``.

        Parameters
        ----------
        belief_time : tz-aware timestamp or sequence of them
            One belief time for all events, or one per event.
        event_starts : sequence of tz-aware timestamps
            Starts of the event steps (on the history's grid).
        history : pandas.Series or SeriesGrid
            The series; only values known at the belief time are read.
        regressors : pandas.DataFrame, optional
            Regressor forecasts as beliefs; only those known at the belief time are read.

        Returns
        -------
        pandas.DataFrame
            Beliefs (:data:`BELIEF_COLUMNS`).

        Raises
        ------
        NotFittedError
            A learned model that was not fitted.
        HorizonError
            An event that ended before its belief time, a belief time before the fit
            time, or a horizon the model was not fitted for.
        InsufficientHistoryError
            When the history does not reach the belief time or the lags.
        """
        grid = prepare_series(history, max_gap=self.max_gap)
        cubes = prepare_regressors(regressors)
        e = as_utc_ns(event_starts, "event_starts")
        if isinstance(belief_time, (str, pd.Timestamp)) or np.ndim(belief_time) == 0:
            b = np.full(e.shape, as_utc_ns(belief_time, "belief_time")[0])
        else:
            b = as_utc_ns(belief_time, "belief_time")
        if b.shape != e.shape:
            raise ForecastingError(f"{len(b)} belief times for {len(e)} event starts; give one or one per event.")
        values = self.predict_pairs(grid, cubes, b, e)
        return beliefs_frame(grid.name, self.name, b, e, grid.res, values)

    def predict_pairs(
        self, grid: SeriesGrid, cubes: Mapping[str, RegressorCube] | None, b: np.ndarray, e: np.ndarray
    ) -> np.ndarray:
        """Forecast values of pairs (belief time ``b``, event start ``e``) [series unit]."""
        if self.learns and self.fit_time is None:
            raise NotFittedError(f"{self.name}: call fit(history, ...) before predict.")
        if self.resolution is not None and grid.res != self.resolution:
            raise ForecastingError(
                f"series {grid.name!r} has resolution {fmt_td(grid.resolution)}, but {self.name} was "
                f"fitted at {fmt_td(pd.Timedelta(self.resolution, unit='ns'))}; refit on this series."
            )
        if len(e) and np.any((e - grid.t0) % grid.res):
            raise ForecastingError(
                f"series {grid.name!r}: event starts must lie on its {fmt_td(grid.resolution)} grid."
            )
        h = e + grid.res - b
        if len(h) and h.min() <= 0:
            i = int(np.argmin(h))
            raise HorizonError(
                f"series {grid.name!r}: the event at {fmt_ts(e[i])} ended before its belief time "
                f"{fmt_ts(b[i])}: that is a measurement, not a forecast; forecast later events."
            )
        if self.learns and len(b) and b.min() < self.fit_time:
            raise HorizonError(
                f"{self.name} for {grid.name!r} was fitted at {fmt_ts(self.fit_time)} (on data up to "
                f"then); a forecast believed at {fmt_ts(int(b.min()))} would use later data. Refit on "
                "history up to the belief time."
            )
        if not len(e):
            return np.empty(0)
        values = np.asarray(self._predict_pairs(grid, cubes, b, e), dtype=float)
        if not np.isfinite(values).all():
            i = int(np.flatnonzero(~np.isfinite(values))[0])
            raise ForecastingError(
                f"{self.name} produced a non-finite forecast for {grid.name!r} at {fmt_ts(e[i])} "
                f"(believed at {fmt_ts(b[i])}); check the inputs at that time (NaN regressors?)."
            )
        return values

    # -- to implement ----------------------------------------------------------------
    def _fit_pairs(self, grid, cubes, b, e) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_pairs(self, grid, cubes, b, e) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError
