"""Linear regression (ridge on standardised features), one fit per horizon bucket.

For each horizon bucket the coefficients solve the ridge normal equations on the
standardised design :math:`Z = (X - \\mu)/s` (constant columns get :math:`s = 1`):

.. math::

    \\hat\\beta = (Z^\\top Z + \\alpha I)^{-1} Z^\\top (y - \\bar y), \\qquad
    \\hat y = \\bar y + Z\\hat\\beta

A small :math:`\\alpha` keeps the one-hot calendar columns and collinear lags (``day``,
``week`` of a smooth series) well-posed; with :math:`\\alpha = 0` it is ordinary least
squares (:func:`numpy.linalg.lstsq` gives the same fit; :mod:`bvp_lib.forecasting.profiling`
times both). Deterministic: no randomness anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bvp_lib.forecasting.bucketed import BucketedForecaster


@dataclass(frozen=True)
class RidgeFit:
    """Fitted ridge coefficients: feature means ``mu``, scales ``scale``, ``beta``, ``intercept``."""

    mu: np.ndarray
    scale: np.ndarray
    beta: np.ndarray
    intercept: float

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.intercept + ((X - self.mu) / self.scale) @ self.beta


def ridge_fit(X: np.ndarray, y: np.ndarray, alpha: float = 1.0, w: np.ndarray | None = None) -> RidgeFit:
    """Ridge regression on standardised features, intercept not penalised (equation above).

    Parameters
    ----------
    X : numpy.ndarray
        Design, shape (n, k).
    y : numpy.ndarray
        Targets, shape (n,) [series unit].
    alpha : float
        Ridge penalty on the standardised coefficients [-].
    """
    if w is None:
        mu = X.mean(axis=0)
        scale = X.std(axis=0)
        ybar = float(y.mean())
    else:
        w = np.asarray(w, dtype=float) / np.mean(w)
        mu = np.average(X, axis=0, weights=w)
        scale = np.sqrt(np.average((X - mu) ** 2, axis=0, weights=w))
        ybar = float(np.average(y, weights=w))
    scale[scale == 0] = 1.0
    Z = (X - mu) / scale
    Zw = Z if w is None else Z * w[:, None]
    A = Zw.T @ Z
    A[np.diag_indices_from(A)] += alpha
    try:
        beta = np.linalg.solve(A, Zw.T @ (y - ybar))
    except np.linalg.LinAlgError:  # only with alpha = 0 and a singular design
        sw = 1.0 if w is None else np.sqrt(w)[:, None]
        beta = np.linalg.lstsq(Z * sw, (y - ybar) * (1.0 if w is None else np.sqrt(w)), rcond=None)[0]
    return RidgeFit(mu=mu, scale=scale, beta=beta, intercept=ybar)


class LinearForecaster(BucketedForecaster):
    """Linear regression on lags, calendar, horizon, weather and physical features.

    Parameters
    ----------
    alpha : float
        Ridge penalty (0: ordinary least squares).
    **kwargs
        Features and options of :class:`~bvp_lib.forecasting.bucketed.BucketedForecaster`.
    """

    name = "linear"
    one_hot = True

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(alpha=float(alpha), **kwargs)
        self.alpha = float(alpha)

    def _fit_matrix(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> RidgeFit:
        return ridge_fit(X, y, self.alpha, w)

    def _predict_matrix(self, state: RidgeFit, X: np.ndarray) -> np.ndarray:
        return state.predict(X)

    def coefficients(self) -> dict[int, dict[str, float]]:
        """Coefficients per horizon bucket, in the features' units (per unit of each feature)."""
        return {
            k: dict(zip(self._state_names, (f.beta / f.scale).tolist(), strict=True))
            for k, f in self._state_models.items()
        }
