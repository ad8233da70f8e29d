"""Time-series I/O: beliefs in and out of PostgreSQL, fast and all-or-nothing.

A belief is one row ``(sensor, event_start, belief_horizon, source, value)``:

* ``sensor``: the series' name (an asset's power, a market's price, a weather sensor);
  the event resolution is the sensor's;
* ``event_start``: timezone-aware start of the event (stored UTC);
* ``belief_horizon``: how long before the event **ended** the value was known,
  ``belief_time = event_start + event_resolution - belief_horizon``; > 0 is a forecast,
  <= 0 a measurement;
* ``source``: the data source (measurement, forecaster, scheduler, user import);
* ``value``: in the sensor's unit (power MW, **production positive, consumption
  negative**; prices EUR/MWh; energy MWh).

Writing (:func:`save_beliefs`) streams the frame with binary ``COPY`` into a staging
table and merges it with ``INSERT ... ON CONFLICT``, in one transaction: either every
row lands or none does. When none of the written sensors and sources holds beliefs in
the written period yet, the rows are copied straight into the table (same result,
about twice as fast). Reading (:func:`load_beliefs`) streams ``COPY (SELECT ...) TO
STDOUT`` in binary and decodes it with numpy.

Modules: :mod:`~bvp_lib.beliefs.store` (sources, sensors, :func:`save_beliefs`,
:func:`load_beliefs`, :func:`load_series`), :mod:`~bvp_lib.beliefs.measurements`
(:func:`load_measurements`: actual values as known at a time; :func:`load_known_measurements`
with the belief time of each) and
:mod:`~bvp_lib.beliefs.frames` (:func:`resample_series`, the one resampler;
:func:`to_grid`; :func:`wide`). Everything public is importable from here.
"""

from bvp_lib.beliefs.common import BELIEF_COLUMNS, BeliefError, fmt_td
from bvp_lib.beliefs.frames import resample_beliefs, resample_series, to_grid, wide
from bvp_lib.beliefs.measurements import ACTUAL_SOURCE_TYPES, load_known_measurements, load_measurements, measurement_rows
from bvp_lib.beliefs.store import (
    SourceSpec,
    get_or_create_source,
    load_beliefs,
    load_series,
    save_beliefs,
    sensor_table,
)

__all__ = [
    "ACTUAL_SOURCE_TYPES", "BELIEF_COLUMNS", "BeliefError", "SourceSpec", "fmt_td", "get_or_create_source",
    "load_beliefs", "load_known_measurements", "load_measurements", "load_series", "measurement_rows", "resample_beliefs", "resample_series",
    "save_beliefs", "sensor_table", "to_grid", "wide",
]  # fmt: skip
