"""A linear program kept as numpy blocks: the one representation both backends read.

Each constraint family adds whole blocks at once (vectorised over assets and steps):

* a **variable block**: one kind of variable (``"charge"``, ``"soc"`` …) for many
  assets and steps, with bounds and, when the bounds themselves are a constraint
  family (power limits, SoC limits …), that family's name and the bounds that remain
  when the family is relaxed;
* a **row block**: the rows of one constraint family as COO triplets,
  ``lower ≤ A x ≤ upper``, with the asset and step of every row;
* **power terms**: how variables make up each asset's net power,
  ``P[a, t] = const[a, t] + Σ coef · x[var]`` [MW], production positive. The
  objective, the connection-point rows and the schedule are all read from these.
* **penalty terms**: the tie-break cost per variable [EUR per unit];
* **objective terms**: revenue (+) or cost (−) per variable [EUR per unit] besides
  the day-ahead revenue of power, each under a *term* label (``"tariff"``,
  ``"end_value"``, ``"degradation"``, ``"peak"``, ``"capacity_breach"``, ``"breach"``)
  so a result can itemise them; they are part of the objective, unlike the tie-break.

The PuLP backend turns blocks into ``LpVariable`` and ``LpConstraint`` objects; the
matrix backend concatenates them into one ``scipy.sparse`` matrix for HiGHS. Both
therefore solve exactly the same LP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

INF = np.inf


@dataclass
class VarBlock:
    """Variables of one kind. Arrays have one entry per variable.

    ``family`` is the constraint family expressed by the bounds (``None`` when the
    bounds are definitional, such as ``x ≥ 0``); ``relaxed_lb``/``relaxed_ub`` are
    the bounds without that family.
    """

    kind: str
    start: int
    asset: np.ndarray
    step: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    family: str | None = None
    relaxed_lb: np.ndarray | None = None
    relaxed_ub: np.ndarray | None = None
    integer: bool = False
    session: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.lb)

    @property
    def stop(self) -> int:
        return self.start + self.n

    @property
    def indices(self) -> np.ndarray:
        return np.arange(self.start, self.stop)


@dataclass
class RowBlock:
    """Rows of one constraint family: ``lower ≤ Σ vals · x[cols] ≤ upper`` per row."""

    family: str
    start: int
    asset: np.ndarray
    step: np.ndarray
    rows: np.ndarray  # local row number 0..n-1 per non-zero
    cols: np.ndarray  # global variable index per non-zero
    vals: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    relaxable: bool = True

    @property
    def n(self) -> int:
        return len(self.lower)


@dataclass
class LinearProgram:
    """A maximisation LP/MIP assembled from blocks (see the module docstring)."""

    n_assets: int
    n_steps: int
    var_blocks: list[VarBlock] = field(default_factory=list)
    row_blocks: list[RowBlock] = field(default_factory=list)
    n_vars: int = 0
    n_rows: int = 0
    power_constant: np.ndarray | None = None  # (n_assets, n_steps) [MW], zeros when omitted
    _power: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    _penalty: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    penalty_constant: float = 0.0
    _terms: list[tuple[str, np.ndarray, np.ndarray]] = field(default_factory=list)
    term_constant: dict = field(default_factory=dict)  # term -> EUR
    unpriced_assets: set = field(default_factory=set)  # assets whose power is not sold at the day-ahead price
    breaches: list = field(default_factory=list)  # (family, asset, step, var, price, unit) of soft wishes

    def __post_init__(self) -> None:
        if self.power_constant is None:
            self.power_constant = np.zeros((self.n_assets, self.n_steps))

    # -- building -----------------------------------------------------------------
    def add_variables(
        self,
        kind: str,
        asset: np.ndarray,
        step: np.ndarray,
        lb,
        ub,
        *,
        family: str | None = None,
        relaxed_lb=None,
        relaxed_ub=None,
        integer: bool = False,
        session: np.ndarray | None = None,
    ) -> np.ndarray:
        """Add one block of variables; returns their global indices (shape of ``asset``)."""
        shape = np.shape(asset)
        asset = np.asarray(asset, dtype=np.int64).ravel()
        n = asset.size
        step = np.broadcast_to(np.asarray(step, dtype=np.int64), shape).ravel()
        lb = np.broadcast_to(np.asarray(lb, dtype=float), shape).ravel().copy()
        ub = np.broadcast_to(np.asarray(ub, dtype=float), shape).ravel().copy()
        block = VarBlock(
            kind=kind,
            start=self.n_vars,
            asset=asset,
            step=step,
            lb=lb,
            ub=ub,
            family=family,
            relaxed_lb=None if relaxed_lb is None else np.broadcast_to(np.asarray(relaxed_lb, float), shape).ravel().copy(),
            relaxed_ub=None if relaxed_ub is None else np.broadcast_to(np.asarray(relaxed_ub, float), shape).ravel().copy(),
            integer=integer,
            session=None if session is None else np.broadcast_to(np.asarray(session), shape).ravel(),
        )
        self.var_blocks.append(block)
        self.n_vars += n
        return np.arange(block.start, block.stop).reshape(shape)

    def add_constraints(
        self,
        family: str,
        asset: np.ndarray,
        step: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        lower,
        upper,
        *,
        relaxable: bool = True,
    ) -> np.ndarray:
        """Add one block of rows ``lower ≤ A x ≤ upper``; returns the global row indices.

        ``rows`` are local row numbers (0 … n−1) of each non-zero; ``asset``/``step``
        give each row's asset and step (−1 for rows spanning the horizon).
        """
        asset = np.asarray(asset, dtype=np.int64).ravel()
        n = asset.size
        step = np.broadcast_to(np.asarray(step, dtype=np.int64), (n,)).copy()
        rows = np.asarray(rows, dtype=np.int64).ravel()
        cols = np.asarray(cols, dtype=np.int64).ravel()
        vals = np.broadcast_to(np.asarray(vals, dtype=float), rows.shape).ravel().copy()
        block = RowBlock(
            family=family,
            start=self.n_rows,
            asset=asset,
            step=step,
            rows=rows,
            cols=cols,
            vals=vals,
            lower=np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy(),
            upper=np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy(),
            relaxable=relaxable,
        )
        self.row_blocks.append(block)
        self.n_rows += n
        return np.arange(block.start, block.start + n)

    def add_power(self, asset, step, var, coef) -> None:
        """Register ``P[asset, step] += coef · x[var]`` [MW] (arrays broadcast together)."""
        a, s, v, c = np.broadcast_arrays(
            np.asarray(asset, np.int64), np.asarray(step, np.int64), np.asarray(var, np.int64), np.asarray(coef, float)
        )
        self._power.append((a.ravel(), s.ravel(), v.ravel(), c.ravel()))

    def add_penalty(self, var, coef) -> None:
        """Register a tie-break cost ``coef · x[var]`` [EUR] (subtracted from revenue)."""
        v, c = np.broadcast_arrays(np.asarray(var, np.int64), np.asarray(coef, float))
        self._penalty.append((v.ravel(), c.ravel()))

    def add_term(self, term: str, var, coef, constant: float = 0.0) -> None:
        """Add ``coef · x[var] + constant`` [EUR] to the objective under the label ``term``.

        Positive coefficients are revenue (flows sold at a connection's export price,
        the value of energy left at the end), negative ones costs (degradation, peak
        and breach charges). The result itemises the objective by term.
        """
        v, c = np.broadcast_arrays(np.asarray(var, np.int64), np.asarray(coef, float))
        self._terms.append((term, v.ravel(), c.ravel()))
        self.term_constant[term] = self.term_constant.get(term, 0.0) + float(constant)

    def add_cost(self, term: str, var, coef, constant: float = 0.0) -> None:
        """Register an economic cost ``coef · x[var] + constant`` [EUR] under ``term`` (subtracted)."""
        self.add_term(term, var, -np.asarray(coef, float), -float(constant))

    def add_revenue(self, term: str, var, coef, constant: float = 0.0) -> None:
        """Register revenue ``coef · x[var] + constant`` [EUR] under ``term``."""
        self.add_term(term, var, coef, constant)

    def add_breach(self, family: str, asset, step, var, price, unit: str, scale: float = 1.0) -> None:
        """Record miss variables of a soft wish (so a result can itemise what was missed).

        The amount missed is ``scale · x[var]`` in ``unit`` and costs ``price`` per unit.
        """
        a, t, v, pr = np.broadcast_arrays(np.asarray(asset, np.int64), np.asarray(step, np.int64),
                                          np.asarray(var, np.int64), np.asarray(price, float))
        self.breaches.append((family, a.ravel(), t.ravel(), v.ravel(), pr.ravel(), unit, float(scale)))

    # -- reading ------------------------------------------------------------------
    def term_names(self) -> list[str]:
        """Labels of the objective terms besides day-ahead energy, in the order first added."""
        return list(dict.fromkeys([t for t, _, _ in self._terms] + list(self.term_constant)))

    def term_vector(self, term: str | None = None) -> np.ndarray:
        """Objective coefficient per variable [EUR per unit] of one ``term`` (or all terms)."""
        out = np.zeros(self.n_vars)
        for t, v, c in self._terms:
            if term is None or t == term:
                np.add.at(out, v, c)
        return out

    def power_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Concatenated power terms (asset, step, var, coef)."""
        if not self._power:
            e = np.zeros(0, np.int64)
            return e, e, e, np.zeros(0)
        return tuple(np.concatenate(x) for x in zip(*self._power))  # type: ignore[return-value]

    def penalty_vector(self) -> np.ndarray:
        """Tie-break cost per variable [EUR per unit of the variable]."""
        if not self._penalty:
            return np.zeros(self.n_vars)
        v = np.concatenate([p[0] for p in self._penalty])
        c = np.concatenate([p[1] for p in self._penalty])
        return np.bincount(v, weights=c, minlength=self.n_vars)

    def column_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lower and upper bounds and an integrality flag per variable."""
        lb = np.concatenate([b.lb for b in self.var_blocks]) if self.var_blocks else np.zeros(0)
        ub = np.concatenate([b.ub for b in self.var_blocks]) if self.var_blocks else np.zeros(0)
        integer = (
            np.concatenate([np.full(b.n, b.integer) for b in self.var_blocks]) if self.var_blocks else np.zeros(0, bool)
        )
        return lb, ub, integer

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.concatenate([b.lower for b in self.row_blocks]) if self.row_blocks else np.zeros(0)
        up = np.concatenate([b.upper for b in self.row_blocks]) if self.row_blocks else np.zeros(0)
        return lo, up

    def coo(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Global (row, col, value) triplets of the constraint matrix."""
        if not self.row_blocks:
            e = np.zeros(0, np.int64)
            return e, e, np.zeros(0)
        r = np.concatenate([b.rows + b.start for b in self.row_blocks])
        c = np.concatenate([b.cols for b in self.row_blocks])
        v = np.concatenate([b.vals for b in self.row_blocks])
        return r, c, v

    def matrix(self, fmt: str = "csc") -> sp.spmatrix:
        """The constraint matrix A (n_rows × n_vars) in ``fmt`` (duplicates summed)."""
        r, c, v = self.coo()
        m = sp.coo_matrix((v, (r, c)), shape=(self.n_rows, self.n_vars))
        return m.asformat(fmt)
