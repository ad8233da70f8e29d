"""A solver's answer checked against the model before it becomes a schedule.

A solver that says "optimal" is believed only once its point satisfies the model it
was given: every column bound, every row and every integrality, within
:data:`TOLERANCE` (absolute, times ``max(1, |bound|)``; the solvers' own feasibility
tolerances are 1e-7 to 1e-6). The check is one sparse product per solve.

Why: the Cbc bundled with PuLP (2.10) returns infeasible points as "Optimal" on some
of these MIPs. On the full bundled portfolio on 13 April 2015 with the explorer's
settings (battery power 0.5 MW, energy 15 MWh, connections 2 MW) its schedule charged
``battery-campus-01`` at 1.11 MW against a 0.5 MW limit, charged ``battery-havel-01``
at −0.41 MW and broke 128 rows, for a revenue 0.27 % above the proven optimum (HiGHS,
both backends, gap 3e-7). Switching Cbc's integer preprocessing off gives the optimum;
its presolve off, or preprocessing without SOS detection (``preprocess on``), does
not. Cbc's tracker has such reports (for example coin-or/Cbc#734 and
coin-or/python-mip#191, wrong points with or without preprocessing).
:meth:`~bvp_lib.scheduling.Problem.solve` therefore solves again with Cbc's
preprocessing off when a Cbc point fails the check, and raises
:class:`~bvp_lib.scheduling.errors.SolverError` naming the broken constraint when
that point fails too (or when any other solver's does).
"""

from __future__ import annotations

import numpy as np

from bvp_lib.market.clock import market_timezone
from bvp_lib.scheduling.backends import MatrixLP, RawSolution
from bvp_lib.scheduling.errors import SolverError

TOLERANCE = 1e-5


def verified(problem, raw: RawSolution, solver: str, m: MatrixLP | None = None, again=None) -> RawSolution:
    """``raw`` when its point satisfies the problem's model (``m``, default: built from
    ``problem``); else the solve ``again()`` (safer settings) when given, checked the same
    way; else :class:`SolverError` naming the worst broken constraint."""
    if raw.x is None:
        return raw  # no point to check (the caller reports the missing schedule)
    if m is None:
        try:
            m = problem.to_matrix(tie_break=False)
        except ValueError:  # own variables in problem.model: check the scheduling LP's part
            m = problem.to_matrix(include_custom=False, tie_break=False)
    text = describe_violations(problem, m, np.asarray(raw.x, float)[: m.n_vars])
    if text is None:
        return raw
    if again is not None:
        second = again()
        second.solve_time += raw.solve_time
        second.model_time += raw.model_time
        if second.x is not None and describe_violations(problem, m, np.asarray(second.x, float)[: m.n_vars]) is None:
            second.solver_status += f" (solved again with its preprocessing off; the first point broke {text})"
            return second
    advice = "solve with solver='highs'" if solver != "highs" else "try solver='cbc' or another time limit"
    raise SolverError(f"{solver} returned a schedule that breaks the model it was given ({text}); it cannot be "
                      f"used — {advice}")


def violations(m: MatrixLP, x: np.ndarray, tol: float = TOLERANCE) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Where ``x`` breaks ``m``: ``{"bound" | "row" | "integrality": (indices, amounts)}``, amounts
    in the model's units, only entries beyond ``tol × max(1, |bound|)`` (integrality: ``tol``)."""
    x = np.asarray(x, dtype=float)
    out = {}
    lo_c, up_c = np.asarray(m.col_lower, float), np.asarray(m.col_upper, float)
    over = np.maximum(_excess(lo_c - x, lo_c, tol), _excess(x - up_c, up_c, tol))
    over[~np.isfinite(x)] = np.inf
    out["bound"] = _nonzero(over)
    ax = m.A @ np.nan_to_num(x)
    lo_r, up_r = np.asarray(m.row_lower, float), np.asarray(m.row_upper, float)
    out["row"] = _nonzero(np.maximum(_excess(lo_r - ax, lo_r, tol), _excess(ax - up_r, up_r, tol)))
    ints = np.flatnonzero(np.asarray(m.integrality, bool))
    frac = np.abs(x[ints] - np.round(x[ints]))
    bad = frac > tol
    out["integrality"] = (ints[bad], frac[bad])
    return out


def _excess(amount: np.ndarray, bound: np.ndarray, tol: float) -> np.ndarray:
    scale = np.where(np.isfinite(bound), np.maximum(1.0, np.abs(bound)), 1.0)
    with np.errstate(invalid="ignore"):
        return np.where(amount > tol * scale, amount, 0.0)


def _nonzero(amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = np.flatnonzero(amount > 0)
    return idx, amount[idx]


def describe_violations(problem, m: MatrixLP, x: np.ndarray, tol: float = TOLERANCE) -> str | None:
    """One sentence naming the worst broken bound, row and integrality of ``x`` (family, asset,
    step start) and how many there are; ``None`` when ``x`` satisfies ``m``."""
    found = violations(m, x, tol)
    if not any(len(i) for i, _ in found.values()):
        return None
    names = problem.names + problem.connections.names
    index = problem.grid.index
    lp = problem.lp
    parts = []
    for kind, (idx, amount) in found.items():
        if not len(idx):
            continue
        j = int(idx[np.argmax(amount)])
        if kind == "row":
            block = next((b for b in lp.row_blocks if b.start <= j < b.start + b.asset.size), None)
            what = f"a {block.family} row" if block else "a row added to problem.model"
            asset, step = (block.asset[j - block.start], block.step[j - block.start]) if block else (-1, -1)
        else:
            block = next((b for b in lp.var_blocks if b.start <= j < b.stop), None)
            what = f"{'the bounds' if kind == 'bound' else 'the integrality'} of {block.kind if block else 'a variable'}"
            asset, step = (block.asset[j - block.start], block.step[j - block.start]) if block else (-1, -1)
        where = (f" of {names[asset]}" if 0 <= asset < len(names) else "") + (
            f" at {index[step].tz_convert(market_timezone()):%Y-%m-%d %H:%M}" if 0 <= step < len(index) else "")
        plural = {"bound": "bounds", "row": "rows", "integrality": "integralities"}[kind]
        parts.append(f"{len(idx)} {plural}, the worst {what}{where} by {float(np.max(amount)):.3g}")
    return "; ".join(parts)
