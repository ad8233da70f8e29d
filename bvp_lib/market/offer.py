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
from bvp_lib.market.dispatch import Delivery, deliver
from bvp_lib.market.orders import OrderBook
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
        bid = BidResult(book.validate(), members=members)
    t1 = time.perf_counter()
    accepted = clear(bid.book, period_prices(clearing_prices, rules))
    targets = split_accepted(accepted, bid.shares) if bid.shares else None
    t2 = time.perf_counter()
    delivery = deliver(inputs, bid.members, accepted, clearing_prices, targets=targets, solver=solver,
                       time_limit=time_limit, mip_gap=mip_gap)  # fmt: skip
    t3 = time.perf_counter()
    return OfferResult(bid, accepted, delivery, {"bid": t1 - t0, "clear": t2 - t1, "deliver": t3 - t2})


def _members_of(order: str, inputs) -> list[str]:
    """The assets an order is for: an asset's name, or the flexible assets / parks behind
    the connection point it names (``flex:<cp>``, ``limit:<cp>@<price>``)."""
    info = inputs.info
    if order in info.index:
        return [order]
    kind, _, rest = order.partition(":")
    cp = rest.split("@")[0]
    if kind == "flex":
        return [a for a in info.index if info.at[a, "connection_point"] == cp and info.at[a, "type"] not in
                ("solar", "wind")]  # fmt: skip
    if kind == "limit":
        return [a for a in info.index if info.at[a, "connection_point"] == cp and info.at[a, "type"] in ("solar", "wind")]
    raise ValueError(f"order {order!r} names no asset of the portfolio and no connection point (flex:<cp>, limit:<cp>@<p>)")
