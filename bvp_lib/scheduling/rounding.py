"""A strict schedule and a bound for a large MIP, from its relaxation (a start for HiGHS).

At negative prices a lossy storage would charge and discharge at once, so the strict
rule needs binaries (:mod:`~bvp_lib.scheduling.complementarity`). On a large fleet the
MIP's root LP alone is out of reach of a plain solve (measured at N = 1000 batteries ×
96 steps, six hours at −80 EUR/MWh: 450 s for the LP relaxation, and no schedule at all
from HiGHS in 300 s), so a time limit used to end with no schedule. This module makes
one, with a proven bound, from LPs that sifting solves fast
(:mod:`~bvp_lib.scheduling.sifting`; so only for batteries-only portfolios, as sifting):

1. **Relaxation.** The MIP with its binaries continuous in [0, 1]: its rows
   ``c ≤ P̄ᶜ u, d ≤ P̄ᵈ (1 − u)`` then say exactly ``c/P̄ᶜ + d/P̄ᵈ ≤ 1`` (the intra-step
   hull), which is what is solved, one row per binary instead of two and a column,
   with the SoC room of every binary step (a charging step needs room, a discharging
   one energy: :func:`~bvp_lib.scheduling.complementarity.room_rows`, valid for every
   strict schedule); its optimum is an upper **bound** on the strict optimum.
2. **Rounding.** Every (storage, step) with a binary gets a direction, two ways: the
   larger of its two time shares in that relaxation (idle: charging); and from the
   relaxation *without* the room rows (solved second, where time is left): in a run of
   consecutive binary steps where the storage somewhere does both (it dissipates
   through its losses), the run's steps split between charging and discharging in
   the proportion of its charge and discharge time shares over the run, spread evenly
   (a Bresenham sequence), with a phase that differs per storage (the golden-ratio
   sequence) so that a fleet's charging steps do not all fall on the quarter-hours
   where their connection limit binds, other runs keeping their directions. (The room
   rows leave few steps doing both, so the run-by-run split of that relaxation rounds
   worse: N = 50, 34,447 against 34,480 EUR by the larger share; the larger share of the
   relaxation without them: 0.73 % below its bound, below.)
3. **Strict LP.** The MIP with every binary fixed at its direction is an LP (the other
   direction's column held at 0); its optimum is a schedule that keeps the strict
   rule and every row of the MIP: a **start** for it, the better of the two roundings
   (the first alone where time runs out), with the bound of step 1.

Where sifting cannot solve them (other assets, own constraints, soft wishes, tariffs),
the strict LP has no solution (directions the SoC limits or targets cannot follow) or
either LP does not finish in time, there is no start and the MIP runs as before.
Otherwise the MIP starts from this schedule (HiGHS ``setSolution``) and, at a time
limit, returns it or better, with a gap against the better of HiGHS's bound and the
relaxation's. Measured (N = 1000 batteries, six hours at −80 EUR/MWh, ``benchmarks/
bench_scheduling.py --cases neg:1000``, record ``2026-12-02_scheduling_issue_neg1000_room.txt``):
a schedule of 683,667.88 EUR at a 60 s limit (61.4 s with the build), proven within 1.4e-3
(the bound of step 1: 684,612.79 EUR; 686,668.46 without the room rows, a gap of 4.4e-3), where HiGHS alone had no
schedule after 300 s; the relaxation with the rows 12.5 s by sifting, 19.4 s without (138 s
when it kept the binaries' rows with u continuous). Measured on the relaxation without the
room rows: rounding each step to its dominant direction keeps no dissipation: 0.73 % below
at N = 50 against 0.48 % by runs (HiGHS's own incumbent after 60 s: 0.36 %); splitting only
the steps that do both, keeping the others' direction: 0.72 % (N = 50), 0.69 % (N = 200,
against 0.47 %); every storage in one phase (charging on the same quarter-hours): 1.07 % and
0.85 %; other phase steps (0.5, √2 − 1, the plastic number's 0.755): 0.45–0.55 %, no better.
With both roundings the start alone is proven within 1.76e-3 at N = 50 and 1.56e-3 at N = 200
(4.79e-3 and 4.66e-3 with the weaker bound; the solve uses it from 100 batteries).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from bvp_lib.scheduling.backends import MatrixLP

GOLDEN = 0.6180339887498949  # the phase step between storages (evenly spread for any count)
ACTIVE = 1e-7  # [share of the step] a time share above this counts as moving


@dataclass
class StrictStart:
    """A strict schedule of a MIP and the bound its relaxation proves."""

    x: np.ndarray  # every column of the MIP, binaries at their directions
    objective: float  # its objective [EUR], offset included
    bound: float  # the relaxation's optimum [EUR]: no strict schedule earns more
    seconds: float


def _without_binary_rows(m: MatrixLP, pairs, has: np.ndarray, intra: bool) -> MatrixLP:
    """``m`` without the binaries' rows (the binary columns left with none, so presolve drops
    them; every other column keeps its index), with ``c/P̄ᶜ + d/P̄ᵈ ≤ 1`` per binary pair
    when ``intra`` (the relaxation: those rows with u in [0, 1] say exactly this)."""
    import scipy.sparse as sp

    A = m.A.tocsc()
    drop = np.zeros(m.n_rows, bool)
    for j in pairs.binary[has].tolist():
        drop[A.indices[A.indptr[j]:A.indptr[j + 1]]] = True
    keep = np.flatnonzero(~drop)
    A2, lo, up = A.tocsr()[keep], m.row_lower[keep], m.row_upper[keep]
    if intra:
        has = has[(pairs.charge_ub[has] > 0) & (pairs.discharge_ub[has] > 0)]  # else one way only: no row
        k = has.size
        r = np.r_[np.arange(k), np.arange(k)]
        rows = sp.csr_matrix((np.r_[1.0 / pairs.charge_ub[has], 1.0 / pairs.discharge_ub[has]],
                              (r, np.r_[pairs.charge[has], pairs.discharge[has]])), shape=(k, m.n_vars))  # fmt: skip
        A2, lo, up = sp.vstack([A2, rows]), np.r_[lo, np.full(k, -np.inf)], np.r_[up, np.ones(k)]
    return MatrixLP(m.cost, m.offset, A2.tocsc(), m.col_lower, m.col_upper, lo, up, np.zeros(m.n_vars, bool))


def _fix_directions(strict: MatrixLP, m: MatrixLP, pairs, has: np.ndarray, u: np.ndarray) -> MatrixLP:
    """``strict`` (``m`` without the binaries' rows) with the column bounds of ``m``, every binary
    entry ``has`` fixed at its direction ``u`` (1 charge, 0 discharge) and the other direction's
    column held at 0: the MIP with its binaries fixed, an LP."""
    strict.col_lower, strict.col_upper = m.col_lower.copy(), m.col_upper.copy()
    strict.col_lower[pairs.binary[has]] = strict.col_upper[pairs.binary[has]] = u
    strict.col_upper[np.where(u == 1, pairs.discharge[has], pairs.charge[has])] = 0.0  # the other direction
    return strict


def _lp(problem, lp: MatrixLP, time_limit, threads):
    """Solve the LP ``lp`` by sifting: (x, objective), or None where sifting cannot (a
    portfolio of more than batteries: a plain solve of these LPs costs about what the
    MIP's own root LP does, so there is no start) or did not finish in ``time_limit``."""
    from bvp_lib.scheduling.sifting import solve_guided, usable

    if not usable(problem, lp):
        return None
    raw = solve_guided(problem, lp, time_limit=time_limit, threads=threads)
    return None if raw is None else (raw.x, float(raw.objective))


def relaxation(problem, m: MatrixLP, *, time_limit: float | None = None, threads: int | None = None,
               room: bool = True) -> tuple[np.ndarray, float] | None:  # fmt: skip
    """The MIP ``m``'s LP relaxation in its intra-step form (module docstring, step 1), by
    sifting: (x, optimum), or ``None`` where sifting cannot solve it. ``room=False``: without
    the SoC room rows (a weaker bound, a relaxed schedule that rounds differently)."""
    from bvp_lib.scheduling.complementarity import with_room

    has = np.flatnonzero(problem.pairs.binary >= 0) if problem.pairs.binary is not None else np.zeros(0, np.int64)
    lp = _without_binary_rows(m, problem.pairs, has, intra=True)
    if room:
        lp = with_room(lp, problem.lp, problem.pairs, has)
    return _lp(problem, lp, time_limit, threads)


def _share(power: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Time share of a step [0-1]: power over its limit (0 where the limit is 0)."""
    return np.divide(power, limit, out=np.zeros_like(power), where=limit > 0)


def round_directions(pairs, x: np.ndarray) -> np.ndarray:
    """Direction per binary entry of ``pairs`` (1 charge, 0 discharge), from the relaxed ``x``
    (module docstring, step 2). Entries without a binary get -1."""
    out = np.full(len(pairs), -1, np.int64)
    has = np.flatnonzero(pairs.binary >= 0)
    if not has.size:
        return out
    cs = _share(x[pairs.charge[has]], pairs.charge_ub[has])
    ds = _share(x[pairs.discharge[has]], pairs.discharge_ub[has])
    u = np.where(cs > ACTIVE, 1, np.where(ds > ACTIVE, 0, (x[pairs.binary[has]] >= 0.5).astype(np.int64)))
    both = (cs > ACTIVE) & (ds > ACTIVE)
    order = np.lexsort((pairs.step[has], pairs.unit[has]))
    unit, step = pairs.unit[has][order], pairs.step[has][order]
    new_run = np.r_[True, (unit[1:] != unit[:-1]) | (step[1:] != step[:-1] + 1)]
    run_id = np.cumsum(new_run) - 1
    units = np.unique(pairs.unit)
    phase_of = {int(k): (i * GOLDEN) % 1.0 for i, k in enumerate(units.tolist())}
    for r in np.unique(run_id[both[order]]):
        sel = order[run_id == r]  # positions in `has`, in step order
        share = cs[sel].sum() / (cs[sel].sum() + ds[sel].sum())  # > 0: the run has a step doing both
        k = np.arange(sel.size)
        phase = phase_of[int(pairs.unit[has][sel[0]])]
        u[sel] = (np.floor((k + 1) * share + phase) - np.floor(k * share + phase) >= 1).astype(np.int64)
    out[has] = u
    return out


def dominant_directions(pairs, x: np.ndarray) -> np.ndarray:
    """Direction per binary entry (1 charge, 0 discharge; -1 without a binary): the larger of
    its charge and discharge time shares in the relaxed ``x``; an idle step may charge (the
    relaxation's binary columns have no rows, so their values say nothing; binaries sit
    where consuming pays, and charging there earned more than idling towards discharge:
    N = 50, six hours at −80 EUR/MWh, 34,480 against 34,458 EUR)."""
    out = np.full(len(pairs), -1, np.int64)
    has = np.flatnonzero(pairs.binary >= 0)
    cs = _share(x[pairs.charge[has]], pairs.charge_ub[has])
    ds = _share(x[pairs.discharge[has]], pairs.discharge_ub[has])
    out[has] = (cs >= ds).astype(np.int64)
    return out


def strict_start(problem, m: MatrixLP, *, time_limit: float | None = None,
                 threads: int | None = None) -> StrictStart | None:  # fmt: skip
    """A strict schedule of the MIP ``m`` and its relaxation's bound (module docstring), or
    ``None`` (no binaries, a relaxation or strict LP that did not solve, the time gone)."""
    pairs = problem.pairs
    if not m.n_integer or pairs.binary is None or not (pairs.binary >= 0).any():
        return None
    t0 = time.perf_counter()
    has = np.flatnonzero(pairs.binary >= 0)
    relaxed = relaxation(problem, m, time_limit=time_limit, threads=threads)
    if relaxed is None:
        return None
    x, bound = relaxed
    best = None
    strict = _without_binary_rows(m, pairs, has, intra=False)  # the same matrix for both roundings
    for k in range(2):
        if k == 0:
            u = dominant_directions(pairs, x)[has]
        else:  # the second: the relaxation without room rows, rounded run by run
            left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
            again = None if left is not None and left <= 0 else relaxation(
                problem, m, time_limit=left, threads=threads, room=False)  # fmt: skip
            if again is None:
                break
            u = round_directions(pairs, again[0])[has]
        _fix_directions(strict, m, pairs, has, u)
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            break
        solved = _lp(problem, strict, left, threads)
        if solved is not None and (best is None or solved[1] > best[1]):
            solved[0][pairs.binary[has]] = u
            best = solved
    if best is None:
        return None
    xs, obj = best
    return StrictStart(x=xs, objective=obj, bound=max(bound, obj), seconds=time.perf_counter() - t0)


def carried_start(problem, m: MatrixLP, x_prev: np.ndarray, bound_prev: float | None, *,
                  time_limit: float | None = None, threads: int | None = None) -> StrictStart | None:  # fmt: skip
    """The previous round's schedule made strict for this round's MIP ``m`` (a start for it).

    A round adds binaries for storages that charged and discharged in one step, so its MIP
    is the previous model with fewer schedules allowed: the previous round's bound stays a
    bound (``bound_prev``: the relaxation's optimum or the MIP's proven bound). Binaries the
    previous round had keep their values; a new one takes the direction with the larger time
    share in ``x_prev`` (as :func:`dominant_directions`); the MIP with every binary fixed so is
    an LP, whose optimum is the start. ``None`` where it has no solution (directions the SoC
    limits cannot follow) or did not finish. Measured: bundled 2018 data, 18 March
    (``benchmarks/bench_negative_days.py --year 2018 --only 2018-03-18``), see :mod:`limits
    <bvp_lib.scheduling.limits>`.
    """
    from bvp_lib.scheduling.backends import solve_matrix

    pairs = problem.pairs
    if not m.n_integer or pairs.binary is None or not (pairs.binary >= 0).any():
        return None
    t0 = time.perf_counter()
    has = np.flatnonzero(pairs.binary >= 0)
    x = np.zeros(m.n_vars)
    k = min(m.n_vars, np.asarray(x_prev).size)
    x[:k] = np.asarray(x_prev, dtype=float)[:k]
    old = pairs.binary[has] < k  # binaries the previous round had (new columns come last)
    u = dominant_directions(pairs, x)[has]
    u[old] = (x[pairs.binary[has][old]] >= 0.5).astype(np.int64)
    strict = _fix_directions(_without_binary_rows(m, pairs, has, intra=False), m, pairs, has, u)
    raw = solve_matrix(strict, time_limit=time_limit, threads=threads)
    if raw.status != "optimal" or raw.x is None:
        return None
    xs = np.asarray(raw.x, dtype=float)
    xs[pairs.binary[has]] = u
    obj = float(raw.objective)
    bound = obj if bound_prev is None or not np.isfinite(bound_prev) else max(float(bound_prev), obj)
    return StrictStart(x=xs, objective=obj, bound=bound, seconds=time.perf_counter() - t0)


def better_start(a: StrictStart | None, b: StrictStart | None) -> StrictStart | None:
    """The start that earns more, with the tighter of the two bounds (both bound the same MIP)."""
    if a is None or b is None:
        return a if b is None else b
    best = a if a.objective >= b.objective else b
    return StrictStart(x=best.x, objective=best.objective, bound=min(a.bound, b.bound), seconds=a.seconds + b.seconds)
