"""Name the asset(s) and constraint family behind an infeasible or unbounded problem.

**Infeasible.** Every constraint family of every asset is either *relaxable* (power
limits, SoC limits, SoC target, session energy, shift window, connection limit …: a
wish that may conflict with others) or *definitional* (the SoC balance, the cumulative
shift balance: they only define a variable and never conflict on their own). The
diagnosis re-solves feasibility problems (zero objective, HiGHS on the sparse matrix)
with families relaxed one at a time:

1. per family type (all assets at once) — the types whose relaxation alone makes the
   problem feasible;
2. within each such type, per asset — the assets whose family, relaxed alone, makes
   it feasible (up to ``max_checks`` per type).

If no single family type suffices, types are relaxed cumulatively until the problem
is feasible and then dropped again one by one while it stays feasible (a deletion
filter), which yields a minimal conflicting set of types.

**Unbounded.** All variables are boxed to ±1e7 and the problem re-solved; the
variables at the box name the asset and variable kind running off.
"""

from __future__ import annotations

import numpy as np

from bvp_lib.scheduling.backends import MatrixLP, highs_instance, highs_status, pass_matrix
from bvp_lib.scheduling.errors import Culprit

BOX = 1e7


def _feasible(m: MatrixLP, time_limit: float) -> bool | None:
    h = highs_instance(time_limit=time_limit)
    zero = MatrixLP(
        cost=np.zeros(m.n_vars), offset=0.0, A=m.A, col_lower=m.col_lower, col_upper=m.col_upper,
        row_lower=m.row_lower, row_upper=m.row_upper, integrality=m.integrality,
    )
    pass_matrix(h, zero)
    h.run()
    status, _, has_x = highs_status(h)
    if status == "optimal":
        return True
    if status in ("infeasible", "infeasible_or_unbounded"):
        return False
    return None  # unknown (time limit)


class _Relaxer:
    """Index of relaxable (family, asset) parts of a matrix LP."""

    def __init__(self, lp, m: MatrixLP, custom_rows: np.ndarray):
        self.m = m
        fam_vars: dict[str, list] = {}
        fam_rows: dict[str, list] = {}
        self.relaxed_lb = m.col_lower.copy()
        self.relaxed_ub = m.col_upper.copy()
        self.var_asset = np.full(m.n_vars, -1, np.int64)
        self.row_asset = np.full(m.n_rows, -1, np.int64)
        for b in lp.var_blocks:
            self.var_asset[b.start:b.stop] = b.asset
            if b.family is None:
                continue
            sl = slice(b.start, b.stop)
            if b.relaxed_lb is not None:
                self.relaxed_lb[sl] = b.relaxed_lb
            if b.relaxed_ub is not None:
                self.relaxed_ub[sl] = b.relaxed_ub
            fam_vars.setdefault(b.family, []).append(np.arange(b.start, b.stop))
        for b in lp.row_blocks:
            self.row_asset[b.start:b.start + b.n] = b.asset
            if b.relaxable:
                fam_rows.setdefault(b.family, []).append(np.arange(b.start, b.start + b.n))
        if custom_rows.size:
            fam_rows.setdefault("custom", []).append(custom_rows)
        self.families = list(dict.fromkeys([*fam_vars, *fam_rows]))
        self.fam_vars = {f: np.concatenate(v) for f, v in fam_vars.items()}
        self.fam_rows = {f: np.concatenate(v) for f, v in fam_rows.items()}

    def relaxed(self, parts: list[tuple[str, int | None]]) -> MatrixLP:
        """A copy of the LP with the given (family, asset or None = all) parts relaxed."""
        m = self.m
        lb, ub = m.col_lower.copy(), m.col_upper.copy()
        rl, ru = m.row_lower.copy(), m.row_upper.copy()
        for fam, asset in parts:
            v = self.fam_vars.get(fam, np.zeros(0, np.int64))
            r = self.fam_rows.get(fam, np.zeros(0, np.int64))
            if asset is not None:
                v = v[self.var_asset[v] == asset]
                r = r[self.row_asset[r] == asset]
            lb[v], ub[v] = self.relaxed_lb[v], self.relaxed_ub[v]
            rl[r], ru[r] = -np.inf, np.inf
        return MatrixLP(m.cost, m.offset, m.A, lb, ub, rl, ru, m.integrality)

    def assets_of(self, fam: str) -> list[int]:
        v = self.var_asset[self.fam_vars.get(fam, np.zeros(0, np.int64))]
        r = self.row_asset[self.fam_rows.get(fam, np.zeros(0, np.int64))]
        return sorted(set(v.tolist()) | set(r.tolist()))


def diagnose_infeasible(
    lp, m: MatrixLP, names: list[str], custom_rows: np.ndarray | None = None,
    *, max_checks: int = 60, time_limit: float = 20.0,
) -> list[Culprit]:
    """The (asset, family) pairs whose relaxation alone makes ``m`` feasible.

    ``names[i]`` names asset (or connection point) id ``i``; custom rows (the
    researcher's own constraints) count as family ``"custom"``.
    """
    rx = _Relaxer(lp, m, np.zeros(0, np.int64) if custom_rows is None else custom_rows)

    def name(a: int) -> str | None:
        return names[a] if 0 <= a < len(names) else None

    types = [f for f in rx.families if _feasible(rx.relaxed([(f, None)]), time_limit)]
    if not types:
        # no single family type suffices: cumulative relaxation, then a deletion filter
        chosen: list[str] = []
        for f in rx.families:
            chosen.append(f)
            if _feasible(rx.relaxed([(g, None) for g in chosen]), time_limit):
                break
        else:
            return []
        for f in list(chosen):
            rest = [g for g in chosen if g != f]
            if rest and _feasible(rx.relaxed([(g, None) for g in rest]), time_limit):
                chosen = rest
        return [Culprit(asset=None, family=f) for f in chosen]
    culprits: list[Culprit] = []
    for f in types:
        assets = rx.assets_of(f)
        found = []
        if len(assets) > 1:
            for a in assets[:max_checks]:
                if _feasible(rx.relaxed([(f, a)]), time_limit):
                    found.append(Culprit(asset=name(a), family=f))
        else:
            found = [Culprit(asset=name(a), family=f) for a in assets]
        culprits.extend(found or [Culprit(asset=None, family=f)])
    return culprits


def diagnose_unbounded(lp, m: MatrixLP, names: list[str], time_limit: float = 20.0) -> list[Culprit]:
    """(asset, variable kind) of the variables that run to the ±1e7 box."""
    from bvp_lib.scheduling.backends import solve_matrix

    boxed = MatrixLP(
        m.cost, m.offset, m.A, np.maximum(m.col_lower, -BOX), np.minimum(m.col_upper, BOX),
        m.row_lower, m.row_upper, m.integrality,
    )
    raw = solve_matrix(boxed, time_limit=time_limit)
    if raw.x is None:
        return []
    hit = np.flatnonzero(np.abs(raw.x) >= BOX / 10)
    out: list[Culprit] = []
    for b in lp.var_blocks:
        sel = hit[(hit >= b.start) & (hit < b.stop)]
        for a in dict.fromkeys(b.asset[sel - b.start].tolist()):
            c = Culprit(asset=names[a] if 0 <= a < len(names) else None, family=b.kind)
            if c not in out:
                out.append(c)
    return out
