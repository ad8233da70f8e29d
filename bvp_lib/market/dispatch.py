"""Delivery: after clearing, the assets' plan that delivers the accepted quantities.

The day-ahead results are published shortly after gate closure (the market clock's price
publication, 13:00 on D-1 by default), well before delivery: the plan for D is then made
on the same forecasts known at gate closure, with the clearing prices known. It is the
portfolio's scheduling problem (:mod:`bvp_lib.scheduling`: every asset's flexibility,
the connection limits, and the strict rule that storage never charges and discharges in
the same step) with one more family, ``order_tracking``: per order and delivery period
the plan's mean power equals the accepted quantity, up to a slack that is penalised far
above any price,

.. math::
    \\frac{1}{n} \\sum_{t ∈ h} \\sum_{a ∈ o} P[a, t] + u^+_{o,h} − u^-_{o,h} = y_{o,h},
    \\qquad \\text{cost } W (u^+ + u^-) \\cdot 1\\,h, \\; W = 10^4\\,\\text{EUR/MWh}.

Where the accepted quantities can be delivered the slack is zero; where they cannot (a
clearing price no scenario foresaw asks for more than a battery holds), the plan comes
as close as the assets allow and the rest is an **imbalance**, settled like any other
deviation (:func:`bvp_lib.valuation.value_day`): this is the documented repair step.
With the workbench's own book each asset also knows its own part of its order's accepted
quantity (:func:`bvp_lib.market.clearing.split_accepted`), tracked by a second family,
``part_tracking``, at a lower penalty (``10^3`` EUR/MWh): the assets follow their own
parts and make up for one another only where one cannot deliver its part. An order's
imbalance is then shared among the assets that fell short of their part, in proportion
to how far. Orders made elsewhere, whose parts are unknown, are tracked as a whole and
their imbalance is shared by the assets' power limits. The penalties are not revenue:
the plan's objective leaves them out.

The strict rule is kept by re-solving, not by binaries: the linear program lets storage
alternate within a step; where its solution both charges and discharges in a step, that
step's direction is fixed to the one it has on balance and the program is solved again
(:func:`~bvp_lib.scheduling.complementarity.fix_directions`, at most ``REPAIR_ROUNDS`` times), so the final plan keeps every
constraint (SoC, connection limits) exactly. Only if steps remain after those rounds are
they netted (:func:`net_simultaneous`, which keeps the SoC and exports the losses: the
connection limit may then be exceeded by those losses). Parks sell and deliver at most
what their connection takes (:func:`within_connections`).

Power in MW, sold positive; energy in MWh; prices in EUR/MWh.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bvp_lib.scheduling.assets import Curtailable
from bvp_lib.scheduling.complementarity import fix_directions
from bvp_lib.scheduling.build import build_problem
from bvp_lib.scheduling.result import ScheduleResult

TRACKING_PENALTY = 1e4  # [EUR/MWh], above any day-ahead price
PART_TRACKING_PENALTY = 1e3  # [EUR/MWh], each asset's own part: below the order's, above usual prices
REPAIR_ROUNDS = 5  # re-solves that fix the direction of storage steps that both charge and discharge


@dataclass
class Delivery:
    """The plan that delivers the accepted quantities.

    Attributes
    ----------
    result : ScheduleResult
        The plan of every scheduled asset at the clearing prices [MW], SoC [MWh].
    position : pandas.DataFrame
        What each asset sold [MW] per step: its plan plus its share of its order's
        imbalance (accepted − delivered), spread evenly over the period's steps.
    imbalance : pandas.DataFrame
        Per order (columns) and delivery period: accepted − delivered mean power [MW].
    accepted : pandas.DataFrame
        The clearing's accepted quantities per order and period [MW].
    """

    result: ScheduleResult
    position: pd.DataFrame
    imbalance: pd.DataFrame
    accepted: pd.DataFrame
    info: dict = field(default_factory=dict)
    #: each asset's own part of its order's accepted quantity [MW] per period, if known
    targets: pd.DataFrame | None = None


def deliver(inputs, members: dict[str, list[str]], accepted: pd.DataFrame, prices: pd.Series, *,
            targets: pd.DataFrame | None = None, solver: str | None = "highs", time_limit: float | None = None,
            mip_gap: float | None = None, tie_break: float | None = None) -> Delivery:  # fmt: skip
    """Plan the day to deliver the accepted quantities (module docstring).

    Parameters
    ----------
    inputs : bvp_lib.scheduling.inputs.DayInputs
        The day as known at gate closure (forecast baseline).
    members : dict
        Order name -> its assets (:attr:`bvp_lib.market.bidding.BidResult.members`).
    accepted : pandas.DataFrame
        :func:`bvp_lib.market.clearing.clear`'s output (index: period start, one column
        per order) [MW].
    prices : pandas.Series
        The clearing prices on the schedule's steps [EUR/MWh].
    targets : pandas.DataFrame, optional
        Each asset's own part of its order's accepted quantity per period [MW]
        (:func:`bvp_lib.market.clearing.split_accepted`). Each asset then tracks its own
        part, and an order's imbalance is shared among the assets that fell short of
        theirs, in proportion to how far. Without parts (orders made elsewhere) the plan
        tracks each order as a whole and its imbalance is shared by the power limits.
    solver, time_limit, mip_gap, tie_break
        As :meth:`bvp_lib.scheduling.Problem.solve` and
        :func:`~bvp_lib.scheduling.build_problem`.
    """
    inputs = within_connections(inputs)
    idx = inputs.prices.index
    periods = pd.DatetimeIndex(accepted.index)
    H, T = len(periods), len(idx)
    per = T // H
    info = inputs.info
    # parks: produce the forecast where their limit order sold, nothing where it did not
    parks = [x for x in inputs.assets if isinstance(x, Curtailable)]
    park_plan = {}
    for park in parks:
        order = next((o for o, ms in members.items() if park.name in ms), park.name)
        if targets is not None and park.name in targets.columns:  # its own part: sold at or above its limit
            sold = np.repeat(np.abs(targets[park.name].to_numpy(float)) > 1e-12, per)
        else:
            sold = np.repeat(accepted[order].to_numpy(float) > 0, per) if order in accepted.columns else np.ones(T, bool)
        f = pd.Series(park.forecast).reindex(idx).to_numpy(float)
        park_plan[park.name] = (order, np.where(sold, f, 0.0))
    flex = [x for x in inputs.assets if not isinstance(x, Curtailable)]
    cp_of = {x: info.at[x, "connection_point"] for x in info.index}
    points = []
    for cp in inputs.connection_points:
        out = np.zeros(T)
        for name, (_, plan) in park_plan.items():
            if cp_of.get(name) == cp.name:
                out = out + plan
        fm = tuple(m for m in cp.assets if m not in park_plan)
        if fm:
            points.append(dataclasses.replace(cp, assets=fm, import_capacity=_minus(cp.import_capacity, -out, idx),
                                              export_capacity=_minus(cp.export_capacity, out, idx)))  # fmt: skip
    kw = {} if tie_break is None else {"tie_break": tie_break}
    flex_orders = {o: ms for o, ms in members.items() if any(m in {x.name for x in flex} for m in ms)}

    problem = build_problem(flex, prices.reindex(idx), points, resolution=inputs.resolution, complementarity="lp",
                            **kw)  # fmt: skip
    add_switching(problem)
    # what the plan tracks: every order as a whole, and (at a lower penalty) each asset
    # its own part where the parts are known, so the assets make up for one another only
    # where an asset cannot deliver its part
    # an order whose parts are known is tracked at their sum (its curve before the volume
    # tick): the exchange's rounding is settled as imbalance, the assets do not bend to it
    # (the flexible members' parts; where only the others' parts are known, such as the parks'
    # in a portfolio order read from a file, the flexible members track the rest as a whole)
    track = accepted.copy()
    flex_names = {x.name for x in flex}
    if targets is not None:
        for o, ms in flex_orders.items():
            fm, other = [m for m in ms if m in flex_names], [m for m in ms if m not in flex_names]
            if o not in track.columns:
                continue
            if all(m in targets.columns for m in fm):
                track[o] = targets[fm].sum(axis=1).to_numpy(float)
            elif other and all(m in targets.columns for m in other):
                track[o] = accepted[o].to_numpy(float) - targets[other].sum(axis=1).to_numpy(float)
    _add_tracking(problem, flex_orders, track, H, per)
    own = [] if targets is None else [m for m in targets.columns if m in {x.name for x in flex}]
    if own:
        _add_tracking(problem, {m: [m] for m in own}, targets, H, per, family="part_tracking",
                      penalty=PART_TRACKING_PENALTY)  # fmt: skip
    lp_result = problem.solve(solver, time_limit, mip_gap)
    for _ in range(REPAIR_ROUNDS):  # the strict rule by fixing directions (module docstring)
        if not fix_directions(problem, lp_result.x):
            break
        lp_result = problem.solve(solver, time_limit, mip_gap)
    x, netted = net_simultaneous(problem, lp_result.x)
    result = problem._result(dataclasses.replace(_raw(lp_result), x=x), lp_result.stats) if netted else lp_result
    # the tracking slack's penalty is no revenue: the plan's objective leaves it out
    fams = [f for f in ("order_tracking", "part_tracking") if f in result.terms.index]
    trk = float(result.terms[fams].sum()) if fams else 0.0
    result = dataclasses.replace(result, objective=result.objective - trk,
                                 objective_with_tie_break=result.objective_with_tie_break - trk,
                                 terms=result.terms.drop(fams))  # fmt: skip
    schedule = result.schedule.copy()
    for name, (order, plan) in park_plan.items():
        schedule[name] = plan
    # each order's imbalance from the final plan (after the netting repair): accepted − delivered
    hourly = schedule.to_numpy().reshape(H, per, -1).mean(axis=1)
    col = {n: i for i, n in enumerate(schedule.columns)}
    imbalance = pd.DataFrame(index=periods)
    for o, ms in members.items():
        # assets outside the plan (price-independent ones) deliver their part as it is
        fixed_part = [m for m in ms if m not in col and targets is not None and m in targets.columns]
        ms = [m for m in ms if m in col]
        if not ms:
            continue
        got = hourly[:, [col[m] for m in ms]].sum(axis=1)
        if fixed_part:
            got = got + targets[fixed_part].sum(axis=1).to_numpy(float)
        imbalance[o] = (accepted[o].to_numpy(float) if o in accepted.columns else np.zeros(H)) - got
    imbalance[np.abs(imbalance) < 1e-9] = 0.0
    # positions: the plan, plus each order's imbalance shared by its assets: in proportion
    # to how far each fell short of its own part (targets), else to their power limits
    position = schedule.copy()
    for o, ms in members.items():
        ms = [m for m in ms if m in position.columns]
        if not ms or o not in imbalance.columns:
            continue
        gap = imbalance[o].to_numpy(float)  # H
        lim = np.array([float(info.at[m, "max_power_mw"]) if m in info.index and pd.notna(info.at[m, "max_power_mw"])
                        else 1.0 for m in ms])  # fmt: skip
        share = np.tile((lim / lim.sum() if lim.sum() > 0 else np.full(len(ms), 1 / len(ms)))[:, None], (1, H))
        if targets is not None and all(m in targets.columns for m in ms):
            short = np.stack([targets[m].to_numpy(float) - hourly[:, col[m]] for m in ms])  # ms × H
            short = np.where(np.sign(short) == np.sign(gap)[None, :], np.abs(short), 0.0)
            tot = short.sum(axis=0)
            share = np.where(tot > 1e-12, short / np.where(tot > 1e-12, tot, 1.0), share)
        for i, m in enumerate(ms):
            position[m] = position[m].to_numpy() + np.repeat(share[i] * gap, per)
    baseline = result.baseline.copy()
    for park in parks:
        baseline[park.name] = pd.Series(park.forecast).reindex(idx).to_numpy(float)
    result = dataclasses.replace(result, schedule=schedule, baseline=baseline, actions=schedule - baseline,
                                 net_position=schedule.sum(axis=1).rename("net_position"))  # fmt: skip
    curtailed = [a.name for a in inputs.assets if isinstance(a, Curtailable)]
    hours = per * inputs.resolution / pd.Timedelta("1h")
    return Delivery(result, position, imbalance, accepted,
                    {"imbalance_mwh": float(imbalance.abs().to_numpy().sum() * hours), "parks": curtailed,
                     "binaries": int(result.stats.n_integer)}, targets)  # fmt: skip


def _raw(result: ScheduleResult):
    from bvp_lib.scheduling.backends import RawSolution

    st = result.stats
    return RawSolution(st.status, st.solver_status, result.x, result.objective_with_tie_break, st.model_time,
                       st.solve_time, st.n_variables, st.n_constraints, st.n_integer, st.n_nonzeros,
                       st.iterations)  # fmt: skip


def add_switching(problem) -> int:
    """Intra-step switching rows ``c/P_c + d/P_d ≤ 1`` for every storage pair
    (``intra_step_switching``): a storage may alternate within a step, its time-averaged
    charging and discharging sharing the step. Returns the rows added."""
    pr = problem.pairs
    ok = (pr.charge_ub > 0) & (pr.discharge_ub > 0) & np.isfinite(pr.charge_ub) & np.isfinite(pr.discharge_ub)
    k = int(ok.sum())
    if not k:
        return 0
    r = np.arange(k)
    problem.lp.add_constraints("intra_step_switching", pr.asset[ok], pr.step[ok], np.r_[r, r],
                               np.r_[pr.charge[ok], pr.discharge[ok]], np.r_[1 / pr.charge_ub[ok], 1 / pr.discharge_ub[ok]],
                               np.full(k, -np.inf), np.ones(k))  # fmt: skip
    return k


def net_simultaneous(problem, x: np.ndarray, tol: float = 1e-7) -> tuple[np.ndarray, int]:
    """Make a schedule keep the strict rule: where a storage charges ``c`` and discharges
    ``d`` in one step, keep its SoC path and net the two, ``c' = c − d/(η_c η_d)`` when it
    charges on balance, else ``d' = d − η_c η_d c`` (η_c η_d read off its SoC balance
    row). The grid power then differs from the plan by the energy the two would have
    lost; the caller settles it as imbalance. Returns the new x and the steps netted."""
    pr = problem.pairs
    both = (x[pr.charge] > tol) & (x[pr.discharge] > tol)
    if not both.any():
        return x, 0
    A = problem.lp.matrix("csc")
    x = x.copy()
    for ci, di in zip(pr.charge[both], pr.discharge[both]):
        col_c, col_d = A[:, ci], A[:, di]
        common = np.intersect1d(col_c.indices, col_d.indices)
        if not len(common):
            continue
        row = common[0]
        ac, ad = float(col_c[row, 0]), float(col_d[row, 0])
        ratio = -ac / ad if ad else 1.0  # η_c η_d
        c, d = x[ci], x[di]
        if ratio * c >= d:
            x[ci], x[di] = c - d / ratio, 0.0
        else:
            x[ci], x[di] = 0.0, d - ratio * c
    return x, int(both.sum())


def within_connections(inputs):
    """The day's inputs with each connection point's parks' forecasts scaled down, step by
    step and in proportion, to at most the connection's export capacity: what the parks
    can sell through it (their limit orders) and deliver. Other assets' power at the
    connection is not counted (the flexible ones plan around the parks' output)."""
    import dataclasses

    info = inputs.info
    idx = inputs.prices.index
    parks = [a for a in inputs.assets if isinstance(a, Curtailable)]
    scale: dict[str, np.ndarray] = {}
    for cp in inputs.connection_points:
        if cp.export_capacity is None:
            continue
        mine = [a for a in parks if a.name in cp.assets or info.at[a.name, "connection_point"] == cp.name]
        if not mine:
            continue
        cap = _minus(cp.export_capacity, np.zeros(len(idx)), idx).to_numpy(float)
        total = sum(np.clip(pd.Series(a.forecast).reindex(idx).to_numpy(float), 0.0, None) for a in mine)
        f = np.where(total > cap, cap / np.where(total > 0, total, 1.0), 1.0)
        for a in mine:
            scale[a.name] = f
    if not scale or all((f >= 1.0).all() for f in scale.values()):
        return inputs
    assets = [dataclasses.replace(a, forecast=pd.Series(pd.Series(a.forecast).reindex(idx).to_numpy(float)
                                                        * scale[a.name], index=idx))
              if a.name in scale else a for a in inputs.assets]  # fmt: skip
    return dataclasses.replace(inputs, assets=assets)


def _minus(capacity, production: np.ndarray, idx: pd.DatetimeIndex):
    """A connection capacity [MW] (scalar or Series) less the parks' planned production."""
    if capacity is None:
        return None
    base = capacity.reindex(idx).to_numpy(float) if isinstance(capacity, pd.Series) else np.full(len(idx), float(capacity))
    return pd.Series(np.maximum(base - production, 0.0), index=idx)  # >= 0: rounding of a park at the limit


def _add_tracking(problem, orders: dict[str, list[str]], accepted: pd.DataFrame, H: int, per: int, *,
                  family: str = "order_tracking", penalty: float = TRACKING_PENALTY):  # fmt: skip
    """A tracking family (module docstring): per entry of ``orders`` and period, the mean
    power of its assets equals ``accepted[entry]`` up to slack costing ``penalty``."""
    lp = problem.lp
    pos = {n: i for i, n in enumerate(problem.names)}
    a, s, v, c = lp.power_terms()
    names = list(orders)
    n_rows = len(names) * H
    up = lp.add_variables(f"{family}_up", np.full(n_rows, -1), np.zeros(n_rows, np.int64), 0.0, np.inf)
    down = lp.add_variables(f"{family}_down", np.full(n_rows, -1), np.zeros(n_rows, np.int64), 0.0, np.inf)
    if not names:
        return up, down
    rows, cols, vals, rhs = [], [], [], []
    for oi, o in enumerate(names):
        ids = np.array([pos[m] for m in orders[o] if m in pos])
        sel = np.isin(a, ids)
        const = lp.power_constant[ids].sum(axis=0).reshape(H, per).mean(axis=1)
        y = accepted[o].to_numpy(float) if o in accepted.columns else np.zeros(H)
        rows += [oi * H + s[sel] // per, oi * H + np.arange(H), oi * H + np.arange(H)]
        cols += [v[sel], up[oi * H:(oi + 1) * H], down[oi * H:(oi + 1) * H]]
        vals += [c[sel] / per, np.ones(H), -np.ones(H)]
        rhs.append(y - const)
    rhs = np.concatenate(rhs)
    lp.add_constraints(family, np.full(n_rows, -1), np.tile(np.arange(H), len(names)), np.concatenate(rows),
                       np.concatenate(cols), np.concatenate(vals), rhs, rhs, relaxable=False)  # fmt: skip
    # part of the objective (a tie-break penalty would only choose among optimal plans)
    hours = per * problem.grid.resolution / pd.Timedelta("1h")
    lp.add_cost(family, up, penalty * hours)
    lp.add_cost(family, down, penalty * hours)
    return up, down
