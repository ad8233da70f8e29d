"""Forecast horizons, day-ahead issue times, and the (belief time, event) pairs they make.

A forecast is a *pair* ``(b, e)``: belief time ``b`` and event start ``e`` of a step of
resolution ``r``. Its belief horizon is ``h = e + r - b`` (known that long before the
event **ended**), always > 0 for a forecast. Two kinds of issue horizon:

* :class:`FixedHorizon` ``h``: every event step is forecast once, at ``b = e + r - h``.
* :class:`DayAhead`: at gate closure on day D-1 (the market's clock,
  :mod:`bvp_lib.market.clock`: 12:00 Europe/Berlin by default), every step of the
  local day D is forecast: 92, 96 or 100 quarter-hours (23, 24 or 25 hours) — never
  assume 96. Horizons run from 12 h + r (first step) to 35, 36 or 37 h (last step).

Models with learned parameters keep one parameter set per *horizon bucket*
``(edges[i-1], edges[i]]`` (:func:`horizon_buckets`), so a prediction depends only on
``(b, e)`` and the fitted state, whichever schedule asked for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bvp_lib.forecasting.errors import ForecastingError, HorizonError
from bvp_lib.forecasting.series import fmt_td
from bvp_lib.market.clock import MarketClock, market_clock
from bvp_lib.timing import as_date

DAY_AHEAD = "day-ahead"
DEFAULT_HORIZONS: tuple[str, ...] = ("1h", "6h", "24h", "48h", DAY_AHEAD)
# upper edges of the horizon buckets; 37 h is the longest day-ahead horizon (autumn DST day)
DEFAULT_BUCKET_EDGES: tuple[str, ...] = ("1h", "6h", "12h", "37h", "48h")


@dataclass(frozen=True)
class FixedHorizon:
    """Forecast every event step ``horizon`` before it ends."""

    horizon: pd.Timedelta

    @property
    def label(self) -> str:
        """``"1h"``, ``"24h"``, ``"48h"`` for whole hours, else e.g. ``"1h30min"``."""
        hours, rest = divmod(self.horizon, pd.Timedelta("1h"))
        return f"{hours}h" if rest == pd.Timedelta(0) else fmt_td(self.horizon)

    @property
    def max_horizon(self) -> pd.Timedelta:
        return self.horizon


@dataclass(frozen=True)
class DayAhead:
    """Forecast every step of local day D at gate closure on D-1 (local time ``tz``).

    ``gate_closure`` (HH:MM) and ``tz`` default to the market's clock."""

    gate_closure: str | None = None
    tz: str | None = None

    def __post_init__(self):
        clock = market_clock()
        object.__setattr__(self, "gate_closure", str(self.gate_closure or clock.gate_closure))
        object.__setattr__(self, "tz", str(self.tz or clock.timezone))

    @property
    def label(self) -> str:
        return DAY_AHEAD

    @property
    def max_horizon(self) -> pd.Timedelta:
        """Longest horizon: the last step of a 25-hour day, from gate closure on D-1."""
        h, m = _clock(self.gate_closure)
        return pd.Timedelta(hours=48 + 1 - h, minutes=-m)


HorizonSpec = FixedHorizon | DayAhead


def _clock(text: str) -> tuple[int, int]:
    try:
        t = dt.time.fromisoformat(str(text))
    except ValueError:
        raise ForecastingError(f"gate closure {text!r} is not a clock time; write it as HH:MM.") from None
    return t.hour, t.minute


def parse_horizons(
    horizons: Iterable, tz: str | None = None, gate_closure: str | None = None
) -> tuple[HorizonSpec, ...]:
    """Horizon specs from durations (``"1h"``, ``pd.Timedelta``) and ``"day-ahead"``
    (at ``gate_closure`` in ``tz``; default the market's clock).

    Raises
    ------
    HorizonError
        For a non-positive duration or something that is not a duration.
    """
    if isinstance(horizons, (str, pd.Timedelta, FixedHorizon, DayAhead)):
        horizons = [horizons]
    out: list[HorizonSpec] = []
    for h in horizons:
        if isinstance(h, (FixedHorizon, DayAhead)):
            spec = h
        elif isinstance(h, str) and h.strip().lower().replace("_", "-") == DAY_AHEAD:
            spec = DayAhead(gate_closure=gate_closure, tz=tz)
        else:
            try:
                td = pd.Timedelta(h)
            except (TypeError, ValueError):
                raise HorizonError(f"horizon {h!r} is neither a duration ('1h', '48h') nor 'day-ahead'.") from None
            if td <= pd.Timedelta(0):
                raise HorizonError(f"horizon {h!r} is not positive; a forecast is known before its event ends.")
            spec = FixedHorizon(td)
        if spec not in out:
            out.append(spec)
    if not out:
        raise HorizonError("no horizons given; pass e.g. ['1h', '24h', 'day-ahead'].")
    return tuple(out)


def _local_day(day) -> dt.date:
    try:
        return as_date(day)
    except ValueError as e:
        raise ForecastingError(str(e)) from None


def _day_starts(first_day, last_day, tz: str) -> pd.DatetimeIndex:
    """Local midnights (tz-aware) of the days ``first_day`` .. ``last_day + 1``."""
    d0, d1 = _local_day(first_day), _local_day(last_day)
    if d1 < d0:
        raise ForecastingError(f"end day {d1} is before start day {d0}.")
    naive = pd.date_range(pd.Timestamp(d0), pd.Timestamp(d1 + dt.timedelta(days=1)), freq="D")
    return naive.tz_localize(tz)


def day_ahead_issue_times(
    start_day, end_day, tz: str | None = None, gate_closure: str | None = None
) -> pd.DatetimeIndex:
    """Belief times of the day-ahead forecasts for delivery days ``start_day`` .. ``end_day``.

    Parameters
    ----------
    start_day, end_day : date or str (YYYY-MM-DD)
        First and last delivery day D (local days in ``tz``, inclusive).
    tz : str, optional
        The market's timezone (default the market's clock).
    gate_closure : str, optional
        Local clock time of gate closure on D-1 (HH:MM; default the market's clock).

    Returns
    -------
    pandas.DatetimeIndex
        One belief time per delivery day (UTC): ``gate_closure`` on D-1, local time
        (:meth:`bvp_lib.market.clock.MarketClock.issue_times`).
    """
    clock = market_clock()
    h, m = _clock(gate_closure or clock.gate_closure)
    try:
        return MarketClock(tz or clock.timezone, f"{h:02d}:{m:02d}", clock.price_publication).issue_times(
            _local_day(start_day), _local_day(end_day))
    except ValueError as e:
        raise ForecastingError(str(e)) from None


def _fixed_pairs(spec: FixedHorizon, start: int, end: int, t0: int, res: int):
    first = -((t0 - start) // res)  # ceil((start - t0) / res): first step starting at/after start
    last = (end - t0) // res  # exclusive: steps starting before end
    e = t0 + res * np.arange(first, last, dtype=np.int64)
    e = e[e + res <= end]
    b = e + res - spec.horizon.value
    return b, e


def _day_ahead_pairs(spec: DayAhead, start: int, end: int, t0: int, res: int):
    s, e_ = pd.Timestamp(start, tz="UTC").tz_convert(spec.tz), pd.Timestamp(end, tz="UTC").tz_convert(spec.tz)
    bounds = _day_starts(s.date() - dt.timedelta(days=1), e_.date(), spec.tz).asi8
    day_start, day_end = bounds[:-1], bounds[1:]
    keep = (day_start >= start) & (day_end <= end)
    day_start, day_end = day_start[keep], day_end[keep]
    if not len(day_start):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if np.any((day_start - t0) % res):
        raise HorizonError(
            f"local days in {spec.tz} do not start on the {fmt_td(pd.Timedelta(res, unit='ns'))} grid "
            "of the series; day-ahead forecasts need a resolution that divides the day."
        )
    steps = (day_end - day_start) // res  # 92, 96 or 100 quarter-hours
    issue = day_ahead_issue_times(
        pd.Timestamp(day_start[0], tz="UTC").tz_convert(spec.tz).date(),
        pd.Timestamp(day_start[-1], tz="UTC").tz_convert(spec.tz).date(),
        spec.tz,
        spec.gate_closure,
    ).asi8
    offsets = np.arange(steps.sum()) - np.repeat(np.cumsum(steps) - steps, steps)
    e = np.repeat(day_start, steps) + offsets * res
    b = np.repeat(issue, steps)
    return b, e


def forecast_pairs(spec: HorizonSpec, start: int, end: int, t0: int, res: int) -> tuple[np.ndarray, np.ndarray]:
    """All (belief time, event start) pairs of one schedule for events in ``[start, end)``.

    Parameters
    ----------
    spec : FixedHorizon or DayAhead
        The issue horizon.
    start, end : int
        Period of the events [ns UTC]; an event belongs to it when it starts at or after
        ``start`` and ends at or before ``end``. Day-ahead takes whole local days only.
    t0, res : int
        Origin and resolution of the event grid [ns].

    Returns
    -------
    b, e : numpy.ndarray
        Belief times and event starts [ns UTC], sorted by event start within a schedule.
    """
    if isinstance(spec, FixedHorizon):
        return _fixed_pairs(spec, start, end, t0, res)
    return _day_ahead_pairs(spec, start, end, t0, res)


def horizon_buckets(edges: Sequence) -> np.ndarray:
    """Upper edges of the horizon buckets [ns], strictly increasing and positive."""
    e = np.array([pd.Timedelta(x).value for x in edges], dtype=np.int64)
    if not len(e) or e[0] <= 0 or np.any(np.diff(e) <= 0):
        raise HorizonError(f"horizon bucket edges {list(edges)} must be positive and increasing.")
    return e


def bucket_of(h_ns: np.ndarray, edges_ns: np.ndarray, name: str) -> np.ndarray:
    """Bucket index of each horizon: bucket i holds ``edges[i-1] < h <= edges[i]``.

    Raises
    ------
    HorizonError
        For a horizon beyond the last edge.
    """
    k = np.searchsorted(edges_ns, h_ns, side="left")
    if np.any(k >= len(edges_ns)):
        worst = pd.Timedelta(int(np.max(h_ns)), unit="ns")
        raise HorizonError(
            f"series {name!r}: horizon {fmt_td(worst)} is beyond the longest horizon bucket "
            f"({fmt_td(pd.Timedelta(int(edges_ns[-1]), unit='ns'))}); add a longer bucket edge "
            "(parameter horizon_buckets) or forecast closer to the event."
        )
    return k
