"""The schedule explorer: one local day of chosen assets with changed battery power and
energy, building shiftable share and connection capacity; schedule, SoC and value.

The changes are scenario overrides in the vocabulary of backtests and sweeps
(:mod:`bvp_lib.scheduling.overrides`), applied to the day read once
(:meth:`bvp_lib.scheduling.inputs.DayInputs.with_overrides`): a change rebuilds and
solves, the database is read once per (day, assets, mode, resolution).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bvp_lib.reporting.figures.day import actions_table
from bvp_lib.reporting.figures.explore import explorer_figure
from bvp_lib.scheduling.assets import Battery, Building
from bvp_lib.scheduling.result import summarise
from bvp_lib.scheduling.strategy import SOLVER_CHOICES, default_solver, solve_schedule
from bvp_lib.timing import as_date
from bvp_lib.widgets.common import (
    DEFAULT_DAY,
    Cache,
    Number,
    detach,
    View,
    error_message,
    parse_day,
    parse_number,
    timing_text,
)

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
        ``None``: :func:`default_solver`. ``"auto"``: the LP without binaries on HiGHS
        (sparse-matrix path), then the MIP, also on HiGHS, only when binaries are needed
        (:func:`solve_schedule`).
    resolution : str
        Step length Δt of the schedule (divides an hour).
    time_limit : float, optional
        Seconds per solver call; a MIP stopped by it returns its best schedule, marked
        "not proven optimal".
    mip_gap : float, optional
        Relative MIP gap: a MIP schedule proven within this share of the optimum counts
        as solved (1e-3, as the daily run).
    strategy : {"schedule", "orders"}
        ``"schedule"``: one schedule on the mode's prices. ``"orders"`` (forecast mode
        only): bid curves made at gate closure from price scenarios, cleared at the
        realised prices, and the plan that delivers what was accepted
        (:func:`bvp_lib.market.offer.offer_day`); value at the realised prices.
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
    time_limit: float | None = 10.0
    mip_gap: float | None = 1e-3
    strategy: str = "schedule"

    def replace(self, **changes) -> ScheduleInputs:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


#: explorer field -> (override target, attribute) in the vocabulary of :mod:`bvp_lib.scheduling.overrides`
FIELDS = {
    "battery_power_mw": ("battery", "power_mw"),
    "battery_energy_mwh": ("battery", "energy_mwh"),
    "shiftable_share": ("building", "shiftable_share"),
    "connection_capacity_mw": ("connection_point", "capacity_mw"),
}


#: explorer field -> (label with unit, minimum, maximum, strictly above the minimum). The maxima are far
#: above any asset of a regional aggregator's portfolio (the bundled one's largest battery has 5 MW and
#: 10 MWh, its connection points 40 MW): a larger number is a typo (1e6 MW), refused with the field named.
LIMITS = {
    "battery_power_mw": ("battery power [MW]", 0.0, 1_000.0, False),
    "battery_energy_mwh": ("battery energy [MWh]", 0.0, 10_000.0, True),
    "shiftable_share": ("building shiftable share [-]", 0.0, 1.0, False),
    "connection_capacity_mw": ("connection capacity [MW]", 0.0, 10_000.0, False),
}


def explorer_overrides(state: ScheduleInputs) -> dict[str, dict[str, float]]:
    """The explorer's fields as scenario overrides (``{"battery": {"power_mw": 2.0}}``),
    checked against :data:`LIMITS`.

    Raises
    ------
    ValueError
        Naming every bad field (not only the first), each with its allowed range.
    """
    values, errors = {}, []
    for name, (what, lo, hi, strict) in LIMITS.items():
        try:
            values[name] = parse_number(getattr(state, name), what, minimum=lo, maximum=hi, strictly_above=strict)
        except ValueError as e:
            errors.append(str(e))
    if errors:
        raise ValueError("; ".join(errors))
    out: dict[str, dict[str, float]] = {}
    for name, v in values.items():
        if v is not None:
            target, attr = FIELDS[name]
            out.setdefault(target, {})[attr] = v
    return out


class ScheduleCache(Cache):
    """The database side of the schedule explorer, read once per (day, assets, mode, resolution).

    Holds :class:`~bvp_lib.scheduling.inputs.DayInputs` (prices, baseline series, asset
    objects, connection points, info) from
    :func:`~bvp_lib.scheduling.inputs.prepare_day`. ``loads`` counts database reads,
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
        from bvp_lib.scheduling.inputs import prepare_day

        d = as_date(day)
        key = (d, tuple(assets) if assets is not None else None, mode, str(pd.Timedelta(resolution)))
        return self._lru.get(
            key, lambda: prepare_day(d, mode=mode, assets=list(assets) if assets is not None else None,
                                     resolution=resolution, bind=self.bind)  # fmt: skip
        )

    def price_scenarios(self, day):
        """The day's price scenarios made at gate closure (not stored), from memory when
        made before (:func:`bvp_lib.forecasting.probabilistic.price_scenarios`)."""
        from bvp_lib.forecasting.probabilistic import price_scenarios

        d = as_date(day)
        return self._lru.get(("scenarios", d), lambda: price_scenarios(d, save=False, bind=self.bind))


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
        [EUR] (:func:`~bvp_lib.scheduling.result.summarise`).
    actions : pandas.DataFrame or None
        Balancing actions as periods (:func:`~bvp_lib.reporting.figures.actions_table`).
    """

    inputs: ScheduleInputs | None = None
    result: Any = None
    values: dict[str, float] = field(default_factory=dict)
    summary: pd.DataFrame | None = None
    actions: pd.DataFrame | None = None
    optimal: bool | None = None


def override_notes(day_inputs, overrides: dict) -> list[str]:
    """What the overrides change in the selection, for the view ("battery power 2 MW",
    "(no battery selected)")."""
    kinds = set(day_inputs.info["type"]) if len(day_inputs.info) else set()
    notes = []
    labels = {("battery", "power_mw"): ("battery power", "MW", "battery"),
              ("battery", "energy_mwh"): ("battery energy", "MWh", "battery"),
              ("building", "shiftable_share"): ("shiftable share", "", "building"),
              ("connection_point", "capacity_mw"): ("connection capacity", "MW", None)}  # fmt: skip
    for (target, attr), (text, unit, kind) in labels.items():
        v = overrides.get(target, {}).get(attr)
        if v is None:
            continue
        missing = (kind is not None and kind not in kinds) or (kind is None and not day_inputs.connection_points)
        what = "no connection point in the selection" if kind is None else f"no {kind} selected"
        notes.append(f"{text} {v:g}" + (f" {unit}" if unit else "") + (f" ({what})" if missing else ""))
    return notes


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


def _battery_capacities(assets) -> pd.Series:
    return pd.Series({a.name: a.capacity for a in assets if isinstance(a, Battery)}, dtype=float)


def explore_schedule(state: ScheduleInputs, *, cache: ScheduleCache, figures: bool = True) -> ScheduleView:
    """Schedule one day with the explorer's settings (the schedule explorer's callback).

    Reads the day from the database through ``cache`` (once per day, assets, mode and
    resolution), applies the overrides (:func:`explorer_overrides`, rebuilt without
    reading the database), builds and solves the LP
    (:func:`~bvp_lib.scheduling.strategy.solve_schedule`: HiGHS through the sparse-matrix path, binaries only
    where needed), and draws the figures.

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
        over = explorer_overrides(state)
        assets = None if state.assets is None else tuple(dict.fromkeys(str(a).strip() for a in state.assets if str(a).strip()))
        loads = cache.loads
        inputs = cache.day_inputs(day, assets, state.mode, state.resolution)
        view.timings["load"] = time.perf_counter() - t0
        if cache.loads == loads:
            view.notes.append("day read from memory")
        changed = inputs.with_overrides(over) if over else inputs
        objs, points = changed.assets, changed.connection_points
        view.notes += override_notes(inputs, over)
        if state.strategy not in ("schedule", "orders"):
            raise ValueError(f"strategy must be 'schedule' or 'orders', not {state.strategy!r}")
        t1 = time.perf_counter()
        if state.strategy == "orders":
            result = _offer(state, day, assets, changed, cache, view)
            view.timings["bid, clear and deliver"] = time.perf_counter() - t1
        else:
            result = solve_schedule(objs, inputs.prices, points, resolution=inputs.resolution, solver=solver,
                                    time_limit=state.time_limit, mip_gap=state.mip_gap)  # fmt: skip
            view.timings["solve"] = time.perf_counter() - t1
    except Exception as err:  # noqa: BLE001 - the widget shows the message, never a traceback
        view.message = error_message(err)
        view.timings["total"] = time.perf_counter() - t0
        return view
    view.result = result
    view.optimal = result.status == "optimal"
    if not view.optimal:
        view.notes.insert(0, f"NOT PROVEN OPTIMAL: {result.stats.solver} stopped at the time limit "
                             f"({state.time_limit:g} s) with its best schedule so far; raise the time limit")  # fmt: skip
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
        view.figures = {"schedule": detach(explorer_figure(result, view.summary, capacity=caps, tz=inputs.tz,
                                                           kinds=info["type"].to_dict()))}  # fmt: skip
        view.timings["figures"] = time.perf_counter() - t2
    view.timings["total"] = time.perf_counter() - t0
    return view


def _offer(state: ScheduleInputs, day, assets, changed, cache: ScheduleCache, view: ScheduleView):
    """The orders strategy of the explorer: the day's book from the price scenarios on the
    changed assets, cleared at the realised prices, and its delivery (the result)."""
    from bvp_lib.market.offer import offer_day

    if state.mode != "forecast":
        raise ValueError("the orders strategy bids at gate closure on the day-ahead forecasts: pick mode 'forecast'")
    scenarios = cache.price_scenarios(day)
    realised = cache.day_inputs(day, assets, "perfect", state.resolution).prices
    offer = offer_day(changed, scenarios, realised, solver="highs", time_limit=state.time_limit, mip_gap=state.mip_gap)
    d = offer.delivery
    what = "the portfolio's order" if offer.bid.components is not None else f"{len(offer.book.orders)} orders"
    view.notes.append(f"orders: {what} from {scenarios.n} price scenarios, cleared at the "
                      f"realised prices; delivery imbalance {d.info['imbalance_mwh']:.2f} MWh (settled, not in the "
                      "value below)")  # fmt: skip
    return d.result


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
        ("solve", "optimal" + (f" (MIP gap {view.inputs.mip_gap:g})" if st.n_integer and view.inputs.mip_gap else "")
         if view.optimal else "⚠ NOT PROVEN OPTIMAL (stopped at the time limit)"),
        ("solver", f"{st.solver} ({st.backend}), {st.status}, {st.n_variables} variables, {st.n_integer} binaries"),
        ("answered in", timing_text(view.timings)),
    ]
    body = "".join(f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(x)}</b></td></tr>" for k, x in rows)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in view.notes)
    return f"<table>{body}</table>" + (f"<ul style='font-size:small'>{notes}</ul>" if notes else "")
