"""Learned models: one parameter set per horizon bucket, on the features of
:mod:`bvp_lib.forecasting.features`.

A learned model is fitted on the (belief time, event) pairs that its issue horizons make
in the training window: for a fixed horizon ``h`` every event with ``b = e + r - h``, for
day-ahead every step of each day with ``b`` = gate closure on D-1. Pairs are grouped by
horizon bucket ``(edges[i-1], edges[i]]`` and each bucket gets its own fit. Prediction
builds the design matrix of all requested pairs at once and applies each bucket's fit to
its rows, so a forecast depends only on ``(b, e)`` and the fitted state.

Post-processing: forecasts are clipped to the range of the training targets (``clip``;
a forecast never leaves what was seen: no negative solar production, no demand beyond the
station's record), and with the ``pv`` features set to 0 while the sun is down
(``zero_at_night``; night steps are then also left out of training).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bvp_lib.forecasting.base import BaseForecaster
from bvp_lib.forecasting.errors import HorizonError
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
    max_train_window : str or pandas.Timedelta, optional
        Train on up to this much history, as far as it reaches, and never on less than the
        run's ``train_window`` (an expanding window that stops growing here; the price
        models use a year, so rare events such as negative prices are in the training
        data). None: the run's ``train_window``.
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
            **model_params,
        )  # fmt: skip
        self.spec: FeatureSpec = feature_spec(
            features, regressors=regressors, ghi=ghi, wind_speed=wind_speed, tz=tz, country=country,
            subdivision=subdivision, clock=clock, one_hot=self.one_hot, site=dict(site or {}),
            fundamentals=fundamentals, fundamental_terms=fundamental_terms,
        )  # fmt: skip
        self.edges = bucket_edges_ns(horizon_buckets)  # [ns]
        self.max_train_window = None if max_train_window is None else pd.Timedelta(max_train_window)
        self.recency_halflife = None if recency_halflife is None else pd.Timedelta(recency_halflife)
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
        self._state_models = {int(i): self._fit_matrix(design.X[k == i], y[k == i], None if w is None else w[k == i])
                              for i in np.unique(k)}  # fmt: skip

    def _predict_pairs(self, grid, cubes, b, e) -> np.ndarray:
        design = self.design(grid, cubes, b, e)
        k = bucket_of(e + grid.res - b, self.edges, grid.name)
        out = np.empty(len(e))
        for i in np.unique(k):  # a handful of horizon buckets, each predicted vectorised
            if int(i) not in self._state_models:
                lo = pd.Timedelta(int(self.edges[i - 1]) if i else 0, unit="ns")
                hi = pd.Timedelta(int(self.edges[i]), unit="ns")
                raise HorizonError(
                    f"{self.name} for {grid.name!r} was not fitted for horizons in ({fmt_td(lo)}, "
                    f"{fmt_td(hi)}]; fit it with horizons that include them (fitted: "
                    f"{[s.label for s in self.horizons]})."
                )
            rows = k == i
            out[rows] = self._predict_matrix(self._state_models[int(i)], design.X[rows])
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
