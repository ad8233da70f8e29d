"""Build a scheduling problem from assets and prices.

:func:`build_problem` only wires the constraint families of
:mod:`~bvp_lib.scheduling.battery`, :mod:`~bvp_lib.scheduling.ev`,
:mod:`~bvp_lib.scheduling.building`, :mod:`~bvp_lib.scheduling.curtailment`,
:mod:`~bvp_lib.scheduling.tariffs` and :mod:`~bvp_lib.scheduling.portfolio` together
into a :class:`~bvp_lib.scheduling.problem.Problem`, which solves it.
"""

from __future__ import annotations

import time
from typing import Iterable, Literal, Sequence

import numpy as np
import pandas as pd

from bvp_lib.scheduling.assets import Asset, Battery, Building, ChargingStation, ConnectionPoint, Curtailable
from bvp_lib.scheduling.battery import (
    add_battery_degradation,
    add_battery_end_value,
    add_battery_power,
    add_battery_soc,
    add_battery_soft_bounds,
    add_battery_target,
    battery_arrays,
)
from bvp_lib.scheduling.building import (
    add_building_energy_neutral,
    add_building_shift,
    add_building_window,
    building_arrays,
)
from bvp_lib.scheduling.complementarity import (
    StoragePairs,
    a_priori_mask,
    add_intra_step,
    add_no_simultaneous,
)
from bvp_lib.scheduling.curtailment import add_curtailment, curtailable_arrays
from bvp_lib.scheduling.errors import (
    SchedulingInputError,
)
from bvp_lib.scheduling.ev import (
    add_session_energy,
    add_session_power,
    add_session_soc,
    add_station_power,
    session_arrays,
    session_baseline,
    session_pairs,
)
from bvp_lib.scheduling.lp import LinearProgram
from bvp_lib.scheduling.portfolio import (
    add_connection_limits,
    connection_arrays,
    objective_vector,
    tie_break_weights,
)
from bvp_lib.scheduling.tariffs import (
    add_connection_flows,
    add_peak_charges,
    tariff_arrays,
)
from bvp_lib.scheduling.timeseries import make_grid

from bvp_lib.scheduling.problem import COMPLEMENTARITY, DEFAULT_TIE_BREAK, Problem

def build_problem(
    assets: Iterable[Asset],
    prices: pd.Series,
    connection_points: Sequence[ConnectionPoint] = (),
    *,
    tie_break: float = DEFAULT_TIE_BREAK,
    complementarity: Literal["auto", "milp", "lp"] = "auto",
    resolution: pd.Timedelta | str | None = None,
) -> Problem:
    """Build the scheduling LP of a portfolio for the horizon of ``prices``.

    Parameters
    ----------
    assets : iterable of Battery, ChargingStation, Building, Curtailable
        The portfolio; names must be unique.
    prices : pandas.Series
        Day-ahead prices [EUR/MWh] indexed by tz-aware step starts; regular, no gaps,
        no NaN. Their index is the horizon (92, 96 or 100 quarter-hours on a local day).
    connection_points : sequence of ConnectionPoint
        Shared grid connections and their import/export capacity [MW].
    tie_break : float
        ε of the tie-break [EUR/MWh] (see
        :func:`~bvp_lib.scheduling.portfolio.tie_break_weights`); 0 switches it off.
    complementarity : {"auto", "milp", "lp", "intra-step"}
        How "never charge and discharge in the same step" is enforced (see
        :mod:`~bvp_lib.scheduling.complementarity`). ``"auto"`` (default) is the strict
        rule with binaries only where needed; ``"intra-step"`` allows switching within a
        step (``c/P^c + d/P^d ≤ 1``, a pure LP: energy may be dissipated through the
        losses at negative prices); ``"lp"`` drops the rule (a relaxation).
    resolution : pandas.Timedelta or str, optional
        Step length; inferred from the price index (needed for a single step).

    Returns
    -------
    Problem

    Notes
    -----
    Objective (maximised):

    .. math::
        \\sum_t π_t\\, Δt \\sum_{a ∉ \\text{tariffed}} P[a, t] \\; + \\; \\sum_k R_k \\; − \\; \\text{tie-break}

    with P[a, t] the net power of asset a [MW] (production positive), π_t the price
    [EUR/MWh], Δt the step length [h], and R_k the further terms: tariffs at
    connection points with their own import/export prices (whose assets are then
    valued at those, :mod:`~bvp_lib.scheduling.tariffs`), peak and contracted-capacity
    charges, battery degradation and end-of-horizon value
    (:mod:`~bvp_lib.scheduling.battery`), and the price of missed soft wishes
    (term ``breach``). ``ScheduleResult.terms`` itemises them.

    Raises
    ------
    SchedulingInputError
        Bad prices, missing forecasts, impossible parameters — before any solver runs.
    """
    t0 = time.perf_counter()
    grid, price = make_grid(prices, resolution)
    assets = list(assets)
    if not assets:
        raise SchedulingInputError("no assets to schedule")
    if complementarity not in COMPLEMENTARITY:
        raise ValueError(f"complementarity must be one of {', '.join(map(repr, COMPLEMENTARITY))}, got {complementarity!r}")
    tie_break = float(tie_break)
    if not (np.isfinite(tie_break) and tie_break >= 0):
        raise ValueError(f"tie_break must be ≥ 0 EUR/MWh, got {tie_break!r}")
    names = []
    for a in assets:
        if not isinstance(a, (Battery, ChargingStation, Building, Curtailable)):
            raise SchedulingInputError(f"not an asset: {a!r} (use Battery, ChargingStation, Building or Curtailable)")
        if not isinstance(a.name, str) or not a.name:
            raise SchedulingInputError(f"asset names must be non-empty strings, got {a.name!r}")
        if a.name in names:
            raise SchedulingInputError(f"asset name {a.name!r} is used twice", asset=a.name)
        names.append(a.name)

    def of(cls):
        sel = [(i, a) for i, a in enumerate(assets) if isinstance(a, cls)]
        return [a for _, a in sel], [i for i, _ in sel]

    A, T, hours = len(assets), grid.n, grid.hours
    lp = LinearProgram(n_assets=A, n_steps=T)
    w = tie_break_weights(A, T, tie_break) * hours  # [EUR per MW of action per step]
    baseline = np.zeros((A, T))
    pairs: list[StoragePairs] = []

    # batteries
    bats, bat_idx = of(Battery)
    bp = soc = bvars = None
    if bats:
        bp = battery_arrays(bats, bat_idx, grid)
        c, d = add_battery_power(lp, bp)
        soc = add_battery_soc(lp, bp, c, d, hours)
        add_battery_soft_bounds(lp, bp, soc)
        add_battery_target(lp, bp, soc)
        add_battery_degradation(lp, bp, c, d, hours)
        add_battery_end_value(lp, bp, soc)
        bvars = (c, d)
        lp.add_penalty(c, w[bp.asset])
        lp.add_penalty(d, w[bp.asset])
        B = len(bats)
        pairs.append(
            StoragePairs(
                charge=c.ravel(), discharge=d.ravel(), charge_ub=np.repeat(bp.charge_power, T),
                discharge_ub=np.repeat(bp.discharge_power, T), asset=np.repeat(bp.asset, T),
                step=np.tile(np.arange(T), B), unit=np.repeat(bp.asset, T), lossy=np.repeat(~bp.lossless, T),
                has_binary=np.zeros(B * T, bool),
            )
        )

    # charging stations
    stations, st_idx = of(ChargingStation)
    sa = session_arrays(stations, st_idx, grid)
    ch, dis, bi = add_session_power(lp, sa)
    add_session_energy(lp, sa, ch, hours)
    car = add_session_soc(lp, sa, ch, dis, bi, hours)
    add_station_power(
        lp, sa, ch, dis, bi, np.array([np.inf if s.max_power is None else float(s.max_power) for s in stations])
    )
    if ch.size:
        lp.add_penalty(ch, w[sa.station[sa.entry_session], sa.entry_step])
        lp.add_penalty(dis, w[sa.station[sa.entry_session[bi]], sa.entry_step[bi]])
    sp_pairs = session_pairs(sa, ch, dis, bi)
    sp_pairs.unit = sp_pairs.unit + A
    pairs.append(sp_pairs)
    s_base = session_baseline(sa, hours)
    if s_base.size:
        np.add.at(baseline, (sa.station[sa.entry_session], sa.entry_step), -s_base)

    # buildings
    blds, bld_idx = of(Building)
    if blds:
        bd = building_arrays(blds, bld_idx, grid)
        up, down = add_building_shift(lp, bd)
        F = add_building_window(lp, bd, up, down, hours)
        add_building_energy_neutral(lp, bd, F)
        lp.add_penalty(up, w[bd.asset])
        lp.add_penalty(down, w[bd.asset])
        baseline[bd.asset] = -bd.load

    # solar and wind
    curt, cu_idx = of(Curtailable)
    if curt:
        cp = curtailable_arrays(curt, cu_idx, grid)
        prod = add_curtailment(lp, cp)
        # penalty on curtailment (forecast − production): −w on production, +w·forecast constant
        lp.add_penalty(prod, -w[cp.asset])
        lp.penalty_constant += float((w[cp.asset] * cp.forecast).sum())
        baseline[cp.asset] = cp.forecast

    # portfolio
    conns = connection_arrays(connection_points, names, grid)
    tf = tariff_arrays(connection_points, grid, price)
    add_connection_limits(lp, conns, first_id=A, skip=tf.cp)
    if tf.n:
        flows = add_connection_flows(lp, conns, tf, A, hours)
        add_peak_charges(lp, conns, tf, flows, A)
        lp.add_penalty(np.concatenate([flows.imp.ravel(), flows.exp.ravel()]), tie_break * hours)
    cost, const = objective_vector(lp, price, hours)

    all_pairs = StoragePairs.concat(pairs)
    add_no_simultaneous(lp, all_pairs, a_priori_mask(all_pairs, price, complementarity))
    if complementarity == "intra-step":  # a priori where the rows can bind: lossy storage at negative prices
        add_intra_step(lp, all_pairs, all_pairs.lossy & (price[all_pairs.step] < 0))
    problem = Problem(
        grid=grid, prices=price, assets=assets, lp=lp, cost=cost, revenue_constant=const, baseline=baseline,
        batteries=bp, soc_vars=soc, battery_vars=bvars, sessions=sa, session_vars=(ch, dis, bi, car), session_base=s_base,
        connections=conns, pairs=all_pairs, complementarity=complementarity, tie_break=tie_break,
        build_time=time.perf_counter() - t0, tariffs=tf,
    )
    problem.builder = build_problem  # what re-solves parts of it build with (decomposition)
    return problem
