"""Clearing: the realised day-ahead price picks each order's accepted quantity.

The workbench's portfolio is a price taker: the auction's clearing price is the realised
day-ahead price of each delivery period, whatever it bid. Each order's accepted quantity
[MW, sold positive] is its curve at that price: linear between points, and at a vertical
step exactly at the price the upper quantity (a limit order sells at its limit price;
the exchange may accept any quantity on a vertical segment, the workbench takes its
top). Accepted quantities are rounded to the exchange's volume tick.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bvp_lib.market.orders import OrderBook, OrderBookError, volume_at


def clear(book: OrderBook, prices: pd.Series) -> pd.DataFrame:
    """Accepted quantities of every order in every period of the book.

    Parameters
    ----------
    book : OrderBook
    prices : pandas.Series
        Clearing price [EUR/MWh] per delivery period, indexed by the period start (UTC).

    Returns
    -------
    pandas.DataFrame
        Index: period start (UTC); one column per order [MW, sold positive], plus
        ``portfolio`` (their sum) and ``price`` [EUR/MWh].

    Raises
    ------
    OrderBookError
        A period of the book without a clearing price.
    """
    prices = pd.Series(prices, dtype=float)
    prices.index = pd.DatetimeIndex(prices.index).tz_convert("UTC")
    rows = book.rows
    starts = pd.DatetimeIndex(rows["period_start"]).tz_convert("UTC")
    periods = pd.DatetimeIndex(sorted(set(starts)))
    missing = periods.difference(prices.dropna().index)
    if len(missing):
        raise OrderBookError(f"no clearing price for period(s) {', '.join(t.isoformat() for t in missing[:3])}"
                             + (" ..." if len(missing) > 3 else "") + ": clear on the day's published prices.")  # fmt: skip
    out = pd.DataFrame(index=periods, columns=book.orders, dtype=float)
    for (order, start), g in rows.assign(_start=starts).groupby(["order", "_start"], sort=False):
        q = volume_at(g["price_eur_mwh"].to_numpy(float), g["volume_mw"].to_numpy(float), prices[start])[0]
        out.at[start, order] = q
    out = out.fillna(0.0)
    out = pd.DataFrame(book.rules.round_volume(out.to_numpy()), index=out.index, columns=out.columns)
    out["portfolio"] = out.sum(axis=1)
    out["price"] = prices.reindex(periods).to_numpy()
    out.index.name = "period_start"
    return out


def split_accepted(accepted: pd.DataFrame, shares: dict) -> pd.DataFrame:
    """Each asset's part of its order's accepted quantity [MW] per period: its own curve
    at the clearing price, not rounded.

    ``shares`` maps an order to its assets' own curves (asset -> period start ->
    (prices, quantities), :attr:`bvp_lib.market.bidding.BidResult.shares`). The parts sum
    to the order's curve before the exchange's volume tick; the order's rounding to the
    tick (accepted − the sum of the parts, at most a tick) is not anyone's part: the
    delivery follows the parts and settles the rounding as imbalance, instead of moving
    the assets to match it. Orders without shares are left out.
    """
    out = {}
    price = accepted["price"].to_numpy(float)
    for order, by_asset in shares.items():
        if order not in accepted.columns or not by_asset:
            continue
        for a, curves in by_asset.items():
            out[a] = np.array([volume_at(*curves[t], price[i])[0] for i, t in enumerate(accepted.index)])
    return pd.DataFrame(out, index=accepted.index)


def accepted_energy(accepted: pd.Series, period: pd.Timedelta) -> pd.Series:
    """Energy of accepted quantities [MWh] = quantity [MW] × period [h]."""
    return accepted * (pd.Timedelta(period) / pd.Timedelta("1h"))


__all__ = ["accepted_energy", "clear", "split_accepted", "volume_at"]
