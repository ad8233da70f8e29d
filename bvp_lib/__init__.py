"""bvp_lib: the helper package of the BVP workbench.

Data flows one way: files -> database -> forecasts -> schedules -> value -> report.
Each arrow is one stage with a small public API; runs wire the stages together; reports
only read what runs stored; notebooks, widgets and the CLI are thin faces. A module
imports only its own layer and those below (``tests/test_architecture.py`` checks it)::

    config, timing          settings; local days, step hours, date helpers
    market.clock            the market's clock, one source: timezone, gate closure, price publication
    db                      engine (one transaction helper), models, migrations,
                            catalogue (one read of the portfolio; the period the data covers)
    beliefs                 time series in and out: save/load, measurements, one resampler, wide frames
    data                    the bundled data set and importers (files -> database)
    forecasting             targets, weather feed, day-ahead at gate closure, rolling forecasts, evaluation
    scheduling              flexibility models and the LP; inputs of a day, schedules stored as beliefs
    valuation               value of flexibility: planned, realised, perfect foresight, captured share
    runs                    day (one day end to end), backtest (a period), sweep (a grid of scenarios, Dask)
    reporting               runner, index, provenance, figures, daily/backtest/sweep/explore reports
    widgets, cli            the explorers and the ``bvp`` command line

Glossary (every name in bvp_lib follows it)
-------------------------------------------
asset
    A connected installation: solar park, wind turbine, battery, EV charging station,
    building. Belongs to an owner, trades on a market, sits behind a connection point.
sensor
    One time series, named as users type it: an asset's power, a market's price, a
    weather quantity. Its event resolution and unit are the sensor's.
belief
    One value of a sensor: (event start, belief horizon, data source, value).
horizon (belief horizon)
    How long before the event *ended* a value was known: ``belief time = event start +
    resolution − horizon``. > 0 is a forecast, <= 0 a measurement.
issue time (belief time)
    When a forecast or a plan was made. Day-ahead: gate closure on D-1.
issue horizon
    A rule for when forecasts are issued: a fixed horizon (``1h``, ``24h``: every step
    that long before it ends) or ``day-ahead`` (every step of D at gate closure on D-1).
    What ``--horizons`` and ``horizons=`` take.
data source
    Who or what made a belief: a measurement, an import, a forecaster (the model's
    identity), the scheduler.
schedule
    An asset's planned power over a day [MW], made by the scheduler; *planned* on the
    forecasts known at gate closure, *perfect foresight* on what really happened.
baseline
    The assets' power with no flexibility used (idle batteries, cars charged on arrival,
    the forecast load, uncurtailed production). Value is always measured against it.
benchmark
    A reference forecast a learned model must beat (persistence, seasonal naive); not a
    baseline.
value
    The value of flexibility [EUR]: revenue of a schedule minus revenue of the baseline,
    at the day-ahead price (deviations settled at the imbalance price). Not the value of a
    belief, which is just its number.
captured share
    Realised value / perfect-foresight value [-].
order
    A price-quantity curve per delivery period offered to the auction; the clearing price
    picks the accepted quantity, which becomes the plan.
scenario, override
    A run with changed asset parameters (``battery.power_mw: 2``), stored nowhere but in
    the run (:mod:`bvp_lib.scheduling.overrides`, one vocabulary for backtests, sweeps
    and the explorers).

Conventions: timestamps timezone-aware (stored UTC), "the day" is a local day of the
market clock (92, 96 or 100 quarter-hours); power in MW, production positive and
consumption negative; energy in MWh; prices in EUR/MWh; money in EUR.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bvp-workbench")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

from bvp_lib.config import get_settings  # noqa: E402
from bvp_lib.redact import install_log_redaction  # noqa: E402

# every log record (a notebook's, papermill's, a Dask worker's) passes through bvp_lib.redact.mask_text
install_log_redaction()

__all__ = ["__version__", "get_settings"]
