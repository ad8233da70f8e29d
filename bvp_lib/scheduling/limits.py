"""The solver settings a user gives (time limit, MIP gap): checked, and the time shared out.

A solve may take several rounds (:meth:`~bvp_lib.scheduling.problem.Problem.solve`: the LP,
then binaries for the storages that charged and discharged in one step, then binaries for
storages that only started doing so in the MIP). ``time_limit`` bounds the whole solve, not
each round: a :class:`Budget` gives every round what is left. A round that starts when
nothing is left still gets a short floor (:data:`ROUND_FLOOR` of the limit, at least
:data:`ROUND_FLOOR_MIN` seconds), because its schedule is the one that keeps the strict rule;
it starts from the previous round's schedule made strict
(:func:`~bvp_lib.scheduling.rounding.carried_start`), so a short round still returns one.
Measured before this rule (bundled 2018 data, 18 March, ``benchmarks/bench_negative_days.py
--year 2018 --only 2018-03-18``): two rounds of 60 s each, 120 s for a "60 s" limit.
"""

from __future__ import annotations

import math
import time

ROUND_FLOOR = 0.1  # share of the time limit a late round still gets
ROUND_FLOOR_MIN = 1.0  # [s]


def check_solver_limits(time_limit: float | None, mip_gap: float | None) -> None:
    """Refuse a time limit that is not a positive number of seconds, or a MIP gap outside [0, 1).

    Raises
    ------
    ValueError
        Naming the setting and the value (``--time-limit -1`` used to reach the solver).
    """
    if time_limit is not None:
        try:
            ok = math.isfinite(float(time_limit)) and float(time_limit) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"time_limit must be a positive number of seconds, not {time_limit!r} "
                             "(leave it out for no limit).")
    if mip_gap is not None:
        try:
            ok = 0 <= float(mip_gap) < 1
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"mip_gap must be a relative gap in [0, 1), not {mip_gap!r}.")


class Budget:
    """What is left of ``time_limit`` [s] (``None``: no limit) since this was made."""

    def __init__(self, time_limit: float | None, clock=time.perf_counter):
        self.limit = None if time_limit is None else float(time_limit)
        self._clock = clock
        self.start = clock()

    def spent(self) -> float:
        return self._clock() - self.start

    def left(self) -> float | None:
        """Seconds for the next round: what is left, at least the floor; ``None`` without a limit."""
        if self.limit is None:
            return None
        floor = min(self.limit, max(ROUND_FLOOR_MIN, ROUND_FLOOR * self.limit))
        return max(self.limit - self.spent(), floor)
