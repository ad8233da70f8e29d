"""Scores of probabilistic forecasts: CRPS of an ensemble, pinball loss of quantiles.

Pure numpy. The EV session forecast (:mod:`bvp_lib.forecasting.sessions`) is scored on the
energy of the sessions arriving per arrival window (local hour) and per day [MWh]: a
charging station's quarter-hour power is an on/off series on which WAPE says little (a
forecast of zero scores exactly 100 %), while the energy that arrives, and when, is what
a schedule is made of.

CRPS of an ensemble
    For samples :math:`x_1 … x_m` of the forecast distribution and the outcome :math:`y`,

    .. math::
        \\mathrm{CRPS} = \\frac1m \\sum_i |x_i - y| - \\frac1{2m^2} \\sum_{i,j} |x_i - x_j|

    in the unit of :math:`y` (the CRPS of the ensemble's empirical distribution; for a
    point forecast it is the absolute error, so a point forecast and a distribution are
    compared on one scale). With sorted samples :math:`x_{(1)} ≤ … ≤ x_{(m)}` the double
    sum is :math:`2 \\sum_i (2i - m - 1) x_{(i)}`: O(m log m) per outcome, where the
    weighted form of the price scenarios (:func:`bvp_lib.forecasting.probabilistic.crps`)
    holds all m² pairs (it gives the same number for equal weights).
Pinball loss
    Of a quantile forecast :math:`q_τ`: :math:`L_τ = \\max(τ (y - q_τ), (τ - 1)(y - q_τ))`;
    its mean over τ evenly spread in (0, 1) approaches CRPS / 2.
"""

from __future__ import annotations

import numpy as np


def crps_ensemble(samples, outcome) -> np.ndarray:
    """CRPS of each row of ``samples`` (shape ``(..., m)``) against ``outcome`` (shape ``(...)``)
    [unit of the outcome]; see the module docstring."""
    x = np.sort(np.asarray(samples, float), axis=-1)
    y = np.asarray(outcome, float)
    m = x.shape[-1]
    if m == 0:
        raise ValueError("an ensemble needs at least one sample")
    w = 2 * np.arange(1, m + 1) - m - 1
    pair = 2 * (x * w).sum(axis=-1)
    return np.abs(x - y[..., None]).mean(axis=-1) - pair / (2 * m * m)


def pinball_loss(quantile_forecast, outcome, tau: float) -> np.ndarray:
    """Pinball (quantile) loss of the τ-quantile forecast [unit of the outcome]:
    ``max(τ (y − q), (τ − 1)(y − q))``."""
    if not 0 < tau < 1:
        raise ValueError(f"a quantile level must lie in (0, 1), not {tau}")
    d = np.asarray(outcome, float) - np.asarray(quantile_forecast, float)
    return np.maximum(tau * d, (tau - 1) * d)


def quantile_scores(samples, outcome, taus=(0.1, 0.5, 0.9)) -> dict[str, float]:
    """Mean pinball loss per level τ of the samples' empirical quantiles, their mean
    (``pinball``) and the share of outcomes inside the outermost interval
    (``coverage``, e.g. 10–90 %) [-]."""
    x = np.asarray(samples, float)
    y = np.asarray(outcome, float)
    q = np.quantile(x, taus, axis=-1)  # (len(taus), ...)
    out = {f"pinball_{int(round(t * 100)):02d}": float(pinball_loss(q[i], y, t).mean()) for i, t in enumerate(taus)}
    out["pinball"] = float(np.mean([out[k] for k in list(out)]))
    lo, hi = q[0], q[-1]
    out["coverage"] = float(((y >= lo - 1e-12) & (y <= hi + 1e-12)).mean())
    return out
