"""Timing helpers: how long a model's fit takes against a bare least-squares solve.

:func:`time_fit_vs_lstsq` builds the training design matrix of a learned model once,
then times (a) building it, (b) the model's whole ``fit`` (features + solve per horizon
bucket), and (c) :func:`numpy.linalg.lstsq` on the same matrix, so the overhead of the
forecasting code over the numerical core can be reported (benchmarks/bench_forecasting.py).
"""

from __future__ import annotations

import contextlib
import time

import numpy as np
import pandas as pd

from bvp_lib.forecasting.base import training_pairs
from bvp_lib.forecasting.bucketed import BucketedForecaster
from bvp_lib.forecasting.errors import ForecastingError
from bvp_lib.forecasting.horizons import DEFAULT_HORIZONS, parse_horizons
from bvp_lib.forecasting.regressors import prepare_regressors
from bvp_lib.forecasting.series import prepare_series
from bvp_lib.market.clock import market_timezone


def single_threaded_blas():
    """Context limiting BLAS to one thread: small least-squares solves are faster and steadier
    that way, and parallelism belongs to the caller (one process per asset). A no-op
    without threadpoolctl (installed with scikit-learn)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def single_threaded():
    """Context limiting every thread pool (BLAS and OpenMP, which LightGBM uses) to one
    thread: for a process that is one worker on one core (a Dask sweep worker). A no-op
    without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _best(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return float(best)


def time_fit_vs_lstsq(
    model: BucketedForecaster,
    history: pd.Series,
    regressors: pd.DataFrame | None = None,
    *,
    horizons=DEFAULT_HORIZONS,
    train_window="30D",
    repeat: int = 3,
    tz: str | None = None,
) -> dict:
    """Seconds for design building, the model's fit, and ``lstsq`` on the same design.

    Parameters
    ----------
    model : BucketedForecaster
        A learned model (linear or gradient boosting).
    history : pandas.Series
        Measured series; the model is fitted at its end.
    regressors : pandas.DataFrame, optional
        Regressor beliefs.
    horizons, train_window :
        As in :meth:`~bvp_lib.forecasting.base.BaseForecaster.fit`.
    repeat : int
        Repetitions; the best time is reported.

    Returns
    -------
    dict
        ``rows``, ``columns`` of the design; ``design_s``, ``fit_s`` (whole fit),
        ``lstsq_s`` (numpy on the prebuilt matrix with an intercept column) [s]; BLAS
        single-threaded, as in :func:`~bvp_lib.forecasting.backtest.rolling_backtest`.
    """
    tz = market_timezone(tz)
    if not isinstance(model, BucketedForecaster):
        raise ForecastingError(f"{model.name} learns no design matrix; time a linear or gradient-boosting model.")
    grid = prepare_series(history, max_gap=model.max_gap)
    cubes = prepare_regressors(regressors)
    specs = parse_horizons(horizons, tz=tz)
    T = grid.end
    b, e = training_pairs(grid, specs, T - pd.Timedelta(train_window).value, T)
    design, y, _ = model.training_matrix(grid, cubes, b, e)
    X1 = np.column_stack([np.ones(len(y)), design.X])
    with single_threaded_blas():  # as in rolling_backtest
        return {
            "rows": int(design.X.shape[0]),
            "columns": int(design.X.shape[1]),
            "design_s": _best(lambda: model.training_matrix(grid, cubes, b, e), repeat),
            "fit_s": _best(lambda: model.clone().fit_prepared(grid, cubes, specs, train_window, T), repeat),
            "lstsq_s": _best(lambda: np.linalg.lstsq(X1, y, rcond=None), repeat),
        }
