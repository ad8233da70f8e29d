"""Gradient-boosted trees (LightGBM, or scikit-learn's HistGradientBoosting), one model
per horizon bucket, behind the same interface as the linear model.

Trees see the calendar as ordinal columns (hour, weekday, day type) and find
non-linear effects themselves (a power curve, a temperature-dependent load). Runs are
deterministic: fixed seed, one thread, LightGBM's ``deterministic`` mode.
"""

from __future__ import annotations

import numpy as np

from bvp_lib.forecasting.bucketed import BucketedForecaster
from bvp_lib.forecasting.errors import ForecastingError

BACKENDS = ("lightgbm", "sklearn")
#: objective -> (LightGBM objective, scikit-learn loss)
OBJECTIVES = {"l2": ("regression", "squared_error"), "l1": ("regression_l1", "absolute_error")}


class GradientBoostingForecaster(BucketedForecaster):
    """Gradient-boosted regression trees per horizon bucket.

    Parameters
    ----------
    backend : {"lightgbm", "sklearn"}
        LightGBM or :class:`sklearn.ensemble.HistGradientBoostingRegressor`.
    n_estimators : int
        Boosting rounds.
    learning_rate : float
        Shrinkage per round.
    num_leaves : int
        Leaves per tree.
    min_child_samples : int
        Minimum training rows per leaf.
    seed : int
        Random seed (determinism).
    n_jobs : int
        Threads per fit (1 keeps runs reproducible and leaves parallelism to the caller).
    max_bin : int
        Histogram bins per feature (LightGBM ``max_bin``, scikit-learn ``max_bins``, at
        most 255); fewer bins fit faster.
    objective : {"l2", "l1"}
        Squared error (the conditional mean) or absolute error (the conditional median,
        which minimises MAE and so WAPE).
    **kwargs
        Features and options of :class:`~bvp_lib.forecasting.bucketed.BucketedForecaster`.
    """

    name = "gbm"
    one_hot = False

    def __init__(
        self,
        backend: str = "lightgbm",
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        seed: int = 0,
        n_jobs: int = 1,
        max_bin: int = 255,
        objective: str = "l2",
        **kwargs,
    ):
        if backend not in BACKENDS:
            raise ForecastingError(f"backend must be one of {BACKENDS}, got {backend!r}.")
        if objective not in OBJECTIVES:
            raise ForecastingError(f"objective must be one of {list(OBJECTIVES)}, got {objective!r}.")
        if objective != "l2":  # the parameters (and so the source's hash) of l2 models stay as they were
            kwargs["objective"] = objective
        super().__init__(
            backend=backend, n_estimators=int(n_estimators), learning_rate=float(learning_rate),
            num_leaves=int(num_leaves), min_child_samples=int(min_child_samples), seed=int(seed),
            n_jobs=int(n_jobs), max_bin=int(max_bin), **kwargs,
        )  # fmt: skip
        self.backend = backend
        self.name = "lightgbm" if backend == "lightgbm" else "hist_gradient_boosting"
        self.n_estimators, self.learning_rate = int(n_estimators), float(learning_rate)
        self.num_leaves, self.min_child_samples = int(num_leaves), int(min_child_samples)
        self.seed, self.n_jobs, self.max_bin = int(seed), int(n_jobs), int(max_bin)
        self.objective = objective

    def _fit_matrix(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None):
        if self.backend == "lightgbm":
            import lightgbm as lgb

            params = {
                "objective": OBJECTIVES[self.objective][0],
                "learning_rate": self.learning_rate,
                "num_leaves": self.num_leaves,
                "min_data_in_leaf": self.min_child_samples,
                "seed": self.seed,
                "deterministic": True,
                "force_col_wise": True,
                "num_threads": self.n_jobs,
                "max_bin": self.max_bin,
                "verbosity": -1,
            }
            data = lgb.Dataset(X, y, weight=w, params={"verbosity": -1, "max_bin": self.max_bin})
            return lgb.train(params, data, num_boost_round=self.n_estimators)
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(
            loss=OBJECTIVES[self.objective][1], max_iter=self.n_estimators, learning_rate=self.learning_rate, max_leaf_nodes=self.num_leaves,
            min_samples_leaf=self.min_child_samples, early_stopping=False, random_state=self.seed,
            max_bins=min(self.max_bin, 255),
        ).fit(X, y, sample_weight=w)  # fmt: skip

    def _predict_matrix(self, state, X: np.ndarray) -> np.ndarray:
        if self.backend == "lightgbm":
            return state.predict(X, num_threads=self.n_jobs)
        return state.predict(X)
