"""Scenario sweeps: one backtest per point of a parameter grid, run in parallel on Dask.

* :mod:`~bvp_lib.runs.sweep.spec`: sweep files and their scenarios;
* :mod:`~bvp_lib.runs.sweep.store`: the sweep in the database and its comparison table;
* :mod:`~bvp_lib.runs.sweep.tasks`: the Dask tasks (forecasts per setting, scenarios);
* :mod:`~bvp_lib.runs.sweep.run`: the cluster, the checks and :func:`run_sweep`.
"""

from bvp_lib.runs.sweep.run import SweepResult, check_scenarios, check_workers, connect, ensure_sweep, run_sweep
from bvp_lib.runs.sweep.spec import Scenario, SweepError, SweepSpec, chunks, load_sweep, parse_sweep
from bvp_lib.runs.sweep.store import comparison, is_complete, register, stored_sweep, sweep_axes

__all__ = [
    "Scenario", "SweepError", "SweepResult", "SweepSpec", "check_scenarios", "check_workers", "chunks", "comparison",
    "connect", "ensure_sweep", "is_complete", "load_sweep", "parse_sweep", "register", "run_sweep", "stored_sweep",
    "sweep_axes",
]  # fmt: skip
