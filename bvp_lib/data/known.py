"""When an imported value became known: the belief horizon stored with it.

One rule for the bundled data and for imports (so a backtest sees imported prices exactly
when it would have seen the bundled ones):

* **Day-ahead prices** of delivery day D are known at the market clock's price
  publication (``BVP_PRICE_PUBLICATION``, 13:00 local time of the market;
  :mod:`bvp_lib.market.clock`) on D-1, after the auction that closes at gate closure. Stored
  horizon = event end − publication time, so a forecast made at gate closure (12:00 on
  D-1) cannot see them.
* **Everything else** (asset power, weather) is a measurement known when its step ended:
  horizon 0.

A file that says otherwise is imported with ``--published``:

=====================  ===============================================================
``--published 12:57``  known at that local time on the day before each delivery day
``--published 2015-04-11T13:05+02:00``  one publication time for every value of the file
``--published delivery``  known when each step ended (horizon 0), also for prices
=====================  ===============================================================
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from bvp_lib.market.clock import MarketClock, market_clock


def day_ahead_horizon(event_start: pd.Series | pd.DatetimeIndex, resolution: pd.Timedelta, tz: str,
                      published: dt.time | None = None) -> pd.Series:
    """Horizon of a day-ahead value: ``event end − (published local time on D-1)``.

    Parameters
    ----------
    event_start : Series or DatetimeIndex of tz-aware timestamps (UTC)
    resolution : Timedelta
        Step length; the event ends at ``event_start + resolution``.
    tz : str
        The market's local timezone (what "the day" D is).
    published : datetime.time, optional
        Local time of day on D-1; default the market clock's price publication.
    """
    clock = market_clock()
    when = published.strftime("%H:%M") if published is not None else clock.price_publication
    start = pd.Series(event_start) if not isinstance(event_start, pd.Series) else event_start
    h = MarketClock(tz, clock.gate_closure, when, clock.market).price_horizons(start, resolution)
    return pd.Series(h, index=start.index)


_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_published(published: str | None) -> tuple[str, object] | None:
    """``--published`` as ``("time", datetime.time)``, ``("at", Timestamp UTC)`` or
    ``("delivery", None)``; None when not given. Raises ValueError naming the option."""
    if published is None or not str(published).strip():
        return None
    text = str(published).strip()
    if text.lower() in ("delivery", "end", "after-delivery"):
        return ("delivery", None)
    m = _HHMM.match(text)
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if h < 24 and mi < 60:
            return ("time", dt.time(h, mi))
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        ts = None
    if ts is not None and ts.tzinfo is not None:
        return ("at", ts.tz_convert("UTC"))
    raise ValueError(
        f"--published {text!r} is not understood: give a local time on the day before delivery (13:00), a "
        "timestamp with UTC offset (2015-04-11T13:05+02:00), or 'delivery' (known when each step ended)."
    )


def belief_horizons(event_start: pd.DatetimeIndex, resolution: pd.Timedelta, *, quantity: str, tz: str,
                    published: str | None = None) -> pd.Series:
    """The stored belief horizon of each imported value (see the module's rule)."""
    start = pd.Series(pd.DatetimeIndex(event_start))
    rule = parse_published(published)
    if rule is None:
        rule = ("time", None) if quantity == "price" else ("delivery", None)
    kind, arg = rule
    if kind == "delivery":
        return pd.Series(pd.Timedelta(0), index=start.index)
    if kind == "time":
        return day_ahead_horizon(start, resolution, tz, arg)
    return start + pd.Timedelta(resolution) - arg


def describe(quantity: str, tz: str, published: str | None = None) -> str:
    """How the import's knowledge time was chosen, for the import's report."""
    publication = dt.time.fromisoformat(market_clock().price_publication)
    rule = parse_published(published)
    if rule is None:
        rule = ("time", publication) if quantity == "price" else ("delivery", None)
    kind, arg = rule
    if kind == "delivery":
        return "known when each step ended"
    if kind == "time":
        return f"known at {(arg or publication):%H:%M} {tz} on the day before delivery"
    return f"known at {arg} UTC"
