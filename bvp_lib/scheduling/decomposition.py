"""Dantzig–Wolfe decomposition of a battery portfolio coupled only at connection points.

Batteries are independent except through the connection limits
``−P^imp_c[t] ≤ Σ_{b ∈ c} P_b[t] ≤ P^exp_c[t]``. Column generation keeps those rows
in a small *master* LP and prices every battery's schedule separately:

* **master** (HiGHS, warm-started between rounds): choose a convex combination
  ``Σ_j λ_{b,j} = 1`` of known schedules P_{b,j} per battery, maximising revenue
  ``Σ_j λ_{b,j} o_{b,j}`` within the connection limits;
* **pricing**: with the master's duals y_c[t] of the limits and ν_b of the convexity
  rows, each battery solves its own arbitrage problem at the prices
  ``q_b[t] = π_t − y_c[t]/Δt`` exactly, with the vectorised dynamic programme of
  :mod:`~bvp_lib.scheduling.arbitrage` (all batteries at once); a schedule whose
  reduced value ``z_b − ν_b`` is positive enters the master.

**Proof of optimality.** For any y, Lagrangian duality gives the upper bound

.. math::
    U(y) = \\sum_b z_b(y) + \\sum_{c,t} \\max\\big(y_c[t] P^{exp}_c[t],\\; −y_c[t] P^{imp}_c[t]\\big)

on the LP optimum, while the master's objective L (with no slack used) is the value
of a feasible schedule. The loop stops when ``(U − L) ≤ gap · max(1, |L|)``, so the
returned schedule is within that relative gap of the proven optimum
(``stats.proven_gap``).

**Vertex repair.** At the end at most as many batteries as there are binding
limit rows use a mix of schedules; a mix can charge and discharge in the same step.
Those batteries are solved once more as an ordinary (small) problem with the other
batteries' flows taken off the limits, which returns a vertex and applies the strict
rule and the canonical tie-break of the matrix backend to them. Its optimum equals
the mixed part's value, so the bound still holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from bvp_lib.scheduling.arbitrage import solve_batteries
from bvp_lib.scheduling.assets import Battery, ConnectionPoint
from bvp_lib.scheduling.backends import RawSolution, highs_instance

BIG = 1e5  # [EUR/MW per step] cost of the master's artificial slack on a limit row
SMOOTHING = 0.7  # Wentges dual smoothing: price at 0.7 · best-bound duals + 0.3 · master duals


@dataclass
class DecompositionStats:
    rounds: int
    columns: int
    mixed: int
    pricing_time: float
    master_time: float
    repair_time: float
    lower: float
    upper: float


def decomposable(problem) -> str | None:
    """Why ``problem`` cannot be decomposed (``None`` if it can)."""
    if problem._bridge is not None:
        return "own constraints or variables in problem.model"
    if not all(isinstance(a, Battery) for a in problem.assets):
        return "assets other than batteries"
    p = problem.batteries
    if p is None or not len(p.names):
        return "no batteries"
    if (p.self_discharge > 0).any():
        return "self-discharge"
    if p.soft.any():
        return "soft SoC wishes"
    if problem.tariffs is not None and problem.tariffs.n:
        return "connection tariffs"
    if problem.complementarity in ("milp", "intra-step"):
        return f"complementarity={problem.complementarity!r}"
    if problem.lp.n_vars != 3 * len(p.names) * problem.grid.n:
        return "binaries or extra variables"
    return None


def solve_decomposed(problem, *, gap: float = 1e-9, max_rounds: int = 500, time_limit: float | None = None,
                     threads: int | None = None) -> tuple[RawSolution, DecompositionStats]:
    """Solve a battery portfolio by column generation (see the module docstring)."""
    t_start = time.perf_counter()
    g = problem.grid
    T, hours = g.n, g.hours
    p = problem.batteries
    B = len(p.names)
    price = problem.prices
    conns = problem.connections
    cp_of = np.full(B, -1, np.int64)
    asset_pos = {int(a): i for i, a in enumerate(p.asset.tolist())}
    rows_lo, rows_up, row_cp = [], [], []
    for ci, members in enumerate(conns.members):
        lo, up = -conns.import_capacity[ci], conns.export_capacity[ci]
        if not (np.isfinite(lo).any() or np.isfinite(up).any()):
            continue
        k = len(row_cp)
        for m in members.tolist():
            cp_of[asset_pos[m]] = k
        rows_lo.append(lo)
        rows_up.append(up)
        row_cp.append(ci)
    C = len(row_cp)
    rlo = np.concatenate(rows_lo) if C else np.zeros(0)
    rup = np.concatenate(rows_up) if C else np.zeros(0)
    lo_t = p.soc_lo.copy()
    hi_t = p.soc_hi.copy()
    tg = np.isfinite(p.targets)
    lo_t[tg] = np.maximum(lo_t[tg], p.targets[tg])
    hi_t[tg] = np.minimum(hi_t[tg], p.targets[tg])
    kappa = p.degradation_cost
    vend = np.nan_to_num(p.soc_value)
    kw = dict(charge_power=p.charge_power, discharge_power=p.discharge_power, eta_c=p.charge_efficiency,
              eta_d=p.discharge_efficiency, soc_start=p.soc_start, soc_lo=lo_t, soc_hi=hi_t,
              soc_end_min=p.soc_target, degradation=kappa, end_value=vend)

    def value(c, d, s, q, ids=slice(None)):
        return (((d - c) * q).sum(axis=1) * hours - kappa[ids] * hours * (c + d).sum(axis=1)
                + vend[ids] * (s[:, -1] - p.soc_start[ids]))

    # the master: N convexity rows, then C·T limit rows; slack columns keep it feasible
    h = highs_instance(None, None, threads)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("presolve", "off")  # keep the basis between rounds (warm start)
    import highspy

    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    n_rows = B + C * T
    h.addRows(n_rows, np.concatenate([np.ones(B), rlo]), np.concatenate([np.ones(B), rup]), 0,
              np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    if C:
        r = B + np.arange(C * T)
        ns = r.size
        h.addCols(2 * ns, np.full(2 * ns, -BIG * hours), np.zeros(2 * ns), np.full(2 * ns, np.inf), 2 * ns,
                  np.arange(2 * ns, dtype=np.int32), np.concatenate([r, r]).astype(np.int32),
                  np.concatenate([np.ones(ns), -np.ones(ns)]))
    n_slack = 2 * C * T
    cols: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # (battery ids, c, d, s)

    def add_columns(ids, c, d, s):
        P = d - c
        obj = value(c, d, s, np.broadcast_to(price, c.shape), ids)
        n = ids.size
        has = cp_of[ids] >= 0
        # entries: convexity row, then the limit rows with non-zero power
        nz_b, nz_t = np.nonzero((np.abs(P) > 0) & has[:, None])
        counts = np.bincount(nz_b, minlength=n) + 1
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
        idx = np.empty(counts.sum(), np.int32)
        val = np.empty(counts.sum())
        idx[starts] = ids
        val[starts] = 1.0
        pos = starts[nz_b] + 1 + (np.arange(nz_b.size) - np.concatenate([[0], np.cumsum(np.bincount(nz_b, minlength=n))[:-1]])[nz_b])
        idx[pos] = B + cp_of[ids][nz_b] * T + nz_t
        val[pos] = P[nz_b, nz_t]
        h.addCols(n, obj, np.zeros(n), np.full(n, np.inf), int(idx.size), starts, idx, val)
        cols.append((ids, c, d, s))

    t_p = time.perf_counter()
    c, d, s = solve_batteries(np.broadcast_to(price, (B, T)), hours, **kw)
    pricing_time = time.perf_counter() - t_p
    add_columns(np.arange(B), c, d, s)
    master_time = 0.0
    rounds = 0
    lower = upper = np.nan
    status = "optimal"
    has = cp_of >= 0
    center = None  # duals of the best bound so far (Wentges smoothing)
    best_upper = np.inf
    smooth = SMOOTHING

    def price_at(yl):
        nonlocal pricing_time
        q = np.broadcast_to(price, (B, T)).copy()
        q[has] -= yl[cp_of[has]] / hours
        t_p = time.perf_counter()
        c, d, s = solve_batteries(q, hours, **kw)
        pricing_time += time.perf_counter() - t_p
        z = value(c, d, s, q)
        yr = yl.ravel()
        rows = np.where(yr > 0, yr * rup, np.where(yr < 0, yr * rlo, 0.0)) if C else np.zeros(0)
        return c, d, s, z, float(z.sum() + rows.sum())

    while True:
        rounds += 1
        t_m = time.perf_counter()
        h.run()
        master_time += time.perf_counter() - t_m
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            status = "error"
            break
        sol = h.getSolution()
        y = np.asarray(sol.row_dual)
        lam = np.asarray(sol.col_value)
        lower = float(h.getInfo().objective_function_value)
        slack_used = lam[:n_slack].sum() > 1e-9
        nu = y[:B]
        ym = y[B:].reshape(C, T) if C else np.zeros((0, T))
        tol = 1e-9 * max(1.0, abs(lower)) / max(B, 1)
        while True:
            yl = ym if center is None or smooth == 0 else smooth * center + (1 - smooth) * ym
            c, d, s, z_sep, u_sep = price_at(yl)
            if u_sep < best_upper:
                best_upper, center = u_sep, yl.copy()
            # reduced value of the new schedules against the master's own duals
            P = d - c
            o = value(c, d, s, np.broadcast_to(price, (B, T)))
            coupling = np.zeros(B)
            if C:
                coupling[has] = (ym[cp_of[has]] * P[has]).sum(axis=1)
            rc = o - coupling - nu
            new = np.flatnonzero(rc > tol)
            if new.size or smooth == 0 or center is None or np.allclose(yl, ym):
                break
            center = ym.copy()  # mispricing: fall back to the master's duals
        upper = best_upper
        done = (not slack_used) and (upper - lower <= gap * max(1.0, abs(lower)))
        if done or new.size == 0 or rounds >= max_rounds:
            break
        if time_limit is not None and time.perf_counter() - t_start > time_limit:
            status = "time_limit"
            break
        add_columns(new, c[new], d[new], s[new])
    if status != "error" and lam[:n_slack].sum() > 1e-7:
        status = "infeasible"
    # the schedule: convex combinations of the columns
    lam_cols = lam[n_slack:]
    X = {k: np.zeros((B, T)) for k in "cds"}
    weight = np.zeros(B)
    n_used = np.zeros(B, np.int64)
    off = 0
    for ids, c, d, s in cols:
        w = lam_cols[off: off + ids.size]
        off += ids.size
        act = w > 1e-12
        np.add.at(X["c"], ids, w[:, None] * c)
        np.add.at(X["d"], ids, w[:, None] * d)
        np.add.at(X["s"], ids, w[:, None] * s)
        np.add.at(weight, ids, w)
        np.add.at(n_used, ids[act], 1)
    for k in X:
        X[k] /= np.maximum(weight, 1e-300)[:, None]
    mixed = np.flatnonzero(n_used > 1)
    t_r = time.perf_counter()
    iterations = 0
    canonical_time = 0.0
    if status == "optimal" and mixed.size:
        X, iterations, canonical_time = _repair(problem, mixed, X, cp_of, row_cp, threads)
    repair_time = time.perf_counter() - t_r
    cvar, dvar = problem.battery_vars
    x = np.zeros(problem.lp.n_vars)
    x[cvar] = X["c"]
    x[dvar] = X["d"]
    x[problem.soc_vars] = X["s"]
    obj_val = float(value(X["c"], X["d"], X["s"], np.broadcast_to(price, (B, T))).sum())
    proven = (upper - obj_val) / max(1.0, abs(obj_val)) if status == "optimal" else None
    raw = RawSolution(
        status=status, solver_status=f"column generation: {rounds} rounds, {off} columns, {mixed.size} mixed",
        x=x if status in ("optimal", "time_limit") else None, objective=obj_val, model_time=0.0,
        solve_time=time.perf_counter() - t_start, n_variables=problem.lp.n_vars, n_constraints=problem.lp.n_rows,
        n_integer=0, n_nonzeros=0, iterations=iterations, proven_gap=None if proven is None else max(proven, 0.0),
        bound=upper, canonical_time=canonical_time,
    )
    return raw, DecompositionStats(rounds, off, int(mixed.size), pricing_time, master_time, repair_time, lower, upper)


def _repair(problem, mixed, X, cp_of, row_cp, threads):
    """Re-solve the mixed batteries as one small problem with the others' flows fixed."""
    g = problem.grid
    B = len(problem.batteries.names)
    fixed = np.setdiff1d(np.arange(B), mixed)
    P = X["d"] - X["c"]
    bats = [problem.assets[int(problem.batteries.asset[i])] for i in mixed.tolist()]
    cps = []
    conns = problem.connections
    for k, ci in enumerate(row_cp):
        members = [i for i in mixed.tolist() if cp_of[i] == k]
        if not members:
            continue
        used = P[fixed[cp_of[fixed] == k]].sum(axis=0)
        imp = conns.import_capacity[ci] + used
        exp = conns.export_capacity[ci] - used
        import pandas as pd

        cps.append(ConnectionPoint(conns.names[ci], [problem.batteries.names[i] for i in members],
                                   import_capacity=pd.Series(np.maximum(imp, 0.0), index=g.index),
                                   export_capacity=pd.Series(np.maximum(exp, 0.0), index=g.index)))
    import pandas as pd

    sub = problem.builder(bats, pd.Series(problem.prices, index=g.index), cps, tie_break=problem.tie_break,
                        complementarity=problem.complementarity, resolution=g.resolution)
    r = sub.solve("highs", backend="matrix", threads=threads, method="monolithic")
    X = {k: v.copy() for k, v in X.items()}
    names = [b.name for b in bats]
    X["c"][mixed] = r.charge[names].to_numpy().T
    X["d"][mixed] = r.discharge[names].to_numpy().T
    X["s"][mixed] = r.soc[names].to_numpy()[1:].T
    return X, int(r.stats.iterations or 0), r.stats.canonical_time
