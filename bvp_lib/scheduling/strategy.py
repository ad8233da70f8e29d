"""Solver strategies: how to get an exact schedule fastest.

:func:`solve_schedule` with ``solver="auto"`` first solves the LP **without** binaries
(no complementarity constraint) on HiGHS through the sparse-matrix path; when no storage
charges and discharges in the same step, that schedule is feasible for the full MIP
and, the LP being its relaxation, optimal. Otherwise the problem is rebuilt with
binaries where needed (:mod:`~bvp_lib.scheduling.complementarity`) and solved.
"""

from __future__ import annotations

import pandas as pd

from bvp_lib.scheduling.assets import ConnectionPoint
from bvp_lib.scheduling.build import build_problem

SOLVER_CHOICES = ("auto", "highs", "cbc")


def _has_highs() -> bool:
    try:
        import highspy  # noqa: F401

        return True
    except ImportError:
        return False


def default_solver() -> str:
    """The interactive default: ``"auto"`` when highspy imports (see :func:`solve_schedule`),
    else the configured solver (``BVP_LP_SOLVER``)."""
    if _has_highs():
        return "auto"
    from bvp_lib.config import get_settings

    return get_settings().lp_solver


#: how storage may switch in a day run: ``strict`` never charges and discharges in one step
#: (binaries where needed, the default), ``intra-step`` lets an inverter alternate within a step
#: (``c/Pc + d/Pd <= 1``, a pure LP; :mod:`~bvp_lib.scheduling.complementarity`)
SWITCHING = {"strict": "auto", "intra-step": "intra-step"}


def check_switching(value: str) -> str:
    """``value`` if it is a known switching rule, else a ValueError with a did-you-mean."""
    if value not in SWITCHING:
        from bvp_lib.db.catalogue import did_you_mean

        hint = did_you_mean(str(value), list(SWITCHING))
        raise ValueError(f"complementarity {value!r} is not known;{hint} Use {' or '.join(SWITCHING)}.")
    return value


def solve_schedule(assets: list, prices: pd.Series, connection_points: list[ConnectionPoint], *,
                   resolution: pd.Timedelta | str | None = None, solver: str = "auto",
                   time_limit: float | None = None, mip_gap: float | None = None):  # fmt: skip
    """Build and solve a schedule the fastest exact way for an interactive answer.

    ``solver="highs"`` or ``"cbc"``: :func:`~bvp_lib.scheduling.build_problem` then
    ``solve(solver)`` (HiGHS through the sparse-matrix path), binaries where needed
    (``complementarity="auto"``).

    ``solver="auto"``: first the LP **without** binaries (``complementarity="lp"``) on
    HiGHS through the sparse-matrix path — a few milliseconds. When no storage charges
    and discharges in the same step, that schedule is feasible for the full MIP and, the
    LP being its relaxation, optimal: it is returned. Otherwise (lossy storage burning
    energy at negative prices or at a binding export limit) the problem is rebuilt with
    binaries where needed and solved on HiGHS too, whose matrix path solves the MIP's
    independent parts one by one (:mod:`~bvp_lib.scheduling.components`). Measured
    (``benchmarks/bench_widgets.py --compare``, 12 April 2015, 20 changes, 10 s limit,
    gap 1e-3; ``benchmarks/records/2026-12-02_widgets_compare.txt``): on the full
    portfolio HiGHS alone median 0.37 s, max 2.3 s, every MIP proven within the gap, Cbc
    median 1.4 s, max 10.5 s, 7 stopped at the limit; on the small set (one part) HiGHS
    median 0.04 s, max 0.31 s against Cbc's 0.17 s and 0.80 s. Without highspy, the
    configured solver does both steps.

    ``mip_gap`` (relative, e.g. 1e-3) lets a MIP stop once its schedule is proven within
    that share of the optimum; the LP is solved to optimality either way.

    Returns
    -------
    ScheduleResult

    Raises
    ------
    SchedulingInputError, InfeasibleScheduleError, SolverError
        As :meth:`~bvp_lib.scheduling.Problem.solve`.
    """
    solver = str(solver).lower()
    if solver not in SOLVER_CHOICES:
        raise ValueError(f"solver {solver!r} is not supported; use one of {', '.join(SOLVER_CHOICES)}")
    if solver != "auto":
        return build_problem(assets, prices, connection_points, resolution=resolution).solve(solver, time_limit, mip_gap)
    if _has_highs():
        lp_solver = mip_solver = "highs"
    else:
        from bvp_lib.config import get_settings

        lp_solver = mip_solver = get_settings().lp_solver
    first = build_problem(assets, prices, connection_points, resolution=resolution, complementarity="lp")
    result = first.solve(lp_solver, time_limit)
    if result.stats.simultaneous_steps == 0:
        return result
    return build_problem(assets, prices, connection_points, resolution=resolution).solve(mip_solver, time_limit, mip_gap)
