"""Learned models: one parameter set per horizon bucket, on the features of
:mod:`bvp_lib.forecasting.features`.

A learned model is fitted on the (belief time, event) pairs that its issue horizons make
in the training window: for a fixed horizon ``h`` every event with ``b = e + r - h``, for
day-ahead every step of each day with ``b`` = gate closure on D-1. Pairs are grouped by
horizon bucket ``(edges[i-1], edges[i]]`` and each bucket gets its own fit. Prediction
builds the design matrix of all requested pairs at once and applies each bucket's fit to
its rows, so a forecast depends only on ``(b, e)`` and the fitted state.

Fallback per day type (``fallback_lag``, buildings): a learned model pooled over all days
weighs its lags as workdays do, which on a regular weekend can be worse than "the same
step last week"; and "last week" is wrong on a holiday. With a fallback lag ``f`` (the
holiday-aware weekly naive ``week_day_type``) the forecast is

.. math::

    \\hat y = f + a_{d}\\,(m - f)

for the model's value ``m`` and a weight :math:`a_d \\in \\{0, 0.1, .., 1\\}` per day type
``d`` (workday, Saturday, Sunday or public holiday), the one with the least absolute error
on the last ``fallback_window`` (14 days) of the training window, the model fitted on the
events before them; the model is then refitted on the whole window. Everything is known
at the fit time.

Post-processing: forecasts are clipped to the range of the training targets (``clip``;
a forecast never leaves what was seen: no negative solar production, no demand beyond the
station's record), and with the ``pv`` features set to 0 while the sun is down
(``zero_at_night``; night steps are then also left out of training).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bvp_lib.forecasting.base import DAY_NS, BaseForecaster
from bvp_lib.forecasting.calendar import day_type
from bvp_lib.forecasting.errors import ForecastingError, HorizonError
from bvp_lib.forecasting.features import Design, FeatureSpec, build_design, feature_spec
from bvp_lib.forecasting.horizons import DEFAULT_BUCKET_EDGES, bucket_of
from bvp_lib.forecasting.horizons import horizon_buckets as bucket_edges_ns
from bvp_lib.forecasting.series import DEFAULT_MAX_GAP, fmt_td
from bvp_lib.market.clock import market_timezone


def recency_weights(e: np.ndarray, fit_time: int, halflife: pd.Timedelta) -> np.ndarray:
    """Training weights that halve every ``halflife`` back from the fit time, mean 1 [-]:
    :math:`w_i \\propto 2^{-(T - e_i)/H}`."""
    w = 0.5 ** ((fit_time - np.asarray(e, dtype=np.int64)) / halflife.value)
    return w / w.mean()


class BucketedForecaster(BaseForecaster):
    """Base of learned models (see module docstring).

    Parameters
    ----------
    features : sequence of str
        Feature families (:data:`bvp_lib.forecasting.features.FAMILIES`).
    regressors : sequence of str, optional
        Regressor sensors of the ``weather`` family (None: all given).
    ghi, wind_speed : str
        Regressor sensors of the ``pv`` and ``power_curve`` features.
    site : dict, optional
        Site metadata: ``latitude``, ``longitude`` [deg], ``tilt``, ``azimuth`` [deg];
        ``hub_height``, ``measurement_height`` [m], ``turbine_type`` or ``power_curve``.
    tz, country : str
        Market timezone and holiday country.
    subdivision : str, optional
        State whose public holidays count too (``"BB"``).
    clock : {"local", "utc"}
        Clock of seasonal lags.
    horizon_buckets : sequence of str
        Upper edges of the horizon buckets.
    clip : bool
        Clip forecasts to the training range.
    zero_at_night : bool
        With ``pv`` features: forecast 0 while the sun is down.
    max_gap : str or pandas.Timedelta or None
        Gap rule of the history.
    fundamentals : sequence of str
        Regressor sensors of the ``fundamentals`` family (system day-ahead forecasts [MW]);
        empty where the market has none (the family then adds no column).
    fundamental_terms : sequence of str
        Columns made of each fundamental (:data:`~bvp_lib.forecasting.features.FUNDAMENTAL_TERMS`).
    lags : sequence of str, optional
        Lag columns (:data:`~bvp_lib.forecasting.features.LAGS`); default the six of
        :data:`~bvp_lib.forecasting.features.DEFAULT_LAGS`.
    fallback_lag : str, optional
        A benchmark lag (one of ``lags``; ``week_day_type``, the holiday-aware weekly naive)
        to fall back on per day type: the forecast is ``f + a (model - f)`` with the weight
        ``a`` in 0 .. 1 of each day type (workday, Saturday, Sunday or holiday) that did
        best on the last ``fallback_window`` of the training window (module docstring).
        None: the model alone.
    fallback_window : str or pandas.Timedelta
        The training events that choose the weights (the model is fitted on those before
        them for that, then on all).
    hour_by_day_type : bool
        Calendar one-hot per hour and day type (linear models; 72 columns).
    max_train_window : str or pandas.Timedelta, optional
        Train on up to this much history, as far as it reaches, and never on less than the
        run's ``train_window`` (an expanding window that stops growing here; the price
        models use a year, so rare events such as negative prices are in the training
        data). None: the run's ``train_window``.
    recency_halflife : str or pandas.Timedelta, optional
        Weigh the training events by :func:`recency_weights` (halving every half-life back
        from the fit time), so a long window keeps rare events while recent ones count most.
        None: equal weights.
    """

    one_hot: bool = True

    def __init__(
        self,
        features: Sequence[str] = ("lags", "calendar", "horizon", "weather"),
        regressors: Sequence[str] | None = None,
        ghi: str = "ghi",
        wind_speed: str = "wind_speed",
        site: dict | None = None,
        tz: str | None = None,
        country: str = "DE",
        subdivision: str | None = None,
        clock: str = "local",
        horizon_buckets: Sequence[str] = DEFAULT_BUCKET_EDGES,
        clip: bool = True,
        zero_at_night: bool = True,
        max_gap=DEFAULT_MAX_GAP,
        fundamentals: Sequence[str] = (),
        fundamental_terms: Sequence[str] = ("level", "ramps", "day_change"),
        max_train_window=None,
        recency_halflife=None,
        lags: Sequence[str] | None = None,
        fallback_lag: str | None = None,
        fallback_window="14D",
        hour_by_day_type: bool = False,
        **model_params,
    ):
        tz = market_timezone(tz)
        super().__init__(
            max_gap=max_gap,
            features=list(features),
            regressors=None if regressors is None else list(regressors),
            ghi=ghi,
            wind_speed=wind_speed,
            site=dict(site or {}),
            tz=tz,
            country=country,
            subdivision=subdivision,
            clock=clock,
            horizon_buckets=[fmt_td(x) for x in horizon_buckets],
            clip=bool(clip),
            zero_at_night=bool(zero_at_night),
            **({"fundamentals": list(fundamentals), "fundamental_terms": list(fundamental_terms)}
               if "fundamentals" in features else {}),
            **({"max_train_window": fmt_td(max_train_window)} if max_train_window is not None else {}),
            **({"recency_halflife": fmt_td(recency_halflife)} if recency_halflife is not None else {}),
            **({"lags": list(lags)} if lags is not None else {}),
            **({"fallback_lag": fallback_lag, "fallback_window": fmt_td(fallback_window)} if fallback_lag else {}),
            **({"hour_by_day_type": True} if hour_by_day_type else {}),
            **model_params,
        )  # fmt: skip
        self.spec: FeatureSpec = feature_spec(
            features, regressors=regressors, ghi=ghi, wind_speed=wind_speed, tz=tz, country=country,
            subdivision=subdivision, clock=clock, one_hot=self.one_hot, site=dict(site or {}),
            fundamentals=fundamentals, fundamental_terms=fundamental_terms,
            **({"lags": lags} if lags is not None else {}), hour_by_day_type=bool(hour_by_day_type),
        )  # fmt: skip
        self.edges = bucket_edges_ns(horizon_buckets)  # [ns]
        self.max_train_window = None if max_train_window is None else pd.Timedelta(max_train_window)
        self.recency_halflife = None if recency_halflife is None else pd.Timedelta(recency_halflife)
        if fallback_lag is not None and ("lags" not in self.spec.families or fallback_lag not in self.spec.lags):
            raise ForecastingError(
                f"fallback_lag {fallback_lag!r} must be one of the model's lags {list(self.spec.lags)} (with the lags family)."
            )
        self.fallback_lag = fallback_lag
        self.fallback_window = pd.Timedelta(fallback_window)
        self._blend: dict[int, float] = {}
        self.clip, self.zero_at_night = bool(clip), bool(zero_at_night)
        self.model_params = model_params
        self._state_models: dict[int, object] = {}
        self._state_range: tuple[float, float] = (-np.inf, np.inf)
        self._state_names: list[str] = []

    def lookback(self, max_horizon) -> pd.Timedelta:
        return max(pd.Timedelta("7D"), pd.Timedelta(max_horizon) + pd.Timedelta("1D")) + pd.Timedelta("1D")

    @property
    def feature_names(self) -> list[str]:
        """Columns of the design matrix of the last fit."""
        return list(self._state_names)

    def _uses_night(self, design: Design) -> bool:
        return self.zero_at_night and design.night is not None

    def design(self, grid, cubes, b, e) -> Design:
        """The design matrix of pairs (see :func:`~bvp_lib.forecasting.features.build_design`)."""
        return build_design(grid, b, e, self.spec, cubes)

    def training_matrix(self, grid, cubes, b, e) -> tuple[Design, np.ndarray, np.ndarray]:
        """Design, targets [series unit] and bucket per training pair (night rows dropped)."""
        design, y, k, _ = self._training(grid, cubes, b, e)
        return design, y, k

    def _training(self, grid, cubes, b, e):
        design = self.design(grid, cubes, b, e)
        y = grid.values[grid.pos(e)]
        k = bucket_of(e + grid.res - b, self.edges, grid.name)
        if self._uses_night(design):
            day = ~design.night
            design = Design(design.X[day], design.names, design.night[day])
            y, k, e = y[day], k[day], e[day]
        return design, y, k, e

    def _fit_pairs(self, grid, cubes, b, e) -> None:
        design, y, k, kept = self._training(grid, cubes, b, e)
        self._state_names = design.names
        self._state_range = (float(np.min(y)), float(np.max(y))) if len(y) else (-np.inf, np.inf)
        w = None
        if self.recency_halflife is not None:
            w = recency_weights(kept, self.fit_time, self.recency_halflife)
        self._state_models = self._fit_states(design.X, y, k, w)
        self._blend = {}
        if self.fallback_lag is not None:
            self._blend = self._fallback_weights(design, y, k, kept, w, max(1, DAY_NS // grid.res))

    def _fit_states(self, X: np.ndarray, y: np.ndarray, k: np.ndarray, w: np.ndarray | None) -> dict:
        """One fit per horizon bucket."""
        return {int(i): self._fit_matrix(X[k == i], y[k == i], None if w is None else w[k == i]) for i in np.unique(k)}

    def _apply_states(self, states: dict, X: np.ndarray, k: np.ndarray) -> np.ndarray:
        out = np.full(len(X), np.nan)
        for i in np.unique(k):  # a handful of horizon buckets, each predicted vectorised
            if int(i) in states:
                rows = k == i
                out[rows] = self._predict_matrix(states[int(i)], X[rows])
        return out

    def _fallback_weights(self, design: Design, y, k, kept, w, day_steps: int) -> dict[int, float]:
        """Per day type, the weight ``a`` of the model against the fallback lag ``f``
        (forecast ``f + a (model - f)``, ``a`` in 0, 0.1, .., 1) that gives the least absolute
        error on the last ``fallback_window`` of the training events, the model fitted on
        the events before them (module docstring)."""
        val = kept >= self.fit_time - self.fallback_window.value
        if not val.any() or (~val).sum() < 7 * day_steps:
            return {}
        states = self._fit_states(design.X[~val], y[~val], k[~val], None if w is None else w[~val])
        pred = self._apply_states(states, design.X[val], k[val])
        base = design.X[val, design.names.index(self.fallback_lag)]
        yv, g = y[val], day_type(kept[val], self.spec.tz, self.spec.country, self.spec.subdivision)
        ok = np.isfinite(pred)
        grid_a = np.round(np.linspace(1.0, 0.0, 11), 1)  # ties go to the model
        out = {}
        for gi in np.unique(g[ok]):
            sel = ok & (g == gi)
            errs = [np.abs(yv[sel] - (base[sel] + a * (pred[sel] - base[sel]))).sum() for a in grid_a]
            out[int(gi)] = float(grid_a[int(np.argmin(errs))])
        return out

    def _predict_pairs(self, grid, cubes, b, e) -> np.ndarray:
        design = self.design(grid, cubes, b, e)
        k = bucket_of(e + grid.res - b, self.edges, grid.name)
        missing = [int(i) for i in np.unique(k) if int(i) not in self._state_models]
        if missing:
            i = missing[0]
            lo = pd.Timedelta(int(self.edges[i - 1]) if i else 0, unit="ns")
            hi = pd.Timedelta(int(self.edges[i]), unit="ns")
            raise HorizonError(
                f"{self.name} for {grid.name!r} was not fitted for horizons in ({fmt_td(lo)}, "
                f"{fmt_td(hi)}]; fit it with horizons that include them (fitted: "
                f"{[s.label for s in self.horizons]})."
            )
        out = self._apply_states(self._state_models, design.X, k)
        if self._blend:
            base = design.X[:, design.names.index(self.fallback_lag)]
            g = day_type(e, self.spec.tz, self.spec.country, self.spec.subdivision)
            a = np.array([self._blend.get(int(x), 1.0) for x in range(3)])[g]
            out = base + a * (out - base)
        if self.clip:
            out = np.clip(out, *self._state_range)
        if self._uses_night(design):
            out[design.night] = 0.0
        return out

    # -- to implement ----------------------------------------------------------------
    def _fit_matrix(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None):  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_matrix(self, state, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError
