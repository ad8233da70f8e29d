"""Day-ahead prices: read the SMARD download format into an hourly UTC price series.

SMARD (Bundesnetzagentur | SMARD.de, CC BY 4.0) publishes day-ahead prices as a
``;``-separated, UTF-8 (with byte-order mark) CSV file with one row per delivery hour in
local time (Europe/Berlin)::

    Date;Time of day;Germany/Luxembourg[€/MWh];...;Germany/Austria/Luxembourg[€/MWh];...
    Jan 1, 2015;12:00 AM;-;25.02;...

``-`` marks a missing value. Local time has two irregular days a year: the 23-hour
day in March lacks ``2:00 AM``; the 25-hour day in October shows ``2:00 AM`` twice,
the first being summer time (CEST, UTC+2) and the second winter time (CET, UTC+1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from bvp_lib.data import SOURCE_TIMEZONE

SMARD_TIMEZONE = SOURCE_TIMEZONE
SMARD_DE_AT_LU = "Germany/Austria/Luxembourg[€/MWh]"
_DATE_COLUMN = "Date"
_TIME_COLUMN = "Time of day"
_MISSING = "-"
_DATETIME_FORMAT = "%b %d, %Y %I:%M %p"


def _line(row: int) -> int:
    """Line number in the file (1-based, header on line 1) of data row ``row`` (0-based)."""
    return int(row) + 2


def read_smard_prices(path: str | Path, column: str = SMARD_DE_AT_LU) -> pd.Series:
    """Read hourly day-ahead prices from a SMARD CSV download.

    Parameters
    ----------
    path : str or Path
        A SMARD "market data" CSV file (``;``-separated, ``utf-8-sig``, columns
        ``Date`` like ``Jan 1, 2015`` and ``Time of day`` like ``12:00 AM`` in
        local time Europe/Berlin, one column per bidding zone).
    column : str
        The price column to read [EUR/MWh], by default the German-Austrian-Luxembourg
        bidding zone of 2015--2018.

    Returns
    -------
    pandas.Series
        Day-ahead price [EUR/MWh] named ``"price"``, indexed by the start of each
        delivery hour as a timezone-aware UTC ``DatetimeIndex`` with hourly frequency.
        Rows marked ``-`` in the file are NaN (missing, never filled in).

    Raises
    ------
    ValueError
        If the file lacks the ``Date``, ``Time of day`` or ``column`` column, or a
        row has a date or time that cannot be read, a time that does not exist in
        local time (e.g. ``2:00 AM`` on the 23-hour day), a value that is neither a
        number nor ``-``, or if the rows are not consecutive hours (a duplicate, a gap
        or a hour out of order). The message names the file and the line.

    Notes
    -----
    A local time that occurs twice (``2:00 AM`` on the last Sunday of October) is
    resolved by order: its first occurrence is summer time (UTC+2), its second winter
    time (UTC+1). A third occurrence is an error.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not a readable SMARD CSV file ({e}).") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty.") from None
    for needed in (_DATE_COLUMN, _TIME_COLUMN, column):
        if needed not in raw.columns:
            raise ValueError(f"{path}: no column {needed!r}; the file has {list(raw.columns)}.")
    if raw.empty:
        raise ValueError(f"{path}: the file has a header but no rows.")

    text = raw[_DATE_COLUMN].str.strip() + " " + raw[_TIME_COLUMN].str.strip()
    naive = pd.to_datetime(text, format=_DATETIME_FORMAT, errors="coerce")
    bad = np.flatnonzero(naive.isna().to_numpy())
    if bad.size:
        i = bad[0]
        raise ValueError(
            f"{path}, line {_line(i)}: cannot read date and time {text.iloc[i]!r} "
            f"(expected e.g. 'Jan 1, 2015' and '12:00 AM')."
        )

    # The n-th occurrence of one local time: 0 = summer time where ambiguous, 1 = winter time.
    occurrence = naive.groupby(naive).cumcount().to_numpy()
    if (occurrence > 1).any():
        i = int(np.flatnonzero(occurrence > 1)[0])
        raise ValueError(f"{path}, line {_line(i)}: local time {text.iloc[i]!r} occurs more than twice.")
    local = pd.DatetimeIndex(naive)
    is_dst = occurrence == 0  # only read where a local time is ambiguous
    # Ambiguous times are resolved explicitly, so NaT marks a time that does not exist.
    localized = local.tz_localize(SMARD_TIMEZONE, ambiguous=is_dst, nonexistent="NaT")
    gone = np.flatnonzero(localized.isna())
    if gone.size:
        i = gone[0]
        raise ValueError(
            f"{path}, line {_line(i)}: local time {text.iloc[i]!r} does not exist in "
            f"{SMARD_TIMEZONE} (the clock jumps forward that night)."
        )
    utc = localized.tz_convert("UTC")

    step = np.diff(utc.asi8)
    off = np.flatnonzero(step != pd.Timedelta(hours=1).value)
    if off.size:
        i = off[0] + 1
        raise ValueError(
            f"{path}, line {_line(i)}: {text.iloc[i]!r} ({utc[i].isoformat()}) does not follow "
            f"{text.iloc[i - 1]!r} ({utc[i - 1].isoformat()}) by one hour (duplicate, gap or disorder)."
        )

    values = raw[column].str.strip()
    missing = values.eq(_MISSING)
    numbers = pd.to_numeric(values.where(~missing), errors="coerce")
    unreadable = np.flatnonzero((numbers.isna() & ~missing).to_numpy())
    if unreadable.size:
        i = unreadable[0]
        raise ValueError(
            f"{path}, line {_line(i)}: {column} is {values.iloc[i]!r}, neither a number nor '{_MISSING}'."
        )
    index = pd.DatetimeIndex(utc, freq="h", name="event_start")
    return pd.Series(numbers.to_numpy(dtype=float), index=index, name="price")


def missing_periods(prices: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """List the runs of missing values of an hourly series.

    Parameters
    ----------
    prices : pandas.Series
        Hourly series with a regular ``DatetimeIndex`` (e.g. from
        :func:`read_smard_prices`).

    Returns
    -------
    list of (pandas.Timestamp, pandas.Timestamp)
        For each run of NaN values, the start of its first hour and the end of its last
        hour (exclusive), in the index's timezone.
    """
    isna = prices.isna().to_numpy()
    edges = np.diff(np.r_[0, isna.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    hour = pd.Timedelta(hours=1)
    return [(prices.index[s], prices.index[e - 1] + hour) for s, e in zip(starts, ends)]


#: SMARD column of the German-Luxembourg bidding zone (from 1 October 2018)
SMARD_DE_LU = "Germany/Luxembourg[€/MWh]"
#: bidding zone -> SMARD column
SMARD_ZONE_COLUMNS = {"DE-AT-LU": SMARD_DE_AT_LU, "DE-LU": SMARD_DE_LU}


def read_smard_zones(path: str | Path, zones: list[str]) -> tuple[pd.Series, list[dict]]:
    """Join the day-ahead prices of bidding zones that follow one another in time.

    Germany's bidding zone changed on 1 October 2018 (00:00 local): DE-AT-LU until
    30 September, DE-LU from then on. SMARD keeps one column per zone, each ``-`` where
    the zone did not exist. This reads every zone's column with
    :func:`read_smard_prices` and takes, for each hour, the one zone that has a price.

    Parameters
    ----------
    path : str or Path
        A SMARD day-ahead price CSV file (see :func:`read_smard_prices`).
    zones : list of str
        Zone names (keys of :data:`SMARD_ZONE_COLUMNS`) in the order in which they
        were valid.

    Returns
    -------
    prices : pandas.Series
        Day-ahead price [EUR/MWh] per hour, UTC index, every hour of the file.
    periods : list of dict
        Per zone: ``zone``, ``column``, ``first`` and ``last`` (UTC start of the first
        and last priced hour, ISO strings) and ``hours``.

    Raises
    ------
    ValueError
        An unknown zone; an hour priced in two zones (a duplicate at the switch) or in
        none (a gap); a zone whose prices are not one unbroken run; zones out of the
        given order. The message names the file and the hour (UTC and local).
    """
    path = Path(path)
    unknown = [z for z in zones if z not in SMARD_ZONE_COLUMNS]
    if unknown or not zones:
        raise ValueError(f"{path}: unknown bidding zone(s) {unknown or zones}; known: {sorted(SMARD_ZONE_COLUMNS)}.")
    series = [read_smard_prices(path, SMARD_ZONE_COLUMNS[z]) for z in zones]
    have = np.column_stack([s.notna().to_numpy() for s in series])
    index = series[0].index

    def hour(i: int) -> str:
        return f"{index[i].isoformat()} ({index[i].tz_convert(SMARD_TIMEZONE):%Y-%m-%d %H:%M %Z})"

    both = np.flatnonzero(have.sum(axis=1) > 1)
    if both.size:
        raise ValueError(f"{path}: the hour starting {hour(both[0])} has a price in more than one of {zones}.")
    none = np.flatnonzero(have.sum(axis=1) == 0)
    if none.size:
        raise ValueError(f"{path}: the hour starting {hour(none[0])} has no price in any of {zones} (a gap).")
    periods, last_end = [], -1
    for z, s, h in zip(zones, series, have.T):
        runs = missing_periods(pd.Series(np.where(h, np.nan, 0.0), index=index))  # runs of priced hours
        if len(runs) != 1:
            raise ValueError(f"{path}: the {z} prices are not one unbroken run of hours ({len(runs)} runs).")
        first, stop = np.flatnonzero(h)[0], np.flatnonzero(h)[-1] + 1
        if first != last_end + 1:
            raise ValueError(f"{path}: the {z} prices start at {hour(first)}, not right after the previous zone's.")
        periods.append({"zone": z, "column": SMARD_ZONE_COLUMNS[z], "first": index[first].isoformat(),
                        "last": index[stop - 1].isoformat(), "hours": int(stop - first)})  # fmt: skip
        last_end = stop - 1
    values = np.select([h for h in have.T], [s.to_numpy() for s in series])
    return pd.Series(values, index=index, name="price"), periods
