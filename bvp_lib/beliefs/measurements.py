"""Measurements: the actual values of sensors (measured, or imported) as known at a time.

A measurement is known when its step ends; a day-ahead price when it was published
(:mod:`bvp_lib.market.clock`). ``known_before`` keeps what a plan may see.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from bvp_lib.beliefs.common import BeliefError
from bvp_lib.beliefs.store import load_beliefs

#: data source types whose beliefs are actual values (measurements, imported data)
ACTUAL_SOURCE_TYPES = ("measurement", "user import")


def load_measurements(
    sensors: Sequence[str],
    start,
    end,
    *,
    known_before=None,
    bind: Engine | Connection | None = None,
) -> dict[str, pd.Series]:
    """Actual values (measurements, imports) of sensors as one Series each.

    Parameters
    ----------
    sensors : sequence of str
        Sensor names.
    start, end : tz-aware timestamp
        Events starting in ``[start, end)``.
    known_before : tz-aware timestamp, optional
        Only values known by then (a measurement when its step ended, a price when
        published).
    bind : Engine or Connection, optional

    Returns
    -------
    dict of str to pandas.Series
        Per sensor, the most recent value per event, indexed by event start (UTC) [sensor
        unit: MW production positive and consumption negative, or EUR/MWh]; empty Series
        where nothing is stored.

    Raises
    ------
    BeliefError
        When a sensor has actual values from more than one data source.
    """
    df = load_beliefs(list(sensors), start, end, source_types=list(ACTUAL_SOURCE_TYPES), most_recent=True,
                      known_before=known_before, bind=bind)  # fmt: skip
    out = {}
    for s in sensors:
        g = df[df["sensor"] == s]
        if g["source_id"].nunique() > 1:
            raise BeliefError(
                f"sensor {s!r} has actual values from several data sources ({', '.join(sorted(g['source'].unique()))}); "
                "keep one source per sensor (delete or re-import the other)."
            )
        out[s] = pd.Series(g["value"].to_numpy(float), index=pd.DatetimeIndex(g["event_start"]), name=s)
    return out


def measurement_rows(sensors: Sequence[str], start, end, *, bind: Engine | Connection | None = None) -> pd.DataFrame:
    """Actual values as rows ``sensor``, ``event_start`` (UTC), ``value`` [sensor unit]."""
    hist = load_measurements(sensors, start, end, bind=bind)
    parts = [pd.DataFrame({"sensor": s, "event_start": h.index, "value": h.to_numpy()}) for s, h in hist.items()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["sensor", "event_start", "value"])
