"""Every figure of bvp_lib, by report (matplotlib; units on every axis).

* :mod:`~bvp_lib.reporting.figures.common`: colours, the local time axis, headline tiles;
* :mod:`~bvp_lib.reporting.figures.day`: the daily report (prices, schedules, SoC,
  forecasts, owners, the balancing actions table) — also importable from here;
* :mod:`~bvp_lib.reporting.figures.forecast`: forecast accuracy and errors;
* :mod:`~bvp_lib.reporting.figures.period`: a period of days, a backtest run;
* :mod:`~bvp_lib.reporting.figures.sweep`: a scenario sweep;
* :mod:`~bvp_lib.reporting.figures.explore`: the data and the explorers.

Every function takes pandas objects and returns a matplotlib Figure (or a DataFrame),
so notebooks, widgets and tests call the same code.
"""

from bvp_lib.reporting.figures.common import COLORS, headline_html
from bvp_lib.reporting.figures.day import (
    actions_table,
    forecast_figure,
    largest_actions,
    owner_value_figure,
    price_figure,
    schedules_figure,
    soc_figure,
)

__all__ = ["COLORS", "actions_table", "forecast_figure", "headline_html", "largest_actions", "owner_value_figure",
           "price_figure", "schedules_figure", "soc_figure"]  # fmt: skip
