"""The market's clock: the one place every stage takes its timezone, gate closure and
price publication from.

BVP offers flexibility to the day-ahead auction of EPEX SPOT for the German bidding
zone. Its rules, as the workbench uses them:

* **The day** is a calendar day in the market's timezone (``BVP_TIMEZONE``, default
  Europe/Berlin): 92, 96 or 100 quarter-hours (23, 24 or 25 hours), never assume 96.
* **Gate closure** of the auction for delivery day D is at ``BVP_GATE_CLOSURE`` (default
  12:00) local time on D-1 [EPEX SPOT, "Day-ahead auction: order book closes at 12:00
  CET/CEST"]. Every plan for D is made then, with only what was known then: a
  forecast's *issue time* (belief time) is gate closure.
* **Price publication**: day D's prices are published shortly after the auction (about
  12:42 local); the workbench stores them as known at ``BVP_PRICE_PUBLICATION``
  (default 13:00) local time on D-1, so no plan made at gate closure can see them.

The settings (:mod:`bvp_lib.config`: defaults, ``config/<env>.toml``, ``.env``,
environment variables) are the one parameter; :func:`market_clock` turns them into a
:class:`MarketClock`. Nothing else in bvp_lib spells out a timezone or a gate closure:
functions that take ``tz`` or ``gate_closure`` default to this clock.

Examples
--------
>>> clock = MarketClock("Europe/Berlin", "12:00", "13:00")
>>> clock.gate_closure_of("2015-04-12")
Timestamp('2015-04-11 10:00:00+0000', tz='UTC')
>>> clock.price_known_at("2015-03-29")   # the 23-hour day; D-1 is still winter time
Timestamp('2015-03-28 12:00:00+0000', tz='UTC')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

#: name of the day-ahead market (and its price sensor) when the portfolio names none
DEFAULT_MARKET = "epex_da"


def _hhmm(value) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a clock time; write it as HH:MM.") from None


def as_date(day) -> dt.date:
    """A date from a date, a 'YYYY-MM-DD' string or a timestamp (its own calendar date).
    (Here, below :mod:`bvp_lib.timing`, which re-exports it, because the clock needs it.)"""
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    try:
        return dt.date.fromisoformat(str(day))
    except ValueError:
        raise ValueError(f"{day!r} is not a date; write it as YYYY-MM-DD.") from None


@dataclass(frozen=True)
class MarketClock:
    """The day-ahead market's clock.

    Attributes
    ----------
    timezone : str
        IANA timezone of "the day" (``Europe/Berlin``).
    gate_closure : str
        Local clock time (HH:MM) on D-1 when the auction for day D closes.
    price_publication : str
        Local clock time (HH:MM) on D-1 when day D's prices are known.
    market : str
        Name of the market and its price sensor when the portfolio names none.
    """

    timezone: str
    gate_closure: str
    price_publication: str
    market: str = DEFAULT_MARKET

    def _on_day_before(self, days: pd.DatetimeIndex, at: str) -> pd.DatetimeIndex:
        """``at`` local time on the day before each local midnight in ``days`` (naive), in UTC."""
        t = _hhmm(at)
        naive = days - pd.Timedelta("1D") + pd.Timedelta(hours=t.hour, minutes=t.minute)
        return naive.tz_localize(self.timezone, nonexistent="shift_forward", ambiguous=False).tz_convert("UTC")

    def issue_times(self, first_day, last_day) -> pd.DatetimeIndex:
        """Gate closure (UTC) of every delivery day ``first_day`` .. ``last_day`` (local, inclusive)."""
        d0, d1 = as_date(first_day), as_date(last_day)
        if d1 < d0:
            raise ValueError(f"last day {d1} is before first day {d0}.")
        days = pd.date_range(pd.Timestamp(d0), pd.Timestamp(d1), freq="D")
        return self._on_day_before(days, self.gate_closure)

    def gate_closure_of(self, day) -> pd.Timestamp:
        """Gate closure (UTC) of the auction for local delivery day ``day``: the belief
        time of every plan and day-ahead forecast of that day."""
        return self.issue_times(day, day)[0]

    def price_known_at(self, day) -> pd.Timestamp:
        """When the day-ahead prices of local day ``day`` are known (UTC)."""
        days = pd.DatetimeIndex([pd.Timestamp(as_date(day))])
        return self._on_day_before(days, self.price_publication)[0]

    def price_horizons(self, event_start, resolution) -> pd.TimedeltaIndex:
        """Belief horizons of day-ahead prices: ``event end − publication`` of each event's day.

        Parameters
        ----------
        event_start : sequence of tz-aware timestamps
            Price step starts.
        resolution : str or pandas.Timedelta
            Price step length (1 h for the bundled prices).
        """
        starts = pd.DatetimeIndex(pd.to_datetime(event_start, utc=True))
        local_days = starts.tz_convert(self.timezone).tz_localize(None).normalize()
        published = self._on_day_before(local_days, self.price_publication)
        return pd.TimedeltaIndex(starts + pd.Timedelta(resolution) - published)

    def local_day(self, ts) -> dt.date:
        """The local day holding instant ``ts`` (tz-aware)."""
        return pd.Timestamp(ts).tz_convert(self.timezone).date()

    def local_days(self, ts) -> np.ndarray:
        """The local day of every instant in ``ts`` (tz-aware), as ``datetime.date`` objects."""
        idx = pd.DatetimeIndex(ts).tz_convert(self.timezone)
        return np.array([d.date() for d in idx.normalize()], dtype=object)

    def describe(self) -> str:
        return (f"{self.market}: days in {self.timezone}, gate closure {self.gate_closure} on D-1, "
                f"prices known at {self.price_publication} on D-1")


@lru_cache(maxsize=8)
def _clock(timezone: str, gate_closure: str, price_publication: str) -> MarketClock:
    return MarketClock(timezone, gate_closure, price_publication)


def market_clock(settings=None) -> MarketClock:
    """The market's clock from the settings (``BVP_TIMEZONE``, ``BVP_GATE_CLOSURE``,
    ``BVP_PRICE_PUBLICATION``; see :mod:`bvp_lib.config`)."""
    if settings is None:
        from bvp_lib.config import get_settings

        settings = get_settings()
    return _clock(settings.timezone, settings.gate_closure, settings.price_publication)


def market_timezone(tz: str | None = None) -> str:
    """``tz`` when given, else the market's timezone."""
    return tz or market_clock().timezone


def gate_closure_of(day) -> pd.Timestamp:
    """Gate closure (UTC) of local delivery day ``day`` on the configured clock."""
    return market_clock().gate_closure_of(day)
