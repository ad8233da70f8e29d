"""No simultaneous charging and discharging — exact, with as few binaries as possible.

A storage (a battery, or a car at a bidirectional station) has a charging variable
c ≥ 0 and a discharging variable d ≥ 0 in every step. Physically it must never do both
in the same step. The constraint family ``no_simultaneous`` enforces it with a binary
u per (storage, step):

.. math::
    c ≤ \\bar{P}^c\\, u, \\qquad d ≤ \\bar{P}^d\\, (1 − u), \\qquad u ∈ \\{0, 1\\}

Binaries make the problem a MIP, so they are only added where needed:

**Lossless storage (η_c = η_d = 1): never needed.** Lower c and d in the same step by
the same δ = min(c, d): the net power d − c, the energy balance η_c c − d/η_d and so
every SoC, connection and objective-revenue term stay exactly the same, while the
tie-break cost (a strictly positive penalty on c + d, see
:func:`bvp_lib.scheduling.problem.tie_break_weights`) drops by 2δ·w·Δt. So no optimal
solution of the tie-broken LP charges and discharges at once, with any prices.

**Lossy storage (η_c η_d < 1).** Doing both at once burns energy (losses
(1 − η_c η_d)·c·Δt). That pays when consuming pays (a negative price) or when energy
must be got rid of (for example a binding export limit). Such cases cannot be ruled out
a priori, so the rule is:

1. *a priori*: binaries for every lossy storage in every step with a **negative**
   price (the LP would burn energy there whenever it has room);
2. *a posteriori*: solve; if any other (storage, step) does both (both above 1e-6 MW),
   add binaries for every step of the offending storages and solve again
   (``ScheduleResult.stats.rounds`` counts the solves).

This is exact: every problem solved is a *relaxation* of the full MIP (binaries
everywhere) — it has the same objective and a subset of the integrality constraints. Its
optimum is therefore an upper bound on the full MIP's optimum. The returned solution
charges and discharges nowhere at the same time, so it is feasible for the full MIP
and attains that bound: it is optimal for the full MIP. (With ``mip_gap`` > 0 the usual
MIP gap applies.) The loop ends because each round adds binaries to at least one more
storage.

``complementarity="milp"`` adds binaries for every lossy step up front; ``"lp"`` never
adds any and only reports the steps where both happen (``stats.simultaneous_steps``).

**Intra-step switching** (``complementarity="intra-step"``, a pure LP). An inverter
may alternate between charging and discharging *within* a quarter-hour, so the
step's charge c and discharge d are time averages of a sub-step schedule: charging at
P^c for a share c/P^c of the step and discharging at P^d for a share d/P^d of it.
The shares cannot exceed the step, which is the family ``intra_step``:

.. math::
    \\frac{c}{\\bar{P}^c} + \\frac{d}{\\bar{P}^d} ≤ 1

This is exactly the convex hull of one step's strict set {c ≤ P̄^c u, d ≤ P̄^d (1 − u),
u ∈ {0, 1}}, so it is the LP relaxation of the strict rule and its optimum is never
below the strict optimum. Physically it lets a lossy storage *dissipate* energy
through its own conversion losses (1 − η_c η_d per MWh cycled) while it is paid to
consume at a negative price, at most ``P̄^c (1 − η_c η_d) / (1 + η_c η_d)`` MW on
average for a full battery with P̄^c = P̄^d — which real operators do with fast
inverters. The strict rule (the default) forbids it; the difference between the two
optima is what intra-step switching is worth (a sweep axis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bvp_lib.scheduling.lp import LinearProgram

TOLERANCE = 1e-6  # [MW] power above which a variable counts as "active"


@dataclass
class StoragePairs:
    """Charge/discharge variable pairs, one entry per (storage, step).

    Attributes
    ----------
    charge, discharge : numpy.ndarray
        Global variable indices of c and d.
    charge_ub, discharge_ub : numpy.ndarray
        Their upper bounds [MW] (the big-M of the binary rows; finite).
    asset, step : numpy.ndarray
        Asset index and step of each entry.
    unit : numpy.ndarray
        Storage id per entry (a battery, or one car session); binaries are added per unit.
    lossy : numpy.ndarray of bool
        Whether η_c η_d < 1 for the entry.
    has_binary : numpy.ndarray of bool
        Whether the entry already has its binary.
    """

    charge: np.ndarray
    discharge: np.ndarray
    charge_ub: np.ndarray
    discharge_ub: np.ndarray
    asset: np.ndarray
    step: np.ndarray
    unit: np.ndarray
    lossy: np.ndarray
    has_binary: np.ndarray
    has_row: np.ndarray | None = None  # whether the entry has its intra-step row
    binary: np.ndarray | None = None  # the entry's binary column (-1: none yet)

    @classmethod
    def empty(cls) -> "StoragePairs":
        e = np.zeros(0, np.int64)
        return cls(e, e, np.zeros(0), np.zeros(0), e, e, e, np.zeros(0, bool), np.zeros(0, bool))

    @classmethod
    def concat(cls, parts: list["StoragePairs"]) -> "StoragePairs":
        if not parts:
            return cls.empty()
        fields = [f for f in cls.__dataclass_fields__ if f not in ("has_row", "binary")]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in fields))

    def __len__(self) -> int:
        return len(self.charge)


def simultaneous(pairs: StoragePairs, x: np.ndarray, tol: float = TOLERANCE) -> np.ndarray:
    """Boolean mask of entries where both charge and discharge exceed ``tol`` [MW]."""
    if len(pairs) == 0:
        return np.zeros(0, bool)
    return (x[pairs.charge] > tol) & (x[pairs.discharge] > tol)


def a_priori_mask(pairs: StoragePairs, prices: np.ndarray, mode: str) -> np.ndarray:
    """Entries that get binaries before the first solve (see the module docstring)."""
    if mode == "milp":
        return pairs.lossy.copy()
    if mode in ("lp", "intra-step"):
        return np.zeros(len(pairs), bool)
    return pairs.lossy & (prices[pairs.step] < 0)


def add_no_simultaneous(lp: LinearProgram, pairs: StoragePairs, mask: np.ndarray) -> int:
    """Binary exclusion of charging and discharging (family ``no_simultaneous``).

    .. math::
        c − \\bar{P}^c u ≤ 0, \\qquad d + \\bar{P}^d u ≤ \\bar{P}^d, \\qquad u ∈ \\{0, 1\\}

    for the entries in ``mask`` that have no binary yet. Returns how many were added.
    """
    sel = np.flatnonzero(mask & ~pairs.has_binary)
    if sel.size == 0:
        return 0
    n = sel.size
    u = lp.add_variables("charging", pairs.asset[sel], pairs.step[sel], 0.0, 1.0, integer=True)
    r = np.arange(n)
    lp.add_constraints(
        "no_simultaneous",
        np.concatenate([pairs.asset[sel], pairs.asset[sel]]),
        np.concatenate([pairs.step[sel], pairs.step[sel]]),
        np.concatenate([r, r, r + n, r + n]),
        np.concatenate([pairs.charge[sel], u, pairs.discharge[sel], u]),
        np.concatenate([np.ones(n), -pairs.charge_ub[sel], np.ones(n), pairs.discharge_ub[sel]]),
        -np.inf,
        np.concatenate([np.zeros(n), pairs.discharge_ub[sel]]),
    )
    pairs.has_binary[sel] = True
    if pairs.binary is None:
        pairs.binary = np.full(len(pairs), -1, np.int64)
    pairs.binary[sel] = u
    return n


def add_intra_step(lp: LinearProgram, pairs: StoragePairs, mask: np.ndarray | None = None) -> int:
    """Intra-step switching: time shares of charging and discharging within a step (``intra_step``).

    .. math::
        \\frac{c}{\\bar{P}^c} + \\frac{d}{\\bar{P}^d} ≤ 1

    for the (storage, step) pairs in ``mask`` (default all) with both bounds positive
    and no such row yet (see the module docstring for what it means physically).
    Like the binaries, the rows are added where they can bind: a priori at negative
    prices for lossy storage, then after a solve wherever the solution breaks one
    (each solve is a relaxation of the full intra-step LP, so a final solution that
    breaks no row is optimal for it). Returns how many rows were added.
    """
    if pairs.has_row is None:
        pairs.has_row = np.zeros(len(pairs), bool)
    ok = (pairs.charge_ub > 0) & (pairs.discharge_ub > 0) & ~pairs.has_row
    sel = np.flatnonzero(ok if mask is None else ok & mask)
    if sel.size == 0:
        return 0
    pairs.has_row[sel] = True
    n = sel.size
    r = np.arange(n)
    lp.add_constraints(
        "intra_step", pairs.asset[sel], pairs.step[sel], np.concatenate([r, r]),
        np.concatenate([pairs.charge[sel], pairs.discharge[sel]]),
        np.concatenate([1.0 / pairs.charge_ub[sel], 1.0 / pairs.discharge_ub[sel]]), -np.inf, 1.0,
    )
    return n


def intra_step_violations(pairs: StoragePairs, x: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Entries where ``c/P̄^c + d/P̄^d > 1 + tol``."""
    if len(pairs) == 0:
        return np.zeros(0, bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(pairs.charge_ub > 0, x[pairs.charge] / pairs.charge_ub, 0.0) + np.where(
            pairs.discharge_ub > 0, x[pairs.discharge] / pairs.discharge_ub, 0.0)
    return share > 1.0 + tol


def fix_directions(problem, x: np.ndarray, tol: float = 1e-7) -> int:
    """Where a storage charges and discharges in one step of the solution ``x``, fix the
    direction of every step in which it moves to the one it has on balance (the other's
    upper bound set to 0), so the next solve keeps the strict rule there with every
    constraint. Returns the simultaneous steps found (0: nothing to fix)."""
    pr = problem.pairs
    c, d = x[pr.charge], x[pr.discharge]
    both = (c > tol) & (d > tol)
    if not both.any():
        return 0
    # every step that moves keeps its direction (fixing only the simultaneous ones lets the
    # next solve move the losses to a neighbouring step, round after round)
    active = (c > tol) | (d > tol)
    ci, di = pr.charge[active], pr.discharge[active]
    charging = x[ci] >= x[di]
    off = np.r_[di[charging], ci[~charging]]
    for b in problem.lp.var_blocks:
        inside = off[(off >= b.start) & (off < b.start + b.n)]
        if len(inside):
            b.ub[inside - b.start] = 0.0
            if b.relaxed_ub is not None:
                b.relaxed_ub[inside - b.start] = 0.0
    return int(both.sum())
