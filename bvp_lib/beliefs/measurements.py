"""Measurements: the actual values of sensors (measured, or imported) as known at a time.

A measurement is known when its step ends; a day-ahead price when it was published
(:mod:`bvp_lib.market.clock`). ``known_before`` keeps what a plan may see.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from bvp_lib.beliefs.common import BeliefError
from bvp_lib.beliefs.store import load_beliefs, sensor_table
from bvp_lib.db.engine import transaction

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
    known = load_known_measurements(sensors, start, end, known_before=known_before, bind=bind)
    return {s: f["value"].rename(s) for s, f in known.items()}


def load_known_measurements(
    sensors: Sequence[str],
    start,
    end,
    *,
    known_before=None,
    bind: Engine | Connection | None = None,
) -> dict[str, pd.DataFrame]:
    """Actual values and when each became known, one frame per sensor.

    As :func:`load_measurements`, with the stored belief time of each value beside it:
    ``belief_time = event_start + resolution - belief_horizon`` (a measurement of
    horizon 0 when its step ended; a day-ahead price when it was published, 13:00 local
    on D-1; a system measurement of horizon -1 h an hour after its step). What a
    forecast may read as a lag at issue time ``b`` is every value with ``belief_time <= b``.

    Returns
    -------
    dict of str to pandas.DataFrame
        Per sensor: columns ``value`` [sensor unit] and ``belief_time`` (UTC), indexed by
        event start (UTC); empty where nothing is stored.
    """
    df = load_beliefs(list(sensors), start, end, source_types=list(ACTUAL_SOURCE_TYPES), most_recent=True,
                      known_before=known_before, bind=bind)  # fmt: skip
    res = sensor_resolutions(list(sensors), bind=bind) if len(df) else {}
    out = {}
    for s in sensors:
        g = df[df["sensor"] == s]
        if g["source_id"].nunique() > 1:
            raise BeliefError(
                f"sensor {s!r} has actual values from several data sources ({', '.join(sorted(g['source'].unique()))}); "
                "keep one source per sensor (delete or re-import the other)."
            )
        idx = pd.DatetimeIndex(g["event_start"])
        bt = idx + res.get(s, pd.Timedelta(0)) - pd.to_timedelta(g["belief_horizon"].to_numpy())
        out[s] = pd.DataFrame({"value": g["value"].to_numpy(float), "belief_time": bt}, index=idx)
    return out


def sensor_resolutions(sensors: Sequence[str], *, bind: Engine | Connection | None = None) -> dict[str, pd.Timedelta]:
    """Event resolution of each named sensor."""
    with transaction(bind) as conn:
        st = sensor_table(conn, list(sensors))
    return {str(n): pd.Timedelta(r) for n, r in st["resolution"].items()}


def measurement_rows(sensors: Sequence[str], start, end, *, bind: Engine | Connection | None = None) -> pd.DataFrame:
    """Actual values as rows ``sensor``, ``event_start`` (UTC), ``value`` [sensor unit]."""
    hist = load_measurements(sensors, start, end, bind=bind)
    parts = [pd.DataFrame({"sensor": s, "event_start": h.index, "value": h.to_numpy()}) for s, h in hist.items()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["sensor", "event_start", "value"])
