"""The time grid of a scheduling problem and the checks that keep data on it.

The grid is the index of the day-ahead prices: tz-aware step starts, converted to
UTC, strictly increasing and regular (one resolution Δt, no gaps). A local day has
92, 96 or 100 quarter-hours; nothing here assumes 96.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.market.clock import market_timezone


@dataclass(frozen=True)
class TimeGrid:
    """Step starts (UTC) and the resolution of a scheduling horizon.

    Attributes
    ----------
    index : pandas.DatetimeIndex
        Step starts, UTC.
    resolution : pandas.Timedelta
        Step length Δt.
    """

    index: pd.DatetimeIndex
    resolution: pd.Timedelta

    @property
    def n(self) -> int:
        """Number of steps T."""
        return len(self.index)

    @property
    def hours(self) -> float:
        """Step length Δt [h]."""
        return self.resolution / pd.Timedelta("1h")

    @property
    def start(self) -> pd.Timestamp:
        return self.index[0]

    @property
    def end(self) -> pd.Timestamp:
        """End of the last step."""
        return self.index[-1] + self.resolution

    @property
    def ends(self) -> pd.DatetimeIndex:
        """Step ends (UTC)."""
        return self.index + self.resolution


def format_span(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """``"2015-04-12 10:00 to 11:00 UTC"`` (the end date only when it differs)."""
    start = pd.Timestamp(start).tz_convert("UTC")
    end = pd.Timestamp(end).tz_convert("UTC")
    if end.normalize() == start.normalize() or end == start.normalize() + pd.Timedelta("1D"):
        end_s = end.strftime("%H:%M")
    else:
        end_s = end.strftime("%Y-%m-%d %H:%M")
    return f"{start:%Y-%m-%d %H:%M} to {end_s} UTC"


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges [i, j) where ``mask`` is True."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _require_aware_index(obj: pd.Series, what: str) -> pd.DatetimeIndex:
    if not isinstance(obj, pd.Series):
        raise SchedulingInputError(f"{what} must be a pandas Series, got {type(obj).__name__}.")
    idx = obj.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise SchedulingInputError(
            f"{what} must have a DatetimeIndex of step starts, got {type(idx).__name__}."
        )
    if idx.tz is None:
        raise SchedulingInputError(
            f"{what} has naive timestamps; localise them (for example "
            "`series.tz_localize('UTC')`) so the step starts are unambiguous."
        )
    return idx.tz_convert("UTC")


def make_grid(prices: pd.Series, resolution: pd.Timedelta | str | None = None) -> tuple[TimeGrid, np.ndarray]:
    """Check the prices and derive the time grid.

    Parameters
    ----------
    prices : pandas.Series
        Day-ahead prices [EUR/MWh] indexed by tz-aware step starts.
    resolution : pandas.Timedelta or str, optional
        Step length; inferred from the index when omitted (required for one step).

    Returns
    -------
    grid : TimeGrid
    values : numpy.ndarray
        Prices [EUR/MWh] as float64, one per step.

    Raises
    ------
    SchedulingInputError
        Naive or unsorted index, duplicates, NaN prices, gaps or an irregular grid.
    """
    idx = _require_aware_index(prices, "prices")
    if len(idx) == 0:
        raise SchedulingInputError("prices are empty: nothing to schedule.")
    if idx.has_duplicates:
        dup = idx[idx.duplicated()][0]
        raise SchedulingInputError(f"prices have more than one value for {dup:%Y-%m-%d %H:%M} UTC.")
    if not idx.is_monotonic_increasing:
        raise SchedulingInputError("prices are not sorted by time; sort them with `.sort_index()`.")
    diffs = np.diff(idx.asi8)
    if resolution is not None:
        step = pd.Timedelta(resolution)
    elif len(idx) > 1:
        step = pd.Timedelta(int(diffs.min()), "ns")
    elif idx.freq is not None:
        step = pd.Timedelta(idx.freq)
    else:
        raise SchedulingInputError("a single price step needs `resolution=` (for example '15min').")
    if step <= pd.Timedelta(0):
        raise SchedulingInputError(f"resolution must be positive, got {step}.")
    bad = np.flatnonzero(diffs != step.value)
    if bad.size:
        i = bad[0]
        gap_start = idx[i] + step
        gap_end = idx[i + 1]
        if diffs[i] % step.value == 0:
            raise SchedulingInputError(
                f"prices have a gap: no price from {format_span(gap_start, gap_end)} "
                f"(steps of {step} otherwise)."
            )
        raise SchedulingInputError(
            f"prices are not on a regular grid of {step}: step {idx[i]:%Y-%m-%d %H:%M} UTC "
            f"is followed by {idx[i + 1]:%Y-%m-%d %H:%M} UTC."
        )
    values = pd.to_numeric(prices, errors="coerce").to_numpy(dtype=float)
    nan = ~np.isfinite(values)
    if nan.any():
        i, j = _runs(nan)[0]
        raise SchedulingInputError(
            f"missing price (NaN) from {format_span(idx[i], idx[j - 1] + step)}."
        )
    return TimeGrid(index=pd.DatetimeIndex(idx, freq=step), resolution=step), values


def align(series: pd.Series, grid: TimeGrid, *, asset: str, what: str = "forecast") -> np.ndarray:
    """Values of ``series`` on the grid, or an error naming the first missing span.

    Values outside the horizon are ignored; every step of the horizon needs a finite
    value.

    Raises
    ------
    SchedulingInputError
        ``"missing forecast for solar-01 from 2015-04-12 10:00 to 11:00 UTC"``.
    """
    idx = _require_aware_index(series, f"{what} for {asset}")
    if idx.has_duplicates:
        dup = idx[idx.duplicated()][0]
        raise SchedulingInputError(
            f"{what} for {asset} has more than one value for {dup:%Y-%m-%d %H:%M} UTC.",
            asset=asset,
        )
    s = pd.Series(pd.to_numeric(series, errors="coerce").to_numpy(dtype=float), index=idx)
    values = s.reindex(grid.index).to_numpy(dtype=float)
    missing = ~np.isfinite(values)
    if missing.any():
        i, j = _runs(missing)[0]
        hint = ""
        if len(idx) > 1:
            own = pd.Timedelta(int(np.diff(idx.asi8).min()), "ns")
            if own != grid.resolution:
                hint = (
                    f" (the {what} has steps of {own}, the prices {grid.resolution}: "
                    "resample it to the price resolution first)"
                )
        raise SchedulingInputError(
            f"missing {what} for {asset} from "
            f"{format_span(grid.index[i], grid.index[j - 1] + grid.resolution)}{hint}",
            asset=asset,
        )
    return values


def as_step_values(value, grid: TimeGrid, *, asset: str, what: str) -> np.ndarray:
    """A scalar broadcast to every step, a Series aligned to the grid; ``None`` → +inf."""
    if value is None:
        return np.full(grid.n, np.inf)
    if isinstance(value, pd.Series):
        return align(value, grid, asset=asset, what=what)
    v = float(value)
    if not np.isfinite(v):
        raise SchedulingInputError(f"{what} of {asset} must be a finite number, got {value!r}.", asset=asset)
    return np.full(grid.n, v)


def local_steps(index: pd.DatetimeIndex, start: str, end: str, tz: str | None = None) -> np.ndarray:
    """Which steps start within local clock times ``[start, end)``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Tz-aware step starts.
    start, end : str
        Local clock times ``"HH:MM"``; ``end`` may be ``"24:00"`` (midnight at the end
        of the day); ``end < start`` wraps over midnight (``"22:00"`` to ``"06:00"``).
    tz : str
        The clock's timezone (on DST days the clock, not the hour count, decides).

    Returns
    -------
    numpy.ndarray
        Boolean mask, one entry per step. For example ``problem.var("bat", "charge")
        [local_steps(index, "22:00", "24:00")]`` are the charging variables of the
        late evening.
    """
    tz = market_timezone(tz)
    for t in (start, end):
        hh, _, mm = str(t).partition(":")
        if not (hh.isdigit() and mm.isdigit() and len(mm) == 2 and 0 <= int(hh) <= 24 and int(mm) < 60):
            raise ValueError(f"clock time {t!r} is not HH:MM (00:00 to 24:00)")
    if index.tz is None:
        raise SchedulingInputError("local_steps needs tz-aware step starts")
    hm = np.asarray(index.tz_convert(tz).strftime("%H:%M"))
    if start <= end:
        return (hm >= start) & (hm < end)
    return (hm >= start) | (hm < end)
