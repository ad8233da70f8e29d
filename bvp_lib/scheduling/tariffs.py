"""Connection-point tariffs: import and export prices, peak and contracted-capacity charges, soft limits.

A connection point with any of these terms gets **flow variables** per step
(all [MW], ≥ 0): import ``m[t]`` and export ``x[t]`` within the connection's
capacity, and, when its limits are soft, the excess ``m̃[t]``, ``x̃[t]`` beyond it.
The balance ties them to the net power of the assets behind the connection
(production positive):

.. math::
    \\sum_{a ∈ c} P[a, t] = x[t] + x̃[t] − m[t] − m̃[t]

Those assets' power is then valued at the connection's prices instead of the
day-ahead price:

.. math::
    R^{tariff}_c = \\sum_t Δt\\,\\big(π^{exp}_c[t]\\,(x + x̃) − π^{imp}_c[t]\\,(m + m̃)\\big) \\quad [EUR]

which is concave (so exact as an LP) because π^imp ≥ π^exp in every step (checked).
Connection points without terms keep the plain limit rows of
:func:`~bvp_lib.scheduling.portfolio.add_connection_limits`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bvp_lib.scheduling.assets import ConnectionPoint
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.lp import INF, LinearProgram
from bvp_lib.scheduling.timeseries import TimeGrid, as_step_values


@dataclass(frozen=True)
class TariffArrays:
    """The terms of the connection points that have any, as aligned arrays (K connections)."""

    cp: np.ndarray  # (K,) position among the connection points
    import_price: np.ndarray  # (K, T) [EUR/MWh]
    export_price: np.ndarray  # (K, T) [EUR/MWh]
    peak_price: np.ndarray  # (K,) [EUR/MW]
    peak_already: np.ndarray  # (K,) [MW]
    contracted_import: np.ndarray  # (K, T) [MW], inf = none
    contracted_export: np.ndarray  # (K, T) [MW], inf = none
    capacity_breach_price: np.ndarray  # (K,) [EUR/MW]
    limit_breach_price: np.ndarray  # (K,) [EUR/MWh], NaN = strict limits

    @property
    def n(self) -> int:
        return len(self.cp)


def _nonneg(v, what: str, name: str) -> float:
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise SchedulingInputError(f"connection point {name}: {what} must be a number, got {v!r}", asset=name) from None
    if not np.isfinite(v) or v < 0:
        raise SchedulingInputError(f"connection point {name}: {what} must be a finite number ≥ 0, got {v!r}",
                                   asset=name)
    return v


def tariff_arrays(points, grid: TimeGrid, prices: np.ndarray) -> TariffArrays:
    """Check and stack the terms of the connection points that have any.

    Raises
    ------
    SchedulingInputError
        A price that is missing for a step, an import price below the export price,
        a negative peak or breach price.
    """
    rows = []
    for i, cp in enumerate(points):
        if not isinstance(cp, ConnectionPoint) or not cp.has_terms:
            continue
        name = cp.name
        imp = prices.copy() if cp.import_price is None else as_step_values(
            cp.import_price, grid, asset=f"connection point {name}", what="import price")
        exp = prices.copy() if cp.export_price is None else as_step_values(
            cp.export_price, grid, asset=f"connection point {name}", what="export price")
        bad = np.flatnonzero(imp < exp - 1e-9)
        if bad.size:
            t = bad[0]
            raise SchedulingInputError(
                f"connection point {name}: import price {imp[t]:.6g} EUR/MWh below export price {exp[t]:.6g} EUR/MWh "
                f"at {grid.index[t]:%Y-%m-%d %H:%M} UTC (buying and selling at once would earn money); "
                "give an import price ≥ the export price",
                asset=name, family="tariff",
            )
        ci = as_step_values(cp.contracted_import, grid, asset=f"connection point {name}", what="contracted import")
        ce = as_step_values(cp.contracted_export, grid, asset=f"connection point {name}", what="contracted export")
        if (ci < 0).any() or (ce < 0).any():
            raise SchedulingInputError(f"connection point {name}: contracted capacity must be ≥ 0 MW", asset=name)
        lbp = np.nan if cp.limit_breach_price is None else _nonneg(cp.limit_breach_price, "limit_breach_price", name)
        rows.append((i, imp, exp, _nonneg(cp.peak_price, "peak_price", name),
                     _nonneg(cp.peak_already, "peak_already", name), ci, ce,
                     _nonneg(cp.capacity_breach_price, "capacity_breach_price", name), lbp))
    T = grid.n
    return TariffArrays(
        cp=np.array([r[0] for r in rows], np.int64),
        import_price=np.array([r[1] for r in rows], float).reshape(-1, T),
        export_price=np.array([r[2] for r in rows], float).reshape(-1, T),
        peak_price=np.array([r[3] for r in rows], float),
        peak_already=np.array([r[4] for r in rows], float),
        contracted_import=np.array([r[5] for r in rows], float).reshape(-1, T),
        contracted_export=np.array([r[6] for r in rows], float).reshape(-1, T),
        capacity_breach_price=np.array([r[7] for r in rows], float),
        limit_breach_price=np.array([r[8] for r in rows], float),
    )


@dataclass
class FlowVars:
    """Indices of the flow variables, each (K, T); the excess ones −1 where limits are strict."""

    imp: np.ndarray
    exp: np.ndarray
    imp_over: np.ndarray
    exp_over: np.ndarray

    def total_import(self, k: int) -> list[np.ndarray]:
        return [self.imp[k]] + ([self.imp_over[k]] if self.imp_over[k, 0] >= 0 else [])

    def total_export(self, k: int) -> list[np.ndarray]:
        return [self.exp[k]] + ([self.exp_over[k]] if self.exp_over[k, 0] >= 0 else [])


def add_connection_flows(lp: LinearProgram, conns, tf: TariffArrays, first_id: int, hours: float) -> FlowVars:
    """Flow variables, their balance (``connection_balance``), limits and tariff revenue.

    .. math::
        0 ≤ m[t] ≤ P^{imp}_c[t], \\quad 0 ≤ x[t] ≤ P^{exp}_c[t] \\quad
        \\text{(family } \\texttt{connection_limit}\\text{)}

    .. math::
        \\sum_{a ∈ c} P[a, t] − x[t] − x̃[t] + m[t] + m̃[t] = 0

    With a ``limit_breach_price`` π^l the excesses m̃, x̃ ≥ 0 exist and cost
    ``π^l Δt (m̃ + x̃)`` [EUR] (term ``breach``, itemised); the revenue term
    ``tariff`` is the equation of the module docstring. The member assets' power is
    taken out of the day-ahead revenue.
    """
    K, T = tf.import_price.shape
    imp = np.full((K, T), -1, np.int64)
    exp = np.full((K, T), -1, np.int64)
    imp_o = np.full((K, T), -1, np.int64)
    exp_o = np.full((K, T), -1, np.int64)
    a_all, s_all, v_all, c_all = lp.power_terms()
    steps = np.arange(T)
    for k, ci in enumerate(tf.cp.tolist()):
        cid = first_id + ci
        members = conns.members[ci]
        lp.unpriced_assets.update(int(m) for m in members)
        cap_i = conns.import_capacity[ci]
        cap_e = conns.export_capacity[ci]
        imp[k] = lp.add_variables("import", np.full(T, cid), steps, 0.0, cap_i, family="connection_limit",
                                  relaxed_ub=INF)
        exp[k] = lp.add_variables("export", np.full(T, cid), steps, 0.0, cap_e, family="connection_limit",
                                  relaxed_ub=INF)
        soft = np.isfinite(tf.limit_breach_price[k])
        cols = [imp[k], exp[k]]
        vals = [np.ones(T), -np.ones(T)]
        if soft:
            imp_o[k] = lp.add_variables("import_excess", np.full(T, cid), steps, 0.0, INF)
            exp_o[k] = lp.add_variables("export_excess", np.full(T, cid), steps, 0.0, INF)
            cols += [imp_o[k], exp_o[k]]
            vals += [np.ones(T), -np.ones(T)]
            price = tf.limit_breach_price[k] * hours
            lp.add_cost("breach", np.concatenate([imp_o[k], exp_o[k]]), price)
            for v in (imp_o[k], exp_o[k]):
                lp.add_breach("connection_limit", np.full(T, cid), steps, v, tf.limit_breach_price[k], "MWh",
                              scale=hours)
        keep = np.isin(a_all, members)
        const = lp.power_constant[members].sum(axis=0) if members.size else np.zeros(T)
        rows = [s_all[keep]] + [steps] * len(cols)
        lp.add_constraints(
            "connection_balance", np.full(T, cid), steps, np.concatenate(rows),
            np.concatenate([v_all[keep]] + cols), np.concatenate([c_all[keep]] + vals), -const, -const,
            relaxable=False,
        )
        ip, ep = tf.import_price[k] * hours, tf.export_price[k] * hours
        tv = [imp[k], exp[k]] + ([imp_o[k], exp_o[k]] if soft else [])
        tc = [-ip, ep] + ([-ip, ep] if soft else [])
        lp.add_revenue("tariff", np.concatenate(tv), np.concatenate(tc))
    return FlowVars(imp, exp, imp_o, exp_o)


def add_peak_charges(lp: LinearProgram, conns, tf: TariffArrays, flows: FlowVars, first_id: int) -> None:
    """Peak import charge (term ``peak``) and contracted-capacity breach (term ``capacity_breach``).

    .. math::
        \\hat{m} ≥ m[t] + m̃[t] \\ ∀t, \\quad \\hat{m} ≥ \\hat{m}^{0}, \\qquad
        C^{peak} = π^{peak}\\,(\\hat{m} − \\hat{m}^{0}) \\quad [EUR]

    with \\hat{m}^0 the peak already reached in the billing period (``peak_already``), and

    .. math::
        b^{imp} ≥ m[t] + m̃[t] − M^{imp}[t], \\quad b^{exp} ≥ x[t] + x̃[t] − M^{exp}[t], \\quad b ≥ 0,
        \\qquad C^{breach} = π^{cap}\\,(b^{imp} + b^{exp}) \\quad [EUR]

    M the contracted capacity [MW], π^cap [EUR/MW]: a fee on the highest excess,
    as grid operators charge for exceeding a contracted capacity.
    """
    K, T = tf.import_price.shape
    steps = np.arange(T)
    for k, ci in enumerate(tf.cp.tolist()):
        cid = first_id + ci
        if tf.peak_price[k] > 0:
            pk = lp.add_variables("peak", np.array([cid]), np.array([-1]), tf.peak_already[k], INF)
            _max_rows(lp, "peak", cid, pk[0], flows.total_import(k), np.zeros(T))
            lp.add_cost("peak", pk, tf.peak_price[k], constant=-tf.peak_price[k] * tf.peak_already[k])
        for side, contracted, total in (("import", tf.contracted_import[k], flows.total_import(k)),
                                        ("export", tf.contracted_export[k], flows.total_export(k))):
            if not np.isfinite(contracted).any() or tf.capacity_breach_price[k] <= 0:
                continue
            sel = np.flatnonzero(np.isfinite(contracted))
            b = lp.add_variables(f"{side}_breach", np.array([cid]), np.array([-1]), 0.0, INF)
            _max_rows(lp, "contracted_capacity", cid, b[0], [v[sel] for v in total], contracted[sel], steps[sel])
            lp.add_cost("capacity_breach", b, tf.capacity_breach_price[k])
            lp.add_breach("contracted_capacity", np.array([cid]), np.array([-1]), b, tf.capacity_breach_price[k], "MW")


def _max_rows(lp, family, cid, top, parts, offset, steps=None) -> None:
    """Rows ``top − Σ parts[t] ≥ −offset[t]`` (so top ≥ Σ parts − offset) for every t."""
    n = len(offset)
    steps = np.arange(n) if steps is None else steps
    r = np.arange(n)
    rows = [r] + [r] * len(parts)
    cols = [np.full(n, top)] + list(parts)
    vals = [np.ones(n)] + [-np.ones(n)] * len(parts)
    lp.add_constraints(family, np.full(n, cid), steps, np.concatenate(rows), np.concatenate(cols),
                       np.concatenate(vals), -np.asarray(offset, float), INF)


def baseline_tariff_value(conns, tf: TariffArrays, baseline: np.ndarray, hours: float) -> tuple[float, set]:
    """Objective of the baseline flows at the tariffs [EUR], and the assets valued so.

    ``Σ_t Δt (π^exp x − π^imp m) − π^peak max(0, max_t m − m̂⁰) − π^cap (max excess)``
    with the baseline's net flow split into import m and export x (no limit breaches
    are priced: the baseline is what happens without flexibility).
    """
    total, assets = 0.0, set()
    for k, ci in enumerate(tf.cp.tolist()):
        m = conns.members[ci]
        assets.update(int(a) for a in m)
        net = baseline[m].sum(axis=0) if m.size else np.zeros(baseline.shape[1])
        x, im = np.maximum(net, 0.0), np.maximum(-net, 0.0)
        total += float((tf.export_price[k] * x - tf.import_price[k] * im).sum() * hours)
        if tf.peak_price[k] > 0 and im.size:
            total -= tf.peak_price[k] * max(0.0, im.max() - tf.peak_already[k])
        if tf.capacity_breach_price[k] > 0:
            for flow, contracted in ((im, tf.contracted_import[k]), (x, tf.contracted_export[k])):
                fin = np.isfinite(contracted)
                if fin.any():
                    total -= tf.capacity_breach_price[k] * max(0.0, float((flow[fin] - contracted[fin]).max()))
    return total, assets
