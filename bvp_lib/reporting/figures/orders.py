"""The orders strategy in a report: the periods where the most value was at stake, and the
portfolio's bid curves in them.

A curve is drawn as exchanges draw them: quantity on the x axis [MW, sold positive,
bought negative], price on the y axis [EUR/MWh]. The curve runs out to the exchange's
limits (−500 and 3000 EUR/MWh); the figure shows the prices that matter, from below the
lowest price scenario to above the highest and the clearing price.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bvp_lib.market.orders import PORTFOLIO_ORDER, sum_curves
from bvp_lib.reporting.figures.common import COLORS
from bvp_lib.timing import step_hours


def value_at_stake(perfect: pd.DataFrame, baseline: pd.DataFrame, price: pd.Series,
                   period: str | pd.Timedelta = "1h") -> pd.Series:  # fmt: skip
    """What flexibility could earn in each delivery period [EUR]: the perfect-foresight
    schedule's deviation from the actual baseline, summed over assets, at the realised
    price, ``|Σ_{t∈h} Σ_a (P_pf − P_base) · π · Δt|``; largest first."""
    h = step_hours(price.index)
    cols = [c for c in perfect.columns if c in baseline.columns]
    per_step = (perfect[cols] - baseline[cols]).sum(axis=1) * price.reindex(perfect.index) * h
    out = per_step.resample(pd.Timedelta(period)).sum().abs()
    return out.sort_values(ascending=False).rename("value_at_stake_eur")


def _sum_curves(book, orders: list[str], t) -> tuple[np.ndarray, np.ndarray]:
    return sum_curves([book.curve(o, t) for o in orders])


def bid_curves_figure(book, accepted: pd.DataFrame, periods, *, tz: str, scenarios=None, n: int = 4,
                      parts=None) -> Figure:  # fmt: skip
    """The portfolio's bid curve in each of ``periods`` (at most ``n``), with its
    flexible assets' part, the clearing price and the quantity accepted.

    Parameters
    ----------
    book : bvp_lib.market.orders.OrderBook
    accepted : pandas.DataFrame
        :func:`bvp_lib.market.clearing.clear`'s output (``price`` and ``portfolio``).
    periods : sequence of pandas.Timestamp
        Period starts (UTC) to show, in the order given.
    scenarios : bvp_lib.forecasting.probabilistic.PriceScenarios, optional
        Drawn as ticks on the price axis: the prices the curves were made for.
    """
    periods = list(periods)[:n]
    fig, axes = plt.subplots(1, max(len(periods), 1), figsize=(3.2 * max(len(periods), 1) + 0.6, 3.8), squeeze=False,
                             layout="constrained")  # fmt: skip
    axes = axes[0]
    if not periods:
        axes[0].text(0.5, 0.5, "no delivery period to show", ha="center", va="center", transform=axes[0].transAxes)
        axes[0].set_axis_off()
        return fig
    orders = book.orders
    parts = book if parts is None else parts  # the orders the portfolio's curve is made of
    flex = [o for o in parts.orders if o.startswith("flex:")]
    sc_prices = None
    if scenarios is not None:
        sc = scenarios.prices.copy()
        sc.columns = pd.DatetimeIndex(sc.columns)
        sc_prices = sc
    for ax, t in zip(axes, periods):
        t = pd.Timestamp(t)
        p_all, q_all = _sum_curves(book, orders, t)
        p_flex, q_flex = _sum_curves(parts, flex, t)
        clearing = float(accepted.at[t, "price"])
        sold = float(accepted.at[t, "portfolio"])
        lo, hi = clearing - 40.0, clearing + 40.0
        if sc_prices is not None and t in sc_prices.columns:
            s = sc_prices[t].to_numpy(float)
            lo, hi = min(lo, s.min() - 20.0), max(hi, s.max() + 20.0)
            ax.plot(np.full(len(s), 0.0), s, "_", color=COLORS["forecast"], ms=10, alpha=0.7,
                    label="price scenarios")  # fmt: skip
        ax.plot(q_all, p_all, color=COLORS["schedule"], lw=2, label="portfolio curve")
        if len(flex):
            ax.plot(q_flex, p_flex, color=COLORS["perfect"], lw=1.2, ls="--", label="flexible assets' part")
        ax.axhline(clearing, color=COLORS["price"], lw=1, ls=":", label="clearing price")
        ax.plot([sold], [clearing], "o", color=COLORS["price"], label="accepted")
        ax.set_ylim(lo, hi)
        local = t.tz_convert(tz)
        end = (t + book.rules.period).tz_convert(tz)
        ax.set_title(f"{local:%H:%M}–{end:%H:%M}: {clearing:,.1f} EUR/MWh,\nsold {sold:+,.1f} MW", fontsize=9)
        ax.set_xlabel("quantity [MW] (sold +, bought −)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("price [EUR/MWh]")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5), fontsize=8, frameon=False)
    return fig


def offer_summary(offer, *, tz: str) -> pd.DataFrame:
    """:func:`bid_summary` of an :class:`~bvp_lib.market.offer.OfferResult`: the book's
    orders, and where the book is the portfolio's one order, the orders it is made of
    below it (accepted at their assets' own parts, see ``OfferResult.components``)."""
    top = bid_summary(offer.book, offer.accepted, offer.delivery.imbalance, offer.bid.members, tz=tz)
    if offer.bid.components is None:
        return top
    book, members, acc, imb = offer.components()
    low = bid_summary(book, acc, imb, members, tz=tz)
    low["kind"] = "its part: " + low["kind"]
    return pd.concat([top, low], ignore_index=True)


def bid_summary(book, accepted: pd.DataFrame, imbalance: pd.DataFrame, members: dict, *, tz: str) -> pd.DataFrame:
    """One row per order: its assets, the energy accepted (sold +, bought −) [MWh], the
    hours in which it sold and bought [h], and the imbalance of its delivery [MWh]."""
    h = book.rules.period / pd.Timedelta("1h")
    rows = []
    for o in book.orders:
        q = accepted[o] if o in accepted.columns else pd.Series(0.0, index=accepted.index)
        kind = "limit order (parks)" if o.startswith("limit:") else "bid curves (flexible assets)" \
            if o.startswith("flex:") else "the portfolio's order" if o == PORTFOLIO_ORDER else "price-independent"  # fmt: skip
        rows.append({"order": o, "kind": kind, "assets": len(members.get(o, [])),
                     "energy_sold_mwh": round(float(q.clip(lower=0).sum() * h), 9),
                     "energy_bought_mwh": round(float(-q.clip(upper=0).sum() * h), 9) + 0.0,  # + 0.0: no "-0.0"
                     "sold_hours": int((q > 0).sum() * h), "bought_hours": int((q < 0).sum() * h),
                     "imbalance_mwh": float(imbalance[o].abs().sum() * h) if o in imbalance.columns else 0.0})  # fmt: skip
    return pd.DataFrame(rows)
