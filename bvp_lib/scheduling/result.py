"""The result of a solved scheduling problem: schedules, SoC, baseline, actions, statistics.

Sign convention: power in MW, production positive, consumption negative. Value of a
step = power × price × Δt [EUR].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class SolverStats:
    """How the problem was built and solved.

    Times in seconds: ``build_time`` is :func:`~bvp_lib.scheduling.build_problem`
    (numpy blocks), ``model_time`` turning them into the backend's model (PuLP objects,
    or the sparse matrix), ``solve_time`` the solver call(s) including handing the
    model over, ``total_time`` all of it plus reading the solution.

    ``n_constraints`` counts what the solver got: the matrix backend passes a range
    row ``lower ≤ a·x ≤ upper`` as one row, PuLP as two constraints. ``rounds`` is the
    number of solves (more than one when binaries were added after a solve, see
    :mod:`~bvp_lib.scheduling.complementarity`); ``simultaneous_steps`` counts
    (storage, step) pairs charging and discharging at once in the returned schedule.
    ``iterations`` are HiGHS's simplex + IPM iterations (``None`` for Cbc).
    ``proven_gap`` is the relative gap between the returned objective and the bound
    the solver proved (0 for an optimal LP; a MIP's final gap; ``None`` when the
    backend does not report it), ``bound`` that bound [EUR, including the tie-break
    when it was in the objective]; ``canonical_time`` the seconds spent choosing
    the canonical (tie-broken) solution on the optimal face.
    """

    solver: str
    backend: str
    status: str
    solver_status: str
    build_time: float
    model_time: float
    solve_time: float
    total_time: float
    n_variables: int
    n_constraints: int
    n_integer: int
    n_nonzeros: int
    rounds: int = 1
    simultaneous_steps: int = 0
    iterations: int | None = None
    time_limit: float | None = None
    mip_gap: float | None = None
    proven_gap: float | None = None
    bound: float | None = None
    canonical_time: float = 0.0

    def as_series(self) -> pd.Series:
        return pd.Series(self.__dict__)


@dataclass
class ScheduleResult:
    """A solved schedule.

    Attributes
    ----------
    status : str
        ``"optimal"``, or ``"time_limit"`` when a MIP stopped early with a feasible
        schedule (infeasible or unbounded problems raise instead).
    objective : float
        What the schedule earns [EUR]: its revenue ``Σ_t π_t Δt Σ_a P[a, t]`` (at a
        connection point's own import/export prices where it has them) plus the
        other terms (end value, minus degradation, peak and breach costs); without
        such terms simply the day-ahead revenue. ``terms`` itemises it.
    objective_with_tie_break : float
        What the solver maximised: revenue minus the tie-break cost [EUR].
    baseline_revenue : float
        Revenue of the baseline (no flexibility used) [EUR].
    schedule : pandas.DataFrame
        Net power per asset [MW]; index = UTC step starts, one column per asset.
    soc : pandas.DataFrame
        SoC per battery [MWh]; index = the start of the horizon followed by every step end.
    charge, discharge : pandas.DataFrame
        Charging and discharging power per battery [MW], both as magnitudes ≥ 0 (the
        schedule shows ``discharge − charge``); never both above 1e-6 MW in one step
        (unless built with ``complementarity="lp"``).
    baseline : pandas.DataFrame
        Baseline power per asset [MW] (idle batteries, charging at full power on arrival,
        the forecast load, full production).
    actions : pandas.DataFrame
        Balancing actions ``schedule − baseline`` [MW].
    action_table : pandas.DataFrame
        The non-zero actions, tidy: ``asset``, ``start``, ``end``, ``power`` [MW],
        ``value`` [EUR] (= power × price × Δt).
    net_position : pandas.Series
        The aggregator's net position ``Σ_a P[a, t]`` [MW], sold (> 0) or bought (< 0)
        at the day-ahead price.
    connection_flows : pandas.DataFrame
        Net power behind each connection point [MW].
    sessions : pandas.DataFrame
        Per EV session and step: ``station``, ``session``, ``start``, ``power`` [MW]
        (charging negative), ``baseline`` [MW] and ``car_soc`` [MWh] (bidirectional).
    prices : pandas.Series
        The prices used [EUR/MWh].
    stats : SolverStats
    resolution : pandas.Timedelta
        Step length Δt.
    x : numpy.ndarray
        The raw solution vector (variables in the order of ``Problem.lp``).
    terms : pandas.Series
        The objective itemised [EUR]: ``energy`` (day-ahead revenue of the assets not
        behind a tariffed connection), ``tariff`` (import and export at a
        connection's own prices), ``end_value`` (+), ``degradation``, ``peak``,
        ``capacity_breach``, ``breach`` (−, as negative numbers). Sums to ``objective``.
    breaches : pandas.DataFrame
        What soft wishes missed, one row per miss above 1e-9: ``asset`` (or
        connection point), ``family`` (``soc_min``, ``soc_max``, ``soc_target``,
        ``session_energy``, ``connection_limit``, ``contracted_capacity``),
        ``time`` (step start; NaT for horizon-wide terms), ``amount``, ``unit``
        (MWh or MW), ``price`` [EUR per unit] and ``cost`` [EUR].
    """

    status: str
    objective: float
    objective_with_tie_break: float
    baseline_revenue: float
    schedule: pd.DataFrame
    soc: pd.DataFrame
    charge: pd.DataFrame
    discharge: pd.DataFrame
    baseline: pd.DataFrame
    actions: pd.DataFrame
    action_table: pd.DataFrame
    net_position: pd.Series
    connection_flows: pd.DataFrame
    sessions: pd.DataFrame
    prices: pd.Series
    stats: SolverStats
    resolution: pd.Timedelta = pd.Timedelta("15min")
    x: np.ndarray = field(repr=False, default=None)
    terms: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    breaches: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["asset", "family", "time", "amount", "unit", "price", "cost"])
    )

    @property
    def value(self) -> float:
        """Value of flexibility against the baseline [EUR]: objective − baseline revenue."""
        return self.objective - self.baseline_revenue

    @property
    def revenue_by_asset(self) -> pd.DataFrame:
        """Per asset: ``schedule``, ``baseline`` revenue and ``value`` [EUR]."""
        hours = self.resolution / pd.Timedelta("1h")
        s = self.schedule.mul(self.prices, axis=0).sum() * hours
        b = self.baseline.mul(self.prices, axis=0).sum() * hours
        return pd.DataFrame({"schedule": s, "baseline": b, "value": s - b})


# ---------------------------------------------------------------------------------------
# summaries


def summarise(result: ScheduleResult, info: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per asset: type, energy of baseline and schedule, action energy and value; a total row.

    Parameters
    ----------
    result : ScheduleResult
    info : pandas.DataFrame, optional
        Asset info with a ``type`` column (from :func:`portfolio_from_db`).

    Returns
    -------
    pandas.DataFrame
        Indexed by asset plus ``"total"``: ``type``, ``baseline_mwh`` = Σ baseline × Δt,
        ``schedule_mwh`` = Σ schedule × Δt (net energy, production positive),
        ``action_mwh`` = Σ |schedule − baseline| × Δt (energy moved, ≥ 0),
        ``value_eur`` = Σ (schedule − baseline) × price × Δt [EUR].
    """
    h = result.resolution / pd.Timedelta("1h")
    rev = result.revenue_by_asset
    out = pd.DataFrame(
        {
            "type": (info["type"].reindex(result.schedule.columns) if info is not None else ""),
            "baseline_mwh": result.baseline.sum() * h,
            "schedule_mwh": result.schedule.sum() * h,
            "action_mwh": result.actions.abs().sum() * h,
            "value_eur": rev["value"],
        }
    )
    total = out.drop(columns="type").sum()
    out.loc["total"] = ["", *total.to_numpy()]
    out.index.name = "asset"
    return out


def compare(results: dict[str, ScheduleResult]) -> pd.DataFrame:
    """Several schedules of the same day side by side (for example with and without an own constraint).

    Returns
    -------
    pandas.DataFrame
        One row per label: ``status``, ``revenue_eur`` (objective), ``baseline_revenue_eur``,
        ``value_eur`` (revenue − baseline revenue), ``value_change_eur`` against the first
        row, ``solve_time_s``.
    """
    rows = {
        label: {
            "status": r.status,
            "revenue_eur": r.objective,
            "baseline_revenue_eur": r.baseline_revenue,
            "value_eur": r.value,
            "solve_time_s": r.stats.solve_time,
        }
        for label, r in results.items()
    }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.insert(4, "value_change_eur", out["value_eur"] - out["value_eur"].iloc[0])
    return out
