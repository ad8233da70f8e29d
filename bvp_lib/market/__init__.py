"""The market: its clock (timezone, gate closure, price publication), and (above the
stages) the rules of offering to it.

:mod:`bvp_lib.market.clock` is the bottom of the house: every stage takes "the day",
gate closure and the prices' publication time from :func:`market_clock`.
"""

from bvp_lib.market.clock import DEFAULT_MARKET, MarketClock, gate_closure_of, market_clock, market_timezone

__all__ = ["DEFAULT_MARKET", "MarketClock", "gate_closure_of", "market_clock", "market_timezone"]
