"""Buildings: 15-minute electric load from SimBench profiles and BDEW standard load profiles.

Two sources, both scaled to a building's annual consumption [MWh/a]:

* SimBench 2016 load profiles (``LoadProfile.csv`` of the SimBench data set, ODbL),
  extracted once by :func:`extract_simbench_profiles` into the vendored file
  ``data/raw/simbench/simbench_profiles_2016.parquet``. Each 2015 day takes the 2016 day
  of the same weekday a whole number of weeks away (:func:`align_days`); a 2015 public holiday takes
  that week's Sunday; a 2015 working day that falls on a 2016 holiday takes the same
  weekday a week earlier (or later).
* BDEW standard load profiles generated for 2015 by ``demandlib.bdew.ElecSlp`` with the
  building's public holidays (treated as Sundays). demandlib 0.2.2 switches all warnings
  into errors for the whole process while it builds the profiles;
  :func:`demandlib_profiles` confines that to the call.

Both sources are arranged as days on the wall clock (96 quarter-hours; SimBench's
own daylight-saving days are evened out by :func:`wallclock_days`). :func:`wallclock_to_index` reads each quarter-hour of the local year in
Europe/Berlin off its local date and clock time: the 23-hour day skips 02:00--02:45, the
25-hour day repeats them. Power is then :math:`P_t = -E_a \\cdot w_t / (\\Delta t \\sum w)`
with weights :math:`w_t`, annual consumption :math:`E_a` [MWh] and
:math:`\\Delta t` = 0.25 h, so the year's energy is exactly :math:`E_a`.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from bvp_lib.data import SOURCE_TIMEZONE

LOCAL_TIMEZONE = SOURCE_TIMEZONE
SIMBENCH_YEAR = 2016
#: SimBench profile columns vendored (active power, normalised to the profile's maximum).
SIMBENCH_BUILDING_PROFILES = ["H0-A", "G0-A", "G1-A", "G3-A", "G4-A", "L0-A"]
SIMBENCH_EV_PROFILES = [
    "HLS_A_3.7", "HLS_B_3.7", "HLS_C_3.7", "HLS_A_11.0", "HLS_B_11.0", "HLS_A_22.0",
    "APLS_A_3.7", "APLS_B_3.7", "APLS_A_11.0", "APLS_B_11.0", "APLS_A_22.0", "APLS_A_50.0",
]  # fmt: skip
SIMBENCH_SOURCE = "simbench/networks/1-complete_data-mixed-all-0-sw/LoadProfile.csv"


def extract_simbench_profiles(out_path: str | Path, columns: list[str] | None = None) -> Path:
    """Copy the SimBench profiles this data set uses into one small Parquet file.

    Needs the ``simbench`` package (a development dependency); run once when the
    vendored file is to be renewed. Values are copied unchanged.

    Parameters
    ----------
    out_path : str or Path
        File to write (Parquet, zstd).
    columns : list of str, optional
        Profile names without the ``_pload`` suffix; default: the building and EV
        profiles listed in this module.

    Returns
    -------
    pathlib.Path
        ``out_path``; columns ``time`` (naive wall-clock time of 2016 as in SimBench)
        and one column per profile [p.u. of the profile's maximum].
    """
    import simbench

    columns = columns or SIMBENCH_BUILDING_PROFILES + SIMBENCH_EV_PROFILES
    source = Path(simbench.__file__).parent / SIMBENCH_SOURCE.split("/", 1)[1]
    raw = pd.read_csv(source, sep=";", usecols=["time", *[f"{c}_pload" for c in columns]])
    out = pd.DataFrame({"time": pd.to_datetime(raw["time"], format="%d.%m.%Y %H:%M")})
    for c in columns:
        out[c] = raw[f"{c}_pload"].astype(float)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out.to_parquet(out_path, compression="zstd", index=False)
    return out_path


def read_simbench_profiles(path: str | Path) -> pd.DataFrame:
    """Read the vendored SimBench profiles.

    SimBench's ``time`` is the local wall-clock time of 2016 in Europe/Berlin, with
    daylight saving time: 27 March lacks 02:00--02:45, 30 October has them twice (first
    summer, then winter time).

    Returns
    -------
    pandas.DataFrame
        Indexed by quarter-hour start (tz-aware Europe/Berlin), 35,136 rows (the year's
        92 + 100 + 364 x 96 quarter-hours), one column per profile [p.u.].
    """
    df = pd.read_parquet(path)
    naive = pd.DatetimeIndex(df.pop("time"))
    first_occurrence = naive.to_series().groupby(naive).cumcount().to_numpy() == 0
    index = naive.tz_localize(LOCAL_TIMEZONE, ambiguous=first_occurrence, nonexistent="raise")
    expected = pd.date_range(
        pd.Timestamp(f"{SIMBENCH_YEAR}-01-01", tz=LOCAL_TIMEZONE),
        pd.Timestamp(f"{SIMBENCH_YEAR + 1}-01-01", tz=LOCAL_TIMEZONE),
        freq="15min",
        inclusive="left",
    )
    if not index.equals(expected):
        raise ValueError(f"{path}: expected the quarter-hours of 2016 in {LOCAL_TIMEZONE}.")
    return df.set_axis(index.rename("time"))


def wallclock_days(series: pd.Series) -> np.ndarray:
    """Arrange a tz-aware quarter-hourly series of whole local days as wall-clock days.

    Parameters
    ----------
    series : pandas.Series
        Quarter-hourly values indexed in the local timezone, whole days.

    Returns
    -------
    numpy.ndarray
        Shape (n_days, 96); column ``j`` is the quarter-hour starting ``j * 15`` minutes
        after midnight on the clock. Where the clock repeats an hour the two readings
        are averaged; where it skips an hour the values are interpolated linearly in
        time between the neighbouring quarter-hours.
    """
    local = series.index.tz_convert(LOCAL_TIMEZONE)
    day0 = local[0].tz_localize(None).normalize()
    day = (local.tz_localize(None).normalize() - day0).days.to_numpy()
    slot = local.hour.to_numpy() * 4 + local.minute.to_numpy() // 15
    n_days = int(day.max()) + 1
    total = np.zeros(n_days * 96)
    count = np.zeros(n_days * 96)
    np.add.at(total, day * 96 + slot, series.to_numpy(float))
    np.add.at(count, day * 96 + slot, 1.0)
    flat = np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)
    gaps = np.isnan(flat)
    if gaps.any():
        flat[gaps] = np.interp(np.flatnonzero(gaps), np.flatnonzero(~gaps), flat[~gaps])
    return flat.reshape(n_days, 96)


def public_holidays(year: int, subdivision: str | None = None) -> list:
    """German public holidays of ``year`` (nation-wide plus those of ``subdivision``, e.g. ``"BY"``)."""
    import holidays

    return sorted(holidays.Germany(years=year, subdiv=subdivision))


def align_days(
    dates: pd.DatetimeIndex, target_holidays: list, source_year: int = SIMBENCH_YEAR, source_holidays: list | None = None
) -> np.ndarray:
    """Choose for each target date a source-year day of the same kind.

    The candidate is the date a whole number of weeks away that lands in the same part
    of ``source_year`` (the week offset nearest the years' distance: 52 weeks = 364 days
    from 2015 to 2016, -104 weeks = -728 days from 2018 to 2016), moved by one week where
    it falls outside ``source_year`` (same weekday). A target holiday takes the candidate
    week's Sunday instead (or the Sunday before, at the end of the year). A target
    working day whose candidate is a source holiday takes the same weekday a week
    earlier (or later, at the start of the year).

    Parameters
    ----------
    dates : pandas.DatetimeIndex
        Target dates (naive, midnight).
    target_holidays : list of datetime.date
        Public holidays of the target dates.
    source_year : int
        Year of the source profiles.
    source_holidays : list of datetime.date, optional
        Public holidays of the source year; default nation-wide German ones.

    Returns
    -------
    numpy.ndarray of int
        Day of the source year (0 = 1 January) for each target date.
    """
    if source_holidays is None:
        source_holidays = public_holidays(source_year)
    first = pd.Timestamp(year=source_year, month=1, day=1)
    n_days = 366 if pd.Timestamp(year=source_year, month=12, day=31).dayofyear == 366 else 365
    weeks = round((first - pd.Timestamp(year=pd.Timestamp(dates[0]).year, month=1, day=1)).days / 7)
    cand = dates + pd.Timedelta(days=7 * weeks)
    cand = cand + pd.to_timedelta(np.where(cand < first, 7, 0), unit="D")
    cand = cand - pd.to_timedelta(np.where(cand >= first + pd.Timedelta(days=n_days), 7, 0), unit="D")
    is_holiday = dates.normalize().isin(pd.to_datetime(target_holidays))
    sunday = cand + pd.to_timedelta(6 - cand.weekday, unit="D")
    sunday = sunday - pd.to_timedelta(np.where(sunday >= first + pd.Timedelta(days=n_days), 7, 0), unit="D")
    src_hol = pd.to_datetime(source_holidays)
    clash = ~is_holiday & cand.isin(src_hol)
    earlier = cand - pd.Timedelta(days=7)
    moved = np.where((earlier >= first) & ~earlier.isin(src_hol), earlier, cand + pd.Timedelta(days=7))
    chosen = pd.DatetimeIndex(np.where(is_holiday, sunday, np.where(clash, moved, cand)))
    return np.asarray((chosen - first).days, dtype=int)


def wallclock_to_index(days: np.ndarray, index: pd.DatetimeIndex, first_day: str | pd.Timestamp) -> np.ndarray:
    """Read quarter-hour values of wall-clock days at the instants of a tz-aware index.

    Parameters
    ----------
    days : numpy.ndarray
        Shape (n_days, 96): row ``i`` is local day ``first_day + i``, column ``j`` the
        quarter-hour starting at ``j * 15`` minutes on the wall clock.
    index : pandas.DatetimeIndex
        Quarter-hour starts (tz-aware), within those local days.
    first_day : str or pandas.Timestamp
        The local date of row 0.

    Returns
    -------
    numpy.ndarray
        One value per element of ``index``. On the 23-hour day the missing clock hour
        is skipped; on the 25-hour day the repeated clock hour is read twice.
    """
    local = index.tz_convert(LOCAL_TIMEZONE)
    day = (local.tz_localize(None).normalize() - pd.Timestamp(first_day)).days.to_numpy()
    slot = local.hour.to_numpy() * 4 + local.minute.to_numpy() // 15
    if day.min() < 0 or day.max() >= days.shape[0]:
        raise ValueError("The index reaches beyond the days given.")
    return days[day, slot]


@lru_cache(maxsize=8)
def _demandlib_frame(year: int, holidays: tuple) -> pd.DataFrame:
    from demandlib import bdew

    saved = list(warnings.filters)
    try:
        with warnings.catch_warnings():  # ElecSlp calls warnings.simplefilter("error") for the process
            frame = bdew.ElecSlp(year, holidays=list(holidays)).get_profiles().copy()
    finally:
        warnings.filters[:] = saved
    return frame


def demandlib_profiles(year: int, holidays: list | None = None) -> pd.DataFrame:
    """BDEW standard load profiles of ``year`` from demandlib, without side effects.

    Parameters
    ----------
    year : int
        Year of the profiles.
    holidays : list of datetime.date, optional
        Public holidays (profiled like Sundays).

    Returns
    -------
    pandas.DataFrame
        Naive wall-clock quarter-hours of ``year`` (no daylight saving time), columns
        ``h0``, ``h0_dyn``, ``g0``..``g6``, ``l0``..``l2``, each summing to 1 [-].
        ``warnings.filters`` is the same before and after the call.
    """
    return _demandlib_frame(int(year), tuple(sorted(holidays or []))).copy()


def load_weights(
    source: str,
    index: pd.DatetimeIndex,
    year: int,
    subdivision: str | None = None,
    simbench: pd.DataFrame | None = None,
) -> np.ndarray:
    """Relative load per quarter-hour of ``index`` from a named profile.

    Parameters
    ----------
    source : str
        ``"simbench:<profile>"`` (e.g. ``"simbench:G1-A"``) or ``"demandlib:<slp>"``
        (e.g. ``"demandlib:g0"``).
    index : pandas.DatetimeIndex
        Quarter-hour starts (UTC) of the local calendar ``year``.
    year : int
        The local calendar year of ``index``.
    subdivision : str, optional
        German state for public holidays (e.g. ``"BB"``, ``"BY"``).
    simbench : pandas.DataFrame, optional
        Output of :func:`read_simbench_profiles`; needed for ``simbench:`` sources.

    Returns
    -------
    numpy.ndarray
        Non-negative weights, one per element of ``index`` (any scale).
    """
    kind, _, name = source.partition(":")
    hol = public_holidays(year, subdivision)
    first = pd.Timestamp(year=year, month=1, day=1)
    n_days = pd.Timestamp(year=year, month=12, day=31).dayofyear
    if kind == "simbench":
        if simbench is None or name not in simbench.columns:
            raise KeyError(f"SimBench profile {name!r} is not in the vendored profiles.")
        src = wallclock_days(simbench[name])
        days = src[align_days(pd.date_range(first, periods=n_days, freq="D"), hol)]
    elif kind == "demandlib":
        frame = demandlib_profiles(year, hol)
        if name not in frame.columns:
            raise KeyError(f"demandlib has no profile {name!r}; it has {list(frame.columns)}.")
        days = frame[name].to_numpy(float).reshape(-1, 96)
    else:
        raise ValueError(f"Unknown load profile source {source!r}; use 'simbench:<name>' or 'demandlib:<name>'.")
    return np.clip(wallclock_to_index(days, index, first), 0.0, None)


def building_power(weights: np.ndarray, annual_mwh: float, index: pd.DatetimeIndex) -> pd.Series:
    """Scale load weights to a building's annual consumption.

    Parameters
    ----------
    weights : numpy.ndarray
        Non-negative relative load per quarter-hour.
    annual_mwh : float
        Consumption over ``index`` [MWh].
    index : pandas.DatetimeIndex
        Quarter-hour starts.

    Returns
    -------
    pandas.Series
        Power [MW], consumption negative: :math:`P_t = -E_a w_t / (0.25 \\sum w)`, so
        that :math:`-\\sum P_t \\cdot 0.25\\,h = E_a`.
    """
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0:
        raise ValueError("Load weights sum to zero.")
    return pd.Series(-annual_mwh * w / (w.sum() * 0.25), index=index, name="power")
