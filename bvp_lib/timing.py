"""Time conventions: "the day" is a calendar day in the market's local timezone.

A local day has 23, 24 or 25 hours (92, 96 or 100 quarter-hours): never assume 96.
Every function here takes the timezone as ``tz``; left out, it is the market's
(:func:`bvp_lib.market.clock.market_clock`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from bvp_lib.market.clock import as_date, market_timezone  # noqa: F401  (as_date: re-exported)


def days_between(first, last, *, first_name: str = "--from", last_name: str = "--to") -> list[dt.date]:
    """Every local day from ``first`` to ``last`` (both included).

    Raises
    ------
    ValueError
        ``last`` before ``first``, naming both options (``first_name``, ``last_name``).
    """
    a, b = as_date(first), as_date(last)
    if b < a:
        raise ValueError(f"{last_name} {b} is before {first_name} {a}.")
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def day_bounds(day, tz: str | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC start and end of local calendar day ``day`` in ``tz`` (default the market's)."""
    tz = market_timezone(tz)
    d = as_date(day)
    start = pd.Timestamp(d).tz_localize(tz)
    end = pd.Timestamp(d + dt.timedelta(days=1)).tz_localize(tz)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def day_index(day, tz: str | None = None, resolution="15min") -> pd.DatetimeIndex:
    """Step starts (UTC) of local day ``day``: 92, 96 or 100 quarter-hours."""
    start, end = day_bounds(day, tz)
    return pd.date_range(start, end, freq=pd.Timedelta(resolution), inclusive="left")


def period_index(first_day, last_day, tz: str | None = None, resolution="15min") -> pd.DatetimeIndex:
    """Step starts (UTC) from the start of ``first_day`` to the end of ``last_day`` (local days)."""
    start, _ = day_bounds(first_day, tz)
    _, end = day_bounds(last_day, tz)
    return pd.date_range(start, end, freq=pd.Timedelta(resolution), inclusive="left")


def step_hours(index: pd.DatetimeIndex) -> float:
    """Step length Δt [h] of a regular index.

    Raises
    ------
    ValueError
        Fewer than two steps, or steps of different lengths.
    """
    if len(index) < 2:
        raise ValueError("Need at least two steps to know the step length.")
    d = np.diff(pd.DatetimeIndex(index).asi8)
    if (d != d[0]).any():
        raise ValueError("The index is not regular: one step length is needed.")
    return d[0] / 3.6e12
