"""Order curves as exchange points: limit orders, the programs' curves, their tails.

Power in MW, sold positive; prices in EUR/MWh (see :mod:`bvp_lib.market.rules`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bvp_lib.market.rules import ExchangeRules
from bvp_lib.scheduling.assets import Curtailable

#: [EUR/MWh] a park's limit price where its asset row gives none: sell at any non-negative price
DEFAULT_LIMIT_PRICE = 0.0


class BiddingError(ValueError):
    """The order book cannot be made: too few scenarios for the method, bad inputs."""


def hourly_mean(series: np.ndarray, steps_per_period: int) -> np.ndarray:
    return series.reshape(-1, steps_per_period).mean(axis=1)


def order_rows(portfolio, order, periods, rules, prices_per_period, volumes_per_period) -> pd.DataFrame:
    """Tidy order rows from per-period point arrays."""
    recs = []
    for t, p, v in zip(periods, prices_per_period, volumes_per_period):
        end = t + rules.period
        recs += [(portfolio, order, t, end, float(pp), float(vv)) for pp, vv in zip(p, v)]
    return pd.DataFrame(recs, columns=["portfolio", "order", "period_start", "period_end", "price_eur_mwh", "volume_mw"])


def limit_order_curve(quantity: float, limit: float, rules: ExchangeRules, *,
                      on_tick: bool = True) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Points of a limit order: ``quantity`` [MW] at prices at or above ``limit``, 0 below
    (the quantity on the volume tick unless ``on_tick`` is false: a part of a larger order)."""
    q = float(rules.round_volume(quantity)) if on_tick else float(quantity)
    lim = float(rules.round_price(limit))
    if q == 0:
        return np.array([rules.min_price, rules.max_price]), np.zeros(2)
    if lim <= rules.min_price:
        return np.array([rules.min_price, rules.max_price]), np.array([q, q])
    if q < 0:  # a producer forecast to consume (a wind turbine's standby): price-independent
        return np.array([rules.min_price, rules.max_price]), np.array([q, q])
    if lim >= rules.max_price:
        return np.array([rules.min_price, rules.max_price, rules.max_price]), np.array([0.0, 0.0, q])
    return np.array([rules.min_price, lim, lim, rules.max_price]), np.array([0.0, 0.0, q, q])


def scenario_curve(prices: np.ndarray, quantities: np.ndarray, rules: ExchangeRules) -> tuple[np.ndarray, np.ndarray]:
    """A program's curve of one period as exchange points: flat out to the price limits,
    quantities rounded to the tick, repeated points merged (the curve stays monotone)."""
    p = np.r_[rules.min_price, rules.round_price(prices), rules.max_price]
    v = rules.round_volume(np.r_[quantities[0], quantities, quantities[-1]])
    v = np.maximum.accumulate(v)  # guard against solver round-off below the tick
    keep = np.ones(len(p), bool)
    keep[1:] = (np.diff(p) != 0) | (np.diff(v) != 0)
    p, v = p[keep], v[keep]
    # at most two points per price: a run of points at one price keeps its first and last
    out_p, out_v = [], []
    for x in np.unique(p):
        vv = v[p == x]
        out_p += [x] if len(vv) == 1 or vv[0] == vv[-1] else [x, x]
        out_v += [vv[0]] if len(vv) == 1 or vv[0] == vv[-1] else [vv[0], vv[-1]]
    # collinear points add nothing: drop the middle of three points on one line
    p, v = np.array(out_p), np.array(out_v)
    if len(p) > 2:
        keep = np.ones(len(p), bool)
        for i in range(1, len(p) - 1):
            if p[i - 1] < p[i] < p[i + 1] and v[i - 1] == v[i] == v[i + 1]:
                keep[i] = False
        p, v = p[keep], v[keep]
    if len(p) > rules.max_points:
        raise BiddingError(f"a curve would need {len(p)} points; the exchange takes at most {rules.max_points}: use "
                           "fewer price scenarios.")  # fmt: skip
    return p, v


def with_tails(p, q, lo, hi, rules, margin):
    """The curves beyond the scenarios' prices: flat out to ``margin`` [EUR/MWh] below the
    lowest (above the highest) scenario price, then a vertical step to all each asset can
    buy (``lo``) or sell (``hi``) in that period. A step, not a slope: a slope from the
    outermost scenario's point would move the quantity with every small miss of the
    price, in each hour on its own, where the hours' quantities must fit one SoC path
    (measured: batteries 0.844 with sloped tails, 0.875 without, 6-12 June 2015).

    ``q`` is assets × points; ``lo`` and ``hi`` one value per asset."""
    p, q = np.asarray(p, float), np.atleast_2d(np.asarray(q, float))
    lo, hi = np.minimum(lo, q[:, 0]), np.maximum(hi, q[:, -1])
    pl, ph = rules.round_price(p[0] - margin), rules.round_price(p[-1] + margin)
    if pl > rules.min_price and (lo < q[:, 0] - 1e-9).any():
        p, q = np.r_[pl, pl, p], np.c_[lo, q[:, 0], q]
    if ph < rules.max_price and (hi > q[:, -1] + 1e-9).any():
        p, q = np.r_[p, ph, ph], np.c_[q, q[:, -1], hi]
    return p, q


def price_taker_curves(inputs, periods: pd.DatetimeIndex, rules: ExchangeRules,
                       limits: dict[str, float]) -> tuple[dict, dict]:  # fmt: skip
    """The own curves of the assets whose bid needs no price scenario: each park's limit
    order (its forecast, as ``inputs`` has it, at or above its limit price) and each
    asset that is not scheduled bidding its baseline at every price; off the volume tick
    (parts of a larger order). Returns (asset -> period start -> (prices, volumes),
    asset -> quantity per period [MW])."""
    idx = inputs.prices.index
    per = len(idx) // len(periods)
    ends = np.array([rules.min_price, rules.max_price])
    curves, qty = {}, {}
    for a in inputs.assets:
        if isinstance(a, Curtailable):
            q = hourly_mean(pd.Series(a.forecast).reindex(idx).to_numpy(float), per)
            lim = float(rules.round_price(limits.get(a.name, DEFAULT_LIMIT_PRICE)))
            qty[a.name] = q
            curves[a.name] = {t: limit_order_curve(x, lim, rules, on_tick=False) for t, x in zip(periods, q)}
    info = inputs.info
    for a in info.index[~info["scheduled"].astype(bool)]:
        if a in inputs.baseline.columns:
            q = hourly_mean(inputs.baseline[a].reindex(idx).to_numpy(float), per)
            qty[a] = q
            curves[a] = {t: (ends, np.array([x, x])) for t, x in zip(periods, q)}
    return curves, qty
