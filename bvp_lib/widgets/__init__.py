"""Interactive explorers for JupyterLab: schedules, forecasts and the stored data.

The logic is plain functions from an inputs record to a view (figures, numbers, or a
message saying why not), one module per explorer: :mod:`~bvp_lib.widgets.schedule`,
:mod:`~bvp_lib.widgets.forecast`, :mod:`~bvp_lib.widgets.browse` (and what they share,
:mod:`~bvp_lib.widgets.common`); the widgets (:mod:`bvp_lib.widgets.ui`) only wire
ipywidgets controls to them. So everything an explorer shows can be computed, tested and
timed without a browser. Everything below is importable from ``bvp_lib.widgets``.

Example (in a notebook)
-----------------------
>>> from bvp_lib.widgets import schedule_explorer, ScheduleInputs, ScheduleCache, explore_schedule
>>> schedule_explorer("2015-04-12")                                   # doctest: +SKIP
>>> view = explore_schedule(ScheduleInputs(day="2015-04-12", battery_power_mw=2.0),
...                         cache=ScheduleCache())                    # doctest: +SKIP
>>> view.values["value_eur"], view.message                            # doctest: +SKIP

Power in MW (production positive, consumption negative), energy and SoC in MWh, prices
in EUR/MWh, money in EUR.
"""

from bvp_lib.scheduling.strategy import SOLVER_CHOICES, default_solver, solve_schedule
from bvp_lib.widgets.browse import (
    BrowseInputs,
    BrowseView,
    browse_data,
    export_csv,
    export_path,
    list_sensors,
    load_frame,
    summary_statistics,
)
from bvp_lib.widgets.common import (
    DEFAULT_DAY,
    DEFAULT_EXPORT_DIR,
    EXPECTED_ERRORS,
    View,
    detach,
    error_message,
    figure_png,
    parse_day,
    parse_number,
)
from bvp_lib.widgets.forecast import (
    ForecastCache,
    ForecastInputs,
    ForecastView,
    compute_forecast,
    explore_forecast,
    forecast_metrics,
    forecast_metrics_html,
    forecast_options,
    forecastable,
    series_info,
)
from bvp_lib.widgets.schedule import (
    ScheduleCache,
    ScheduleInputs,
    ScheduleView,
    explore_schedule,
    explorer_overrides,
    schedule_values_html,
    stored_settings,
)

__all__ = [
    "DEFAULT_DAY", "DEFAULT_EXPORT_DIR", "EXPECTED_ERRORS", "SOLVER_CHOICES", "BrowseInputs", "BrowseView",
    "ForecastCache", "ForecastInputs", "ForecastView", "ScheduleCache", "ScheduleInputs", "ScheduleView", "View",
    "browse_data", "compute_forecast", "data_browser", "detach", "figure_png", "default_solver", "error_message", "explore_forecast",
    "explore_schedule", "explorer_overrides", "export_csv", "export_path", "forecast_explorer", "forecast_metrics",
    "forecast_metrics_html", "forecast_options", "forecastable", "list_sensors", "load_frame", "parse_day",
    "parse_number", "schedule_explorer", "schedule_values_html", "series_info", "solve_schedule", "stored_settings",
    "summary_statistics", "use_zoomable_figures",
]  # fmt: skip


def __getattr__(name: str):
    # the ipywidgets layer is imported on first use, so the logic works without a notebook
    if name in ("schedule_explorer", "forecast_explorer", "data_browser", "use_zoomable_figures"):
        from bvp_lib.widgets import ui

        return getattr(ui, name)
    raise AttributeError(f"module 'bvp_lib.widgets' has no attribute {name!r}")
