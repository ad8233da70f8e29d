"""The explorers' callbacks and figures: plain functions, no widgets.

Every explorer is one function from a frozen *inputs* record to a *view*:

* :func:`explore_schedule` (:class:`ScheduleInputs` → :class:`ScheduleView`): schedule
  one local day of chosen assets with changed battery power and energy, building
  shiftable share and connection capacity; schedule, SoC and value figures.
* :func:`explore_forecast` (:class:`ForecastInputs` → :class:`ForecastView`): one
  asset's (or market's) forecast for one day, model and horizon against the actual,
  with the error shaded and MAE, RMSE, WAPE and bias.
* :func:`browse_data` (:class:`BrowseInputs` → :class:`BrowseView`): any asset, market
  or weather sensor over a period, with summary statistics; :func:`export_csv` writes
  the shown frame.

A view never raises for input that makes no sense (end before start, a negative
capacity, an unknown asset, an infeasible schedule, missing data): it comes back with
``message`` set, no figures, and the error logged. :mod:`bvp_lib.widgets.ui` only wires
ipywidgets to these functions and shows ``message`` in an HTML widget.

Database reads are cached: a :class:`ScheduleCache` reads a day's prices, series and
assets once per (day, assets, mode, resolution); every further change only rebuilds
and solves the LP. A :class:`ForecastCache` keeps each (asset, model, horizon, day)
forecast and the history it came from.

Units and signs as everywhere in BVP: power [MW] with **production positive,
consumption negative**; energy and SoC [MWh]; prices [EUR/MWh]; money [EUR]. Figures
show local time in the market's timezone (``BVP_TIMEZONE``); frames are indexed by
event start in UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bvp_lib.beliefs import load_beliefs
from bvp_lib.db.engine import transaction
from bvp_lib.reporting.figures import COLORS, actions_table
from bvp_lib.scheduling.assets import Battery, Building, ConnectionPoint
from bvp_lib.scheduling.errors import SolverError
from bvp_lib.timing import as_date, day_bounds, day_index

log = logging.getLogger(__name__)

Bind = Engine | Connection | None
Number = float | int | str | None

DEFAULT_DAY = "2015-04-12"
DEFAULT_EXPORT_DIR = "reports/exports"
#: errors whose message is meant for the user (bad input, no data, infeasible schedule)
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ValueError, KeyError, SolverError)


def _tz() -> str:
    from bvp_lib.config import get_settings

    return get_settings().timezone


def error_message(err: BaseException) -> str:
    """The message a widget shows for an error (never a traceback).

    Expected errors (bad input, missing data, an infeasible schedule: ``ValueError``
    and its kin, :class:`~bvp_lib.scheduling.SolverError`) show their own text; anything
    else is named as unexpected, with its type, and logged with the traceback.
    """
    text = str(err).strip().strip("'\"") or type(err).__name__
    if isinstance(err, EXPECTED_ERRORS):
        return text
    log.error("unexpected error in a widget callback", exc_info=err)
    return f"unexpected error ({type(err).__name__}): {text}"


def parse_number(value: Number, what: str, *, minimum: float | None = None, maximum: float | None = None,
                 strictly_above: bool = False) -> float | None:  # fmt: skip
    """A number from a widget field: ``None`` or blank means "as stored".

    Parameters
    ----------
    value : float, int, str or None
        What the user entered.
    what : str
        Name and unit of the field for the message (``"battery power [MW]"``).
    minimum, maximum : float, optional
        Allowed range (inclusive, unless ``strictly_above`` for the minimum).
    strictly_above : bool
        The value must be strictly above ``minimum``.

    Returns
    -------
    float or None

    Raises
    ------
    ValueError
        Not a number, not finite, or out of range; the message names the field.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        x = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a number (leave it blank to use the stored value)") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    if minimum is not None and (x < minimum or (strictly_above and x <= minimum)):
        raise ValueError(f"{what} must be {'above' if strictly_above else 'at least'} {minimum:g}, not {x:g}")
    if maximum is not None and x > maximum:
        raise ValueError(f"{what} must be at most {maximum:g}, not {x:g}")
    return x


def parse_day(value, what: str = "day") -> dt.date:
    """A local calendar day from a date or ``YYYY-MM-DD``; ``ValueError`` naming the field otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"pick a {what} (YYYY-MM-DD)")
    try:
        return as_date(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date; write it as YYYY-MM-DD") from None


SOLVER_CHOICES = ("auto", "highs", "cbc")


def _has_highs() -> bool:
    try:
        import highspy  # noqa: F401

        return True
    except ImportError:
        return False


def default_solver() -> str:
    """The explorer's default: ``"auto"`` when highspy imports (see :func:`solve_schedule`),
    else the configured solver (``BVP_LP_SOLVER``)."""
    if _has_highs():
        return "auto"
    from bvp_lib.config import get_settings

    return get_settings().lp_solver


def solve_schedule(assets: list, prices: pd.Series, connection_points: list[ConnectionPoint], *,
                   resolution: pd.Timedelta | str | None = None, solver: str = "auto",
                   time_limit: float | None = None):  # fmt: skip
    """Build and solve a schedule the fastest exact way for an interactive answer.

    ``solver="highs"`` or ``"cbc"``: :func:`~bvp_lib.scheduling.build_problem` then
    ``solve(solver)`` (HiGHS through the sparse-matrix path), binaries where needed
    (``complementarity="auto"``).

    ``solver="auto"``: first the LP **without** binaries (``complementarity="lp"``) on
    HiGHS through the sparse-matrix path — a few milliseconds. When no storage charges
    and discharges in the same step, that schedule is feasible for the full MIP and, the
    LP being its relaxation, optimal: it is returned. Otherwise (lossy storage burning
    energy at negative prices or at a binding export limit) the problem is rebuilt with
    binaries where needed and solved with Cbc, which solves these small MIPs several
    times faster than HiGHS (``benchmarks/bench_widgets.py`` prints both). Without
    highspy, the configured solver does both steps.

    Returns
    -------
    ScheduleResult

    Raises
    ------
    SchedulingInputError, InfeasibleScheduleError, SolverError
        As :meth:`~bvp_lib.scheduling.Problem.solve`.
    """
    from bvp_lib.scheduling.problem import build_problem

    solver = str(solver).lower()
    if solver not in SOLVER_CHOICES:
        raise ValueError(f"solver {solver!r} is not supported; use one of {', '.join(SOLVER_CHOICES)}")
    if solver != "auto":
        return build_problem(assets, prices, connection_points, resolution=resolution).solve(solver, time_limit)
    if _has_highs():
        lp_solver, mip_solver = "highs", "cbc"
    else:
        from bvp_lib.config import get_settings

        lp_solver = mip_solver = get_settings().lp_solver
    first = build_problem(assets, prices, connection_points, resolution=resolution, complementarity="lp")
    result = first.solve(lp_solver, time_limit)
    if result.stats.simultaneous_steps == 0:
        return result
    return build_problem(assets, prices, connection_points, resolution=resolution).solve(mip_solver, time_limit)


class _LRU:
    """A small least-recently-used mapping with hit and miss counters."""

    def __init__(self, maxsize: int):
        self.maxsize = int(maxsize)
        self.data: OrderedDict = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        if key in self.data:
            self.hits += 1
            self.data.move_to_end(key)
            return self.data[key]
        self.misses += 1
        value = make()  # a failure is not cached: the next call tries again
        self.data[key] = value
        while len(self.data) > self.maxsize:
            self.data.popitem(last=False)
        return value

    def clear(self) -> None:
        self.data.clear()


@dataclass
class View:
    """What an explorer shows: figures, or a message saying why not.

    Attributes
    ----------
    message : str or None
        Why there is nothing to show (bad input, no data, infeasible); ``None`` when fine.
    notes : list of str
        Remarks that do not stop the view (a stored value was overridden, a solver hit
        its time limit, where a forecast came from).
    figures : dict of str to matplotlib.figure.Figure
        Named figures (empty when ``message`` is set).
    timings : dict of str to float
        Seconds spent per step (``load``, ``solve``, ``figures``, ``total``, ...).
    """

    message: str | None = None
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the view holds a result (no ``message``)."""
        return self.message is None

    def close(self) -> None:
        """Close the figures (free their memory; call before dropping a view)."""
        for fig in self.figures.values():
            plt.close(fig)


# =======================================================================================
# schedule explorer


@dataclass(frozen=True)
class ScheduleInputs:
    """What the schedule explorer schedules (one local day).

    Numbers may come as text from a widget; ``None`` or blank means "as stored in the
    database". Overrides apply to every asset of the kind in the selection.

    Attributes
    ----------
    day : date or str
        Local delivery day (``BVP_TIMEZONE``), ``YYYY-MM-DD``.
    assets : tuple of str, optional
        Asset names; ``None`` means every asset in the database.
    mode : {"perfect", "forecast"}
        ``"perfect"``: realised power and prices (perfect foresight); ``"forecast"``:
        the day-ahead forecasts stored by the forecaster, known at gate closure.
    battery_power_mw : float, optional
        Charging and discharging power limit of every battery [MW], ≥ 0.
    battery_energy_mwh : float, optional
        Energy capacity of every battery [MWh], > 0. The stored SoC at start, SoC
        bounds and target scale with it: ``soc' = soc × E' / E``.
    shiftable_share : float, optional
        Share φ of every building's load that may move in time [-], in [0, 1].
    connection_capacity_mw : float, optional
        Import and export limit of every connection point [MW], ≥ 0 (production of
        producers that cannot be curtailed is still taken off the export side and
        added to the import side).
    solver : {"auto", "highs", "cbc"}, optional
        ``None``: :func:`default_solver`. ``"auto"``: the LP on HiGHS (sparse-matrix
        path), the MIP on Cbc only when binaries are needed (:func:`solve_schedule`).
    resolution : str
        Step length Δt of the schedule (divides an hour).
    time_limit : float, optional
        Seconds per solver call; a MIP stopped by it returns its best schedule (noted).
    """

    day: dt.date | str = DEFAULT_DAY
    assets: tuple[str, ...] | None = None
    mode: str = "perfect"
    battery_power_mw: Number = None
    battery_energy_mwh: Number = None
    shiftable_share: Number = None
    connection_capacity_mw: Number = None
    solver: str | None = None
    resolution: str = "15min"
    time_limit: float | None = 1.5

    def replace(self, **changes) -> ScheduleInputs:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass
class Overrides:
    """Validated overrides of :class:`ScheduleInputs` (``None`` = as stored)."""

    battery_power_mw: float | None = None
    battery_energy_mwh: float | None = None
    shiftable_share: float | None = None
    connection_capacity_mw: float | None = None

    @classmethod
    def parse(cls, state: ScheduleInputs) -> Overrides:
        """Check the numbers of ``state``; ``ValueError`` naming the field otherwise."""
        return cls(
            battery_power_mw=parse_number(state.battery_power_mw, "battery power [MW]", minimum=0.0),
            battery_energy_mwh=parse_number(state.battery_energy_mwh, "battery energy [MWh]", minimum=0.0,
                                            strictly_above=True),  # fmt: skip
            shiftable_share=parse_number(state.shiftable_share, "building shiftable share [-]", minimum=0.0,
                                         maximum=1.0),  # fmt: skip
            connection_capacity_mw=parse_number(state.connection_capacity_mw, "connection capacity [MW]",
                                                minimum=0.0),  # fmt: skip
        )


class _Cache:
    """An LRU in front of the database: ``loads`` counts database reads, ``hits`` answers from memory."""

    def __init__(self, bind: Bind = None, maxsize: int = 16):
        self.bind = bind
        self._lru = _LRU(maxsize)

    @property
    def loads(self) -> int:
        """Database reads so far."""
        return self._lru.misses

    @property
    def hits(self) -> int:
        """Answers from memory so far."""
        return self._lru.hits

    def clear(self) -> None:
        """Forget everything (the next call reads the database again)."""
        self._lru.clear()


class ScheduleCache(_Cache):
    """The database side of the schedule explorer, read once per (day, assets, mode, resolution).

    Holds :class:`~bvp_lib.scheduling.store.DayInputs` (prices, baseline series, asset
    objects, connection points, info) from
    :func:`~bvp_lib.scheduling.store.prepare_day`. ``loads`` counts database reads,
    ``hits`` answers from memory.

    Parameters
    ----------
    bind : Engine or Connection, optional
        Database (default: the configured engine).
    maxsize : int
        Days kept (least recently used dropped first).
    """

    def day_inputs(self, day, assets: Sequence[str] | None, mode: str = "perfect", resolution: str = "15min"):
        """The day's inputs, from memory when read before.

        Raises
        ------
        SchedulingInputError
            Unknown assets, missing series or prices for the day (nothing is cached).
        """
        from bvp_lib.scheduling.store import prepare_day

        d = as_date(day)
        key = (d, tuple(assets) if assets is not None else None, mode, str(pd.Timedelta(resolution)))
        return self._lru.get(
            key, lambda: prepare_day(d, mode=mode, assets=list(assets) if assets is not None else None,
                                     resolution=resolution, bind=self.bind)  # fmt: skip
        )


@dataclass
class ScheduleView(View):
    """The schedule explorer's answer.

    Attributes
    ----------
    inputs : ScheduleInputs
    result : ScheduleResult or None
        Schedule [MW], SoC [MWh], baseline, actions, objective [EUR], solver stats.
    values : dict of str to float
        ``schedule_revenue_eur`` = Σ_t π_t Δt Σ_a P[a, t], ``baseline_revenue_eur``
        (no flexibility used) and ``value_eur`` = their difference [EUR].
    summary : pandas.DataFrame or None
        Per asset and total: baseline and schedule energy, action energy [MWh], value
        [EUR] (:func:`~bvp_lib.scheduling.store.summarise`).
    actions : pandas.DataFrame or None
        Balancing actions as periods (:func:`~bvp_lib.reporting.figures.actions_table`).
    """

    inputs: ScheduleInputs | None = None
    result: Any = None
    values: dict[str, float] = field(default_factory=dict)
    summary: pd.DataFrame | None = None
    actions: pd.DataFrame | None = None


def apply_overrides(day_inputs, overrides: Overrides) -> tuple[list, list[ConnectionPoint], list[str]]:
    """The day's asset objects and connection points with the overrides applied.

    Pure: the cached :class:`~bvp_lib.scheduling.store.DayInputs` stay unchanged.

    * battery power P: ``charge_power = discharge_power = P`` [MW];
    * battery energy E': capacity E' and the SoC at start, SoC bounds and target scaled
      by E'/E [MWh] (same state as a share of the capacity);
    * shiftable share φ: every building's ``flexible_share`` [-];
    * connection capacity C: import and export limit C [MW] of every connection point,
      with the production of producers that cannot be curtailed taken off the export
      and added to the import side (as :func:`~bvp_lib.scheduling.store.portfolio_from_db`
      does with the stored capacities).

    Returns
    -------
    assets : list
    connection_points : list of ConnectionPoint
    notes : list of str
        What was changed, for the view.
    """
    notes: list[str] = []
    out = []
    for a in day_inputs.assets:
        if isinstance(a, Battery):
            changes: dict[str, Any] = {}
            if overrides.battery_power_mw is not None:
                changes.update(charge_power=overrides.battery_power_mw, discharge_power=overrides.battery_power_mw)
            if overrides.battery_energy_mwh is not None:
                k = overrides.battery_energy_mwh / a.capacity
                changes.update(
                    capacity=overrides.battery_energy_mwh, soc_start=a.soc_start * k, soc_min=a.soc_min * k,
                    soc_max=None if a.soc_max is None else a.soc_max * k,
                    soc_target=None if a.soc_target is None else a.soc_target * k,
                )  # fmt: skip
            a = dataclasses.replace(a, **changes) if changes else a
        elif isinstance(a, Building) and overrides.shiftable_share is not None:
            a = dataclasses.replace(a, flexible_share=overrides.shiftable_share)
        out.append(a)
    n_bat = sum(isinstance(a, Battery) for a in out)
    n_bld = sum(isinstance(a, Building) for a in out)
    if overrides.battery_power_mw is not None:
        notes.append(f"battery power {overrides.battery_power_mw:g} MW" + ("" if n_bat else " (no battery selected)"))
    if overrides.battery_energy_mwh is not None:
        notes.append(f"battery energy {overrides.battery_energy_mwh:g} MWh" + ("" if n_bat else " (no battery selected)"))
    if overrides.shiftable_share is not None:
        notes.append(f"shiftable share {overrides.shiftable_share:g}" + ("" if n_bld else " (no building selected)"))
    points = list(day_inputs.connection_points)
    if overrides.connection_capacity_mw is not None:
        c = overrides.connection_capacity_mw
        info = day_inputs.info
        fixed_assets = info.index[~info["scheduled"].astype(bool)]
        new = []
        for cp in points:
            fixed = [a for a in fixed_assets if info.loc[a, "connection_point"] == cp.name and a in day_inputs.baseline]
            if fixed:
                prod = day_inputs.baseline[fixed].sum(axis=1).reindex(day_inputs.prices.index)
                new.append(dataclasses.replace(cp, import_capacity=c + prod, export_capacity=c - prod))
            else:
                new.append(dataclasses.replace(cp, import_capacity=c, export_capacity=c))
        points = new
        notes.append(f"connection capacity {c:g} MW" + ("" if points else " (no connection point in the selection)"))
    return out, points, notes


def stored_settings(day_inputs) -> dict[str, str]:
    """What the database holds for the explorer's overridable fields, as short texts.

    Keys ``battery_power_mw``, ``battery_energy_mwh``, ``shiftable_share``,
    ``connection_capacity_mw``; values such as ``"5 MW"`` or ``"0.2, 0.3"`` (one per
    asset or connection point, repeated values once), ``"none"`` when the selection has
    no such asset.
    """

    def fmt(values, unit: str = "") -> str:
        vals = list(dict.fromkeys(f"{float(v):g}" for v in values if v is not None and not pd.isna(v)))
        return (", ".join(vals[:4]) + (" …" if len(vals) > 4 else "") + (f" {unit}" if unit else "")) if vals else "none"

    bats = [a for a in day_inputs.assets if isinstance(a, Battery)]
    blds = [a for a in day_inputs.assets if isinstance(a, Building)]

    def cap(c):
        return c if c is None or np.isscalar(c) else None  # a time-varying limit is not one number

    cps = [v for cp in day_inputs.connection_points for v in (cap(cp.import_capacity), cap(cp.export_capacity))]
    return {
        "battery_power_mw": fmt([a.charge_power for a in bats], "MW"),
        "battery_energy_mwh": fmt([a.capacity for a in bats], "MWh"),
        "shiftable_share": fmt([a.flexible_share for a in blds]),
        "connection_capacity_mw": fmt(cps, "MW") if cps else "none",
    }


def explorer_figure(result, summary: pd.DataFrame, *, capacity: pd.Series | None = None, tz: str = "Europe/Berlin",
                    max_assets: int = 12):  # fmt: skip
    """One figure of a solved schedule, laid out for a fast redraw on every change.

    Panels: one per asset, schedule against baseline [MW] (production positive,
    consumption negative); then the SoC per battery [MWh] (capacity dotted) and the
    value per asset against the baseline [EUR], side by side. Same colours and axes as
    the daily report's :func:`~bvp_lib.reporting.figures.schedules_figure` and
    :func:`~bvp_lib.reporting.figures.soc_figure`, but with a fixed layout: their
    ``tight_layout`` costs about 0.2 s per figure, a third of a change's budget.

    Parameters
    ----------
    result : ScheduleResult
    summary : pandas.DataFrame
        Per asset (and ``"total"``) with ``value_eur`` (:func:`~bvp_lib.scheduling.store.summarise`).
    capacity : pandas.Series, optional
        Energy capacity per battery [MWh].
    tz : str
        Timezone of the time axis.
    max_assets : int
        Panels drawn at most (the first assets).
    """
    cols = list(result.schedule.columns)[:max_assets]
    rows = int(np.ceil(len(cols) / 2)) or 1
    fig = plt.figure(figsize=(11, 2.0 * rows + 2.6))
    gs = fig.add_gridspec(rows + 1, 2, height_ratios=[1.0] * rows + [1.3], left=0.08, right=0.98, top=0.95,
                          bottom=0.09, hspace=0.55, wspace=0.28)  # fmt: skip
    idx = result.schedule.index.tz_convert(tz)
    fmt = mdates.DateFormatter("%H:%M", tz=tz)
    first = None
    for i, a in enumerate(cols):
        ax = fig.add_subplot(gs[i // 2, i % 2], sharex=first)
        first = first or ax
        ax.step(idx, result.baseline[a].to_numpy(float), where="post", color=COLORS["baseline"], label="baseline")
        ax.step(idx, result.schedule[a].to_numpy(float), where="post", color=COLORS["schedule"], label="schedule")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(a, fontsize=9)
        ax.set_ylabel("power [MW]")
        ax.xaxis.set_major_formatter(fmt)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7, loc="best")
        if i >= len(cols) - 2:
            ax.set_xlabel(f"time [{tz}]")
    ax = fig.add_subplot(gs[rows, 0])
    soc = result.soc
    if soc.empty:
        ax.text(0.5, 0.5, "no storage in this selection", ha="center", va="center", transform=ax.transAxes)
    for b in soc.columns:
        line = ax.plot(soc.index.tz_convert(tz), soc[b].to_numpy(float), label=b)[0]
        if capacity is not None and b in capacity.index and np.isfinite(capacity[b]):
            ax.axhline(capacity[b], color=line.get_color(), ls=":", lw=0.8)
    ax.set_ylabel("state of charge [MWh]")
    ax.set_xlabel(f"time [{tz}]")
    ax.xaxis.set_major_formatter(fmt)
    ax.grid(alpha=0.3)
    if len(soc.columns):
        ax.legend(fontsize=7, loc="best")
    ax = fig.add_subplot(gs[rows, 1])
    per = summary.drop(index="total", errors="ignore")
    vals = per["value_eur"].astype(float).to_numpy()
    y = np.arange(len(per))
    ax.barh(y, vals, color=[COLORS["schedule"] if v >= 0 else "#d62728" for v in vals])
    ax.set_yticks(y, [str(n)[:18] for n in per.index], fontsize=7)
    ax.axvline(0, color="k", lw=0.6)
    ax.set_xlabel("value against the baseline [EUR]")
    ax.set_ylabel("asset [-]")
    total = float(summary.loc["total", "value_eur"]) if "total" in summary.index else float(vals.sum())
    ax.set_title(f"value of the day: {total:,.2f} EUR", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return fig


def _battery_capacities(assets) -> pd.Series:
    return pd.Series({a.name: a.capacity for a in assets if isinstance(a, Battery)}, dtype=float)


def explore_schedule(state: ScheduleInputs, *, cache: ScheduleCache, figures: bool = True) -> ScheduleView:
    """Schedule one day with the explorer's settings (the schedule explorer's callback).

    Reads the day from the database through ``cache`` (once per day, assets, mode and
    resolution), applies the overrides (:func:`apply_overrides`), builds and solves the
    LP (:func:`solve_schedule`: HiGHS through the sparse-matrix path, Cbc when binaries
    are needed), and draws the figures.

    Parameters
    ----------
    state : ScheduleInputs
    cache : ScheduleCache
    figures : bool
        Draw the figures (``False`` for timing the LP alone).

    Returns
    -------
    ScheduleView
        With ``message`` set (and no result) for bad input, missing data or an
        infeasible schedule; never raises for those.

    Notes
    -----
    Objective (maximised): revenue ``Σ_t π_t Δt Σ_a P[a, t]`` [EUR] with P [MW]
    production positive, π [EUR/MWh], Δt [h]; value = revenue − baseline revenue.
    """
    view = ScheduleView(inputs=state)
    t0 = time.perf_counter()
    try:
        day = parse_day(state.day)
        if state.mode not in ("perfect", "forecast"):
            raise ValueError(f"mode must be 'perfect' or 'forecast', not {state.mode!r}")
        if state.assets is not None and not [a for a in state.assets if str(a).strip()]:
            raise ValueError("pick at least one asset")
        solver = (state.solver or default_solver()).lower()
        if solver not in SOLVER_CHOICES:
            raise ValueError(f"solver {state.solver!r} is not supported; use {', '.join(SOLVER_CHOICES)}")
        over = Overrides.parse(state)
        assets = None if state.assets is None else tuple(dict.fromkeys(str(a).strip() for a in state.assets if str(a).strip()))
        loads = cache.loads
        inputs = cache.day_inputs(day, assets, state.mode, state.resolution)
        view.timings["load"] = time.perf_counter() - t0
        if cache.loads == loads:
            view.notes.append("day read from memory")
        objs, points, notes = apply_overrides(inputs, over)
        view.notes += notes
        t1 = time.perf_counter()
        result = solve_schedule(objs, inputs.prices, points, resolution=inputs.resolution, solver=solver,
                                time_limit=state.time_limit)  # fmt: skip
        view.timings["solve"] = time.perf_counter() - t1
    except Exception as err:  # noqa: BLE001 - the widget shows the message, never a traceback
        view.message = error_message(err)
        view.timings["total"] = time.perf_counter() - t0
        return view
    from bvp_lib.scheduling.store import summarise

    view.result = result
    if result.status != "optimal":
        view.notes.append(f"{result.stats.solver} stopped at the time limit ({state.time_limit:g} s): best schedule "
                          "found, not proven optimal")  # fmt: skip
    if result.stats.n_integer:
        view.notes.append(f"{result.stats.n_integer} binaries (no charging and discharging at once) on "
                          f"{result.stats.solver}")  # fmt: skip
    view.values = {
        "schedule_revenue_eur": float(result.objective),
        "baseline_revenue_eur": float(result.baseline_revenue),
        "value_eur": float(result.value),
    }
    info = inputs.info.copy()
    caps = _battery_capacities(objs)
    info.loc[caps.index, "capacity_mwh"] = caps
    view.summary = summarise(result, info)
    view.actions = actions_table(result.actions, result.prices, tz=inputs.tz)
    if figures:
        t2 = time.perf_counter()
        view.figures = {"schedule": explorer_figure(result, view.summary, capacity=caps, tz=inputs.tz)}
        view.timings["figures"] = time.perf_counter() - t2
    view.timings["total"] = time.perf_counter() - t0
    return view


def schedule_values_html(view: ScheduleView) -> str:
    """The view's value numbers (or its message) as a small HTML block."""
    import html

    if not view.ok:
        return f"<div style='color:#b00020'><b>Cannot schedule:</b> {html.escape(view.message or '')}</div>"
    v = view.values
    st = view.result.stats
    rows = [
        ("value of flexibility", f"{v['value_eur']:,.2f} EUR"),
        ("schedule revenue", f"{v['schedule_revenue_eur']:,.2f} EUR"),
        ("baseline revenue", f"{v['baseline_revenue_eur']:,.2f} EUR"),
        ("solver", f"{st.solver} ({st.backend}), {st.status}, {st.n_variables} variables, {st.n_integer} binaries"),
        ("answered in", _timing_text(view.timings)),
    ]
    body = "".join(f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(x)}</b></td></tr>" for k, x in rows)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in view.notes)
    return f"<table>{body}</table>" + (f"<ul style='font-size:small'>{notes}</ul>" if notes else "")


def _timing_text(t: dict[str, float]) -> str:
    parts = [f"{k} {v:.2f} s" for k, v in t.items() if k != "total"]
    return f"{t.get('total', float('nan')):.2f} s" + (f" ({', '.join(parts)})" if parts else "")


# =======================================================================================
# forecast explorer


@dataclass(frozen=True)
class ForecastInputs:
    """What the forecast explorer shows.

    Attributes
    ----------
    asset : str
        An asset with a power series, or a market (its price).
    model : str
        A model of ``parameters/forecasting.yaml`` for the asset's type: the baselines
        ``persistence``, ``seasonal_naive_daily``, ``seasonal_naive_weekly`` and the
        learned ``linear``, ``lightgbm`` (see :func:`forecast_options`).
    horizon : str
        ``"day-ahead"`` (issued at gate closure, 12:00 local on D-1) or a fixed horizon
        (``"1h"``, ``"24h"``): every step forecast that long before it ends.
    day : date or str
        Local day whose steps are forecast.
    source : {"auto", "stored", "computed"}
        ``"stored"``: forecasts in the database only; ``"computed"``: always compute from
        history; ``"auto"``: stored when they cover the day, else computed.
    train_window : str, optional
        Training window of learned models (default from the parameter file, 30 days).
    """

    asset: str = "solar-havel-01"
    model: str = "seasonal_naive_daily"
    horizon: str = "day-ahead"
    day: dt.date | str = DEFAULT_DAY
    source: str = "auto"
    train_window: str | None = None

    def replace(self, **changes) -> ForecastInputs:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass
class ForecastView(View):
    """The forecast explorer's answer.

    Attributes
    ----------
    inputs : ForecastInputs
    forecast, actual : pandas.Series or None
        On the day's steps (UTC) [unit]; the forecast as known at its belief times.
    metrics : dict of str to float
        ``mae``, ``rmse``, ``bias`` [unit] (bias = mean of forecast − actual) and
        ``wape`` [-] (Σ|error| / Σ|actual|); ``n`` steps compared.
    unit : str
        ``MW`` (power, production positive) or ``EUR/MWh`` (price).
    origin : str
        Where the forecast came from (a stored data source, or computed).
    """

    inputs: ForecastInputs | None = None
    forecast: pd.Series | None = None
    actual: pd.Series | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    unit: str = ""
    origin: str = ""


def series_info(name: str, *, bind: Bind = None):
    """The forecasting target of an asset or market: sensor, type, unit, site, weather.

    From :func:`bvp_lib.forecasting.store.forecast_targets`, so the explorer forecasts
    exactly what the daily pipeline forecasts (same weather sensors, site, holidays).

    Returns
    -------
    bvp_lib.forecasting.store.Target

    Raises
    ------
    ValueError
        Unknown name, or an asset with no power series of its own (a battery).
    """
    from bvp_lib.forecasting.store import forecast_targets

    targets = forecast_targets([name], include_price=False, bind=bind)
    if not targets:
        raise ValueError(f"asset {name} has no power series of its own to forecast (storage is scheduled, not forecast)")
    return targets[0]


def forecastable(*, bind: Bind = None) -> list[str]:
    """Assets whose power sensor holds data, then markets: what the forecast explorer offers."""
    with transaction(bind) as c:
        assets = list(c.execute(sa.text(
            "SELECT a.name FROM assets a WHERE EXISTS (SELECT 1 FROM sensors s JOIN timed_beliefs b "
            "ON b.sensor_id = s.id WHERE s.asset_id = a.id AND s.quantity = 'power') ORDER BY a.name")).scalars())  # fmt: skip
        markets = list(c.execute(sa.text("SELECT name FROM markets ORDER BY name")).scalars())
    return assets + markets


def forecast_options(asset: str, *, bind: Bind = None) -> tuple[list[str], list[str]]:
    """The models and horizons the forecast explorer offers for an asset or market.

    Returns
    -------
    models : list of str
        Baselines and the learned models of the asset's type (``parameters/forecasting.yaml``).
    horizons : list of str
        The backtest horizons of the parameter file (``"1h"`` … ``"day-ahead"``).
    """
    from bvp_lib.forecasting.config import backtest_settings
    from bvp_lib.forecasting.store import target_models

    models = [m.name for m in target_models(series_info(asset, bind=bind))]
    return models, list(backtest_settings()["horizons"])


def _belief_times(day: dt.date, horizon: str, res: pd.Timedelta, tz: str, gate_closure: str) -> tuple[pd.DatetimeIndex, pd.Series]:
    """Event starts of the day and each step's belief time (UTC) for a horizon."""
    from bvp_lib.forecasting.horizons import DAY_AHEAD, parse_horizons

    (spec,) = parse_horizons([horizon], tz=tz, gate_closure=gate_closure)
    events = day_index(day, tz, res)
    if spec.label == DAY_AHEAD:
        hh, mm = (int(x) for x in str(gate_closure).split(":")[:2])
        b = pd.Timestamp(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(hh, mm))).tz_localize(tz).tz_convert("UTC")
        return events, pd.Series(b, index=events)
    return events, pd.Series(events + res - spec.horizon, index=events)


def _stored_forecast(sensor: str, model: str, horizon: str, day: dt.date, events: pd.DatetimeIndex,
                     belief: pd.Series, bind: Bind) -> tuple[pd.Series | None, str]:  # fmt: skip
    """Stored forecasts of ``model`` covering every step of the day, as known at the belief times.

    Day-ahead: per step the latest forecast known at gate closure; a fixed horizon h: the
    forecast made exactly h before the step ended. The data source is the model's name
    (as :func:`bvp_lib.forecasting.store.forecast_day_ahead` and ``forecast_range`` store
    them); of several stored versions the newest (highest source id) counts.
    """
    from bvp_lib.forecasting.horizons import DAY_AHEAD

    start, end = day_bounds(day, _tz())
    if horizon == DAY_AHEAD:
        df = load_beliefs(sensor, start, end, source_types=["forecaster"], known_before=belief.iloc[0],
                          most_recent=True, bind=bind)  # fmt: skip
    else:
        h = pd.Timedelta(horizon)
        df = load_beliefs(sensor, start, end, source_types=["forecaster"], min_horizon=h, max_horizon=h, bind=bind)
    if df.empty:
        return None, "no stored forecasts"
    names = sorted(df["source"].astype(str).unique())
    if model not in names:
        return None, f"stored forecasts are from {', '.join(names)}, none from {model}"
    g = df[(df["source"] == model) & (df["source_id"] == df.loc[df["source"] == model, "source_id"].max())]
    s = pd.Series(g["value"].to_numpy(float), index=pd.DatetimeIndex(g["event_start"])).groupby(level=0).last()
    s = s.reindex(events)
    if s.isna().any():
        return None, f"stored forecasts of {model} cover {int(s.notna().sum())} of {len(events)} steps"
    return s.rename(sensor), f"stored forecasts (data source {model!r})"


class ForecastCache(_Cache):
    """Forecasts and actuals of the forecast explorer, computed or read once per key.

    ``loads`` counts answers made from the database (read or computed), ``hits``
    answers from memory.
    """

    def __init__(self, bind: Bind = None, maxsize: int = 64):
        super().__init__(bind, maxsize)
        self._info = _LRU(256)

    def clear(self) -> None:
        super().clear()
        self._info.clear()

    def info(self, asset: str):
        """The asset's forecasting target (:func:`series_info`), read once."""
        return self._info.get(asset, lambda: series_info(asset, bind=self.bind))

    def forecast(self, state: ForecastInputs) -> tuple[pd.Series, pd.Series, str]:
        """(forecast, actual, origin) of ``state``; see :func:`compute_forecast`."""
        key = (state.asset, state.model, state.horizon, as_date(state.day), state.source, state.train_window)
        return self._lru.get(key, lambda: compute_forecast(state, target=self.info(state.asset), bind=self.bind))


def _series(d: pd.DataFrame | pd.Series) -> pd.Series:
    return d.groupby(level=0).last() if isinstance(d, pd.Series) else d


def compute_forecast(state: ForecastInputs, *, target=None, bind: Bind = None) -> tuple[pd.Series, pd.Series, str]:
    """One day's forecast of an asset or market with one model and horizon, and the actual.

    Stored forecasts are used when present (``state.source`` ``"auto"`` or
    ``"stored"``; see :func:`_stored_forecast`). Otherwise the forecast is computed, and
    nothing is written: the model comes from
    :func:`bvp_lib.forecasting.store.target_models` (the daily pipeline's models,
    weather sensors, site and holidays), the series from the measurements in the
    database **as known at the last belief time** (``known_before``), and
    :func:`~bvp_lib.forecasting.rolling_backtest` makes each step's forecast from what
    was known at its own belief time. Weather regressors of learned models are the
    stored weather feed when it covers the period, else the same feed derived in memory
    from measured weather (:func:`~bvp_lib.forecasting.derive_weather_forecasts` with
    the parameter file's seed and 7-day blocks: identical values), each a forecast known
    at its belief horizon.

    Returns
    -------
    forecast : pandas.Series
        On the day's steps (UTC) [MW, production positive; or EUR/MWh].
    actual : pandas.Series
        Measurements on the same steps (NaN where missing).
    origin : str

    Raises
    ------
    ValueError
        Unknown asset, model or horizon, not enough history, no actuals.
    """
    from bvp_lib.forecasting import rolling_backtest
    from bvp_lib.forecasting.config import backtest_settings
    from bvp_lib.forecasting.horizons import parse_horizons
    from bvp_lib.forecasting.store import load_history, needed_weather, target_models

    settings = backtest_settings()
    tz = settings["tz"]
    day = parse_day(state.day)
    if state.source not in ("auto", "stored", "computed"):
        raise ValueError(f"source must be auto, stored or computed, not {state.source!r}")
    target = target or series_info(state.asset, bind=bind)
    sensor = target.sensor
    (spec,) = parse_horizons([state.horizon], tz=tz, gate_closure=settings["gate_closure"])
    horizon = spec.label
    (model,) = target_models(target, [state.model])
    events, belief = _belief_times(day, horizon, target.resolution, tz, settings["gate_closure"])
    start, end = day_bounds(day, tz)
    actual = _series(load_history([sensor], start, end, bind=bind)[sensor]).reindex(events).rename(sensor)
    if actual.isna().all():
        raise ValueError(f"no measurements of {sensor} on {day}: nothing to compare a forecast with")
    why = ""
    if state.source in ("auto", "stored"):
        stored, why = _stored_forecast(sensor, state.model, horizon, day, events, belief, bind)
        if stored is not None:
            return stored, actual, why
        if state.source == "stored":
            raise ValueError(f"no stored {horizon} forecast of {sensor} by {state.model} for {day}: {why}")
    last_b = belief.max()
    window = pd.Timedelta(state.train_window or settings["train_window"])
    if window <= pd.Timedelta(0):
        raise ValueError(f"train window must be positive, not {state.train_window!r}")
    look = model.lookback(spec.max_horizon)
    hist_start = belief.min().floor("D") - (window if model.learns else pd.Timedelta(0)) - look - pd.Timedelta("2D")
    series = _series(load_history([sensor], hist_start, last_b, known_before=last_b, bind=bind)[sensor])
    if series.empty:
        raise ValueError(f"no measurements of {sensor} before {last_b:%Y-%m-%d %H:%M} UTC to forecast from")
    regressors = None
    with transaction(bind) as c:
        weather_names = set(c.execute(sa.text("SELECT s.name FROM sensors s WHERE s.weather_sensor_id IS NOT NULL"))
                            .scalars())  # fmt: skip
    need = needed_weather([model], weather_names)
    if need:
        regressors = weather_forecasts(need, hist_start, end, known_before=last_b, bind=bind)
    f = rolling_backtest(series, model, start=day, end=day + dt.timedelta(days=1), horizons=[horizon],
                         train_window=window, refit=settings["refit"], regressors=regressors, tz=tz,
                         gate_closure=settings["gate_closure"], max_gap=settings["max_gap"], progress=False)  # fmt: skip
    fc = (pd.Series(f["value"].to_numpy(float), index=pd.DatetimeIndex(f["event_start"]))
          .groupby(level=0).last().reindex(events).rename(sensor))  # fmt: skip
    origin = (f"computed: {state.model}, {horizon}, from measurements known by {last_b.tz_convert(tz):%Y-%m-%d %H:%M} "
              f"{tz}" + (f" (train window {pd.Timedelta(window).days} days)" if model.learns else ""))  # fmt: skip
    if why and state.source == "auto":
        origin += f"; {why}"
    return fc, actual, origin


def weather_forecasts(sensors: list[str], start, end, *, known_before: pd.Timestamp, bind: Bind = None) -> pd.DataFrame:
    """Weather forecasts of events in ``[start, end)`` known by ``known_before``, as beliefs.

    The stored feed (:func:`bvp_lib.forecasting.store.load_weather_forecasts`) when it
    covers every hour of the period for every sensor; else derived in memory from the
    measured weather with the parameter file's settings (the same seeded 7-day blocks
    as the stored feed, so the values agree). Nothing is written.
    """
    from bvp_lib.forecasting.config import weather_settings
    from bvp_lib.forecasting.errors import RegressorError
    from bvp_lib.forecasting.store import load_history, load_weather_forecasts
    from bvp_lib.forecasting.weather import derive_weather_forecasts

    try:
        stored = load_weather_forecasts(sensors, start, end, known_before=known_before, bind=bind)
    except RegressorError:
        stored = None
    if stored is not None and len(stored):
        hours = (pd.Timestamp(end) - pd.Timestamp(start)) / pd.Timedelta("1h")
        covered = stored.groupby("sensor", observed=True)["event_start"].nunique()
        if all(covered.get(s, 0) >= hours for s in sensors):
            return stored
    measured = load_history(sensors, start, end, bind=bind)
    long = pd.concat([pd.DataFrame({"sensor": s, "event_start": v.index, "value": v.to_numpy(float)})
                      for s, v in measured.items() if len(v)], ignore_index=True) if any(len(v) for v in measured.values()) else None  # fmt: skip
    if long is None:
        raise ValueError(f"no weather stored for {', '.join(sensors)} to derive forecasts from")
    derived = derive_weather_forecasts(long, **weather_settings())
    res = derived.groupby("sensor", observed=True)["event_start"].transform(lambda x: x.diff().min())
    res = res.fillna(pd.Timedelta("1h"))
    return derived[derived["event_start"] + res - derived["belief_horizon"] <= known_before].reset_index(drop=True)


def forecast_metrics(forecast: pd.Series, actual: pd.Series) -> dict[str, float]:
    """MAE, RMSE, bias [unit], WAPE [-] and n over the steps where both exist.

    With ε = forecast − actual: MAE = mean |ε|, RMSE = √mean ε², bias = mean ε
    (positive: forecast too high), WAPE = Σ|ε| / Σ|actual| (NaN when all actuals are 0).
    """
    from bvp_lib.forecasting.metrics import bias, mae, rmse, wape

    both = pd.concat([forecast.rename("f"), actual.rename("a")], axis=1).dropna()
    if both.empty:
        return {"n": 0, "mae": float("nan"), "rmse": float("nan"), "wape": float("nan"), "bias": float("nan")}
    f, a = both["f"], both["a"]
    return {"n": int(len(both)), "mae": mae(f, a), "rmse": rmse(f, a), "wape": wape(f, a), "bias": bias(f, a)}


def forecast_error_figure(forecast: pd.Series, actual: pd.Series, metrics: dict[str, float], *, unit: str,
                          title: str = "", tz: str = "Europe/Berlin"):  # fmt: skip
    """Forecast against actual with the error shaded, and the error over time with a ±RMSE band.

    Top panel: actual and forecast [unit], the area between them shaded (the error).
    Bottom panel: error ε = forecast − actual [unit] per step, the band ±RMSE and the bias.
    """
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    idx = forecast.index.tz_convert(tz)
    f, y = forecast.to_numpy(float), actual.reindex(forecast.index).to_numpy(float)
    ax.plot(idx, y, color=COLORS["actual"], lw=1.2, label="actual")
    ax.plot(idx, f, color=COLORS["forecast"], lw=1.2, label="forecast")
    ax.fill_between(idx, f, y, color=COLORS["forecast"], alpha=0.25, label="error")
    ax.set_ylabel(f"{'price' if unit == 'EUR/MWh' else 'power'} [{unit}]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    m = metrics
    ax.set_title(f"{title}\nMAE {m['mae']:.3g} {unit}, RMSE {m['rmse']:.3g} {unit}, WAPE {m['wape']:.1%}, "
                 f"bias {m['bias']:+.3g} {unit}", fontsize=9)  # fmt: skip
    err = f - y
    ax2.bar(idx, err, width=(forecast.index[1] - forecast.index[0]) if len(forecast) > 1 else pd.Timedelta("15min"),
            align="edge", color=COLORS["forecast"], alpha=0.7, label="error (forecast − actual)")  # fmt: skip
    if np.isfinite(m["rmse"]):
        ax2.axhspan(-m["rmse"], m["rmse"], color="#9aa5b1", alpha=0.25, label="±RMSE")
        ax2.axhline(m["bias"], color="k", lw=0.8, ls="--", label="bias")
    ax2.axhline(0, color="k", lw=0.5)
    ax2.set_ylabel(f"error [{unit}]")
    ax2.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax2.set_xlabel(f"time [{tz}]")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=7, loc="best", ncol=3)
    fig.tight_layout()
    return fig


def explore_forecast(state: ForecastInputs, *, cache: ForecastCache, figures: bool = True) -> ForecastView:
    """Forecast against actual for one asset, model, horizon and day (the forecast explorer's callback).

    Parameters
    ----------
    state : ForecastInputs
    cache : ForecastCache
        Keeps each forecast: changing back to a seen combination answers from memory.
    figures : bool
        Draw the figure.

    Returns
    -------
    ForecastView
        ``forecast``, ``actual`` [MW or EUR/MWh], ``metrics``, ``origin`` and the figure
        ``"forecast"``; ``message`` set instead for bad input or missing data.
    """
    view = ForecastView(inputs=state)
    t0 = time.perf_counter()
    try:
        if not str(state.asset or "").strip():
            raise ValueError("pick an asset or a market")
        loads = cache.loads
        forecast, actual, origin = cache.forecast(state)
        info = cache.info(state.asset)
    except Exception as err:  # noqa: BLE001
        view.message = error_message(err)
        view.timings["total"] = time.perf_counter() - t0
        return view
    view.timings["forecast"] = time.perf_counter() - t0
    if cache.loads == loads:
        view.notes.append("forecast from memory")
    view.forecast, view.actual, view.origin, view.unit = forecast, actual, origin, info.unit
    view.notes.append(origin)
    view.metrics = forecast_metrics(forecast, actual)
    if view.metrics["n"] < len(forecast):
        view.notes.append(f"{len(forecast) - view.metrics['n']} step(s) without an actual are left out of the metrics")
    if figures:
        t1 = time.perf_counter()
        title = f"{info.sensor}: {state.model}, {state.horizon} forecast of {as_date(state.day)}"
        view.figures = {"forecast": forecast_error_figure(forecast, actual, view.metrics, unit=info.unit, title=title,
                                                          tz=_tz())}  # fmt: skip
        view.timings["figures"] = time.perf_counter() - t1
    view.timings["total"] = time.perf_counter() - t0
    return view


def forecast_metrics_html(view: ForecastView) -> str:
    """The view's metrics (or its message) as a small HTML block."""
    import html

    if not view.ok:
        return f"<div style='color:#b00020'><b>No forecast:</b> {html.escape(view.message or '')}</div>"
    m, u = view.metrics, view.unit
    rows = [("MAE", f"{m['mae']:.4g} {u}"), ("RMSE", f"{m['rmse']:.4g} {u}"), ("WAPE", f"{m['wape']:.1%}"),
            ("bias (forecast − actual)", f"{m['bias']:+.4g} {u}"), ("steps", f"{m['n']}"),
            ("answered in", _timing_text(view.timings))]  # fmt: skip
    body = "".join(f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(x)}</b></td></tr>" for k, x in rows)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in view.notes)
    return f"<table>{body}</table>" + (f"<ul style='font-size:small'>{notes}</ul>" if notes else "")


# =======================================================================================
# data browser


def list_sensors(*, bind: Bind = None) -> pd.DataFrame:
    """Every sensor the data browser can show.

    Returns
    -------
    pandas.DataFrame
        Indexed by sensor name: ``kind`` (asset, market, weather), ``owner`` (asset type,
        market or weather type), ``quantity``, ``unit``, ``resolution`` (Timedelta),
        ``label`` (for a drop-down). Ordered by kind and name.
    """
    with transaction(bind) as c:
        rows = c.execute(sa.text(
            "SELECT s.name, CASE WHEN s.asset_id IS NOT NULL THEN 'asset' WHEN s.market_id IS NOT NULL THEN 'market' "
            "WHEN s.weather_sensor_id IS NOT NULL THEN 'weather' ELSE 'other' END AS kind, "
            "coalesce(a.asset_type_name, m.name, w.weather_sensor_type_name, '') AS owner, s.quantity, s.unit, "
            "extract(epoch FROM s.event_resolution) AS res_s FROM sensors s "
            "LEFT JOIN assets a ON a.id = s.asset_id LEFT JOIN markets m ON m.id = s.market_id "
            "LEFT JOIN weather_sensors w ON w.id = s.weather_sensor_id ORDER BY 2, 1")).all()  # fmt: skip
    df = pd.DataFrame(rows, columns=["name", "kind", "owner", "quantity", "unit", "res_s"]).set_index("name")
    df["resolution"] = pd.to_timedelta(df.pop("res_s").astype(float), unit="s")
    df["label"] = [f"{k}: {n} [{u}]" for n, k, u in zip(df.index, df["kind"], df["unit"])]
    return df


@dataclass(frozen=True)
class BrowseInputs:
    """What the data browser shows.

    Attributes
    ----------
    sensor : str
        An asset's, market's or weather sensor's name (:func:`list_sensors`).
    start, end : date or str
        First and last local day (inclusive), ``YYYY-MM-DD``.
    source_types : tuple of str
        Data source types to show, one column per source (most recent belief per event):
        ``measurement`` and ``user import`` by default; add ``forecaster`` or
        ``scheduler`` to see stored forecasts and schedules.
    """

    sensor: str = "epex_da"
    start: dt.date | str = "2015-04-11"
    end: dt.date | str = "2015-04-14"
    source_types: tuple[str, ...] = ("measurement", "user import")

    def replace(self, **changes) -> BrowseInputs:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass
class BrowseView(View):
    """The data browser's answer.

    Attributes
    ----------
    inputs : BrowseInputs
    frame : pandas.DataFrame or None
        Index ``event_start`` (UTC); one column per data source [unit].
    stats : pandas.DataFrame or None
        Summary statistics per column (:func:`summary_statistics`).
    unit : str
    resolution : pandas.Timedelta or None
    """

    inputs: BrowseInputs | None = None
    frame: pd.DataFrame | None = None
    stats: pd.DataFrame | None = None
    unit: str = ""
    resolution: pd.Timedelta | None = None


def load_frame(state: BrowseInputs, *, bind: Bind = None) -> tuple[pd.DataFrame, str, pd.Timedelta]:
    """The shown frame of a sensor and period: one column per data source.

    Returns
    -------
    frame : pandas.DataFrame
        Index ``event_start`` (UTC, every step of the period; NaN where nothing is
        stored); columns named ``<sensor> [<unit>]`` (one source) or
        ``<sensor> [<unit>] <source>``.
    unit : str
    resolution : pandas.Timedelta

    Raises
    ------
    ValueError
        Unknown sensor, end before start, nothing stored in the period.
    """
    if not str(state.sensor or "").strip():
        raise ValueError("pick a sensor")
    first, last = parse_day(state.start, "start day"), parse_day(state.end, "end day")
    if last < first:
        raise ValueError(f"the end day {last} is before the start day {first}")
    tz = _tz()
    start, _ = day_bounds(first, tz)
    _, end = day_bounds(last, tz)
    sensors = list_sensors(bind=bind)
    if state.sensor not in sensors.index:
        raise ValueError(f"unknown sensor {state.sensor!r}; the database has {', '.join(sensors.index[:12])}"
                         + (f" and {len(sensors) - 12} more" if len(sensors) > 12 else ""))  # fmt: skip
    unit, res = sensors.loc[state.sensor, "unit"], sensors.loc[state.sensor, "resolution"]
    df = load_beliefs(state.sensor, start, end, source_types=list(state.source_types) or None, most_recent=True,
                      bind=bind)  # fmt: skip
    if df.empty:
        raise ValueError(f"nothing stored for {state.sensor} from {first} to {last} "
                         f"(source types {', '.join(state.source_types)})")  # fmt: skip
    wide = df.pivot_table(index="event_start", columns="source", values="value", aggfunc="last")
    srcs = list(wide.columns)
    wide.columns = [f"{state.sensor} [{unit}]" + (f" {s}" if len(srcs) > 1 else "") for s in srcs]
    grid = pd.date_range(start, end, freq=res, inclusive="left", name="event_start")
    return wide.reindex(grid), str(unit), pd.Timedelta(res)


def summary_statistics(frame: pd.DataFrame, *, unit: str, resolution: pd.Timedelta) -> pd.DataFrame:
    """Summary statistics per column of a shown frame.

    Rows: ``steps`` (with data), ``coverage [-]`` (share of the period's steps),
    ``mean``, ``std``, ``min``, ``max`` [unit], ``min at``/``max at`` (UTC), and for power
    ``energy [MWh]`` = Σ P × Δt (net: production positive) — for energy sensors the
    ``total [MWh]``; for prices ``negative steps``.
    """
    h = pd.Timedelta(resolution) / pd.Timedelta("1h")
    out = {}
    for c in frame.columns:
        s = frame[c].dropna()
        col: dict[str, Any] = {
            "steps": int(len(s)),
            "coverage [-]": round(len(s) / len(frame), 4) if len(frame) else float("nan"),
            f"mean [{unit}]": s.mean(),
            f"std [{unit}]": s.std(),
            f"min [{unit}]": s.min(),
            f"max [{unit}]": s.max(),
            "min at [UTC]": s.idxmin() if len(s) else None,
            "max at [UTC]": s.idxmax() if len(s) else None,
        }
        if unit == "MW":
            col["energy [MWh]"] = float(s.sum() * h)
        elif unit == "MWh":
            col["total [MWh]"] = float(s.sum())
        elif "EUR" in unit:
            col["negative steps"] = int((s < 0).sum())
        out[c] = col
    return pd.DataFrame(out)


def series_figure(frame: pd.DataFrame, *, sensor: str, unit: str, tz: str = "Europe/Berlin"):
    """The shown frame over time (local time), one line per data source."""
    fig, ax = plt.subplots(figsize=(10, 3.5))
    idx = frame.index.tz_convert(tz)
    for c in frame.columns:
        ax.step(idx, frame[c].to_numpy(float), where="post", lw=1.0, label=c)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_ylabel(f"{sensor} [{unit}]")
    loc = mdates.AutoDateLocator(tz=tz)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc, tz=tz))
    ax.set_xlabel(f"time [{tz}]")
    ax.grid(alpha=0.3)
    if len(frame.columns) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def browse_data(state: BrowseInputs, *, bind: Bind = None, figures: bool = True) -> BrowseView:
    """A sensor over a period with summary statistics (the data browser's callback).

    Returns
    -------
    BrowseView
        ``frame`` (what :func:`export_csv` writes), ``stats`` and the figure
        ``"series"``; ``message`` set instead for bad input or an empty period.
    """
    view = BrowseView(inputs=state)
    t0 = time.perf_counter()
    try:
        frame, unit, res = load_frame(state, bind=bind)
    except Exception as err:  # noqa: BLE001
        view.message = error_message(err)
        view.timings["total"] = time.perf_counter() - t0
        return view
    view.timings["load"] = time.perf_counter() - t0
    view.frame, view.unit, view.resolution = frame, unit, res
    view.stats = summary_statistics(frame, unit=unit, resolution=res)
    if frame.isna().any().any():
        view.notes.append(f"{int(frame.isna().any(axis=1).sum())} of {len(frame)} steps hold no value")
    if figures:
        t1 = time.perf_counter()
        view.figures = {"series": series_figure(frame, sensor=state.sensor, unit=unit, tz=_tz())}
        view.timings["figures"] = time.perf_counter() - t1
    view.timings["total"] = time.perf_counter() - t0
    return view


def export_path(state: BrowseInputs, folder: str | Path = DEFAULT_EXPORT_DIR) -> Path:
    """Where :func:`export_csv` writes a view: ``<folder>/<sensor>_<start>_<end>.csv``.

    A relative ``folder`` is taken from the project root (``reports/exports`` by
    default). The name comes from the inputs only, so exporting again replaces the file.
    """
    from bvp_lib.config import get_settings

    p = Path(folder).expanduser()
    if not p.is_absolute():
        p = get_settings().root / p
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", str(state.sensor))
    return p / f"{safe}_{parse_day(state.start, 'start day')}_{parse_day(state.end, 'end day')}.csv"


def export_csv(view: BrowseView, folder: str | Path = DEFAULT_EXPORT_DIR) -> Path:
    """Write the shown frame to CSV and return the path.

    Columns: ``event_start`` (UTC, ISO 8601) and one column per data source [unit]
    (empty where no value is stored). The file name comes from the view's inputs
    (:func:`export_path`); the folder is created if needed.

    Raises
    ------
    ValueError
        The view holds no frame (it has a message instead).
    """
    if view.frame is None or view.inputs is None:
        raise ValueError(f"nothing to export: {view.message or 'no data shown'}")
    path = export_path(view.inputs, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    view.frame.to_csv(tmp, index_label="event_start", date_format="%Y-%m-%dT%H:%M:%S%z")
    tmp.replace(path)
    return path
