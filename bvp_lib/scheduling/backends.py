"""Solver backends: PuLP objects (Cbc or HiGHS), or a sparse matrix handed to HiGHS.

Both read the same :class:`~bvp_lib.scheduling.lp.LinearProgram`, so they solve the
same LP. The **PuLP backend** creates one ``LpVariable`` per variable and one
``LpConstraint`` per row (two for a range row); researchers can add their own
constraints to its ``LpProblem``. The **matrix backend** concatenates the blocks into
one ``scipy.sparse`` CSC matrix and passes it with numpy arrays to ``highspy`` in a
single call — no Python object per variable, which is what makes large portfolios fast.
"""

from __future__ import annotations

import re
import threading
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

SOLVERS = ("cbc", "highs")


@dataclass
class MatrixLP:
    """``max cost·x + offset  s.t.  row_lower ≤ A x ≤ row_upper, col_lower ≤ x ≤ col_upper``."""

    cost: np.ndarray
    offset: float
    A: sp.csc_matrix
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    integrality: np.ndarray  # bool per column

    @property
    def n_vars(self) -> int:
        return self.A.shape[1]

    @property
    def n_rows(self) -> int:
        return self.A.shape[0]

    @property
    def n_integer(self) -> int:
        return int(self.integrality.sum())

    @property
    def nnz(self) -> int:
        return int(self.A.nnz)


@dataclass
class RawSolution:
    """What a backend returns: a status, and x when there is a solution."""

    status: str  # optimal | time_limit | infeasible | unbounded | infeasible_or_unbounded | error
    solver_status: str
    x: np.ndarray | None
    objective: float | None
    model_time: float
    solve_time: float
    n_variables: int
    n_constraints: int
    n_integer: int
    n_nonzeros: int
    iterations: int | None = None
    proven_gap: float | None = None  # relative gap between the objective and the solver's bound
    bound: float | None = None  # the solver's bound on the optimum [EUR] (MIP dual bound; LP: the objective)
    canonical_time: float = 0.0  # seconds of the tie-break solve over the optimal face


def highs_iterations(h) -> int:
    """Simplex plus IPM iterations of the last HiGHS run."""
    info = h.getInfo()
    return int(max(info.simplex_iteration_count, 0) + max(info.ipm_iteration_count, 0))


# --------------------------------------------------------------------------- HiGHS


_BANNER_SILENCED = False
_BANNER_LOCK = threading.Lock()


def silence_highs_banner() -> None:
    """Create this process's first ``highspy.Highs`` with the C-level stdout sent to /dev/null.

    HiGHS prints a start-up banner when the first instance of a process is built, before
    any option can turn it off; without this every notebook, CLI run and Dask worker
    starts its output with it. Later instances print nothing (``output_flag`` off). Thread
    safe: a second thread waits until the first instance exists (two parts solved at once
    used to race past the flag and print the banner).
    """
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return
    with _BANNER_LOCK:
        if _BANNER_SILENCED:
            return
        _first_highs_quietly()
        _BANNER_SILENCED = True


def _first_highs_quietly() -> None:
    import ctypes
    import os
    import sys

    import highspy

    try:
        sys.stdout.flush()
        saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):  # no file descriptor 1: nothing to hide
        highspy.Highs()
        return
    try:
        os.dup2(devnull, 1)
        highspy.Highs()
        try:
            ctypes.CDLL(None).fflush(None)  # the banner may sit in C's stdout buffer
        except (OSError, AttributeError):  # pragma: no cover - no libc symbols (not Linux/macOS)
            pass
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


#: MIPs with fewer binaries than this run without HiGHS's sub-MIP heuristics RINS and RENS. On the
#: strict rule's MIPs of the bundled portfolio (at most a few hundred binaries per part) the root
#: heuristics and branching find the optimum early and the sub-MIPs only spend time: a 32-binary
#: explorer MIP took 1.1 s, 0.94 s of it in 44 sub-MIPs, and 0.27 s without them; the explorer's 17
#: full-portfolio MIP changes 18 s in all instead of 43 s (max 2.3 s instead of 7.5 s); the 22 negative-
#: price days of 2015 43 s instead of 66 s, 2018's 147 s instead of 163 s, the same objectives. On
#: issue 16's fleet of 50 batteries at −80 EUR/MWh (1200 binaries) they find the incumbents (both
#: off: gap 3.7e-3 after 30 s instead of 5.7e-4), so larger MIPs keep them.
SUB_MIP_FROM = 1000


def mip_options(n_integer: int) -> dict:
    """HiGHS options for a MIP of ``n_integer`` integer columns (see :data:`SUB_MIP_FROM`)."""
    if 0 < n_integer < SUB_MIP_FROM:
        return {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False}
    return {}


_SCHEDULER = {"threads": None, "generation": 0}  # the count HiGHS's process-wide scheduler runs with
_SCHEDULER_LOCK = threading.Lock()
_SEEN = threading.local()  # the scheduler generation this thread last ran on


def _scheduler_for(threads: int | None) -> None:
    """Restart HiGHS's process-wide task scheduler when a solve asks for another thread count.

    HiGHS starts one scheduler per process with the first run's ``threads``; a later run
    with a different count does not solve (status "Not Set", found with ``threads=1`` after a
    default solve: a ``SolverError`` with no reason given). Solves running at the same time
    (parts, bins) share their caller's count, so a restart never meets a running solve; a
    thread that next runs HiGHS after a restart made in another renews its own handle too.
    """
    import highspy

    key = 0 if threads is None else int(threads)
    with _SCHEDULER_LOCK:
        if _SCHEDULER["threads"] is not None and _SCHEDULER["threads"] != key:
            highspy.Highs.resetGlobalScheduler(True)
            _SCHEDULER["generation"] += 1
        _SCHEDULER["threads"] = key
        if getattr(_SEEN, "generation", 0) != _SCHEDULER["generation"]:
            # a restart made in another thread leaves this thread's handle on the old scheduler
            highspy.Highs.resetThreadScheduler(True)
            _SEEN.generation = _SCHEDULER["generation"]


def highs_instance(time_limit: float | None = None, mip_gap: float | None = None, threads: int | None = None):
    """A quiet ``highspy.Highs`` with the given options."""
    import highspy

    silence_highs_banner()
    _scheduler_for(threads)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_gap))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    return h


def pass_matrix(h, m: MatrixLP) -> None:
    """Hand a :class:`MatrixLP` to a ``highspy.Highs`` instance (one call, numpy arrays)."""
    import highspy

    A = m.A if sp.isspmatrix_csc(m.A) else m.A.tocsc()
    integrality = np.ascontiguousarray(m.integrality, dtype=np.int32)  # 0 continuous, 1 integer
    status = h.passModel(
        int(m.n_vars),
        int(m.n_rows),
        int(A.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMaximize),
        float(m.offset),
        np.ascontiguousarray(m.cost, dtype=np.float64),
        np.ascontiguousarray(m.col_lower, dtype=np.float64),
        np.ascontiguousarray(m.col_upper, dtype=np.float64),
        np.ascontiguousarray(m.row_lower, dtype=np.float64),
        np.ascontiguousarray(m.row_upper, dtype=np.float64),
        np.ascontiguousarray(A.indptr, dtype=np.int32),
        np.ascontiguousarray(A.indices, dtype=np.int32),
        np.ascontiguousarray(A.data, dtype=np.float64),
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model (passModel returned an error)")


def highs_status(h) -> tuple[str, str, bool]:
    """(our status, HiGHS's status text, whether a primal solution is available)."""
    import highspy

    ms = h.getModelStatus()
    S = highspy.HighsModelStatus
    text = h.modelStatusToString(ms)
    has_x = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    if ms == S.kOptimal:
        return "optimal", text, True
    if ms == S.kModelEmpty:
        return "optimal", text, True
    if ms == S.kInfeasible:
        return "infeasible", text, False
    if ms == S.kUnbounded:
        return "unbounded", text, False
    if ms == S.kUnboundedOrInfeasible:
        return "infeasible_or_unbounded", text, False
    if ms in (S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kInterrupt):
        return "time_limit", text, has_x
    return "error", text, False


def solve_matrix(
    m: MatrixLP, *, time_limit: float | None = None, mip_gap: float | None = None, threads: int | None = None,
    penalty: np.ndarray | None = None, algorithm: str | None = None, start=None,
) -> RawSolution:
    """Solve a :class:`MatrixLP` with HiGHS through highspy.

    With a ``penalty`` (the tie-break cost per variable [EUR per unit]), an optimal
    solution is then made canonical by :func:`canonical_solution`: the same
    objective, the least penalty among all optimal solutions. A MIP's ``start`` (a
    :class:`~bvp_lib.scheduling.rounding.StrictStart`) is handed to HiGHS as its first
    incumbent; at a time limit the result is the better of it and HiGHS's, with the
    better of the two bounds.
    """
    import highspy

    t0 = time.perf_counter()
    h = highs_instance(time_limit, mip_gap if m.n_integer else None, threads)
    if algorithm is not None:
        h.setOptionValue("solver", str(algorithm))
    for key, value in mip_options(m.n_integer).items():
        h.setOptionValue(key, value)
    pass_matrix(h, m)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start.x, dtype=float).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status, text, has_x = highs_status(h)
    x = obj = None
    gap = bound = None
    if has_x:
        x = np.asarray(h.getSolution().col_value, dtype=float)
        info = h.getInfo()
        obj = float(info.objective_function_value)
        if m.n_vars == 0:
            obj = float(m.offset)
        if m.n_integer:
            bound = float(info.mip_dual_bound)
            gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
        elif status == "optimal":
            bound, gap = obj, 0.0
    if start is not None and status == "time_limit":
        if x is None or obj < start.objective:
            x, obj = np.asarray(start.x, dtype=float), float(start.objective)
            text += " (the schedule rounded from the relaxation)"
        bound = start.bound if bound is None or not np.isfinite(bound) else min(bound, start.bound)
        gap = abs(bound - obj) / max(abs(obj), 1e-9)
    iterations = highs_iterations(h)
    t1 = time.perf_counter()
    canonical_time = 0.0
    if x is not None and status == "optimal" and penalty is not None and np.any(penalty):
        left = None if time_limit is None else max(1.0, time_limit - (t1 - t0))
        x, extra = canonical_solution(m, x, penalty, h, time_limit=left, threads=threads)
        iterations += extra
        canonical_time = time.perf_counter() - t1
    return RawSolution(
        status=status, solver_status=text, x=x, objective=obj, model_time=0.0,
        solve_time=time.perf_counter() - t0,
        n_variables=m.n_vars, n_constraints=m.n_rows, n_integer=m.n_integer, n_nonzeros=m.nnz,
        iterations=iterations, proven_gap=gap, bound=bound, canonical_time=canonical_time,
    )


DUAL_TOL = 1e-7  # [EUR per unit] reduced costs and row duals below this count as zero


def canonical_solution(
    m: MatrixLP, x: np.ndarray, penalty: np.ndarray, h=None, *, time_limit: float | None = None,
    threads: int | None = None,
) -> tuple[np.ndarray, int]:
    """The least-penalty solution on the optimal face of ``m`` (a deterministic tie-break).

    Why: a tie-break folded into the objective (ε·penalty) turns a highly
    degenerate LP into one with many nearly equal costs, and the dual simplex then
    needs several times the iterations (measured 10 s → 149 s at N = 1000). Instead:

    1. solve ``max cost·x`` (done by the caller; for a MIP, the integer variables are
       then fixed at their values and the LP solved again for its duals);
    2. take the optimal duals (y for rows, z for columns). By complementary slackness
       a feasible x is optimal **iff** ``x_j`` sits at its bound wherever z_j ≠ 0 and
       row i is at its bound wherever y_i ≠ 0; fixing those gives the optimal face F;
    3. solve ``min penalty·x over F``. Presolve removes the fixed columns, so only the
       tied part is solved again; the revenue is unchanged (checked: if the face
       solve fails or loses more than 1e-9 relative, the first solution is kept).

    The result is what the old one-shot tie-break preferred (doing nothing, earlier
    actions, assets listed earlier) without ever trading revenue for it.

    Returns the solution and the simplex iterations spent.
    """
    import highspy

    lb, ub = m.col_lower.copy(), m.col_upper.copy()
    integrality = m.integrality
    iters = 0
    if m.n_integer:
        xi = np.round(x[integrality])
        lb[integrality] = ub[integrality] = xi
        hl = highs_instance(time_limit, None, threads)
        pass_matrix(hl, MatrixLP(m.cost, m.offset, m.A, lb, ub, m.row_lower, m.row_upper,
                                 np.zeros(m.n_vars, bool)))
        hl.run()
        iters += highs_iterations(hl)
        if hl.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return x, iters
        h = hl
        x = np.asarray(h.getSolution().col_value, dtype=float)
    sol = h.getSolution()
    if not sol.dual_valid:
        return x, iters
    z = np.asarray(sol.col_dual, dtype=float)
    y = np.asarray(sol.row_dual, dtype=float)
    act = np.asarray(sol.row_value, dtype=float)
    fix = np.abs(z) > DUAL_TOL
    at_ub = np.abs(x - ub) < np.abs(x - lb)
    val = np.where(at_ub, ub, lb)
    lb[fix] = ub[fix] = val[fix]
    rlo, rup = m.row_lower.copy(), m.row_upper.copy()
    tight = np.abs(y) > DUAL_TOL
    at_up = np.abs(act - rup) < np.abs(act - rlo)
    rval = np.where(at_up, rup, rlo)
    rlo[tight] = rup[tight] = rval[tight]
    face = MatrixLP(-penalty, 0.0, m.A, lb, ub, rlo, rup, np.zeros(m.n_vars, bool))
    h2 = highs_instance(time_limit, None, threads)
    pass_matrix(h2, face)
    h2.run()
    iters += highs_iterations(h2)
    if h2.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return x, iters
    x2 = np.asarray(h2.getSolution().col_value, dtype=float)
    before, after = float(m.cost @ x), float(m.cost @ x2)
    if after < before - 1e-9 * max(1.0, abs(before) + abs(m.offset)):
        return x, iters
    return x2, iters


# --------------------------------------------------------------------------- PuLP

_SAFE = re.compile(r"[^A-Za-z0-9_]")


def _finite_or_none(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


class PulpBridge:
    """Keeps a ``pulp.LpProblem`` in step with a :class:`LinearProgram`.

    Variables are named ``x<j>_<asset>_<kind>_<step>`` (j = position in the LP, so
    names are unique however assets are named). Constraints we create are named
    ``<family>_<row>`` (``_lo``/``_hi`` for range rows); any other constraint in the
    model is the researcher's own and is carried over to the matrix backend and the
    infeasibility diagnosis.
    """

    def __init__(self, lp, names: list[str], cost: np.ndarray, offset: float):
        import pulp

        self.lp = lp
        self.names = [_SAFE.sub("_", n) for n in names]
        self.model = pulp.LpProblem("bvp_schedule", pulp.LpMaximize)
        self.vars: list = []
        self.own: set[str] = set()
        self._n_var_blocks = 0
        self._n_row_blocks = 0
        self._pos: dict[int, int] | None = None
        t0 = time.perf_counter()
        self.sync()
        nz = np.flatnonzero(cost)
        V = self.vars
        self.objective = pulp.LpAffineExpression([(V[j], float(cost[j])) for j in nz.tolist()], constant=float(offset))
        self.model.setObjective(self.objective)
        self.build_time = time.perf_counter() - t0

    def _new_var(self, name, lo, up, cat):
        import pulp

        if hasattr(self.model, "add_variable"):
            return self.model.add_variable(name, lo, up, cat)
        return pulp.LpVariable(name, lo, up, cat)  # PuLP < 3.3

    def sync(self) -> None:
        """Create PuLP objects for blocks added since the last call."""
        import pulp

        lp = self.lp
        for b in lp.var_blocks[self._n_var_blocks:]:
            cat = pulp.LpBinary if (b.integer and np.all(b.lb == 0) and np.all(b.ub == 1)) else (
                pulp.LpInteger if b.integer else pulp.LpContinuous
            )
            lbs = [_finite_or_none(v) for v in b.lb.tolist()]
            ubs = [_finite_or_none(v) for v in b.ub.tolist()]
            an = self.names
            for j, a, t, lo, up in zip(range(b.start, b.stop), b.asset.tolist(), b.step.tolist(), lbs, ubs):
                self.vars.append(self._new_var(f"x{j}_{an[a]}_{b.kind}_{t}", lo, up, cat))
        self._n_var_blocks = len(lp.var_blocks)
        V = self.vars
        add = self.model.addConstraint
        EQ, GE, LE = pulp.LpConstraintEQ, pulp.LpConstraintGE, pulp.LpConstraintLE
        Expr, Con = pulp.LpAffineExpression, pulp.LpConstraint
        for b in lp.row_blocks[self._n_row_blocks:]:
            csr = sp.csr_matrix((b.vals, (b.rows, b.cols)), shape=(b.n, lp.n_vars))
            csr.sum_duplicates()
            ptr = csr.indptr.tolist()
            terms = [V[c] for c in csr.indices.tolist()]
            vals = csr.data.tolist()
            lower, upper = b.lower.tolist(), b.upper.tolist()
            fam = b.family
            for i in range(b.n):
                p0, p1 = ptr[i], ptr[i + 1]
                e = Expr(zip(terms[p0:p1], vals[p0:p1]))
                lo, up = lower[i], upper[i]
                name = f"{fam}_{b.start + i}"
                if lo == up:
                    add(Con(e, EQ, name, lo))
                    self.own.add(name)
                    continue
                if np.isfinite(lo):
                    add(Con(e, GE, name + "_lo", lo))
                    self.own.add(name + "_lo")
                    e = Expr(e)
                if np.isfinite(up):
                    add(Con(e, LE, name + "_hi", up))
                    self.own.add(name + "_hi")
        self._n_row_blocks = len(lp.row_blocks)

    def constraints(self) -> dict:
        c = getattr(self.model, "_constraints", None)
        return c if isinstance(c, dict) else self.model.constraints

    def custom_rows(self) -> list[tuple[str, np.ndarray, np.ndarray, float, float]]:
        """The researcher's own constraints as (name, cols, vals, lower, upper).

        Raises
        ------
        ValueError
            When a custom constraint uses a variable that is not part of the LP, or
            the objective was replaced (only the PuLP backend can solve those).
        """
        if self.model.objective is not self.objective:
            raise ValueError(
                "the objective of problem.model was replaced; solve with backend='pulp' to use it"
            )
        if self._pos is None or len(self._pos) != len(self.vars):
            self._pos = {id(v): j for j, v in enumerate(self.vars)}
        out = []
        for name, con in self.constraints().items():
            if name in self.own:
                continue
            cols, vals = [], []
            for v, coef in con.items():
                j = self._pos.get(id(v))
                if j is None:
                    raise ValueError(
                        f"custom constraint {name!r} uses variable {v.name!r}, which is not part of the "
                        "scheduling LP; solve with backend='pulp' to use your own variables"
                    )
                cols.append(j)
                vals.append(float(coef))
            lo, up = con.getLb(), con.getUb()
            out.append((name, np.array(cols, np.int64), np.array(vals), -np.inf if lo is None else lo,
                        np.inf if up is None else up))
        return out

    def solve(
        self, solver: str, *, time_limit: float | None = None, mip_gap: float | None = None,
        threads: int | None = None, safe: bool = False,
    ) -> RawSolution:
        """Solve the PuLP model with Cbc (``PULP_CBC_CMD``) or HiGHS (``pulp.HiGHS``); ``safe``:
        Cbc without its integer preprocessing (see :mod:`~bvp_lib.scheduling.verify`)."""
        import pulp

        t_sync = time.perf_counter()
        self.sync()
        model_time = self.build_time + (time.perf_counter() - t_sync)
        self.build_time = 0.0
        n_int = sum(1 for v in self.vars if v.cat == pulp.LpInteger)
        gap = mip_gap if n_int else None
        if solver == "cbc":
            with warnings.catch_warnings():  # PuLP 3.3 flags its bundled Cbc for removal in 4.0
                warnings.simplefilter("ignore", DeprecationWarning)
                s = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=gap, threads=threads,
                                      options=["preprocess off"] if safe else None)
        elif solver == "highs":
            silence_highs_banner()
            _scheduler_for(threads)  # PuLP's HiGHS runs highspy in this process too
            s = pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=gap, threads=threads)
        else:  # pragma: no cover - checked by the caller
            raise ValueError(solver)
        t0 = time.perf_counter()
        self.model.solve(s)
        t1 = time.perf_counter()
        status, text, has_x = self._status(solver)
        x = obj = None
        if has_x:
            x = np.array([v.varValue for v in self.vars], dtype=float)
            obj = float(self.model.objective.value())
        cons = self.constraints()
        iters = None
        if solver == "highs" and getattr(self.model, "solverModel", None) is not None:
            iters = highs_iterations(self.model.solverModel)
        return RawSolution(
            status=status, solver_status=text, x=x, objective=obj, model_time=model_time, solve_time=t1 - t0,
            n_variables=len(self.vars), n_constraints=len(cons), n_integer=n_int,
            n_nonzeros=sum(len(c) for c in cons.values()), iterations=iters,
        )

    def _status(self, solver: str) -> tuple[str, str, bool]:
        import pulp

        m = self.model
        if solver == "highs" and getattr(m, "solverModel", None) is not None:
            status, text, has_x = highs_status(m.solverModel)
            return status, f"{text} (via PuLP)", has_x
        text = f"{pulp.LpStatus.get(m.status, m.status)} / {pulp.LpSolution.get(m.sol_status, m.sol_status)}"
        if m.sol_status == pulp.LpSolutionOptimal:
            return "optimal", text, True
        if m.sol_status == pulp.LpSolutionIntegerFeasible:
            return "time_limit", text, True
        if m.status == pulp.LpStatusInfeasible:
            return "infeasible", text, False
        if m.status == pulp.LpStatusUnbounded:
            return "unbounded", text, False
        if m.status == pulp.LpStatusNotSolved:
            return "time_limit", text, False
        return "error", text, False
