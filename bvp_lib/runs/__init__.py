"""Runs: the stages wired together over a day, a period, or a grid of scenarios.

* :mod:`~bvp_lib.runs.day`: one day end to end (forecast at gate closure, schedule,
  value, commit), the daily report's and every backtest's unit of work;
* :mod:`~bvp_lib.runs.backtest`: the day run for every day of a period under a named,
  resumable run, battery SoC carried over;
* :mod:`~bvp_lib.runs.sweep`: one backtest per scenario of a grid, on Dask.

Runs store their results; :mod:`bvp_lib.reporting` only reads them.
"""
