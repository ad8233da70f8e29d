"""Exceptions of :mod:`bvp_lib.forecasting`.

Every error names the series (sensor) it is about and says what to do; the forecasting
code raises instead of returning a NaN forecast.
"""

from __future__ import annotations

import warnings


class ForecastingError(ValueError):
    """Input that cannot be forecast as asked; the message names the series and the fix."""


class NaiveTimestampsError(ForecastingError):
    """Timestamps without a timezone: it is ambiguous which instant they mean."""


class IrregularSeriesError(ForecastingError):
    """Timestamps that are not on one regular grid (duplicates, mixed resolutions)."""


class GapError(ForecastingError):
    """Missing steps in a history, longer than the gap-filling rule allows.

    Attributes
    ----------
    n_missing : int
        Missing steps (absent timestamps and NaN values) inside the history.
    longest : pandas.Timedelta
        Duration of the longest run of missing steps.
    """

    def __init__(self, message: str, n_missing: int, longest):
        super().__init__(message)
        self.n_missing = n_missing
        self.longest = longest


class InsufficientHistoryError(ForecastingError):
    """Too little history for the requested training window, lags or belief time."""


class ConstantSeriesError(ForecastingError):
    """A series that never changes over the training window: nothing to learn."""


class RegressorError(ForecastingError):
    """Regressors (weather forecasts) that are missing, malformed or not known in time."""


class HorizonError(ForecastingError):
    """A belief time / event pair that is not a forecast, or one the model was not fitted for."""


class NotFittedError(ForecastingError):
    """``predict`` before ``fit`` on a model that learns parameters."""


class GapFilledWarning(UserWarning):
    """Short gaps in a history were filled by carrying the last value forward."""


def warn_filled(name: str, n_filled: int, n_total: int) -> None:
    warnings.warn(
        f"series {name!r}: {n_filled} of {n_total} steps were missing and were filled by "
        "carrying the last known value forward (they are not used as training targets).",
        GapFilledWarning,
        stacklevel=3,
    )
