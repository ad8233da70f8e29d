"""Forecasting: each asset's uncontrolled power and the day-ahead price, as beliefs.

Pure pandas in, pandas out (no database, no CLI). Power in MW, **production positive,
consumption negative**; prices in EUR/MWh; timestamps tz-aware (UTC out).

Models share one interface (:class:`Forecaster`: ``fit(history, regressors, ...)``,
``predict(belief_time, event_starts, history=...)``, ``source()``):

* benchmarks (:mod:`~bvp_lib.forecasting.benchmarks`): :class:`Persistence`,
  :class:`SeasonalNaive` (daily, weekly);
* :class:`LinearForecaster` (:mod:`~bvp_lib.forecasting.linear`): ridge regression on
  lags, calendar, weather forecasts and physical features (pvlib irradiance, windpowerlib
  power curve, :mod:`~bvp_lib.forecasting.physical`);
* :class:`GradientBoostingForecaster` (:mod:`~bvp_lib.forecasting.gbm`): LightGBM.

Schedules (:mod:`~bvp_lib.forecasting.horizons`): fixed horizons and day-ahead at gate
closure (:func:`day_ahead_issue_times`). What a forecast at belief time ``b`` reads: lags of
every value whose stored belief time is at or before ``b`` (a day-ahead price from its
publication, so all of D-1 at gate closure; :func:`prepare_series` with ``known_at``),
regressor forecasts known at ``b``, parameters fitted on data before ``b``. Evaluation: :func:`rolling_backtest` then
:func:`evaluate`. Measured weather becomes forecasts with :func:`derive_weather_forecasts`.
Model choice per asset type: ``parameters/forecasting.yaml`` via :func:`models_for`.

EV charging sessions are forecast apart (:mod:`~bvp_lib.forecasting.sessions`: arrivals,
energy and dwell per station and arrival window, from the sessions ended by gate closure;
an expected-sessions day and seeded scenarios), scored with CRPS and pinball loss
(:mod:`~bvp_lib.forecasting.session_scores`).

The database side lives apart, imported explicitly, one module per concept:
:mod:`~bvp_lib.forecasting.targets` (what to forecast, from the catalogue),
:mod:`~bvp_lib.forecasting.weather_feed` (weather forecasts as beliefs, derived once per issue
or from a real archive), :mod:`~bvp_lib.forecasting.system_feed` (the market's system
fundamentals' day-ahead forecasts as price regressors),
:mod:`~bvp_lib.forecasting.day_ahead` (forecasts at gate closure, and what the
scheduler reads; ``bvp forecast day-ahead``), :mod:`~bvp_lib.forecasting.rolling`
(rolling-origin forecasts over a period; ``bvp forecast``),
:mod:`~bvp_lib.forecasting.session_feed` (session forecasts at gate closure, their
scenarios and scores) and :mod:`~bvp_lib.forecasting.evaluation` (accuracy of stored
forecasts and of the session forecasts; ``bvp forecast evaluate``). Figures are in :mod:`bvp_lib.reporting.figures.forecast`.

Example
-------
>>> from bvp_lib import forecasting as fc
>>> models = fc.models_for("solar", site={"latitude": 52.5, "longitude": 13.4})  # doctest: +SKIP
>>> weather = fc.derive_weather_forecasts(measured_weather, seed=2015)  # doctest: +SKIP
>>> f = fc.rolling_backtest(pv, models, start="2015-03-01", end="2015-04-01",
...                         regressors=weather)  # doctest: +SKIP
>>> fc.evaluate(f, pv)  # doctest: +SKIP
"""

from bvp_lib.forecasting.backtest import FORECAST_COLUMNS, rolling_backtest, to_beliefs
from bvp_lib.forecasting.base import (
    BELIEF_COLUMNS,
    BaseForecaster,
    Forecaster,
    SourceIdentity,
    beliefs_frame,
)
from bvp_lib.forecasting.benchmarks import Persistence, SeasonalNaive, default_benchmarks
from bvp_lib.forecasting.config import (
    backtest_settings,
    load_parameters,
    make_model,
    models_for,
    models_for_asset,
    site_of,
    weather_roles,
    weather_settings,
)
from bvp_lib.forecasting.errors import (
    ConstantSeriesError,
    ForecastingError,
    GapError,
    GapFilledWarning,
    HorizonError,
    InsufficientHistoryError,
    IrregularSeriesError,
    NaiveTimestampsError,
    NotFittedError,
    RegressorError,
)
from bvp_lib.forecasting.gbm import GradientBoostingForecaster
from bvp_lib.forecasting.horizons import (
    DAY_AHEAD,
    DEFAULT_HORIZONS,
    DayAhead,
    FixedHorizon,
    day_ahead_issue_times,
    parse_horizons,
)
from bvp_lib.forecasting.linear import LinearForecaster, ridge_fit
from bvp_lib.forecasting.metrics import bias, evaluate, mae, rmse, wape
from bvp_lib.forecasting.profiling import time_fit_vs_lstsq
from bvp_lib.forecasting.regressors import prepare_regressors
from bvp_lib.forecasting.series import SeriesGrid, prepare_series
from bvp_lib.forecasting.weather import WeatherErrorSpec, derive_weather_forecasts

__all__ = [
    "BELIEF_COLUMNS", "DAY_AHEAD", "DEFAULT_HORIZONS", "FORECAST_COLUMNS",
    "BaseForecaster", "ConstantSeriesError", "DayAhead", "FixedHorizon", "Forecaster",
    "ForecastingError", "GapError", "GapFilledWarning", "GradientBoostingForecaster",
    "HorizonError", "InsufficientHistoryError", "IrregularSeriesError", "LinearForecaster",
    "NaiveTimestampsError", "NotFittedError", "Persistence", "RegressorError", "SeasonalNaive",
    "SeriesGrid", "SourceIdentity", "WeatherErrorSpec",
    "backtest_settings", "beliefs_frame", "bias", "day_ahead_issue_times", "default_benchmarks",
    "derive_weather_forecasts", "evaluate", "load_parameters", "mae", "make_model", "models_for", "models_for_asset",
    "parse_horizons", "prepare_regressors", "prepare_series", "ridge_fit", "rmse", "rolling_backtest",
    "site_of", "time_fit_vs_lstsq", "to_beliefs", "wape", "weather_roles", "weather_settings",
]  # fmt: skip
