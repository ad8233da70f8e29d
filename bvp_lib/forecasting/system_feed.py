"""The system fundamentals' forecasts as regressors of the price models.

A market may have system sensors (``kind = 'system'`` in the catalogue; the 2018 set's
``de_load_proxy``, ``de_wind``, ``de_solar``, ``de_residual_load`` [MW]): their measurements
and, stored apart as beliefs of a forecaster, their day-ahead forecasts (the 2018 set:
source ``system day-ahead forecast``, issued 09:00 local on D-1 for every hour of D, so
known three hours before gate closure). A price model lists the fundamentals it reads by
role (``fundamentals: [residual_load]`` in ``parameters/forecasting.yaml``); the roles are
mapped to the market's sensors (:func:`~bvp_lib.forecasting.config.system_roles`), and a
market without them (the 2015 set) gets the same model without that family.

:func:`system_cubes` reads those forecasts as
:class:`~bvp_lib.forecasting.regressors.RegressorCube` (only beliefs known at
``known_before`` when given; a model reads, per pair, only what is known at its belief
time: :meth:`~bvp_lib.forecasting.regressors.RegressorCube.lookup_latest_day`).
Measurements of the fundamentals are never read as regressors.

Units: MW (positive quantities of the national system).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from bvp_lib.beliefs import load_beliefs
from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.forecasting.config import parameters_of, system_settings
from bvp_lib.forecasting.errors import RegressorError
from bvp_lib.forecasting.regressors import RegressorCube, prepare_regressors
from bvp_lib.forecasting.targets import needed_fundamentals


def system_cubes(conn, targets_models: Sequence, start, end, parameters: dict | str | None = None, *,
                 known_before=None, catalogue: Catalogue | None = None) -> dict[str, RegressorCube]:  # fmt: skip
    """The stored day-ahead forecasts of the fundamentals the models read, as regressor cubes.

    Parameters
    ----------
    conn : Connection
        The caller's transaction.
    targets_models : sequence of (Target, models)
        What is forecast and by which models (only ``fundamentals`` families count).
    start, end : tz-aware timestamp
        Events to cover (the training window and its lags, and the forecast events).
    parameters : dict or path, optional
        Forecasting parameters (``system_forecasts.source``: the data source name).
    known_before : tz-aware timestamp, optional
        Read only forecasts known by then (a day-ahead issue: gate closure).
    catalogue : Catalogue, optional
        The portfolio (which sensors are system fundamentals).

    Returns
    -------
    dict of str to RegressorCube
        One per fundamental sensor read [MW]; empty when no model reads any.

    Raises
    ------
    RegressorError
        A fundamental that is not a system sensor, or has no stored forecasts in the period.
    """
    need: list[str] = []
    for _, ms in targets_models:
        need += needed_fundamentals(ms)
    need = list(dict.fromkeys(need))
    if not need:
        return {}
    system = read_catalogue(conn, catalogue).system
    unknown = [s for s in need if s not in system.index]
    if unknown:
        raise RegressorError(
            f"the price models read fundamentals {unknown}, which are not system sensors of a market (the database "
            f"has {sorted(system.index) or 'none'}); load them (`bvp db populate --year 2018`) or change "
            "`fundamentals` of the price models in parameters/forecasting.yaml."
        )
    source = system_settings(parameters_of(parameters))["source"]
    df = load_beliefs(need, start, end, sources=[source], source_types=["forecaster"], known_before=known_before,
                      bind=conn)  # fmt: skip
    df = df[df["belief_horizon"] > pd.Timedelta(0)]
    empty = [s for s in need if not (df["sensor"] == s).any()]
    if empty:
        a, b = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
        raise RegressorError(
            f"no forecasts of the fundamentals {empty} from source {source!r} between {a:%Y-%m-%d %H:%M} and "
            f"{b:%Y-%m-%d %H:%M} UTC" + (f" known by {pd.Timestamp(known_before):%Y-%m-%d %H:%M %Z}" if known_before
                                          is not None else "")
            + "; load them (`bvp db populate --data --year 2018`) or set `system_forecasts: {source: ...}` in "
            "parameters/forecasting.yaml."
        )  # fmt: skip
    return prepare_regressors(df[["sensor", "event_start", "belief_horizon", "source", "value"]]) or {}
