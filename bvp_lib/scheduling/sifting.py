"""Large battery portfolios: the exact LP, solved on the columns that matter (sifting).

A portfolio of many batteries behind shared connection points is one LP whose size
grows with the batteries, and HiGHS's dual simplex on it needs about one pivot per
active variable from a cold start (measured: 122,000 iterations at N = 1000, 11–17 s;
``benchmarks/bench_scheduling.py --issue``). Column generation over the batteries
(:mod:`~bvp_lib.scheduling.decomposition`) is exact but stalls: at the optimum the
connection duals flatten the effective price over the binding hours, so *every*
battery is indifferent between those hours and the master is massively degenerate.

This module shrinks the LP the simplex sees, and proves afterwards that nothing left
out mattered (*sifting*, a column generation over the LP's own columns):

1. **Aggregate.** Batteries of one connection point with the same efficiencies,
   self-discharge, degradation cost and end value are sorted by duration (energy / power) and binned,
   bins of ``BIN_SIZE`` batteries; each bin becomes one battery with the summed
   power, energy, start, target and SoC bounds. Batteries of *equal* duration and
   relative start aggregate exactly (their feasible sets are scaled copies of one
   set, and a Minkowski sum of scaled copies of a convex set is the scaled set);
   otherwise the aggregate is a slight relaxation (at N = 1000: 157,360.5 against the
   true 157,357.6 EUR with 16 bins). Its LP has ``bins × 3 × T`` variables (N / 32 bins)
   and solves in 0.05 s at N = 1000.
2. **Restricted LP.** Each battery keeps its charge variables only in the steps where
   its bin charges and its discharge variables only where its bin discharges; the
   rest are left out (held at 0). Doing nothing is always allowed, so the restricted
   LP is feasible whenever the batteries may stay idle. At N = 1000 it keeps 44,000
   of 192,000 charge and discharge columns.
3. **Price out.** With the restricted optimum's row duals y, every left-out column j
   has the reduced cost ``c_j − a_jᵀ y``; where that is positive (above the dual
   tolerance ``DUAL_TOL``) the column would pay, so it enters, and the restricted LP
   is solved again by the primal simplex from the last basis (the entering columns
   at 0 keep it primal feasible). When no column enters, y is dual feasible for the
   *whole* LP and the restricted optimum is the whole LP's optimum: the proof a cold
   solve gives, to the same tolerances (at N = 1000: three restricted LPs).
4. **Canonical.** The tie-break (:func:`~bvp_lib.scheduling.backends.canonical_solution`)
   then picks the least-penalty optimum among the kept columns. It is deterministic
   (the pattern is), but where the optimum is not unique it may differ from a plain
   solve's canonical choice; the revenue is the same.

Where no pattern can be made (other assets, own constraints, soft wishes, connection
tariffs, exact SoC targets over time, binaries, an aggregate the builder refuses) or a restricted LP does not solve to optimality,
:func:`solve_guided` returns ``None`` and the caller solves the LP as it is.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from bvp_lib.scheduling.assets import Battery, ConnectionPoint
from bvp_lib.scheduling.backends import (
    DUAL_TOL,
    MatrixLP,
    RawSolution,
    canonical_solution,
    highs_instance,
    highs_iterations,
    highs_status,
    pass_matrix,
)

BIN_SIZE = 32  # batteries per bin (measured 4-125 per bin at N = 1000: 31-63 fastest)
PATTERN_TOL = 1e-9  # [MW] an aggregate's charge or discharge above this opens the step to its members


def _costs(p) -> tuple[np.ndarray, np.ndarray]:
    """Degradation cost [EUR/MWh] and end value [EUR/MWh, NaN = none] per battery."""
    B = len(p.names)
    kappa = np.zeros(B) if p.degradation_cost is None else p.degradation_cost
    value = np.full(B, np.nan) if p.soc_value is None else p.soc_value
    return kappa, value


def _groups(problem) -> tuple[list[np.ndarray], np.ndarray]:
    """Bins of battery positions (alike parameters, one connection point, sorted by duration)
    and each battery's connection point index (-1: none)."""
    p = problem.batteries
    B = len(p.names)
    cp_of = np.full(B, -1, np.int64)
    pos = {int(a): i for i, a in enumerate(p.asset.tolist())}
    for ci, members in enumerate(problem.connections.members):
        for m in members.tolist():
            if m in pos:
                cp_of[pos[m]] = ci
    kappa, value = _costs(p)
    keys = np.stack([cp_of, p.charge_efficiency, p.discharge_efficiency, p.self_discharge, kappa,
                     np.nan_to_num(value, nan=-1e300)], 1)
    _, key_id = np.unique(keys, axis=0, return_inverse=True)
    duration = p.capacity / np.maximum(np.maximum(p.charge_power, p.discharge_power), 1e-12)
    out = []
    for k in np.unique(key_id):
        members = np.flatnonzero(key_id == k)
        members = members[np.argsort(duration[members], kind="stable")]
        out.extend(b for b in np.array_split(members, max(1, -(-members.size // BIN_SIZE))) if b.size)
    return out, cp_of


def _aggregate_problem(problem, bins: list[np.ndarray], cp_of: np.ndarray):
    """The problem with one battery per bin (sums of power, energy, start, target, SoC bounds)."""
    p = problem.batteries
    g = problem.grid
    kappa, value = _costs(p)
    bats, cp_members = [], {}
    for j, b in enumerate(bins):
        i = int(b[0])
        lo, hi = p.soc_lo[b].sum(axis=0), p.soc_hi[b].sum(axis=0)
        cap = float(p.capacity[b].sum())
        bats.append(Battery(
            f"bin-{j:05d}", capacity=cap, charge_power=float(p.charge_power[b].sum()),
            discharge_power=float(p.discharge_power[b].sum()), soc_start=float(p.soc_start[b].sum()),
            soc_target=float(p.soc_target[b].sum()),
            soc_min=pd.Series(lo, index=g.ends) if np.any(lo > 0) else 0.0,
            soc_max=pd.Series(np.minimum(hi, cap), index=g.ends) if np.any(hi < cap) else None,
            charge_efficiency=float(p.charge_efficiency[i]), discharge_efficiency=float(p.discharge_efficiency[i]),
            self_discharge=float(p.self_discharge[i]), degradation_cost=float(kappa[i]),
            soc_value=float(value[i]) if np.isfinite(value[i]) else None,
        ))
        if cp_of[i] >= 0:
            cp_members.setdefault(int(cp_of[i]), []).append(bats[-1].name)
    conns = problem.connections
    cps = [ConnectionPoint(conns.names[ci], names,
                           import_capacity=pd.Series(conns.import_capacity[ci], index=g.index),
                           export_capacity=pd.Series(conns.export_capacity[ci], index=g.index))
           for ci, names in sorted(cp_members.items())]
    return problem.builder(bats, pd.Series(problem.prices, index=g.index), cps, tie_break=0.0,
                           complementarity="lp", resolution=g.resolution)


def usable(problem, m: MatrixLP) -> bool:
    """Whether :func:`open_pattern` can make a pattern for ``problem``'s LP ``m``: batteries
    only (no own constraints, soft wishes, connection tariffs or exact SoC targets over
    time), no binaries. Intra-step rows are fine: they stay in every restricted LP."""
    p = problem.batteries
    if m.n_integer or problem._bridge is not None or p is None or not len(p.names):
        return False
    if not all(isinstance(a, Battery) for a in problem.assets) or p.soft.any():
        return False
    if problem.tariffs is not None and problem.tariffs.n:
        return False
    return p.targets is None or not np.isfinite(p.targets).any()


def solve_aggregate(problem, bins: list[np.ndarray], cp_of: np.ndarray, *, threads: int | None = None):
    """The binned aggregate's LP solved: (charge, discharge) per bin and step [MW], its optimum
    [EUR] and the simplex iterations, or ``None`` (an aggregate the builder refuses, or not optimal)."""
    try:
        agg = _aggregate_problem(problem, bins, cp_of)
    except Exception:  # noqa: BLE001 - an aggregate the builder refuses: the caller solves without it
        return None
    ha = highs_instance(None, None, threads)
    pass_matrix(ha, agg.to_matrix(tie_break=False))
    ha.run()
    if highs_status(ha)[0] != "optimal":
        return None
    xa = np.asarray(ha.getSolution().col_value, dtype=float)
    cva, dva = agg.battery_vars
    return xa[cva], xa[dva], float(ha.getInfo().objective_function_value), highs_iterations(ha)


def open_pattern(problem, m: MatrixLP, *, threads: int | None = None) -> np.ndarray | None:
    """Columns of ``m`` the first restricted LP keeps (see the module docstring), or ``None``."""
    if not usable(problem, m):
        return None
    bins, cp_of = _groups(problem)
    solved = solve_aggregate(problem, bins, cp_of, threads=threads)
    if solved is None:
        return None
    charge, discharge = solved[0], solved[1]
    cv, dv = problem.battery_vars
    bin_of = np.empty(cv.shape[0], np.int64)
    for j, b in enumerate(bins):
        bin_of[b] = j
    keep = np.ones(m.n_vars, bool)
    keep[cv[charge[bin_of] <= PATTERN_TOL]] = False
    keep[dv[discharge[bin_of] <= PATTERN_TOL]] = False
    if np.any(m.col_lower[~keep] > 0) or np.any(m.col_upper[~keep] < 0):
        return None
    return keep


def solve_guided(
    problem, m: MatrixLP, *, penalty: np.ndarray | None = None, time_limit: float | None = None,
    threads: int | None = None,
) -> RawSolution | None:
    """Solve the LP ``m`` by sifting from the aggregate's pattern (module docstring), or ``None``.

    ``None`` means no pattern could be made or a restricted LP did not solve to
    optimality; the caller then solves ``m`` as it is.
    """
    import highspy

    t0 = time.perf_counter()
    keep = open_pattern(problem, m, threads=threads)
    if keep is None:
        return None
    A = m.A.tocsc()
    basis = None
    iterations = rounds = 0
    S = highspy.HighsBasisStatus
    while True:
        rounds += 1
        cols = np.flatnonzero(keep)
        sub = MatrixLP(m.cost[cols], m.offset, A[:, cols], m.col_lower[cols], m.col_upper[cols],
                       m.row_lower, m.row_upper, np.zeros(cols.size, bool))
        left = None if time_limit is None else max(1e-3, time_limit - (time.perf_counter() - t0))
        h = highs_instance(left, None, threads)
        pass_matrix(h, sub)
        if basis is not None:
            h.setOptionValue("simplex_strategy", 4)  # primal simplex: the basis stays primal feasible
            h.setBasis(basis)
        h.run()
        iterations += highs_iterations(h)
        status, text, _ = highs_status(h)
        if status != "optimal":
            return None
        sol = h.getSolution()
        y = np.asarray(sol.row_dual, dtype=float)
        closed = np.flatnonzero(~keep)
        z = m.cost[closed] - A[:, closed].T @ y  # reduced costs of the columns left out
        enter = closed[(z > DUAL_TOL) & (m.col_upper[closed] > m.col_lower[closed])]
        if not enter.size:
            break
        # the next restricted LP: this basis, the entering columns non-basic at their bound 0
        status_of = np.full(m.n_vars, int(S.kLower), np.int64)
        status_of[cols] = [int(v) for v in h.getBasis().col_status]
        keep[enter] = True
        basis = highspy.HighsBasis()
        basis.col_status = [S(int(v)) for v in status_of[np.flatnonzero(keep)]]
        basis.row_status = list(h.getBasis().row_status)
        basis.valid = True
        basis.alien = False
    x_sub = np.asarray(sol.col_value, dtype=float)
    obj = float(h.getInfo().objective_function_value)
    canonical_time = 0.0
    if penalty is not None and np.any(penalty):
        t1 = time.perf_counter()
        left = None if time_limit is None else max(1.0, time_limit - (t1 - t0))
        x_sub, extra = canonical_solution(sub, x_sub, penalty[cols], h, time_limit=left, threads=threads)
        iterations += extra
        canonical_time = time.perf_counter() - t1
    x = np.zeros(m.n_vars)
    x[cols] = x_sub
    return RawSolution(
        status="optimal", solver_status=f"{text} (sifting from the aggregate: {rounds} restricted LPs, "
        f"{cols.size} of {m.n_vars} columns)", x=x, objective=obj, model_time=0.0,
        solve_time=time.perf_counter() - t0, n_variables=m.n_vars, n_constraints=m.n_rows, n_integer=0,
        n_nonzeros=m.nnz, iterations=iterations, proven_gap=0.0, bound=obj, canonical_time=canonical_time,
    )
