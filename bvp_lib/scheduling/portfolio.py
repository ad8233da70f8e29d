"""Portfolio families: connection limits, the day-ahead objective and the tie-break.

Every asset contributes its net power ``P[a, t]`` [MW] (production positive) as a
linear expression of its variables plus a constant (see
:class:`~bvp_lib.scheduling.lp.LinearProgram`). The aggregator's net position is
``N[t] = Σ_a P[a, t]`` and is sold (N > 0) or bought (N < 0) at the day-ahead price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from bvp_lib.scheduling.assets import ConnectionPoint
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.lp import LinearProgram
from bvp_lib.scheduling.timeseries import TimeGrid, as_step_values


@dataclass(frozen=True)
class ConnectionArrays:
    names: list[str]
    members: list[np.ndarray]  # asset indices per connection point
    import_capacity: np.ndarray  # (C, T) [MW] ≥ 0, inf = open
    export_capacity: np.ndarray  # (C, T) [MW] ≥ 0, inf = open


def connection_arrays(
    points: Sequence[ConnectionPoint], names: Sequence[str], grid: TimeGrid
) -> ConnectionArrays:
    """Check connection points: known, unique members; non-negative capacities."""
    index = {n: i for i, n in enumerate(names)}
    owner: dict[str, str] = {}
    members, imp, exp = [], [], []
    seen = set()
    for cp in points:
        if cp.name in seen or cp.name in index:
            raise SchedulingInputError(f"connection point {cp.name}: the name is used twice", asset=cp.name)
        seen.add(cp.name)
        m = []
        for a in cp.assets:
            if a not in index:
                raise SchedulingInputError(
                    f"connection point {cp.name}: unknown asset {a!r} (assets: {', '.join(names)})", asset=cp.name
                )
            if a in owner:
                raise SchedulingInputError(
                    f"asset {a} is behind two connection points ({owner[a]} and {cp.name})", asset=a
                )
            owner[a] = cp.name
            m.append(index[a])
        members.append(np.array(m, np.int64))
        for value, what, out in ((cp.import_capacity, "import capacity", imp), (cp.export_capacity, "export capacity", exp)):
            v = as_step_values(value, grid, asset=f"connection point {cp.name}", what=what)
            if (v < 0).any():
                raise SchedulingInputError(
                    f"connection point {cp.name}: {what} must be ≥ 0 MW, got {v.min():.6g} MW", asset=cp.name
                )
            out.append(v)
    C = len(members)
    return ConnectionArrays(
        names=[cp.name for cp in points],
        members=members,
        import_capacity=np.array(imp, float).reshape(C, grid.n),
        export_capacity=np.array(exp, float).reshape(C, grid.n),
    )


def add_connection_limits(lp: LinearProgram, c: ConnectionArrays, first_id: int, skip=()) -> None:
    """Net power behind each connection point within its capacity (``connection_limit``).

    .. math::
        −P^{imp}_c[t] ≤ \\sum_{a ∈ c} P[a, t] ≤ P^{exp}_c[t] \\quad [MW]

    The constant parts of P (fixed building load) move to the bounds. Row ``asset``
    ids are ``first_id + c`` so the diagnosis can name the connection point.
    Connection points in ``skip`` (those with tariff terms) get flow variables with
    these limits as bounds instead (:func:`~bvp_lib.scheduling.tariffs.add_connection_flows`).
    """
    C, T = c.import_capacity.shape
    skip = set(int(k) for k in np.asarray(skip, dtype=np.int64).ravel())
    if C == 0 or len(skip) == C:
        return
    cp_of = np.full(lp.n_assets, -1, np.int64)
    for i, m in enumerate(c.members):
        if i not in skip:
            cp_of[m] = i
    a, s, v, coef = lp.power_terms()
    keep = cp_of[a] >= 0
    kept = np.array([i for i in range(C) if i not in skip], np.int64)
    pos = np.full(C, -1, np.int64)
    pos[kept] = np.arange(kept.size)
    rows = pos[cp_of[a[keep]]] * T + s[keep]
    const = np.zeros((C, T))
    for i, m in enumerate(c.members):
        if m.size:
            const[i] = lp.power_constant[m].sum(axis=0)
    lp.add_constraints(
        "connection_limit",
        np.repeat(first_id + kept, T),
        np.tile(np.arange(T), kept.size),
        rows,
        v[keep],
        coef[keep],
        (-c.import_capacity[kept] - const[kept]).ravel(),
        (c.export_capacity[kept] - const[kept]).ravel(),
    )


def objective_vector(lp: LinearProgram, prices: np.ndarray, hours: float) -> tuple[np.ndarray, float]:
    """Revenue coefficient per variable [EUR per MW] and the constant revenue [EUR].

    Assets behind a connection point with its own prices (``lp.unpriced_assets``)
    are left out: their energy is valued by the ``tariff`` term.

    .. math::
        R = \\sum_t π_t\\, Δt \\sum_a P[a, t]
          = \\sum_j \\Big(\\sum_{(a,t,j)} coef\\, π_t Δt\\Big) x_j
            + \\sum_{a,t} const[a, t]\\, π_t Δt
    """
    a, s, v, coef = lp.power_terms()
    priced = np.ones(lp.n_assets, bool)
    if lp.unpriced_assets:
        priced[list(lp.unpriced_assets)] = False
    w = coef * prices[s] * hours * priced[a]
    c = np.bincount(v, weights=w, minlength=lp.n_vars)
    const = float((lp.power_constant[priced].sum(axis=0) * prices).sum() * hours)
    return c, const


def tie_break_weights(n_assets: int, n_steps: int, tie_break: float) -> np.ndarray:
    """Tie-break cost per MWh of *action* for asset a in step t [EUR/MWh], shape (A, T).

    .. math::
        w[a, t] = ε \\,\\Big(1 + \\frac{t}{T}\\Big)\\Big(1 + \\frac{a}{2A}\\Big)

    ε = ``tie_break``. The penalty ``w · Δt`` is charged per MW of battery and car
    throughput (charge + discharge), of shifted building load (up + down) and of
    curtailment (forecast − production). So among schedules of equal revenue the solver
    prefers: doing nothing, earlier actions over later ones, and assets listed earlier
    over later ones. The weights differ across steps and assets, which makes the
    optimum unique in practice, so repeated runs and different solvers return the same
    schedule. ε is small enough (1e-3 EUR/MWh by default, below the 0.01 EUR/MWh tick
    of day-ahead prices) not to change decisions worth a price tick.
    """
    t = np.arange(n_steps)[None, :] / max(n_steps, 1)
    a = np.arange(n_assets)[:, None] / (2.0 * max(n_assets, 1))
    return tie_break * (1.0 + t) * (1.0 + a)
