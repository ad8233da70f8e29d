"""Time conventions: "the day" is a calendar day in the market's local timezone.

A local day has 23, 24 or 25 hours (92, 96 or 100 quarter-hours): never assume 96.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd


def as_date(day) -> dt.date:
    """A date from a date, a 'YYYY-MM-DD' string or a timestamp (its own calendar date)."""
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    try:
        return dt.date.fromisoformat(str(day))
    except ValueError:
        raise ValueError(f"{day!r} is not a date; write it as YYYY-MM-DD.") from None


def day_bounds(day, tz: str = "Europe/Berlin") -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC start and end of local calendar day ``day`` in ``tz``."""
    d = as_date(day)
    start = pd.Timestamp(d).tz_localize(tz)
    end = pd.Timestamp(d + dt.timedelta(days=1)).tz_localize(tz)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def day_index(day, tz: str = "Europe/Berlin", resolution="15min") -> pd.DatetimeIndex:
    """Step starts (UTC) of local day ``day``: 92, 96 or 100 quarter-hours."""
    start, end = day_bounds(day, tz)
    return pd.date_range(start, end, freq=pd.Timedelta(resolution), inclusive="left")


def period_index(first_day, last_day, tz: str = "Europe/Berlin", resolution="15min") -> pd.DatetimeIndex:
    """Step starts (UTC) from the start of ``first_day`` to the end of ``last_day`` (local days)."""
    start, _ = day_bounds(first_day, tz)
    _, end = day_bounds(last_day, tz)
    return pd.date_range(start, end, freq=pd.Timedelta(resolution), inclusive="left")
