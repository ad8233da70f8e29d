"""Belief frames reshaped: one resampler for every series of bvp_lib, tidy rows to wide columns.

Power [MW] and prices [EUR/MWh] are rates: resampling takes means (down) or repeats
(up), keeping energy and cost; energy [MWh] sums or splits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bvp_lib.beliefs.common import BeliefError, fmt_td

def resample_series(series: pd.Series, old, new, *, energy: bool = False, name: str = "") -> pd.Series:
    """One series from steps of ``old`` to steps of ``new`` (the one resampler of bvp_lib).

    * rates and states (power [MW], price [EUR/MWh], temperature, ...): downsampling takes
      the mean over the new step, upsampling repeats the value (a constant power over
      an hour is the same power in each of its quarter-hours); both keep energy and cost;
    * energy [MWh] (``energy=True``): downsampling sums, upsampling splits evenly.

    A new step is only produced when every original step inside it is present: a
    partial hour is not averaged into a full one (the step is dropped instead).
    Missing values (NaN) count as absent.

    Raises
    ------
    BeliefError
        ``new`` is neither a whole multiple nor a whole divisor of ``old``.
    """
    old, new = pd.Timedelta(old), pd.Timedelta(new)
    s = series.dropna()
    if new == old:
        return s
    what = name or str(series.name or "a series")
    if new > old:
        if new % old:
            raise BeliefError(f"Cannot resample {what} from {fmt_td(old)} to {fmt_td(new)}: not a whole multiple.")
        grp = s.resample(new, origin="epoch")
        r = grp.sum() if energy else grp.mean()
        return r[grp.count() == new // old]
    if old % new:
        raise BeliefError(f"Cannot resample {what} from {fmt_td(old)} to {fmt_td(new)}: not a whole divisor.")
    n = old // new
    idx = (s.index.asi8[:, None] + np.arange(n)[None, :] * new.value).ravel()
    vals = np.repeat(s.to_numpy(float) / (n if energy else 1), n)
    return pd.Series(vals, index=pd.DatetimeIndex(idx, tz="UTC"), name=series.name)


def resample_beliefs(df: pd.DataFrame, resolution, sensors: pd.DataFrame) -> pd.DataFrame:
    """Resample tidy beliefs per (sensor, source, horizon) to ``resolution``
    (:func:`resample_series`: means of rates, sums of energy [MWh], whole steps only)."""
    new = pd.Timedelta(resolution)
    parts = []
    for (sensor, sid, h), g in df.groupby(["sensor", "source_id", "belief_horizon"], sort=True, observed=True):
        s = g.set_index("event_start")["value"]
        r = resample_series(s, sensors.loc[sensor, "resolution"], new, energy=sensors.loc[sensor, "unit"] == "MWh",
                            name=str(sensor))  # fmt: skip
        parts.append(
            pd.DataFrame(
                {
                    "sensor": sensor,
                    "event_start": r.index,
                    "belief_horizon": h,
                    "source": g["source"].iloc[0],
                    "source_id": sid,
                    "value": r.to_numpy(),
                }
            )
        )
    if not parts:
        return df
    return pd.concat(parts, ignore_index=True).sort_values(
        ["sensor", "event_start", "source_id", "belief_horizon"], kind="stable"
    ).reset_index(drop=True)


def to_grid(series: pd.Series, resolution, grid: pd.DatetimeIndex, *, own) -> pd.Series:
    """A power or price series (steps of ``own``) on the steps ``grid`` of ``resolution``:
    :func:`resample_series`, then every step of ``grid`` (NaN where nothing is known)."""
    return resample_series(series, own, resolution).reindex(grid)


def wide(df: pd.DataFrame, sensors: Sequence[str]) -> pd.DataFrame:
    """Tidy rows (``sensor``, ``event_start``, ``value``) as one column per sensor (each at
    its own resolution), on the union of their step starts (UTC); NaN where a sensor has
    no value."""
    if df.empty:
        return pd.DataFrame(columns=list(sensors), index=pd.DatetimeIndex([], tz="UTC", name="event_start"), dtype=float)
    w = df.pivot_table(index="event_start", columns="sensor", values="value", aggfunc="first", observed=True)
    w.columns = [str(c) for c in w.columns]
    w = w.reindex(columns=list(sensors))
    w.index = pd.DatetimeIndex(w.index).tz_convert("UTC")
    w.index.name = "event_start"
    w.columns.name = None
    return w
