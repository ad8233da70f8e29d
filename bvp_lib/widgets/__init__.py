"""Interactive explorers for JupyterLab: schedules, forecasts and the stored data.

The logic (:mod:`bvp_lib.widgets.logic`) is plain functions from an inputs record to a
view (figures, numbers, or a message saying why not); the widgets
(:mod:`bvp_lib.widgets.ui`) only wire ipywidgets controls to them. So everything an
explorer shows can be computed, tested and timed without a browser.

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

from bvp_lib.widgets.logic import (
    BrowseInputs,
    BrowseView,
    ForecastCache,
    ForecastInputs,
    ForecastView,
    ScheduleCache,
    ScheduleInputs,
    ScheduleView,
    browse_data,
    explore_forecast,
    explore_schedule,
    export_csv,
    list_sensors,
)

__all__ = [
    "BrowseInputs", "BrowseView", "ForecastCache", "ForecastInputs", "ForecastView", "ScheduleCache",
    "ScheduleInputs", "ScheduleView", "browse_data", "data_browser", "explore_forecast", "explore_schedule",
    "export_csv", "forecast_explorer", "list_sensors", "schedule_explorer", "use_zoomable_figures",
]  # fmt: skip


def __getattr__(name: str):
    # the ipywidgets layer is imported on first use, so the logic works without a notebook
    if name in ("schedule_explorer", "forecast_explorer", "data_browser", "use_zoomable_figures"):
        from bvp_lib.widgets import ui

        return getattr(ui, name)
    raise AttributeError(f"module 'bvp_lib.widgets' has no attribute {name!r}")
