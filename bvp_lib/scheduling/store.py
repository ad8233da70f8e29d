"""Schedule one local day of the portfolio and store the schedule as beliefs.

:func:`schedule_day` reads the day's inputs (:func:`bvp_lib.scheduling.inputs.prepare_day`:
forecasts known at gate closure, or realised data for perfect foresight), solves, and
saves each asset's scheduled power as beliefs on the asset's power sensor
(:func:`save_schedule`): with the horizon ``event end − gate closure`` in forecast mode
(it was known then) and the source ``"bvp scheduler"``; with horizon 0 and the source
``"bvp scheduler (perfect foresight)"`` in perfect mode (made after the fact).

Both modes record the solver as the source's ``model`` and ``bvp_lib.__version__`` as
its ``version``. Storing is one transaction that first removes the schedule beliefs of
the same source, sensors and day, so re-running replaces and never duplicates. Nothing
is stored when building or solving fails.

Sign convention: power in MW, **production positive, consumption negative**.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bvp_lib.beliefs import SourceSpec, get_or_create_source, save_beliefs, sensor_table, to_grid
from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.inputs import Bind, DayInputs, EvSessions, Mode, prepare_day
from bvp_lib.scheduling.result import ScheduleResult, summarise
from bvp_lib.timing import day_bounds

SCHEDULER_SOURCE = "bvp scheduler"
PERFECT_SOURCE = "bvp scheduler (perfect foresight)"
ORDERS_SOURCE = "bvp scheduler (orders)"


@dataclass
class DaySchedule:
    """A solved (and possibly stored) schedule of one day.

    Attributes
    ----------
    result : ScheduleResult
        Schedule, SoC, baseline, actions, objective and solver statistics.
    inputs : DayInputs
        The prices, baseline series, assets and info the schedule was made from.
    source : SourceSpec or None
        The data source the schedule was stored under (``None`` when not stored).
    saved_rows : int
        Beliefs written (0 when not stored).
    """

    result: ScheduleResult
    inputs: DayInputs
    source: SourceSpec | None = None
    saved_rows: int = 0

    @property
    def day(self) -> dt.date:
        return self.inputs.day

    @property
    def mode(self) -> str:
        return self.inputs.mode

    @property
    def info(self) -> pd.DataFrame:
        return self.inputs.info

    @property
    def prices(self) -> pd.Series:
        """Prices used [EUR/MWh]."""
        return self.inputs.prices

    @property
    def baseline(self) -> pd.DataFrame:
        """Baseline power per asset [MW] (idle batteries, full-power EV charging, forecast load and production)."""
        return self.result.baseline

    @property
    def schedule(self) -> pd.DataFrame:
        """Scheduled power per asset [MW], production positive."""
        return self.result.schedule

    @property
    def soc(self) -> pd.DataFrame:
        """SoC per battery [MWh] at the start and every step end (not stored in the database)."""
        return self.result.soc

    def summary(self) -> pd.DataFrame:
        """Per asset and in total: energy of baseline and schedule, action energy, value (see :func:`summarise`)."""
        return summarise(self.result, self.info)

    def storage(self) -> pd.DataFrame:
        """Per battery: ``soc_start``, ``soc_end`` [MWh], ``capacity_mwh``, efficiencies (for valuation)."""
        soc = self.result.soc
        bats = [a for a in soc.columns]
        info = self.info.reindex(bats)
        return pd.DataFrame(
            {
                "soc_start": soc.iloc[0].reindex(bats) if len(soc) else np.nan,
                "soc_end": soc.iloc[-1].reindex(bats) if len(soc) else np.nan,
                "capacity_mwh": info["capacity_mwh"],
                "charge_efficiency": info["charge_efficiency"],
                "discharge_efficiency": info["discharge_efficiency"],
            },
            index=pd.Index(bats, name="asset"),
        )


def schedule_beliefs(result: ScheduleResult, inputs: DayInputs, sensor_resolution: dict[str, pd.Timedelta]) -> pd.DataFrame:
    """The scheduled power of every scheduled asset as tidy beliefs on its power sensor.

    Power [MW], production positive, on the sensor's resolution (repeated from coarser
    schedules, averaged from finer ones). Horizon: ``event_start + sensor resolution −
    gate closure`` in forecast mode, 0 in perfect-foresight mode.
    """
    parts = []
    info = inputs.info
    for a in result.schedule.columns:
        sensor = info.loc[a, "sensor"]
        if not isinstance(sensor, str) or not info.loc[a, "scheduled"]:
            continue
        own = sensor_resolution[sensor]
        grid = pd.date_range(inputs.prices.index[0], inputs.prices.index[-1] + inputs.resolution, freq=own,
                             inclusive="left")  # fmt: skip
        s = to_grid(result.schedule[a].rename(sensor), own, grid, own=inputs.resolution)
        if s.isna().any():
            raise SchedulingInputError(f"the schedule of {a} does not fit the {own} steps of sensor {sensor}", asset=a)
        start = s.index
        horizon = (start + own - inputs.belief_time) if inputs.belief_time is not None else pd.TimedeltaIndex(
            np.zeros(len(s), "timedelta64[ns]"))  # fmt: skip
        parts.append(pd.DataFrame({"sensor": sensor, "event_start": start, "belief_horizon": horizon,
                                   "value": s.to_numpy(float)}))  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=["sensor", "event_start", "belief_horizon", "value"])
    return pd.concat(parts, ignore_index=True)


def scheduler_source(mode: Mode, solver: str, strategy: str = "schedule") -> SourceSpec:
    """The data source of stored schedules: name by mode (and strategy: the orders
    strategy's delivered plan is ``"bvp scheduler (orders)"``), the solver as model,
    bvp_lib's version."""
    import bvp_lib

    name = PERFECT_SOURCE if mode == "perfect" else SCHEDULER_SOURCE if strategy == "schedule" else ORDERS_SOURCE
    return SourceSpec(name, "scheduler", model=str(solver), version=bvp_lib.__version__)


def save_schedule(result: ScheduleResult, inputs: DayInputs, *, bind: Bind = None,
                  strategy: str = "schedule") -> tuple[SourceSpec, int]:  # fmt: skip
    """Store a day's schedule as beliefs, replacing the same source's schedule of that day.

    One transaction: the beliefs of the scheduler source (name by mode, solver, version)
    on the scheduled assets' sensors in the day are deleted, then the new ones written.

    Returns
    -------
    source : SourceSpec
    rows : int
        Beliefs written.
    """
    source = scheduler_source(inputs.mode, result.stats.solver, strategy)
    sensors = [s for s, ok in zip(inputs.info["sensor"], inputs.info["scheduled"]) if isinstance(s, str) and ok]
    start, end = day_bounds(inputs.day, inputs.tz)
    with transaction(bind) as conn:
        st = sensor_table(conn, sensors)
        df = schedule_beliefs(result, inputs, dict(zip(st.index, st["resolution"])))
        sid = get_or_create_source(conn, source.name, source.type, source.model, source.version)
        conn.execute(
            sa.text(
                "DELETE FROM timed_beliefs WHERE source_id = :src AND sensor_id = ANY(:ids) "
                "AND event_start >= :start AND event_start < :end"
            ),
            {"src": sid, "ids": [int(x) for x in st["id"]], "start": start.to_pydatetime(), "end": end.to_pydatetime()},
        )
        rows = save_beliefs(df, source=sid, bind=conn)
    return source, rows


def schedule_day(
    day,
    *,
    mode: Mode = "forecast",
    assets: list[str] | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    resolution: str | pd.Timedelta = "15min",
    forecast_source: str | None = None,
    soc_start: dict[str, float] | None = None,
    overrides: dict | None = None,
    save: bool = True,
    bind: Bind = None,
    catalogue: Catalogue | None = None,
    ev_sessions: EvSessions = "forecast",
    complementarity: str = "strict",
) -> DaySchedule:
    """Schedule one local day of the portfolio in the database and store the schedule.

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        Local delivery day (the market's clock): 92, 96 or 100 quarter-hours.
    mode : {"forecast", "perfect"}
        ``"forecast"``: day-ahead forecasts of power and prices known at gate closure
        on D-1. ``"perfect"``: realised power and prices (upper bound).
    assets : list of str, optional
        Asset names; default every asset in the database.
    solver : {"cbc", "highs"}, optional
        Default ``BVP_LP_SOLVER``.
    time_limit : float, optional
        Seconds per solver call.
    mip_gap : float, optional
        Relative MIP gap (when binaries are needed).
    resolution : str or pandas.Timedelta
        Step length Δt of the schedule; must divide an hour. Hourly prices are
        repeated on finer steps.
    forecast_source : str, optional
        Name of the forecaster's data source to use (forecast mode), required when
        several forecasters stored day-ahead forecasts.
    soc_start : dict, optional
        Battery → SoC at the start of the day [MWh]; default ``soc_at_start_mwh``.
    overrides : dict, optional
        A scenario's changes to the stored asset parameters (``{"battery": {"power_mw":
        2.0}}``, see :mod:`bvp_lib.scheduling.overrides`); nothing stored changes.
    save : bool
        Store the schedule as beliefs (one transaction, replacing this source's
        schedule of the day).
    bind : Engine or Connection, optional
    catalogue : Catalogue, optional
        The portfolio as the caller read it (default: read it).
    ev_sessions : {"forecast", "actual"}
        Forecast mode: schedule the charging stations on the sessions forecast at gate
        closure (default), or on the real sessions of the day (``"actual"``: look-ahead,
        for comparison). Perfect mode always uses the real sessions.
    complementarity : {"strict", "intra-step"}
        ``"strict"`` (default): storage never charges and discharges in one step;
        ``"intra-step"``: an inverter may alternate within a step (a pure LP, see
        :mod:`~bvp_lib.scheduling.complementarity`).

    Returns
    -------
    DaySchedule
        ``.result`` (schedule [MW], SoC [MWh], baseline, actions, objective [EUR],
        stats), ``.inputs`` (prices, baseline series, info), ``.source``,
        ``.saved_rows``; ``.summary()`` per asset.

    Raises
    ------
    SchedulingInputError
        Missing forecasts or prices (naming sensor and gap), unknown assets, bad asset
        data — before the solver runs.
    InfeasibleScheduleError
        Naming the asset(s) and constraint family that cannot hold.
    SolverError, UnboundedScheduleError
        Nothing is stored in any of these cases.

    Examples
    --------
    >>> ds = schedule_day("2015-04-12", mode="perfect", solver="cbc")  # doctest: +SKIP
    >>> ds.summary()  # doctest: +SKIP
    """
    inputs = prepare_day(day, mode=mode, assets=assets, resolution=resolution, forecast_source=forecast_source,
                         soc_start=soc_start, overrides=overrides, bind=bind, catalogue=catalogue,
                         ev_sessions=ev_sessions)  # fmt: skip
    from bvp_lib.scheduling.strategy import SWITCHING, check_switching

    result = inputs.build(complementarity=SWITCHING[check_switching(complementarity)]).solve(solver, time_limit, mip_gap)
    out = DaySchedule(result=result, inputs=inputs)
    if save:
        out.source, out.saved_rows = save_schedule(result, inputs, bind=bind)
    return out
