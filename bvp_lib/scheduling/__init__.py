"""Schedule the flexibility of a portfolio on the day-ahead market (pandas in, pandas out).

Sign convention everywhere: power in MW, **production positive, consumption
negative** (a charging battery or car and a building's load are negative). Energy of a
step = power × Δt [MWh]; revenue = Σ_t net power × price × Δt [EUR].

Quick start
-----------
>>> import pandas as pd
>>> from bvp_lib.scheduling import Battery, Curtailable, ConnectionPoint, build_problem
>>> idx = pd.date_range("2015-04-12 00:00", periods=96, freq="15min", tz="UTC")
>>> prices = pd.Series([20.0] * 48 + [60.0] * 48, index=idx)          # EUR/MWh
>>> bat = Battery("bat-01", capacity=2.0, charge_power=1.0, soc_start=0.0)
>>> problem = build_problem([bat], prices)
>>> result = problem.solve()                   # Cbc by default (BVP_LP_SOLVER), HiGHS selectable
>>> round(result.objective, 2)                 # EUR: buy 2 MWh at 20, sell at 60
80.0
>>> float(result.schedule["bat-01"].iloc[0])   # MW, charging is negative
-1.0

``result`` also holds ``soc`` (MWh at the start and every step end), ``baseline``,
``actions`` (schedule − baseline), ``action_table`` (asset, start, end, power, value
EUR), ``net_position``, ``connection_flows``, ``sessions`` and ``stats`` (build and
solve times, variables, constraints, solver, backend, status).

Asset types (:mod:`~bvp_lib.scheduling.assets`)
    :class:`Battery`, :class:`ChargingStation` (sessions DataFrame), :class:`Building`
    (shiftable share of the load), :class:`Curtailable` (solar, wind), and
    :class:`ConnectionPoint` (import/export limit shared by assets).

Constraint families, one function each, equations in their docstrings
    battery: :func:`~bvp_lib.scheduling.battery.add_battery_power`,
    :func:`~bvp_lib.scheduling.battery.add_battery_soc`,
    :func:`~bvp_lib.scheduling.battery.add_battery_target`;
    EV: :func:`~bvp_lib.scheduling.ev.add_session_power`,
    :func:`~bvp_lib.scheduling.ev.add_session_energy`,
    :func:`~bvp_lib.scheduling.ev.add_session_soc`,
    :func:`~bvp_lib.scheduling.ev.add_station_power`;
    building: :func:`~bvp_lib.scheduling.building.add_building_shift`,
    :func:`~bvp_lib.scheduling.building.add_building_window`,
    :func:`~bvp_lib.scheduling.building.add_building_energy_neutral`;
    solar/wind: :func:`~bvp_lib.scheduling.curtailment.add_curtailment`;
    portfolio: :func:`~bvp_lib.scheduling.portfolio.add_connection_limits`,
    :func:`~bvp_lib.scheduling.portfolio.objective_vector`,
    :func:`~bvp_lib.scheduling.portfolio.tie_break_weights`;
    no simultaneous charge/discharge:
    :func:`~bvp_lib.scheduling.complementarity.add_no_simultaneous` (binaries only
    where provably needed; the argument is in :mod:`~bvp_lib.scheduling.complementarity`),
    or intra-step switching :func:`~bvp_lib.scheduling.complementarity.add_intra_step`
    (``complementarity="intra-step"``: ``c/P^c + d/P^d ≤ 1``, a pure LP);
    battery terms: :func:`~bvp_lib.scheduling.battery.add_battery_degradation`
    (``degradation_cost`` EUR/MWh of throughput),
    :func:`~bvp_lib.scheduling.battery.add_battery_end_value` (``soc_value``),
    :func:`~bvp_lib.scheduling.battery.add_battery_soft_bounds` (``soc_breach_price``);
    SoC minima/maxima as Series, exact ``soc_targets`` over time;
    connection terms (:mod:`~bvp_lib.scheduling.tariffs`):
    :func:`~bvp_lib.scheduling.tariffs.add_connection_flows` (``import_price``,
    ``export_price``, soft limits via ``limit_breach_price``),
    :func:`~bvp_lib.scheduling.tariffs.add_peak_charges` (``peak_price``,
    ``contracted_import``/``contracted_export`` with ``capacity_breach_price``);
    EV: ``energy_breach_price`` makes session energy soft.

Soft wishes and itemised terms
------------------------------
Every breach price turns a strict wish into one that may be missed at that price:
an impossible request returns the cheapest compromise, with ``result.breaches``
listing each miss (asset, family, time, amount, unit, price, cost) and
``result.terms`` the objective per term (energy, tariff, end value, degradation,
peak, capacity breach, breach). Without breach prices everything stays strict and an
impossible request raises as before.

Longer horizons
---------------
Plan D and D+1 in one problem (prices and forecasts over both days), keep D with
:func:`~bvp_lib.scheduling.horizon.keep_until`, start the next plan from its end state
with :func:`~bvp_lib.scheduling.horizon.carry_over`; ``soc_value`` values what is left
at the end of the horizon.

Adding your own constraint
--------------------------
A built problem exposes its PuLP model and named variables. Add constraints before
solving; both backends honour them::

    problem = build_problem([bat, solar], prices, [grid])
    charge = problem.var("bat-01", "charge")          # Series of LpVariable [MW ≥ 0]
    problem.model += charge.iloc[10] <= 0.5            # at most 0.5 MW in step 10
    problem.model += problem.var("bat-01", "soc").loc["2015-04-12 12:00+00:00"] >= 1.0  # MWh at 12:00
    problem.model += problem.power("bat-01").iloc[40] >= -0.2   # net power expression [MW]
    result = problem.solve()

``problem.describe()`` lists every asset's variable kinds. Own *variables* or a
replaced objective need ``backend="pulp"``.

Solvers and backends
--------------------
``problem.solve(solver=None, backend="auto", time_limit=None, mip_gap=None)``.
``solver`` is ``"cbc"`` (bundled with PuLP) or ``"highs"``; the default comes from
``BVP_LP_SOLVER`` via :func:`bvp_lib.config.get_settings`. ``backend="pulp"`` builds
PuLP objects; ``backend="matrix"`` builds the same LP as one scipy.sparse matrix and
hands it to HiGHS through highspy — use it for large portfolios (hundreds of assets
and more). ``"auto"`` picks the matrix path when the solver is HiGHS and the PuLP model
was not touched. Both give the same objective.

Determinism without cost: the matrix path solves *without* the tie-break, then
minimises the tie-break over the optimal face only (variables with a non-zero reduced
cost and rows with a non-zero dual fixed; see
:func:`~bvp_lib.scheduling.backends.canonical_solution`), so repeated runs give the
same schedule and the revenue is never traded for it. ``stats.proven_gap`` reports
the proven relative gap. ``method="decomposed"`` solves a battery portfolio by
column generation with an exact single-battery algorithm
(:mod:`~bvp_lib.scheduling.decomposition`, :mod:`~bvp_lib.scheduling.arbitrage`).

From the database
-----------------
:mod:`bvp_lib.scheduling.inputs` reads one local day of the assets in the database (from
the catalogue, the day's sessions — forecast at gate closure in forecast mode, the real ones
for perfect foresight —, forecasts or measurements and prices);
:mod:`bvp_lib.scheduling.store` schedules it and stores the schedule as beliefs
(``bvp schedule --date D`` on the command line)::

    from bvp_lib.scheduling.store import schedule_day
    day = schedule_day("2015-04-12", mode="perfect")   # or "forecast": stored day-ahead forecasts
    day.summary()                                      # per asset: MWh baseline vs schedule, value EUR
    problem = day.inputs.build()                       # the same inputs, to add own constraints

Errors
------
Bad input raises :class:`SchedulingInputError` before the solver runs (for example
``"battery jc_bat: SoC target 5.5 MWh above capacity 5 MWh"``). When the solver finds
no feasible schedule, :class:`InfeasibleScheduleError` names the asset(s) and the
constraint family (``err.asset``, ``err.family``, ``err.culprits``), found by
re-solving with families relaxed one at a time.
"""

from bvp_lib.scheduling.assets import Battery, Building, ChargingStation, ConnectionPoint, Curtailable
from bvp_lib.scheduling.errors import (
    Culprit,
    InfeasibleScheduleError,
    SchedulingInputError,
    SolverError,
    UnboundedScheduleError,
)
from bvp_lib.scheduling.build import build_problem
from bvp_lib.scheduling.problem import Problem
from bvp_lib.scheduling.result import ScheduleResult, SolverStats

__all__ = [
    "Battery",
    "Building",
    "ChargingStation",
    "ConnectionPoint",
    "Culprit",
    "Curtailable",
    "InfeasibleScheduleError",
    "Problem",
    "ScheduleResult",
    "SchedulingInputError",
    "SolverError",
    "SolverStats",
    "UnboundedScheduleError",
    "build_problem",
]
