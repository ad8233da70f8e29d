"""A measured series on a regular UTC grid: validation, gap rule and positional look-ups.

Every model works on a :class:`SeriesGrid`: the values of one sensor on a regular grid of
step starts (UTC, resolution ``res``), gaps filled by a causal rule and flagged. Step
``i`` covers ``[t0 + i*res, t0 + (i+1)*res)``. By default its value is known when the step
ends (belief horizon 0), so at belief time ``b`` the steps ``i <= floor((b - t0)/res) - 1``
are known (:func:`last_known_pos`). A grid made with the stored belief time of each value
(``known_at``, e.g. from :func:`bvp_lib.beliefs.load_known_measurements`) knows instead
every step up to the last one whose belief time, and every earlier one's, is at or before
``b``: a day-ahead price is known from its publication (13:00 on D-1), so at gate closure
on D-1 every price of D-1 is a lag; a system measurement stored with horizon -1 h is
known an hour after its step.

Gap rule
--------
Missing steps (absent timestamps or NaN values) inside the history are filled by
**carrying the last known value forward**, but only for gaps no longer than ``max_gap``;
a longer gap raises :class:`~bvp_lib.forecasting.errors.GapError` with the count and the
longest gap. The rule is causal (a filled value uses nothing after the gap), so filling
never leaks the future into a forecast. Filled steps are flagged (``observed=False``) and
never used as training targets. Leading and trailing missing values are trimmed: the
history starts at the first and ends at the last value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bvp_lib.forecasting.errors import (
    ConstantSeriesError,
    ForecastingError,
    GapError,
    IrregularSeriesError,
    NaiveTimestampsError,
    warn_filled,
)
from bvp_lib.beliefs.common import fmt_td  # noqa: F401 - one formatter of durations, re-exported
from bvp_lib.market.clock import market_timezone

DEFAULT_MAX_GAP = pd.Timedelta("1h")


def fmt_ts(ns: int) -> str:
    """A UTC instant (ns since the epoch) as ``YYYY-MM-DD HH:MM UTC``."""
    return pd.Timestamp(int(ns), tz="UTC").strftime("%Y-%m-%d %H:%M UTC")


def require_aware(index: pd.DatetimeIndex, what: str) -> pd.DatetimeIndex:
    """``index`` in UTC; raise when it has no timezone.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Timestamps.
    what : str
        What they are, for the message (``"series 'pv-1'"``, ``"event_starts"``).
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise ForecastingError(f"{what}: expected timestamps (a DatetimeIndex), got {type(index).__name__}.")
    if index.tz is None:
        raise NaiveTimestampsError(
            f"{what} has naive timestamps (no timezone), so it is ambiguous which instants they "
            "mean (on DST days a local hour repeats or is missing). Localize them first, e.g. "
            f"`.tz_localize('UTC')` or `.tz_localize('{market_timezone()}', ambiguous='infer')`."
        )
    return index.tz_convert("UTC")


def as_utc_ns(ts, what: str) -> np.ndarray:
    """Timezone-aware timestamp(s) as int64 ns since the epoch (UTC); naive raises."""
    if isinstance(ts, (pd.Timestamp, np.datetime64)) or not np.ndim(ts):
        ts = pd.Timestamp(ts)
        if ts.tz is None:
            raise NaiveTimestampsError(
                f"{what} {ts} is naive (no timezone): pass it tz-aware, e.g. pd.Timestamp('{ts}', "
                f"tz='{market_timezone()}')."
            )
        return np.array([ts.tz_convert("UTC").value], dtype=np.int64)
    return require_aware(pd.DatetimeIndex(ts), what).asi8.astype(np.int64)


@dataclass(frozen=True, eq=False)
class SeriesGrid:
    """One sensor's history on a regular UTC grid.

    Attributes
    ----------
    name : str
        The sensor; becomes the ``sensor`` column of forecasts.
    t0 : int
        Start of step 0 [ns since 1970-01-01 UTC].
    res : int
        Resolution [ns].
    values : numpy.ndarray
        Value of each step, gaps filled (see module docstring) [sensor unit: MW with
        production positive and consumption negative, or EUR/MWh].
    observed : numpy.ndarray
        True where the value was measured, False where it was filled.
    known_at : numpy.ndarray or None
        When each step counts as known [ns UTC], non-decreasing: the running maximum of
        the stored belief times (a filled step: its end), so a step is known only with
        every step before it. None: each step when it ends.
    """

    name: str
    t0: int
    res: int
    values: np.ndarray
    observed: np.ndarray
    known_at: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def resolution(self) -> pd.Timedelta:
        return pd.Timedelta(self.res, unit="ns")

    @property
    def start(self) -> int:
        """Start of the first step [ns UTC]."""
        return self.t0

    @property
    def end(self) -> int:
        """End of the last step [ns UTC]: everything is known at this time."""
        return self.t0 + self.n * self.res

    @property
    def index(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.t0 + self.res * np.arange(self.n, dtype=np.int64), tz="UTC")

    def pos(self, ns: np.ndarray) -> np.ndarray:
        """Grid position of the step starting at (or containing) each instant [ns UTC]."""
        return (np.asarray(ns, dtype=np.int64) - self.t0) // self.res

    def to_series(self) -> pd.Series:
        """The gap-filled values as a Series indexed by event start (UTC)."""
        return pd.Series(self.values, index=self.index, name=self.name)


def _resolution(idx: pd.DatetimeIndex, given, what: str) -> int:
    if given is not None:
        res = pd.Timedelta(given).value
    elif idx.freq is not None:
        res = pd.Timedelta(idx.freq).value
    else:
        diffs = np.diff(idx.asi8)
        res = int(diffs.min())
    if res <= 0:
        raise IrregularSeriesError(f"{what}: resolution must be positive, got {pd.Timedelta(res, unit='ns')}.")
    offsets = idx.asi8 - idx.asi8[0]
    if np.any(offsets % res):
        raise IrregularSeriesError(
            f"{what}: timestamps are not on one {fmt_td(pd.Timedelta(res, unit='ns'))} grid "
            "(mixed resolutions?). Resample the series to its resolution first, e.g. "
            "`.resample('15min').mean()`."
        )
    return res


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start positions and lengths of the runs of True in ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(padded)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return starts, ends - starts


def prepare_series(
    series: pd.Series | SeriesGrid,
    *,
    name: str | None = None,
    resolution=None,
    max_gap=DEFAULT_MAX_GAP,
    known_at: pd.Series | None = None,
) -> SeriesGrid:
    """Validate a measured series and put it on a regular UTC grid.

    Parameters
    ----------
    series : pandas.Series or SeriesGrid
        Values indexed by tz-aware event start [MW, production positive and consumption
        negative; or EUR/MWh]. A SeriesGrid is returned as is.
    name : str, optional
        The sensor name; defaults to ``series.name`` (one of the two is required).
    resolution : str or pandas.Timedelta, optional
        Event resolution; inferred from the index when not given.
    max_gap : str or pandas.Timedelta or None
        Longest gap filled by carrying the last value forward (default 1 h); ``None`` or
        0 refuses any gap.
    known_at : pandas.Series, optional
        The belief time of each value (tz-aware), indexed like ``series``: lags then
        read every step known by the belief time (module docstring). None: a step is
        known when it ends.

    Returns
    -------
    SeriesGrid

    Raises
    ------
    NaiveTimestampsError, IrregularSeriesError, GapError, ForecastingError
    """
    if isinstance(series, SeriesGrid):
        return series
    if not isinstance(series, pd.Series):
        raise ForecastingError(f"expected a pandas Series of measured values, got {type(series).__name__}.")
    name = name if name is not None else series.name
    if name is None:
        raise ForecastingError(
            "the series has no name; name it after its sensor (`series.rename('pv-1')`): the "
            "name becomes the forecasts' `sensor` column."
        )
    name = str(name)
    what = f"series {name!r}"
    idx = require_aware(series.index, what)
    if idx.has_duplicates:
        dup = idx[idx.duplicated()][0]
        raise IrregularSeriesError(
            f"{what} has duplicate timestamps (first: {dup}); keep one value per event start "
            "(naive local times repeated on the autumn DST day are a common cause)."
        )
    try:
        vals = pd.to_numeric(series, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ForecastingError(f"{what} holds non-numeric values; convert them to float first.") from None
    order = np.argsort(idx.asi8, kind="stable")
    idx, vals = idx[order], vals[order]
    kn = None
    if known_at is not None:
        kn = _belief_times(known_at, series.index, what)[order]
    if np.isinf(vals).any():
        raise ForecastingError(f"{what} holds infinite values; replace them with NaN (a gap) or a number.")
    finite = np.isfinite(vals)
    if finite.sum() < 2:
        raise ForecastingError(f"{what} holds fewer than two values; there is nothing to forecast from.")
    first, last = np.flatnonzero(finite)[[0, -1]]
    idx, vals = idx[first : last + 1], vals[first : last + 1]
    kn = kn[first : last + 1] if kn is not None else None
    res = _resolution(idx, resolution, what)
    t0 = int(idx.asi8[0])
    n = int((idx.asi8[-1] - t0) // res) + 1
    grid_vals = np.full(n, np.nan)
    grid_vals[(idx.asi8 - t0) // res] = vals
    missing = np.isnan(grid_vals)
    n_missing = int(missing.sum())
    if n_missing:
        starts, lengths = _runs(missing)
        limit = 0 if max_gap is None else int(pd.Timedelta(max_gap).value // res)
        longest = int(lengths.max())
        if longest > limit:
            at = int(starts[lengths.argmax()])
            rule = (
                f"longer than max_gap={fmt_td(pd.Timedelta(limit * res, unit='ns'))}"
                if limit
                else "and gaps are refused (max_gap=None)"
            )
            raise GapError(
                f"{what} misses {n_missing} of {n} steps in {len(starts)} gap(s); the longest is "
                f"{fmt_td(pd.Timedelta(longest * res, unit='ns'))} ({longest} steps) from "
                f"{fmt_ts(t0 + at * res)} to {fmt_ts(t0 + (at + longest) * res)}, {rule}. Fill or "
                "cut that period in the data, or allow a larger max_gap (gaps up to max_gap are "
                "filled by carrying the last known value forward).",
                n_missing=n_missing,
                longest=pd.Timedelta(longest * res, unit="ns"),
            )
        grid_vals = pd.Series(grid_vals).ffill().to_numpy()
        warn_filled(name, n_missing, n)
    grid_known = None
    if kn is not None:
        ends = t0 + (np.arange(n, dtype=np.int64) + 1) * res  # a filled step: known when it ends
        grid_known = ends.copy()
        pos = (idx.asi8 - t0) // res
        ok = np.isfinite(vals)
        grid_known[pos[ok]] = kn[ok]
        grid_known = np.maximum.accumulate(grid_known)
    return SeriesGrid(name=name, t0=t0, res=res, values=grid_vals, observed=~missing, known_at=grid_known)


def _belief_times(known_at, index: pd.DatetimeIndex, what: str) -> np.ndarray:
    """Belief times aligned with ``index`` [ns UTC]; naive or missing ones raise."""
    if not isinstance(known_at, pd.Series):
        raise ForecastingError(f"{what}: known_at must be a Series of belief times indexed like the series.")
    kn = known_at.reindex(index)
    if kn.isna().any():
        raise ForecastingError(f"{what}: known_at has no belief time for {int(kn.isna().sum())} value(s); give one per value.")
    return require_aware(pd.DatetimeIndex(kn), f"{what} known_at").asi8.astype(np.int64)


def recent_history(series: pd.Series, keep_from, max_gap=DEFAULT_MAX_GAP) -> pd.Series:
    """``series`` without what lies before its last gap longer than ``max_gap`` that ends
    before ``keep_from``: a longer, optional history (a model's own ``max_train_window``)
    reaches back only as far as it is unbroken. What lies after ``keep_from`` is kept as it
    is (its gaps are the gap rule's to refuse).

    Parameters
    ----------
    series : pandas.Series
        Values indexed by tz-aware event start.
    keep_from : tz-aware timestamp
        The history needed in any case starts here.
    max_gap : str or pandas.Timedelta or None
        The gap rule's longest filled gap.
    """
    if len(series) < 2:
        return series
    s = series.dropna().sort_index()
    idx = s.index.asi8
    res = int(np.diff(idx).min()) if len(idx) > 1 else 0
    if not res:
        return series
    limit = (0 if max_gap is None else pd.Timedelta(max_gap).value) + res
    cut = pd.Timestamp(keep_from).value
    jumps = np.flatnonzero((np.diff(idx) > limit) & (idx[1:] <= cut))
    if not len(jumps):
        return series
    return series[series.index >= pd.Timestamp(int(idx[jumps[-1] + 1]), tz="UTC")]


def check_not_constant(values: np.ndarray, name: str, period: str) -> None:
    """Raise :class:`ConstantSeriesError` when ``values`` never change.

    Parameters
    ----------
    values : numpy.ndarray
        Training targets.
    name : str
        The series, for the message.
    period : str
        The training period, for the message.
    """
    if len(values) and np.ptp(values) == 0:
        raise ConstantSeriesError(
            f"series {name!r} is constant ({values[0]:g} at every step) over the training window "
            f"{period}: a learned model has nothing to fit. Check the data (a stuck meter?); if it "
            "really is constant, forecast it with 'persistence' or 'seasonal_naive_daily'."
        )


def last_known_pos(grid: SeriesGrid, b_ns: np.ndarray) -> np.ndarray:
    """Position of the latest step whose value is known at belief time ``b``.

    Without ``known_at``: the latest step ending at or before ``b``. With it: the latest
    step ``i`` with ``known_at[i] <= b`` (every earlier step is then known too); a belief
    time a whole step past the grid's end gives a position beyond it (``>= n``), as
    without, so a stale history is noticed (:func:`~bvp_lib.forecasting.lags.last_values`).
    """
    b_ns = np.asarray(b_ns, dtype=np.int64)
    by_end = (b_ns - grid.t0) // grid.res - 1
    if grid.known_at is None:
        return by_end
    pos = np.searchsorted(grid.known_at, b_ns, side="right").astype(np.int64) - 1
    return np.where(by_end >= grid.n, by_end, pos)
