"""A built scheduling problem: solve it, read the result.

:func:`~bvp_lib.scheduling.build.build_problem` makes a :class:`Problem`;
:meth:`Problem.solve` hands the LP to a backend (:mod:`~bvp_lib.scheduling.backends`)
and turns the solution into a :class:`~bvp_lib.scheduling.result.ScheduleResult`
(:mod:`~bvp_lib.scheduling.reading`).
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bvp_lib.scheduling.assets import Asset
from bvp_lib.scheduling.backends import SOLVERS, MatrixLP, PulpBridge, RawSolution, solve_matrix
from bvp_lib.scheduling.battery import (
    BatteryArrays,
)
from bvp_lib.scheduling.complementarity import (
    StoragePairs,
    add_intra_step,
    add_no_simultaneous,
    intra_step_violations,
    simultaneous,
)
from bvp_lib.scheduling.components import solve_by_parts
from bvp_lib.scheduling.diagnose import _feasible, diagnose_infeasible, diagnose_unbounded
from bvp_lib.scheduling.errors import (
    InfeasibleScheduleError,
    SolverError,
    UnboundedScheduleError,
)
from bvp_lib.scheduling.ev import (
    SessionArrays,
)
from bvp_lib.scheduling.limits import Budget, check_solver_limits
from bvp_lib.scheduling.lp import LinearProgram
from bvp_lib.scheduling.portfolio import (
    ConnectionArrays,
)
from bvp_lib.scheduling.result import ScheduleResult, SolverStats
from bvp_lib.scheduling.tariffs import (
    TariffArrays,
)
from bvp_lib.scheduling.timeseries import TimeGrid
from bvp_lib.scheduling.verify import verified

DEFAULT_TIE_BREAK = 1e-3  # [EUR/MWh]
DEFAULT_MIP_GAP = 1e-7  # relative
END_KINDS = {"soc", "car_soc", "shift_energy"}  # variables that hold a value at the step end
Backend = Literal["auto", "pulp", "matrix"]
COMPLEMENTARITY = ("auto", "milp", "lp", "intra-step")
# batteries from which method="auto" decomposes; None: only on request. Measured on issue 16's
# pos:1000 fleet (solve(method="decomposed", time_limit=300), 2026-12-01): 42 rounds in 312 s
# (pricing 6 s, master 306 s), bounds still 127,086 / 222,737 EUR against the optimum 157,358;
# the master is degenerate because every battery ties at the optimum (scheduling/sifting.py).
DECOMPOSE_MIN: int | None = None
# batteries from which method="auto" sifts from the aggregate's pattern (scheduling/sifting.py);
# measured on issue 16's fleets: N = 50 the same time as a plain solve, N = 200 1.7x and N = 1000 2.6x faster
GUIDED_MIN = 100


class Problem:
    """A built scheduling LP, ready to solve (and to extend with own constraints).

    Do not construct directly; use :func:`build_problem`.

    Attributes
    ----------
    grid : TimeGrid
        Step starts (UTC) and resolution.
    names : list of str
        Asset names, in the order given.
    lp : LinearProgram
        The LP as numpy blocks (variables, rows, power terms).
    baseline : numpy.ndarray
        Baseline power per asset and step (A, T) [MW].
    build_time : float
        Seconds spent in :func:`build_problem`.
    """

    def __init__(
        self,
        *,
        grid: TimeGrid,
        prices: np.ndarray,
        assets: list[Asset],
        lp: LinearProgram,
        cost: np.ndarray,
        revenue_constant: float,
        baseline: np.ndarray,
        batteries: BatteryArrays | None,
        soc_vars: np.ndarray | None,
        battery_vars: tuple[np.ndarray, np.ndarray] | None,
        sessions: SessionArrays,
        session_vars: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        session_base: np.ndarray,
        connections: ConnectionArrays,
        pairs: StoragePairs,
        complementarity: str,
        tie_break: float,
        build_time: float,
        tariffs: TariffArrays | None = None,
    ):
        self.grid = grid
        self.prices = prices
        self.assets = assets
        self.names = [a.name for a in assets]
        self.lp = lp
        self.cost = cost
        self.revenue_constant = revenue_constant
        self.baseline = baseline
        self.batteries = batteries
        self.soc_vars = soc_vars
        self.battery_vars = battery_vars
        self.sessions = sessions
        self.session_vars = session_vars
        self.session_base = session_base
        self.connections = connections
        self.pairs = pairs
        self.complementarity = complementarity
        self.tie_break = tie_break
        self.build_time = build_time
        self.tariffs = tariffs
        self._bridge: PulpBridge | None = None
        self._index = {n: i for i, n in enumerate(self.names)}

    # ------------------------------------------------------------------ inspection
    def __repr__(self) -> str:
        return (
            f"<Problem: {len(self.names)} assets, {self.grid.n} steps of {self.grid.resolution}, "
            f"{self.lp.n_vars} variables, {self.lp.n_rows} rows>"
        )

    @property
    def price_series(self) -> pd.Series:
        """Prices on the grid [EUR/MWh]."""
        return pd.Series(self.prices, index=self.grid.index, name="price")

    def describe(self) -> pd.DataFrame:
        """Variable kinds and how many variables each asset has of each kind."""
        rows = []
        for b in self.lp.var_blocks:
            a, n = np.unique(b.asset, return_counts=True)
            for ai, ni in zip(a.tolist(), n.tolist()):
                rows.append((self._name(ai), b.kind, b.family, ni))
        df = pd.DataFrame(rows, columns=["asset", "kind", "bound_family", "n"])
        return df.groupby(["asset", "kind"], sort=False, dropna=False).agg(
            bound_family=("bound_family", "first"), n=("n", "sum")
        ).reset_index()

    def _name(self, a: int) -> str | None:
        names = self.names + self.connections.names
        return names[a] if 0 <= a < len(names) else None

    def _asset_id(self, asset: str) -> int:
        try:
            return self._index[asset]
        except KeyError:
            raise KeyError(f"unknown asset {asset!r}; assets: {', '.join(self.names)}") from None

    @property
    def model(self):
        """The PuLP model (``pulp.LpProblem``, maximise), built on first access.

        Add constraints with ``problem.model += ...``; they are honoured by both
        backends (the matrix backend reads them back as sparse rows).
        """
        return self._pulp().model

    @model.setter
    def model(self, value) -> None:
        # ``problem.model += constraint`` assigns the (same) model back
        if value is not self._pulp().model:
            raise AttributeError("problem.model cannot be replaced; add constraints with `problem.model += ...`")

    def _pulp(self) -> PulpBridge:
        if self._bridge is None:
            obj, offset = self.objective()
            self._bridge = PulpBridge(self.lp, self.names + self.connections.names, obj, offset)
        return self._bridge

    def var(self, asset: str, kind: str) -> pd.Series:
        """The PuLP variables of one kind of one asset, as a Series.

        Parameters
        ----------
        asset : str
            Asset name.
        kind : str
            ``"charge"``, ``"discharge"``, ``"soc"`` (batteries); ``"charge"``,
            ``"discharge"``, ``"car_soc"`` (stations, indexed by session and time);
            ``"up"``, ``"down"``, ``"shift_energy"`` (buildings); ``"production"``
            (solar, wind); ``"charging"`` (binaries, where added).
            :meth:`describe` lists what exists.

        Returns
        -------
        pandas.Series
            ``LpVariable`` objects indexed by step start (UTC), by step end for SoC-like
            kinds (``soc``, ``car_soc``, ``shift_energy``), and additionally by session
            for stations. Powers are magnitudes [MW] (charge ≥ 0), SoC in MWh.
        """
        a = self._asset_id(asset)
        bridge = self._pulp()
        idx, steps, sess = [], [], []
        for b in self.lp.var_blocks:
            if b.kind != kind:
                continue
            sel = np.flatnonzero(b.asset == a)
            if sel.size:
                idx.append(b.start + sel)
                steps.append(b.step[sel])
                sess.append(b.session[sel] if b.session is not None else None)
        if not idx:
            kinds = sorted({b.kind for b in self.lp.var_blocks if (b.asset == a).any()})
            raise KeyError(f"asset {asset} has no variables of kind {kind!r}; it has {', '.join(kinds)}")
        j = np.concatenate(idx)
        t = np.concatenate(steps)
        times = (self.grid.ends if kind in END_KINDS else self.grid.index)[t]
        if sess[0] is not None:
            ids = [self.sessions.session_ids[k] for k in np.concatenate(sess).tolist()]
            index = pd.MultiIndex.from_arrays([ids, times], names=["session", "time"])
        else:
            index = pd.DatetimeIndex(times, name="time")
        return pd.Series([bridge.vars[i] for i in j.tolist()], index=index, name=f"{asset}:{kind}", dtype=object)

    def power(self, asset: str) -> pd.Series:
        """The net power of an asset per step as PuLP expressions [MW] (production positive)."""
        import pulp

        a = self._asset_id(asset)
        bridge = self._pulp()
        aa, s, v, c = self.lp.power_terms()
        sel = np.flatnonzero(aa == a)
        out = []
        for t in range(self.grid.n):
            k = sel[s[sel] == t]
            out.append(
                pulp.LpAffineExpression(
                    [(bridge.vars[j], float(cf)) for j, cf in zip(v[k].tolist(), c[k].tolist())],
                    constant=float(self.lp.power_constant[a, t]),
                )
            )
        return pd.Series(out, index=self.grid.index, name=f"{asset}:power", dtype=object)

    # ------------------------------------------------------------------ the LP
    def objective(self, tie_break: bool = True) -> tuple[np.ndarray, float]:
        """Objective coefficients per variable and constant [EUR]: revenue − costs (− tie-break).

        Revenue is the day-ahead revenue of the assets' power plus the terms of
        :meth:`terms` (tariffs, end value, degradation, peak and breach charges);
        ``tie_break=False`` leaves out the tie-break penalty.
        """
        n = self.lp.n_vars
        cost = np.zeros(n)
        cost[: self.cost.size] = self.cost
        cost += self.lp.term_vector()
        const = self.revenue_constant + sum(self.lp.term_constant.values())
        if not tie_break:
            return cost, const
        return cost - self.lp.penalty_vector(), const - self.lp.penalty_constant

    def to_matrix(self, *, include_custom: bool = True, tie_break: bool = True) -> MatrixLP:
        """The LP as one sparse matrix (what the matrix backend hands to HiGHS).

        Constraints added to :attr:`model` are appended as rows when ``include_custom``;
        ``tie_break=False`` leaves the tie-break out of the objective.
        """
        lb, ub, integer = self.lp.column_bounds()
        A = self.lp.matrix("csc")
        rlo, rup = self.lp.row_bounds()
        if include_custom and self._bridge is not None:
            rows = self._bridge.custom_rows()
            if rows:
                n = len(rows)
                r = np.concatenate([np.full(len(c), i) for i, (_, c, _, _, _) in enumerate(rows)])
                c = np.concatenate([c for _, c, _, _, _ in rows])
                v = np.concatenate([v for _, _, v, _, _ in rows])
                extra = sp.csc_matrix((v, (r, c)), shape=(n, self.lp.n_vars))
                A = sp.vstack([A, extra], format="csc")
                rlo = np.concatenate([rlo, [lo for *_, lo, _ in rows]])
                rup = np.concatenate([rup, [up for *_, up in rows]])
        cost, offset = self.objective(tie_break)
        return MatrixLP(cost=cost, offset=offset, A=A, col_lower=lb, col_upper=ub, row_lower=rlo, row_upper=rup,
                        integrality=integer)

    # ------------------------------------------------------------------ solving
    def solve(
        self,
        solver: str | None = None,
        time_limit: float | None = None,
        mip_gap: float | None = None,
        *,
        backend: Backend = "auto",
        threads: int | None = None,
        algorithm: str | None = None,
        method: Literal["auto", "monolithic", "decomposed", "guided"] = "auto",
    ) -> ScheduleResult:
        """Solve and return the schedule.

        Parameters
        ----------
        solver : {"cbc", "highs"}, optional
            Default: the setting ``BVP_LP_SOLVER`` (``get_settings().lp_solver``), or
            ``"highs"`` with ``backend="matrix"``.
        time_limit : float, optional
            Seconds for the whole solve, every round of binaries included (a round
            that starts after it still gets a floor, and starts from the last round's
            schedule made strict: :mod:`~bvp_lib.scheduling.limits`). A MIP stopped by it with a feasible schedule
            returns ``status="time_limit"`` and its proven gap; without one,
            :class:`SolverError`. A MIP of ``GUIDED_MIN`` or more batteries (and
            nothing else) starts from a strict schedule rounded from its relaxation,
            within the same limit (:mod:`~bvp_lib.scheduling.rounding`), so a
            schedule comes back whenever those two LPs finish.
        mip_gap : float, optional
            Relative MIP gap (only when binaries are present); default 1e-7.
        backend : {"auto", "pulp", "matrix"}
            ``"pulp"`` builds PuLP objects (Cbc or HiGHS; custom variables and
            objectives allowed). ``"matrix"`` hands one sparse matrix to HiGHS (fast
            for large portfolios; own constraints added to :attr:`model` are carried
            over). ``"auto"`` takes ``"matrix"`` when the solver is HiGHS and
            :attr:`model` was never touched, else ``"pulp"``.
        threads : int, optional
            Solver threads.
        algorithm : str, optional
            HiGHS's LP algorithm for the matrix backend (``"simplex"``, ``"ipm"`` …);
            default: its own choice (dual simplex for these LPs, measured fastest in
            ``benchmarks/bench_scheduling.py``).

        method : {"auto", "monolithic", "decomposed", "guided"}
            ``"guided"`` solves the same LP as ``"monolithic"`` by sifting: first with
            only the charge and discharge steps a duration-binned aggregate uses, then
            adding every left-out column whose reduced cost says it would pay, until
            none does (:mod:`~bvp_lib.scheduling.sifting`; batteries-only portfolios,
            LP rounds; a plain solve where no pattern can be made). ``"auto"`` does so
            from ``GUIDED_MIN`` batteries; from ``BINNED_MIN`` it first tries bins proven
            exact (:mod:`~bvp_lib.scheduling.binning`).
            ``"decomposed"`` solves a battery portfolio by column generation over the
            batteries, coupled only by their connection limits
            (:mod:`~bvp_lib.scheduling.decomposition`: exact single-battery pricing,
            a proven gap ≤ 1e-9); ``"monolithic"`` hands the whole LP to HiGHS;
            ``"auto"`` decomposes when the problem allows it (batteries only, no
            self-discharge, soft wishes, tariffs or binaries; the matrix backend) and
            has at least ``DECOMPOSE_MIN`` batteries (``None`` today: measured slower
            than the monolithic solve, so only on request).

        Notes
        -----
        The matrix backend makes the schedule deterministic *after* the solve instead
        of inside it: it solves the LP (or MIP) without the tie-break, then, when
        ``tie_break`` > 0, minimises the tie-break over the optimal face only (see
        :func:`~bvp_lib.scheduling.backends.canonical_solution`). The PuLP backend
        solves once with the tie-break in the objective (small problems).

        Raises
        ------
        InfeasibleScheduleError
            Naming the asset(s) and constraint family (see :mod:`~bvp_lib.scheduling.diagnose`).
        UnboundedScheduleError, SolverError
        """
        check_solver_limits(time_limit, mip_gap)
        t_start = time.perf_counter()
        budget = Budget(time_limit)  # the limit bounds the whole solve (every round), see limits.py
        solver, backend = self._choose(solver, backend)
        if method not in ("auto", "monolithic", "decomposed", "guided"):
            raise ValueError(f"method must be 'auto', 'monolithic', 'decomposed' or 'guided', got {method!r}")
        if method in ("auto", "decomposed") and backend == "matrix":
            from bvp_lib.scheduling.decomposition import decomposable, solve_decomposed

            why = decomposable(self)
            if method == "decomposed" and why is not None:
                raise ValueError(f"this problem cannot be decomposed: {why}; use method='monolithic'")
            auto = DECOMPOSE_MIN is not None and why is None and len(self.batteries.names) >= DECOMPOSE_MIN
            if why is None and (method == "decomposed" or auto):
                raw, dstats = solve_decomposed(self, time_limit=time_limit, threads=threads)
                if raw.status in ("infeasible", "error"):
                    return self.solve(solver, budget.left(), mip_gap, backend=backend, threads=threads,
                                      algorithm=algorithm, method="monolithic")
                both = simultaneous(self.pairs, verified(self, raw, solver).x)  # the assembled columns checked
                if not (self.complementarity == "auto" and both.any()):
                    stats = SolverStats(
                        solver=solver, backend="matrix/decomposed", status=raw.status,
                        solver_status=raw.solver_status, build_time=self.build_time, model_time=0.0,
                        solve_time=raw.solve_time, total_time=0.0, n_variables=raw.n_variables,
                        n_constraints=raw.n_constraints, n_integer=0, n_nonzeros=raw.n_nonzeros,
                        rounds=dstats.rounds, simultaneous_steps=int(both.sum()), time_limit=time_limit,
                        iterations=raw.iterations, proven_gap=raw.proven_gap, bound=raw.bound,
                        canonical_time=raw.canonical_time,
                    )
                    result = self._result(raw, stats)
                    stats.total_time = self.build_time + (time.perf_counter() - t_start)
                    return result
                return self.solve(solver, budget.left(), mip_gap, backend=backend, threads=threads,
                                  algorithm=algorithm, method="monolithic")
        gap = DEFAULT_MIP_GAP if mip_gap is None else float(mip_gap)
        rounds = 0
        model_time = solve_time = 0.0
        iterations: int | None = None
        prev = None  # the previous round's checked solution
        known: dict = {}  # independent parts solved to optimality, kept between rounds (components.py)
        while True:
            rounds += 1
            limit = budget.left()  # this round's share: what is left of time_limit (at least a floor)
            if backend == "pulp":
                # model_time includes creating the PuLP objects (once, whenever that happened)
                raw = self._pulp().solve(solver, time_limit=limit, mip_gap=gap, threads=threads)
            else:
                t0 = time.perf_counter()
                m = self.to_matrix(tie_break=False)
                penalty = self.lp.penalty_vector()
                penalty = np.concatenate([penalty, np.zeros(m.n_vars - penalty.size)])
                t1 = time.perf_counter()
                raw = None
                try_sifting = algorithm is None and m.n_integer == 0 and (method == "guided" or (
                    method == "auto" and self.batteries is not None and len(self.batteries.names) >= GUIDED_MIN))
                if try_sifting:
                    from bvp_lib.scheduling.binning import BINNED_MIN, solve_binned
                    from bvp_lib.scheduling.sifting import solve_guided

                    pen = penalty if self.tie_break > 0 else None
                    if self.batteries is not None and len(self.batteries.names) >= BINNED_MIN:  # proven bins
                        raw = solve_binned(self, m, penalty=pen, time_limit=limit, threads=threads)
                    if raw is None:  # sifting within what the bins left of the limit
                        left = None if limit is None else max(1e-3, limit - (time.perf_counter() - t1))
                        raw = solve_guided(self, m, penalty=pen, time_limit=left, threads=threads)
                start = None
                try_start = bool(m.n_integer) and algorithm is None and method in ("auto", "guided") and (
                    self.batteries is not None and len(self.batteries.names) >= GUIDED_MIN)
                if try_start:
                    from bvp_lib.scheduling.rounding import strict_start  # a large MIP: a strict start

                    start = strict_start(self, m, time_limit=limit, threads=threads)
                if raw is None and m.n_integer and prev is not None and prev.x is not None:
                    from bvp_lib.scheduling.rounding import better_start, carried_start  # the last round's, strict

                    start = better_start(start, carried_start(self, m, prev.x, prev.bound, time_limit=limit,
                                                              threads=threads))
                if raw is None:
                    left = limit  # what a failed sifting attempt or the starts spent counts against the limit
                    if limit is not None:
                        left = max(1e-3, limit - (time.perf_counter() - t1))
                    kw = dict(time_limit=left, mip_gap=gap, threads=threads, start=start,
                              penalty=penalty if self.tie_break > 0 else None, algorithm=algorithm)
                    raw = solve_by_parts(m, known=known, **kw) or solve_matrix(m, **kw)  # independent MIPs apart
                raw.model_time = t1 - t0
            model_time += raw.model_time
            solve_time += raw.solve_time
            if raw.iterations is not None:
                iterations = (iterations or 0) + raw.iterations
            if raw.status in ("infeasible", "unbounded", "infeasible_or_unbounded"):
                self._raise_for(raw.status, solver)
            if raw.x is None:
                raise SolverError(
                    f"{solver} stopped without a schedule: {raw.solver_status}"
                    + (f" (time limit {time_limit:g} s)" if time_limit else "")
                )
            raw = verified(self, raw, solver, m if backend == "matrix" else None, None if solver != "cbc" else lambda: (
                self._pulp().solve(solver, time_limit=limit, mip_gap=gap, threads=threads, safe=True)))
            prev = raw
            both = simultaneous(self.pairs, raw.x)
            if self.complementarity == "auto" and both.any():
                units = np.unique(self.pairs.unit[both])
                if add_no_simultaneous(self.lp, self.pairs, np.isin(self.pairs.unit, units)):
                    continue
            if self.complementarity == "intra-step":
                over = intra_step_violations(self.pairs, raw.x)
                if over.any():
                    units = np.unique(self.pairs.unit[over])
                    if add_intra_step(self.lp, self.pairs, np.isin(self.pairs.unit, units)):
                        continue
            break
        stats = SolverStats(
            solver=solver, backend=backend, status=raw.status, solver_status=raw.solver_status,
            build_time=self.build_time, model_time=model_time, solve_time=solve_time, total_time=0.0,
            n_variables=raw.n_variables, n_constraints=raw.n_constraints, n_integer=raw.n_integer,
            n_nonzeros=raw.n_nonzeros, rounds=rounds, simultaneous_steps=int(both.sum()),
            time_limit=time_limit, mip_gap=gap if raw.n_integer else None, iterations=iterations,
            proven_gap=raw.proven_gap, bound=raw.bound, canonical_time=raw.canonical_time,
        )
        result = self._result(raw, stats)
        stats.total_time = self.build_time + (time.perf_counter() - t_start)
        return result

    def _choose(self, solver: str | None, backend: str) -> tuple[str, str]:
        if backend not in ("auto", "pulp", "matrix"):
            raise ValueError(f"backend must be 'auto', 'pulp' or 'matrix', got {backend!r}")
        if solver is None:
            if backend == "matrix":
                solver = "highs"
            else:
                from bvp_lib.config import get_settings

                solver = get_settings().lp_solver
        solver = str(solver).lower()
        if solver not in SOLVERS:
            raise ValueError(f"unknown solver {solver!r}; use one of {', '.join(SOLVERS)}")
        if backend == "matrix" and solver != "highs":
            raise ValueError("the matrix backend hands the LP to HiGHS; use solver='highs' or backend='pulp'")
        if backend == "auto":
            backend = "matrix" if solver == "highs" and self._bridge is None else "pulp"
        return solver, backend

    def _raise_for(self, status: str, solver: str) -> None:
        names = self.names + self.connections.names
        try:
            m = self.to_matrix()
        except ValueError:  # own variables in the PuLP model: diagnose our part only
            m = self.to_matrix(include_custom=False)
        custom = np.arange(self.lp.n_rows, m.n_rows)
        feasible = True if status == "unbounded" else _feasible(m, 60.0)
        if feasible is None:
            raise InfeasibleScheduleError(
                f"no schedule ({solver}: {status}); the feasibility check timed out, so no family is named"
            )
        if feasible is False:
            culprits = diagnose_infeasible(self.lp, m, names, custom)
            if not culprits:
                msg = f"no feasible schedule ({solver}); the diagnosis could not name a constraint family"
            elif len(culprits) == 1 or all(c.asset is None for c in culprits):
                parts = " together with ".join(_describe(c) for c in culprits)
                msg = (
                    f"no feasible schedule: {parts} cannot hold together with the other constraints "
                    f"(relaxing {'it' if len(culprits) == 1 else 'them'} makes the problem feasible)"
                )
            else:
                msg = (
                    "no feasible schedule: relaxing any one of these alone makes the problem feasible: "
                    + "; ".join(_describe(c) for c in culprits)
                )
            raise InfeasibleScheduleError(msg, culprits)
        culprits = diagnose_unbounded(self.lp, m, names)
        where = ", ".join(f"{c.family} of {c.asset}" for c in culprits) or "variables outside the scheduling LP"
        raise UnboundedScheduleError(
            f"the schedule is unbounded ({solver}): {where} can grow without limit — "
            "a custom constraint or variable probably lacks a bound",
            culprits,
        )

    # ------------------------------------------------------------------ result
    def _result(self, raw: RawSolution, stats: SolverStats) -> ScheduleResult:
        from bvp_lib.scheduling.reading import read_result

        return read_result(self, raw, stats)

    def _session_table(self, x: np.ndarray) -> pd.DataFrame:
        from bvp_lib.scheduling.reading import session_table

        return session_table(self, x)


_FAMILY_TEXT = {
    "connection_limit": "the connection limit",
    "power_limits": "the power limits",
    "soc_limits": "the SoC limits",
    "soc_target": "the SoC target",
    "session_energy": "the energy needed by departure",
    "session_power": "the session power limits",
    "car_soc": "the car SoC limits",
    "station_power": "the station power limit",
    "building_capacity": "the building connection capacity",
    "shift_window": "the shift window",
    "energy_neutral": "energy neutrality",
    "no_simultaneous": "no simultaneous charging and discharging",
    "intra_step": "the intra-step switching limit",
    "peak": "the peak import",
    "contracted_capacity": "the contracted capacity",
    "custom": "the custom constraints",
}


def _describe(c) -> str:
    if c.family == "custom":
        return "the constraint(s) added to problem.model (family 'custom')"
    text = _FAMILY_TEXT.get(c.family, c.family)
    who = f"of {c.asset}" if c.asset else "(all assets)"
    return f"{text} {who} (family '{c.family}')"


# ---------------------------------------------------------------------- building
