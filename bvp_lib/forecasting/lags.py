"""Lagged values known at a belief time, vectorised over (belief time, event) pairs.

At belief time ``b`` the steps ending at or before ``b`` are known
(:func:`~bvp_lib.forecasting.series.last_known_pos`). The look-ups here only ever return
positions ``<= last_known_pos(b)``; that is the whole no-look-ahead guarantee of the lag
features, and the backtest test proves it by changing data after ``b``.

Seasonal lags ("same step yesterday", "same step last week") use the *latest* period
that is known: for event ``e``, the step ``k`` periods earlier with the smallest
``k >= 1`` that is known at ``b``. For a day-ahead issue at 12:00 on D-1, the steps of D
before 12:00 take yesterday (D-1), those after 12:00 take D-2.

``clock="local"`` means the same local clock time ``k`` days earlier in the market's
timezone (what loads and prices follow); where that clock time does not exist or is
ambiguous (the DST hour) the lag falls back to exactly ``k * 24`` hours earlier.
``clock="utc"`` always takes ``k * 24`` hours (what the sun follows).

The *day-type* lag (:func:`same_day_type_positions`) takes the same clock time on the
latest known day of the same day type (workday, Saturday, Sunday or public holiday): on
the Monday after Easter the latest Sunday-like day, on the Friday after a holiday the
latest workday. Loads and charging follow day types more than weekdays. Its weekly form
(``step_days=7``) is the *holiday-aware weekly naive*: the same weekday of the latest
known week in which it had the same day type (a holiday takes the latest Sunday-like day).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bvp_lib.forecasting.calendar import day_type
from bvp_lib.forecasting.errors import ForecastingError, InsufficientHistoryError
from bvp_lib.forecasting.series import SeriesGrid, fmt_td, fmt_ts, last_known_pos
from bvp_lib.market.clock import market_timezone

DAY_NS = 86_400 * 10**9
CLOCKS = ("local", "utc")


def shift_days(e_ns: np.ndarray, days: np.ndarray, clock: str, tz: str) -> np.ndarray:
    """Instants ``days`` whole days before ``e_ns`` [ns UTC], on the local or UTC clock.

    Parameters
    ----------
    e_ns : numpy.ndarray
        Instants [ns UTC].
    days : numpy.ndarray
        Whole days to go back (>= 0), one per instant.
    clock : {"local", "utc"}
        Same local clock time in ``tz`` (fallback ``days * 24 h`` on the DST hour), or
        exactly ``days * 24 h``.
    tz : str
        Timezone of the local clock.
    """
    e_ns = np.asarray(e_ns, dtype=np.int64)
    days = np.broadcast_to(np.asarray(days, dtype=np.int64), e_ns.shape)
    fixed = e_ns - days * DAY_NS
    if clock == "utc":
        return fixed
    if clock != "local":
        raise ForecastingError(f"clock must be one of {CLOCKS}, got {clock!r}.")
    if not len(e_ns):
        return fixed
    wall = pd.DatetimeIndex(e_ns, tz="UTC").tz_convert(tz).tz_localize(None)
    target = (wall - pd.to_timedelta(days, unit="D")).tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    out = target.asi8.copy()
    bad = target.isna()
    out[bad] = fixed[bad]
    return out


def _check_positions(grid: SeriesGrid, pos: np.ndarray, what: str) -> None:
    if len(pos) and pos.min() < 0:
        need = grid.t0 + int(pos.min()) * grid.res
        raise InsufficientHistoryError(
            f"series {grid.name!r}: the {what} lag needs data from {fmt_ts(need)}, but the history "
            f"starts at {fmt_ts(grid.t0)} ({fmt_td(pd.Timedelta(grid.t0 - need, unit='ns'))} short). "
            "Pass a longer history or start the forecasts later."
        )


def seasonal_positions(
    grid: SeriesGrid,
    b_ns: np.ndarray,
    e_ns: np.ndarray,
    period_days: int,
    clock: str = "local",
    tz: str | None = None,
    extra_periods: int = 0,
) -> np.ndarray:
    """Grid positions of the latest known same-step value, ``period_days`` apart.

    Parameters
    ----------
    grid : SeriesGrid
        The history.
    b_ns, e_ns : numpy.ndarray
        Belief times and event starts [ns UTC], aligned.
    period_days : int
        The season: 1 (yesterday) or 7 (last week).
    clock, tz : str
        See the module docstring.
    extra_periods : int
        Go this many further periods back (1: "the day before that").

    Returns
    -------
    numpy.ndarray
        Positions ``<= last_known_pos(b)`` (int64).
    """
    tz = market_timezone(tz)
    last = last_known_pos(grid, b_ns)
    e_pos = grid.pos(e_ns)
    p_steps = period_days * DAY_NS // grid.res
    k = np.maximum(1, -((last - e_pos) // p_steps))  # smallest k >= 1 with e_pos - k*p <= last
    pos = grid.pos(shift_days(e_ns, k * period_days, clock, tz))
    late = pos > last  # local clock shifted into the unknown: one period further back
    if late.any():
        k = np.where(late, k + 1, k)
        pos = np.where(late, grid.pos(shift_days(e_ns, k * period_days, clock, tz)), pos)
    if extra_periods:
        pos = grid.pos(shift_days(e_ns, (k + extra_periods) * period_days, clock, tz))
    _check_positions(grid, pos, f"{period_days}-day")
    return pos


def same_day_type_positions(
    grid: SeriesGrid,
    b_ns: np.ndarray,
    e_ns: np.ndarray,
    clock: str = "local",
    tz: str | None = None,
    country: str = "DE",
    subdivision: str | None = None,
    max_days: int = 14,
    step_days: int = 1,
    nth: int = 1,
) -> np.ndarray:
    """Grid positions of the same step on the ``nth`` latest known day of the same day type.

    Candidates are ``step_days``, ``2 * step_days``, .. up to ``max_days`` days back
    (``step_days=7``: the same weekday, a *holiday-aware weekly* lag: last week's Friday
    unless it was a holiday, then the Friday before). Where fewer than ``nth`` candidates
    are known and in the history, the lag falls back to the latest known day of the same
    day type (``step_days=7``), else to the latest known week (:func:`seasonal_positions`).
    """
    tz = market_timezone(tz)
    last = last_known_pos(grid, b_ns)
    e_ns = np.asarray(e_ns, dtype=np.int64)
    b_ns = np.broadcast_to(np.asarray(b_ns, dtype=np.int64), e_ns.shape)
    want = day_type(e_ns, tz, country, subdivision)
    out = np.full(len(e_ns), -1, dtype=np.int64)
    todo = np.ones(len(e_ns), dtype=bool)
    seen = np.zeros(len(e_ns), dtype=np.int64)
    for k in range(step_days, max_days + 1, step_days):  # a few candidate days, each vectorised over pairs
        idx = np.flatnonzero(todo)
        if not len(idx):
            break
        cand = shift_days(e_ns[idx], np.full(len(idx), k), clock, tz)
        pos = grid.pos(cand)
        ok = (pos <= last[idx]) & (pos >= 0) & (day_type(cand, tz, country, subdivision) == want[idx])
        seen[idx[ok]] += 1
        hit = ok & (seen[idx] == nth)
        out[idx[hit]] = pos[hit]
        todo[idx[hit]] = False
    if todo.any():
        if step_days > 1:
            out[todo] = same_day_type_positions(grid, b_ns[todo], e_ns[todo], clock, tz, country, subdivision,
                                                max_days=max(14, max_days // 2), nth=1)  # fmt: skip
        else:
            out[todo] = seasonal_positions(grid, b_ns[todo], e_ns[todo], 7, clock, tz)
    return out


def seasonal_values(grid: SeriesGrid, b_ns, e_ns, period_days: int, clock="local", tz=None, extra_periods=0):
    """Values at :func:`seasonal_positions` [sensor unit]."""
    tz = market_timezone(tz)
    return grid.values[seasonal_positions(grid, b_ns, e_ns, period_days, clock, tz, extra_periods)]


def last_values(grid: SeriesGrid, b_ns: np.ndarray) -> np.ndarray:
    """The latest value known at each belief time (persistence) [sensor unit]."""
    pos = last_known_pos(grid, b_ns)
    _check_positions(grid, pos, "latest-value")
    if len(pos) and pos.max() >= grid.n:
        late = int(np.max(b_ns))
        raise InsufficientHistoryError(
            f"series {grid.name!r}: the history ends at {fmt_ts(grid.end)}, but a forecast is "
            f"believed at {fmt_ts(late)}; pass the history up to the belief time (a stale "
            "latest value is not used silently)."
        )
    return grid.values[pos]


def window_means(grid: SeriesGrid, b_ns: np.ndarray, window_steps: int) -> np.ndarray:
    """Mean of the ``window_steps`` latest values known at each belief time [sensor unit]."""
    last = last_known_pos(grid, b_ns)
    _check_positions(grid, last - window_steps + 1, "window-mean")
    cs = np.concatenate([[0.0], np.cumsum(grid.values)])
    return (cs[last + 1] - cs[last + 1 - window_steps]) / window_steps
