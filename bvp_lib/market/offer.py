"""Offering a day to the auction: bid curves at gate closure, clearing, delivery.

:func:`offer_day` wires :mod:`~bvp_lib.market.bidding` (the order book from the price
scenarios and the forecasts known at gate closure), :mod:`~bvp_lib.market.clearing`
(the realised day-ahead price picks each order's accepted quantity) and
:mod:`~bvp_lib.market.dispatch` (the plan that delivers it, made once the prices are
published) together; it adds no algorithm. The day run calls it for ``strategy="orders"``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from bvp_lib.beliefs import to_grid
from bvp_lib.market.bidding import BidResult, make_order_book
from bvp_lib.market.clearing import clear, split_accepted
from bvp_lib.market.dispatch import Delivery, deliver, within_connections
from bvp_lib.market.orders import PORTFOLIO_ORDER, OrderBook, OrderBookError
from bvp_lib.market.rules import EPEX_DAY_AHEAD, ExchangeRules

STRATEGIES = ("schedule", "orders")


@dataclass
class OfferResult:
    """A day offered as orders: the book, what the auction accepted, and its delivery."""

    bid: BidResult
    accepted: pd.DataFrame
    delivery: Delivery
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def book(self) -> OrderBook:
        return self.bid.book

    def components(self) -> tuple[OrderBook, dict, pd.DataFrame, pd.DataFrame]:
        """The orders the book is made of, with what each got: (book, members, accepted,
        imbalance). For the portfolio's one order these are its component orders (per
        connection point and limit price), each accepted at the sum of its assets' own
        parts [MW] and with its assets' share of the imbalance [MW] (position − plan);
        for a book of separate orders, the book's own orders as cleared and delivered."""
        if self.bid.components is None or self.delivery.targets is None:
            return self.book, self.bid.members, self.accepted, self.delivery.imbalance
        book, members = self.bid.components, self.bid.component_members
        d = self.delivery
        periods = pd.DatetimeIndex(self.accepted.index)
        per = len(d.position) // len(periods)
        gap = (d.position - d.result.schedule.reindex(columns=d.position.columns)).fillna(0.0)
        gap_h = pd.DataFrame(gap.to_numpy().reshape(len(periods), per, -1).mean(axis=1), index=periods,
                             columns=gap.columns)  # fmt: skip
        acc, imb = pd.DataFrame(index=periods), pd.DataFrame(index=periods)
        for o, ms in members.items():
            acc[o] = d.targets[[m for m in ms if m in d.targets.columns]].sum(axis=1).to_numpy(float)
            imb[o] = gap_h[[m for m in ms if m in gap_h.columns]].sum(axis=1).to_numpy(float)
        acc["portfolio"], acc["price"] = self.accepted["portfolio"], self.accepted["price"]
        return book, members, acc, imb


def period_prices(prices: pd.Series, rules: ExchangeRules = EPEX_DAY_AHEAD) -> pd.Series:
    """Clearing prices per delivery period [EUR/MWh] from prices on the schedule's steps."""
    idx = pd.DatetimeIndex(prices.index)
    grid = pd.date_range(idx[0], idx[-1] + (idx[1] - idx[0] if len(idx) > 1 else rules.period), freq=rules.period,
                         inclusive="left")  # fmt: skip
    own = idx[1] - idx[0] if len(idx) > 1 else rules.period
    return to_grid(prices, rules.period, grid, own=own)


def offer_day(inputs, scenarios, clearing_prices: pd.Series, *, rules: ExchangeRules = EPEX_DAY_AHEAD,
              limits: dict[str, float] | None = None, book: OrderBook | None = None, solver: str | None = "highs",
              time_limit: float | None = None, mip_gap: float | None = None) -> OfferResult:  # fmt: skip
    """Bid (unless a ``book`` is given: orders made elsewhere), clear and deliver one day.

    Parameters
    ----------
    inputs : bvp_lib.scheduling.inputs.DayInputs
        The day as known at gate closure (forecast mode).
    scenarios : bvp_lib.forecasting.probabilistic.PriceScenarios or None
        Price scenarios of the day (not needed with ``book``).
    clearing_prices : pandas.Series
        The realised day-ahead prices on the schedule's steps [EUR/MWh].
    book : OrderBook, optional
        Orders made elsewhere (:func:`bvp_lib.market.orders.read_order_csv`); their order
        names are the assets they are for (or ``flex:<connection point>`` /
        ``limit:...`` as this workbench writes them).
    """
    t0 = time.perf_counter()
    if book is None:
        bid = make_order_book(inputs, scenarios, rules=rules, limits=limits)
    else:
        members = {o: _members_of(o, inputs) for o in book.orders}
        _one_order_each(members, book)
        bid = BidResult(book.validate(), members=members, shares=_known_parts(members, inputs, book, limits))
    t1 = time.perf_counter()
    accepted = clear(bid.book, period_prices(clearing_prices, rules))
    targets = split_accepted(accepted, bid.shares) if bid.shares else None
    t2 = time.perf_counter()
    delivery = deliver(inputs, bid.members, accepted, clearing_prices, targets=targets, solver=solver,
                       time_limit=time_limit, mip_gap=mip_gap)  # fmt: skip
    t3 = time.perf_counter()
    return OfferResult(bid, accepted, delivery, {"bid": t1 - t0, "clear": t2 - t1, "deliver": t3 - t2})


def _members_of(order: str, inputs) -> list[str]:
    """The assets an order is for: an asset's name, every asset (``all``, the portfolio's
    one order), or the flexible assets / parks behind the connection point it names
    (``flex:<cp>``, ``limit:<cp>@<price>``)."""
    info = inputs.info
    if order in info.index:
        return [order]
    if order == PORTFOLIO_ORDER:
        return list(info.index)
    kind, _, rest = order.partition(":")
    cp = rest.split("@")[0]
    if kind == "flex":
        return [a for a in info.index if info.at[a, "connection_point"] == cp and info.at[a, "type"] not in
                ("solar", "wind")]  # fmt: skip
    if kind == "limit":
        return [a for a in info.index if info.at[a, "connection_point"] == cp and info.at[a, "type"] in ("solar", "wind")]
    raise ValueError(f"order {order!r} names no asset of the portfolio, not {PORTFOLIO_ORDER!r} (every asset) and no "
                     "connection point (flex:<cp>, limit:<cp>@<p>)")


def _one_order_each(members: dict, book) -> None:
    """Refuse a book in which one asset is behind two orders (its power would be sold twice)."""
    seen: dict[str, str] = {}
    for o, ms in members.items():
        for m in ms:
            if m in seen:
                where = f" ({book.source})" if getattr(book, "source", None) else ""
                raise OrderBookError(f"order book{where}: asset {m!r} is in order {seen[m]!r} and in order {o!r}; "
                                     "each asset may be bid in one order only (the portfolio's 'all', its connection "
                                     "point's, or its own).")  # fmt: skip
            seen[m] = o


def _known_parts(members: dict, inputs, book, limits: dict | None) -> dict:
    """For a book made elsewhere: the parts that follow from the assets alone in orders that
    also hold flexible assets (the portfolio's one order): each park's limit order and each
    unscheduled asset's baseline (:func:`~bvp_lib.market.curves.price_taker_curves`, on
    what the parks' connections let them sell, as the delivery plans them). The flexible
    assets then deliver the rest of the order as a whole."""
    from bvp_lib.market.bidding import limit_prices
    from bvp_lib.market.curves import price_taker_curves

    info = inputs.info
    mixed = {o: ms for o, ms in members.items() if len(ms) > 1 and any(
        bool(info.at[m, "scheduled"]) and info.at[m, "type"] not in ("solar", "wind") for m in ms if m in info.index)}
    if not mixed:
        return {}
    lim = dict(limit_prices(info, inputs.rows) if limits is None else limits)
    curves, _ = price_taker_curves(within_connections(inputs), book.periods, book.rules, lim)
    out = {o: {m: curves[m] for m in ms if m in curves} for o, ms in mixed.items()}
    return {o: parts for o, parts in out.items() if parts}
