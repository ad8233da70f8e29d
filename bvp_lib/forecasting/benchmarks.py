"""Benchmark forecasts (reference models), always computed: persistence and seasonal naive.

A *benchmark* is a reference forecast that a learned model must beat; it is not the
*baseline* of scheduling (the assets' power with no flexibility used).

They learn nothing (``fit`` only records the fit time), accept constant series, and use
only values known at the belief time ``b``:

* ``persistence``: :math:`\\hat y(e) = y(s_b)`, the latest step known at ``b``
  (ending at or before ``b``).
* ``seasonal_naive_daily``: :math:`\\hat y(e) = y(e - k \\cdot 1\\,\\mathrm{D})` with the
  smallest ``k >= 1`` known at ``b`` ("same step yesterday", or the day before when
  yesterday's step is not yet known, as for the afternoon steps of a day-ahead issue).
* ``seasonal_naive_weekly``: the same with weeks ("same step last week").

"Same step" is the same local clock time by default (``clock="local"``; see
:mod:`bvp_lib.forecasting.lags` for the DST hour).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bvp_lib.forecasting import lags
from bvp_lib.forecasting.base import BaseForecaster
from bvp_lib.forecasting.errors import ForecastingError
from bvp_lib.forecasting.series import DEFAULT_MAX_GAP
from bvp_lib.market.clock import market_timezone


class Persistence(BaseForecaster):
    """The latest known value, for every event [series unit]."""

    name = "persistence"
    learns = False

    def lookback(self, max_horizon) -> pd.Timedelta:
        # the last value known at the belief time: one day of history finds it (and spans any
        # gap short enough to be filled, max_gap)
        return pd.Timedelta("1D")

    def _fit_pairs(self, grid, cubes, b, e) -> None:
        return None

    def _predict_pairs(self, grid, cubes, b, e) -> np.ndarray:
        return lags.last_values(grid, b)


class SeasonalNaive(BaseForecaster):
    """The value of the same step ``period_days`` (or a multiple) earlier, latest known.

    Parameters
    ----------
    period_days : int
        1 (``seasonal_naive_daily``) or 7 (``seasonal_naive_weekly``); other values are
        named ``seasonal_naive_<n>d``.
    clock : {"local", "utc"}
        Same local clock time in ``tz``, or exactly ``k * 24`` hours earlier.
    tz : str
        The market's timezone.
    max_gap : str or pandas.Timedelta or None
        Gap rule of the history.
    """

    learns = False

    def __init__(self, period_days: int = 1, clock: str = "local", tz: str | None = None, max_gap=DEFAULT_MAX_GAP):
        tz = market_timezone(tz)
        if int(period_days) < 1:
            raise ForecastingError(f"period_days must be >= 1, got {period_days}.")
        if clock not in lags.CLOCKS:
            raise ForecastingError(f"clock must be one of {lags.CLOCKS}, got {clock!r}.")
        super().__init__(max_gap=max_gap, period_days=int(period_days), clock=clock, tz=tz)
        self.period_days, self.clock, self.tz = int(period_days), clock, tz
        self.name = {1: "seasonal_naive_daily", 7: "seasonal_naive_weekly"}.get(
            self.period_days, f"seasonal_naive_{self.period_days}d"
        )

    def lookback(self, max_horizon) -> pd.Timedelta:
        return pd.Timedelta(days=self.period_days) + pd.Timedelta(max_horizon) + pd.Timedelta("1D")

    def _fit_pairs(self, grid, cubes, b, e) -> None:
        return None

    def _predict_pairs(self, grid, cubes, b, e) -> np.ndarray:
        return lags.seasonal_values(grid, b, e, self.period_days, self.clock, self.tz)


def default_benchmarks(clock: str = "local", tz: str | None = None, max_gap=DEFAULT_MAX_GAP) -> list[BaseForecaster]:
    """Persistence, seasonal naive daily and weekly."""
    tz = market_timezone(tz)
    return [
        Persistence(max_gap=max_gap),
        SeasonalNaive(1, clock, tz, max_gap=max_gap),
        SeasonalNaive(7, clock, tz, max_gap=max_gap),
    ]
