"""Calendar features of event steps, in the market's local time.

Calendar features are known in advance for any event (no look-ahead): the local hour of
day, the day of week, and public holidays of the market's country (``holidays``
package; national holidays, plus a state's with ``subdivision``). A day type folds them: 0 workday, 1 Saturday,
2 Sunday or public holiday.
"""

from __future__ import annotations

from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

from bvp_lib.forecasting.errors import ForecastingError


@lru_cache(maxsize=64)
def _holiday_days(country: str, years: tuple[int, ...], subdivision: str | None = None) -> np.ndarray:
    try:
        cal = holidays.country_holidays(country, subdiv=subdivision, years=list(years))
    except NotImplementedError:
        raise ForecastingError(
            f"no public-holiday calendar for country {country!r} (subdivision {subdivision!r}); use an "
            "ISO 3166 code such as 'DE' and a subdivision such as 'BB' or None."
        ) from None
    return np.array(sorted(cal.keys()), dtype="datetime64[D]")


def local_parts(e_ns: np.ndarray, tz: str) -> dict[str, np.ndarray]:
    """Local hour (fractional), day of week (Monday 0) and date of each event start."""
    local = pd.DatetimeIndex(np.asarray(e_ns, dtype=np.int64), tz="UTC").tz_convert(tz)
    wall = local.tz_localize(None)
    return {
        "hour": (wall.hour + wall.minute / 60.0).to_numpy(dtype=float),
        "weekday": wall.dayofweek.to_numpy(),
        "date": wall.to_numpy().astype("datetime64[D]"),
    }


def is_holiday(dates: np.ndarray, country: str, subdivision: str | None = None) -> np.ndarray:
    """True for public holidays of ``country`` (and ``subdivision``, e.g. ``"BB"``) on
    dates given as ``datetime64[D]``."""
    if not len(dates):
        return np.zeros(0, dtype=bool)
    years = tuple(range(int(str(dates.min())[:4]), int(str(dates.max())[:4]) + 1))
    return np.isin(dates, _holiday_days(country, years, subdivision))


def _day_type(parts: dict[str, np.ndarray], country: str, subdivision: str | None = None) -> np.ndarray:
    out = np.where(parts["weekday"] == 5, 1, 0)
    return np.where((parts["weekday"] == 6) | is_holiday(parts["date"], country, subdivision), 2, out)


def day_type(e_ns: np.ndarray, tz: str, country: str, subdivision: str | None = None) -> np.ndarray:
    """0 workday, 1 Saturday, 2 Sunday or public holiday, per event start (local day)."""
    return _day_type(local_parts(e_ns, tz), country, subdivision)


def calendar_features(
    e_ns: np.ndarray, tz: str, country: str, one_hot: bool = True, subdivision: str | None = None,
    hour_by_day_type: bool = False,
) -> tuple[np.ndarray, list[str]]:
    """Calendar design columns of event starts.

    Parameters
    ----------
    e_ns : numpy.ndarray
        Event starts [ns UTC].
    tz : str
        The market's timezone (the local clock of hours and days).
    country : str
        Country of the public holidays (ISO code, e.g. ``"DE"``).
    one_hot : bool
        One column per local hour plus Saturday and Sunday/holiday flags (for linear
        models); otherwise three ordinal columns: fractional hour [h], day of week
        [0 = Monday], day type [0 workday, 1 Saturday, 2 Sunday/holiday] (for trees).
    subdivision : str, optional
        State whose holidays count too (``"BB"``, ``"BY"``); None: national holidays.
    hour_by_day_type : bool
        One-hot only: one column per local hour *and* day type (72: an hour-of-day shape
        for workdays, Saturdays and Sundays/holidays each) instead of 24 hours plus two
        day-type flags.

    Returns
    -------
    X : numpy.ndarray
        Shape (n events, n columns).
    names : list of str
    """
    parts = local_parts(e_ns, tz)
    dtype = _day_type(parts, country, subdivision)
    if not one_hot:
        X = np.column_stack([parts["hour"], parts["weekday"], dtype]).astype(float)
        return X, ["hour", "weekday", "day_type"]
    hours = np.floor(parts["hour"]).astype(int)
    if hour_by_day_type:
        code = dtype * 24 + hours
        X = (code[:, None] == np.arange(72)[None, :]).astype(float)
        return X, [f"{t}_hour_{h:02d}" for t in ("workday", "saturday", "sunday_or_holiday") for h in range(24)]
    H = (hours[:, None] == np.arange(24)[None, :]).astype(float)
    X = np.column_stack([H, dtype == 1, dtype == 2]).astype(float)
    return X, [f"hour_{h:02d}" for h in range(24)] + ["saturday", "sunday_or_holiday"]
