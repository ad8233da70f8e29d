"""Very large battery fleets: the exact LP from an aggregate whose bins are proven exact.

Batteries behind one connection point differ, in issue 16's fleets, in power and energy
only. Against the prices they all face (the market price less the connection's duals),
a battery's best schedule per MW of power is a function of its duration (energy /
power) that is *affine between breakpoints*: the LP's value is piecewise linear in the
energy bound, and within a piece the optimal basis, and so the schedule, moves linearly.
A bin of batteries whose durations lie in one piece is therefore represented *exactly*
by one battery with their summed power and energy (the relaxation of
:mod:`~bvp_lib.scheduling.sifting`'s aggregate is tight there). The breakpoints are not
known in advance, so the bins are refined until each one is shown to be exact (the
proof rests on the splits below, not on this argument, which only says why few bins
need cutting):

1. **Aggregate.** Solve the binned LP (:func:`sifting.solve_aggregate`, 32 batteries
   per bin, sorted by duration). It is a relaxation: its optimum bounds the fleet's.
2. **Split each bin** (a *disaggregation*): find member schedules, each feasible for its
   own battery, whose charge and discharge sum to the bin's in every step (one small LP
   per bin, on two threads). Where every bin splits, the members' schedules keep every
   row of the fleet's LP (the connection rows see the same sums) and earn the bound:
   they are optimal, **proven** by the relaxation.
3. **Finish.** Where some bins do not split (their batteries at most ``FINISH_MAX`` or
   ``FINISH_SHARE`` of the fleet), the split bins are held at their members'
   schedules and the others' members are solved explicitly in the fleet's LP (the
   connection limits less what the held bins use); if that reaches the bound, it is
   optimal too. Otherwise the bins that did not split are cut in ``SPLIT`` parts and the
   aggregate is solved again (a single battery always splits).

The tie-break (``penalty``) is applied in the bins' splits (the least-penalty split) and
in the finishing LP (:func:`~bvp_lib.scheduling.backends.canonical_solution`): the result
is deterministic, and like sifting's it may pick another of tied optima than a plain
solve. Measured on issue 16's fleet (one connection at half the summed power, 96
steps; the same optimum as sifting: to 1e-15 relative at N = 3000, to the 1e-4 EUR
it prints at N = 10,000): N = 10,000 in 30 s after a 2.5 s build
(4 aggregate LPs, 313 → 498 bins, 3 of them solved member by member) against 190 s by
sifting and 499 s plain; N = 3000 9.5 s against 21.9 s; N = 1000 4.6–5.1 s against
4.4–4.9 s (two runs each); N = 200 3.2 s against 0.9 s (the ~500 small split LPs cost
more than sifting's whole solve there). Trying the finish while many bins fail made it a
large LP: N = 1000 took 9.3 s and N = 10,000 35 s before it waited for few.

Returns ``None`` (the caller sifts) where sifting's conditions do not hold or the bins
are not proven within ``MAX_ROUNDS``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from bvp_lib.scheduling.backends import (
    MatrixLP,
    RawSolution,
    canonical_solution,
    highs_instance,
    highs_iterations,
    highs_status,
    pass_matrix,
)

BINNED_MIN = 2000  # batteries from which it is tried first (N = 1000: level with sifting; N = 200: 3.5x slower)
MAX_ROUNDS = 12
SPLIT = 4  # parts a bin that does not split is cut into
PROOF_TOL = 1e-9  # relative: the assembled schedule earns the relaxation's bound within this
FINISH_MAX, FINISH_SHARE = 256, 0.02  # the finish is tried with at most max(256, 2 % of N) batteries free


class _Members:
    """Each battery's columns and rows in the fleet's matrix (slices by battery position)."""

    def __init__(self, problem, m: MatrixLP):
        p = problem.batteries
        nb = len(p.names)
        top = max([int(np.max(b.asset, initial=0)) for b in problem.lp.var_blocks + problem.lp.row_blocks] + [0])
        lut = np.full(max(top, int(np.max(p.asset, initial=0))) + 2, nb, np.int64)
        lut[p.asset] = np.arange(nb)  # asset index -> battery position; nb: no battery

        def owners(blocks, n):
            out = np.full(n, nb, np.int64)  # nb: owned by no battery (connection rows, other columns)
            for b in blocks:
                a = np.asarray(b.asset, dtype=np.int64)
                out[b.start:b.start + a.size] = np.where(a >= 0, lut[np.clip(a, 0, None)], nb)
            return out

        col, row = owners(problem.lp.var_blocks, m.n_vars), owners(problem.lp.row_blocks, m.n_rows)
        self.col_order, self.row_order = np.argsort(col, kind="stable"), np.argsort(row, kind="stable")
        self.col_start = np.searchsorted(col[self.col_order], np.arange(nb + 2))
        self.row_start = np.searchsorted(row[self.row_order], np.arange(nb + 2))
        self.nb = nb

    def cols(self, batteries) -> np.ndarray:
        return np.concatenate([self.col_order[self.col_start[i]:self.col_start[i + 1]] for i in batteries])

    def rows(self, batteries) -> np.ndarray:
        return np.concatenate([self.row_order[self.row_start[i]:self.row_start[i + 1]] for i in batteries])


def _split(m: MatrixLP, A_csr, members, cv, dv, charge, discharge, penalty, where: _Members):
    """Member schedules summing to a bin's ``charge`` and ``discharge`` per step (least penalty),
    as (columns, values), or None where there are none."""
    cols, rows = where.cols(members), where.rows(members)
    loc = np.empty(m.n_vars, np.int64)
    loc[cols] = np.arange(cols.size)
    T = cv.shape[1]
    t = np.tile(np.arange(T), len(members))
    sums = sp.csr_matrix((np.ones(2 * t.size), (np.r_[t, T + t], np.r_[loc[cv[members]].ravel(), loc[dv[members]].ravel()])),
                         shape=(2 * T, cols.size))  # fmt: skip
    rhs = np.r_[charge, discharge]
    lp = MatrixLP(-penalty[cols] if penalty is not None else np.zeros(cols.size), 0.0,
                  sp.vstack([A_csr[rows][:, cols], sums]).tocsc(), m.col_lower[cols], m.col_upper[cols],
                  np.r_[m.row_lower[rows], rhs], np.r_[m.row_upper[rows], rhs], np.zeros(cols.size, bool))  # fmt: skip
    h = highs_instance(None, None, 1)
    pass_matrix(h, lp)
    h.run()
    if highs_status(h)[0] != "optimal":
        return None
    return cols, np.asarray(h.getSolution().col_value, dtype=float)


def solve_binned(problem, m: MatrixLP, *, penalty: np.ndarray | None = None, time_limit: float | None = None,
                 threads: int | None = None) -> RawSolution | None:  # fmt: skip
    """Solve the LP ``m`` of a battery fleet from proven-exact bins (module docstring), or ``None``."""
    from bvp_lib.scheduling.sifting import _groups, solve_aggregate, usable

    if not usable(problem, m):
        return None
    t0 = time.perf_counter()
    bins, cp_of = _groups(problem)
    where = _Members(problem, m)
    A_csr = m.A.tocsr()
    cv, dv = problem.battery_vars
    iterations = 0
    with ThreadPoolExecutor(2 if threads is None else max(1, int(threads))) as pool:
        for rounds in range(1, MAX_ROUNDS + 1):
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                return None
            solved = solve_aggregate(problem, bins, cp_of, threads=threads)
            if solved is None:  # the caller sifts
                return None
            C, D, bound, extra = solved
            iterations += extra
            splits = list(pool.map(lambda j, b=bins, c=C, d=D: _split(m, A_csr, b[j], cv, dv, c[j], d[j], penalty, where),
                                   range(len(bins))))  # fmt: skip
            bad = [j for j, s in enumerate(splits) if s is None]
            x = np.zeros(m.n_vars)
            for s in splits:
                if s is not None:
                    x[s[0]] = s[1]
            held = np.concatenate([s[0] for s in splits if s is not None]) if len(bad) < len(bins) else np.zeros(0, np.int64)
            free_b = np.concatenate([bins[j] for j in bad] + [np.zeros(0, np.int64)]).astype(np.int64)
            ok = False
            if free_b.size <= max(FINISH_MAX, FINISH_SHARE * where.nb):  # else cut first: a large finish is a large LP
                x, ok, extra = _finish(m, A_csr, x, held, free_b, where, penalty, threads, bound)
                iterations += extra
            if ok:
                obj = float(m.cost @ x + m.offset)
                return RawSolution(
                    status="optimal", solver_status=f"Optimal (binned: {rounds} aggregate LPs, {len(bins)} bins, "
                    f"{len(bad)} solved member by member, every other bin proven exact)", x=x, objective=obj,
                    model_time=0.0, solve_time=time.perf_counter() - t0, n_variables=m.n_vars,
                    n_constraints=m.n_rows, n_integer=0, n_nonzeros=m.nnz, iterations=iterations,
                    proven_gap=max(0.0, bound - obj) / max(abs(obj), 1e-9), bound=bound, canonical_time=0.0,
                )
            cut, new = set(bad), []
            for j, b in enumerate(bins):
                new.extend(part for part in (np.array_split(b, SPLIT) if j in cut else [b]) if part.size)
            bins = new
    return None


def _finish(m, A_csr, x, held, free_b, where: _Members, penalty, threads, bound):
    """The fleet's LP with the ``held`` columns at ``x`` and the members of ``free_b`` (and every
    column no battery owns) free: (x, whether it earns ``bound``, iterations)."""
    tol = PROOF_TOL * max(1.0, abs(bound))
    nb = where.nb
    cols = np.concatenate([where.cols(free_b) if free_b.size else np.zeros(0, np.int64), where.cols([nb])])
    if cols.size == 0:
        return x, float(m.cost @ x + m.offset) >= bound - tol, 0
    rows = np.concatenate([where.rows(free_b) if free_b.size else np.zeros(0, np.int64), where.rows([nb])])
    fixed = np.asarray(A_csr[rows][:, held] @ x[held]).ravel() if held.size else np.zeros(rows.size)
    const = float(m.cost[held] @ x[held]) + m.offset
    sub = MatrixLP(m.cost[cols], const, A_csr[rows][:, cols].tocsc(), m.col_lower[cols], m.col_upper[cols],
                   m.row_lower[rows] - fixed, m.row_upper[rows] - fixed, np.zeros(cols.size, bool))  # fmt: skip
    h = highs_instance(None, None, threads)
    pass_matrix(h, sub)
    h.run()
    iterations = highs_iterations(h)
    if highs_status(h)[0] != "optimal":
        return x, False, iterations
    xs = np.asarray(h.getSolution().col_value, dtype=float)
    if float(h.getInfo().objective_function_value) < bound - tol:
        return x, False, iterations
    if penalty is not None and np.any(penalty[cols]):
        xs, extra = canonical_solution(sub, xs, penalty[cols], h, threads=threads)
        iterations += extra
    x = x.copy()
    x[cols] = xs
    return x, True, iterations
