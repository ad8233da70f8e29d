"""Battery constraint families, vectorised over all batteries and steps.

Notation (per battery b and step t = 0 … T−1, step length Δt [h]):

* c[b, t] ≥ 0 charging power [MW] and d[b, t] ≥ 0 discharging power [MW], both
  magnitudes; the battery's net power is ``P = d − c`` (production positive, so
  charging is negative);
* s[b, t] state of charge at the *end* of step t [MWh]; s[b, −1] = SoC at start;
* η_c, η_d charging and discharging efficiency [-]; σ self-discharge [h⁻¹] and the
  per-step retention k = (1 − σ)^Δt [-].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from bvp_lib.scheduling.assets import Battery
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.lp import INF, LinearProgram
from bvp_lib.scheduling.timeseries import TimeGrid


@dataclass(frozen=True)
class BatteryArrays:
    """Parameters of B batteries as aligned arrays of shape (B,)."""

    names: list[str]
    asset: np.ndarray  # asset index in the portfolio
    charge_power: np.ndarray  # [MW]
    discharge_power: np.ndarray  # [MW]
    capacity: np.ndarray  # [MWh]
    soc_start: np.ndarray  # [MWh]
    soc_min: np.ndarray  # [MWh]
    soc_max: np.ndarray  # [MWh]
    soc_target: np.ndarray  # [MWh]
    charge_efficiency: np.ndarray
    discharge_efficiency: np.ndarray
    self_discharge: np.ndarray  # [1/h]
    soc_lo: np.ndarray | None = None  # (B, T) [MWh] SoC minimum per step end
    soc_hi: np.ndarray | None = None  # (B, T) [MWh] SoC maximum per step end
    targets: np.ndarray | None = None  # (B, T) [MWh] exact SoC target per step end, NaN = none
    degradation_cost: np.ndarray | None = None  # (B,) [EUR/MWh throughput]
    soc_value: np.ndarray | None = None  # (B,) [EUR/MWh], NaN = none
    breach_price: np.ndarray | None = None  # (B,) [EUR/MWh], NaN = strict

    @property
    def soft(self) -> np.ndarray:
        """Batteries whose SoC wishes may be missed at a price."""
        return np.isfinite(self.breach_price)

    @property
    def lossless(self) -> np.ndarray:
        return (self.charge_efficiency == 1.0) & (self.discharge_efficiency == 1.0)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def battery_arrays(batteries: Sequence[Battery], asset_index: Sequence[int], grid: TimeGrid) -> BatteryArrays:
    """Check battery parameters and stack them into arrays.

    Raises
    ------
    SchedulingInputError
        For example ``"battery jc_bat: SoC target 5.5 MWh above capacity 5 MWh"``, or a
        target that cannot be reached by the end of the horizon.
    """
    rows = []
    series_rows = []
    for b in batteries:
        name = b.name

        def err(msg: str, family: str) -> SchedulingInputError:
            return SchedulingInputError(f"battery {name}: {msg}", asset=name, family=family)

        vals = {}
        for attr in ("capacity", "charge_power", "soc_start", "charge_efficiency",
                     "discharge_efficiency", "self_discharge", "degradation_cost"):
            v = getattr(b, attr)
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise err(f"{attr} must be a number, got {v!r}", "parameters") from None
            if not np.isfinite(v):
                raise err(f"{attr} must be finite, got {v!r}", "parameters")
            vals[attr] = v
        cap = vals["capacity"]
        pc = vals["charge_power"]
        pd_ = pc if b.discharge_power is None else float(b.discharge_power)
        soft = _optional_price(b.soc_breach_price, "soc_breach_price", err)
        value = _optional_price(b.soc_value, "soc_value", err, allow_negative=True)
        if vals["degradation_cost"] < 0:
            raise err(f"degradation cost must be ≥ 0 EUR/MWh, got {vals['degradation_cost']:g}", "parameters")
        lo_t, smin = _soc_bound_series(b.soc_min, 0.0, "soc_min", grid, name, err)
        hi_t, smax = _soc_bound_series(b.soc_max, cap, "soc_max", grid, name, err)
        tg_t = _soc_target_series(b.soc_targets, grid, name, err)
        s0 = vals["soc_start"]
        target = s0 if b.soc_target is None else float(b.soc_target)
        eta_c, eta_d, sigma = vals["charge_efficiency"], vals["discharge_efficiency"], vals["self_discharge"]
        if cap <= 0:
            raise err(f"capacity must be positive, got {_fmt(cap)} MWh", "soc_limits")
        if pc < 0 or not np.isfinite(pd_) or pd_ < 0:
            raise err(f"charge and discharge power must be ≥ 0 MW, got {_fmt(pc)} and {_fmt(pd_)} MW", "power_limits")
        if smax > cap + 1e-12:
            raise err(f"SoC max {_fmt(smax)} MWh above capacity {_fmt(cap)} MWh", "soc_limits")
        if smin < 0:
            raise err(f"SoC min {_fmt(smin)} MWh below zero", "soc_limits")
        if smin > smax:
            raise err(f"SoC min {_fmt(smin)} MWh above SoC max {_fmt(smax)} MWh", "soc_limits")
        if s0 > smax + 1e-12:
            raise err(f"SoC at start {_fmt(s0)} MWh above SoC max {_fmt(smax)} MWh", "soc_limits")
        if s0 < smin - 1e-12:
            raise err(f"SoC at start {_fmt(s0)} MWh below SoC min {_fmt(smin)} MWh", "soc_limits")
        if target > cap + 1e-12:
            raise err(f"SoC target {_fmt(target)} MWh above capacity {_fmt(cap)} MWh", "soc_target")
        if target > smax + 1e-12:
            raise err(f"SoC target {_fmt(target)} MWh above SoC max {_fmt(smax)} MWh", "soc_target")
        if not (0 < eta_c <= 1 and 0 < eta_d <= 1):
            raise err(f"efficiencies must be in (0, 1], got {eta_c:g} and {eta_d:g}", "soc_balance")
        if not 0 <= sigma < 1:
            raise err(f"self-discharge must be in [0, 1) per hour, got {sigma:g}", "soc_balance")
        for what, series in (("SoC min", lo_t), ("SoC max", hi_t), ("SoC target", tg_t)):
            fin = np.isfinite(series)
            if (series[fin] > cap + 1e-12).any() or (series[fin] < -1e-12).any():
                t = np.flatnonzero(fin & ((series > cap + 1e-12) | (series < -1e-12)))[0]
                raise err(
                    f"{what} {_fmt(series[t])} MWh at {grid.ends[t]:%Y-%m-%d %H:%M} UTC outside 0 … capacity "
                    f"{_fmt(cap)} MWh", "soc_target" if what == "SoC target" else "soc_limits",
                )
        bad = np.flatnonzero(lo_t > hi_t + 1e-12)
        if bad.size:
            t = bad[0]
            raise err(
                f"SoC min {_fmt(lo_t[t])} MWh above SoC max {_fmt(hi_t[t])} MWh at {grid.ends[t]:%Y-%m-%d %H:%M} UTC",
                "soc_limits",
            )
        rows.append((pc, pd_, cap, s0, smin, smax, target, eta_c, eta_d, sigma))
        series_rows.append((lo_t, hi_t, tg_t, vals["degradation_cost"], value, soft))
    arr = np.array(rows, dtype=float).reshape(-1, 10)
    T = grid.n
    p = BatteryArrays(
        names=[b.name for b in batteries],
        asset=np.asarray(asset_index, dtype=np.int64),
        charge_power=arr[:, 0],
        discharge_power=arr[:, 1],
        capacity=arr[:, 2],
        soc_start=arr[:, 3],
        soc_min=arr[:, 4],
        soc_max=arr[:, 5],
        soc_target=arr[:, 6],
        charge_efficiency=arr[:, 7],
        discharge_efficiency=arr[:, 8],
        self_discharge=arr[:, 9],
        soc_lo=np.array([r[0] for r in series_rows], float).reshape(-1, T),
        soc_hi=np.array([r[1] for r in series_rows], float).reshape(-1, T),
        targets=np.array([r[2] for r in series_rows], float).reshape(-1, T),
        degradation_cost=np.array([r[3] for r in series_rows], float),
        soc_value=np.array([r[4] for r in series_rows], float),
        breach_price=np.array([r[5] for r in series_rows], float),
    )
    _check_reachable(p, grid)
    return p


def _optional_price(v, attr: str, err, allow_negative: bool = False) -> float:
    """A price [EUR/MWh] or NaN for ``None``."""
    if v is None:
        return np.nan
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise err(f"{attr} must be a number in EUR/MWh, got {v!r}", "parameters") from None
    if not np.isfinite(v) or (v < 0 and not allow_negative):
        raise err(f"{attr} must be a finite number{'' if allow_negative else ' ≥ 0'} in EUR/MWh, got {v!r}",
                  "parameters")
    return v


def _soc_bound_series(value, default: float, attr: str, grid: TimeGrid, name: str, err) -> tuple[np.ndarray, float]:
    """A SoC bound per step end (T,) [MWh] and its scalar part (for the static checks).

    A scalar holds at every step end; a Series (tz-aware index of step *end* times)
    sets the bound where it has a finite value, ``default`` elsewhere.
    """
    if value is None:
        return np.full(grid.n, default), default
    if isinstance(value, pd.Series):
        return _on_step_ends(value, grid, name, attr, err, fill=default), default
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise err(f"{attr} must be a number or a pandas Series of MWh, got {type(value).__name__}",
                  "soc_limits") from None
    if not np.isfinite(v):
        raise err(f"{attr} must be finite, got {value!r}", "parameters")
    return np.full(grid.n, v), v


def _soc_target_series(value, grid: TimeGrid, name: str, err) -> np.ndarray:
    if value is None:
        return np.full(grid.n, np.nan)
    if not isinstance(value, pd.Series):
        raise err(f"soc_targets must be a pandas Series of MWh indexed by step-end times, got "
                  f"{type(value).__name__}", "soc_target")
    return _on_step_ends(value, grid, name, "soc_targets", err, fill=np.nan)


def _on_step_ends(series: pd.Series, grid: TimeGrid, name: str, attr: str, err, fill: float) -> np.ndarray:
    idx = series.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None:
        raise err(f"{attr} needs a tz-aware DatetimeIndex of step-end times", "soc_limits")
    if idx.has_duplicates:
        raise err(f"{attr} has more than one value for {idx[idx.duplicated()][0]:%Y-%m-%d %H:%M} UTC", "soc_limits")
    vals = pd.to_numeric(series, errors="coerce").to_numpy(float)
    ends = grid.ends.tz_convert("UTC")
    pos = ends.get_indexer(idx.tz_convert("UTC"))
    off = (pos < 0) & np.isfinite(vals)
    inside = off & (idx.tz_convert("UTC") > grid.start) & (idx.tz_convert("UTC") <= grid.end)
    if inside.any():
        t = idx[np.flatnonzero(inside)[0]]
        raise err(f"{attr} at {t:%Y-%m-%d %H:%M} is not a step end of the {grid.resolution} grid", "soc_limits")
    out = np.full(grid.n, fill)
    keep = (pos >= 0) & np.isfinite(vals)
    out[pos[keep]] = vals[keep]
    return out


def _check_reachable(p: BatteryArrays, grid: TimeGrid) -> None:
    """Raise when charging flat out from the start cannot reach the SoC target.

    The highest SoC reachable at the end of step t is
    ``ŝ[t] = min(s_max[t], k · ŝ[t−1] + η_c · P^c · Δt)``, ``ŝ[−1] = s_0``; the target is
    reachable iff ``ŝ[T−1] ≥ target`` (and SoC min holds on that path iff ``ŝ ≥ s_min``).
    Batteries with soft SoC wishes (``soc_breach_price``) are not checked: missing is
    allowed at a price.
    """
    if len(p.names) == 0:
        return
    hard = ~p.soft
    k = (1.0 - p.self_discharge) ** grid.hours
    s = p.soc_start.copy()
    lowest = s - p.soc_lo[:, 0] if grid.n else s * 0
    for t in range(grid.n):
        s = np.minimum(p.soc_hi[:, t], k * s + p.charge_efficiency * p.charge_power * grid.hours)
        lowest = np.minimum(lowest, s - p.soc_lo[:, t])
    bad = np.flatnonzero(hard & (s < p.soc_target - 1e-9))
    if bad.size:
        i = bad[0]
        raise SchedulingInputError(
            f"battery {p.names[i]}: SoC target {_fmt(p.soc_target[i])} MWh unreachable: charging at "
            f"{_fmt(p.charge_power[i])} MW from {_fmt(p.soc_start[i])} MWh gives at most "
            f"{_fmt(s[i])} MWh by {grid.end:%Y-%m-%d %H:%M} UTC",
            asset=p.names[i],
            family="soc_target",
        )
    bad = np.flatnonzero(hard & (lowest < -1e-9))
    if bad.size:
        i = bad[0]
        raise SchedulingInputError(
            f"battery {p.names[i]}: cannot hold SoC min {_fmt(p.soc_min[i])} MWh against self-discharge "
            f"with {_fmt(p.charge_power[i])} MW of charging power",
            asset=p.names[i],
            family="soc_limits",
        )


def add_battery_power(lp: LinearProgram, p: BatteryArrays) -> tuple[np.ndarray, np.ndarray]:
    """Charge and discharge power limits (family ``power_limits``).

    .. math::
        0 ≤ c[b, t] ≤ P^c_b, \\quad 0 ≤ d[b, t] ≤ P^d_b \\quad [MW], \\qquad
        P[b, t] = d[b, t] − c[b, t]

    Returns the variable indices of c and d, each of shape (B, T).
    """
    T = lp.n_steps
    asset = np.repeat(p.asset[:, None], T, axis=1)
    step = np.broadcast_to(np.arange(T), asset.shape)
    c = lp.add_variables("charge", asset, step, 0.0, p.charge_power[:, None], family="power_limits", relaxed_ub=INF)
    d = lp.add_variables("discharge", asset, step, 0.0, p.discharge_power[:, None], family="power_limits", relaxed_ub=INF)
    lp.add_power(asset, step, c, -1.0)
    lp.add_power(asset, step, d, 1.0)
    return c, d


def add_battery_soc(lp: LinearProgram, p: BatteryArrays, c: np.ndarray, d: np.ndarray, hours: float) -> np.ndarray:
    """State of charge: its limits (``soc_limits``) and its balance (``soc_balance``).

    .. math::
        s[b, t] = k_b\\, s[b, t−1] + η_{c,b}\\, Δt\\, c[b, t] − \\frac{Δt}{η_{d,b}}\\, d[b, t],
        \\qquad s[b, −1] = s_{0,b}, \\qquad k_b = (1 − σ_b)^{Δt}

    .. math::
        s^{min}_b[t] ≤ s[b, t] ≤ s^{max}_b[t] \\quad [MWh]

    (bounds per step end; for batteries with a ``soc_breach_price`` the bounds here
    are 0 … capacity and :func:`add_battery_soft_bounds` adds the wishes). All B × T balance rows are built in one vectorised expression (4 non-zeros per
    row: s[t], s[t−1], c[t], d[t]). Returns the SoC variable indices, shape (B, T).
    """
    B, T = c.shape
    asset = np.repeat(p.asset[:, None], T, axis=1)
    step = np.broadcast_to(np.arange(T), asset.shape)
    soft = p.soft[:, None]
    lo = np.where(soft, 0.0, p.soc_lo)
    hi = np.where(soft, p.capacity[:, None], p.soc_hi)
    s = lp.add_variables("soc", asset, step, lo, hi, family="soc_limits", relaxed_lb=-INF, relaxed_ub=INF)
    k = (1.0 - p.self_discharge) ** hours
    row = np.arange(B * T).reshape(B, T)
    # s[t] − k s[t−1] − η_c Δt c[t] + Δt/η_d d[t] = (k s0 at t = 0, else 0)
    rows = [row, row[:, 1:], row, row]
    cols = [s, s[:, :-1], c, d]
    vals = [
        np.ones((B, T)),
        np.repeat(-k[:, None], T - 1, axis=1),
        np.repeat(-(p.charge_efficiency * hours)[:, None], T, axis=1),
        np.repeat((hours / p.discharge_efficiency)[:, None], T, axis=1),
    ]
    rhs = np.zeros((B, T))
    rhs[:, 0] = k * p.soc_start
    lp.add_constraints(
        "soc_balance",
        asset.ravel(),
        step.ravel(),
        np.concatenate([r.ravel() for r in rows]),
        np.concatenate([x.ravel() for x in cols]),
        np.concatenate([v.ravel() for v in vals]),
        rhs.ravel(),
        rhs.ravel(),
        relaxable=False,
    )
    return s


def add_battery_target(lp: LinearProgram, p: BatteryArrays, s: np.ndarray) -> None:
    """SoC target at the end of the horizon and exact SoC targets over time (``soc_target``).

    .. math::
        s[b, T−1] + m^{end}_b ≥ s^{target}_b, \\qquad
        s[b, t] + m^{+}_{b,t} − m^{−}_{b,t} = s^{tgt}_b[t] \\ \\text{where a target is set} \\quad [MWh]

    The misses m ≥ 0 exist only for batteries with a breach price π^b (they cost
    ``π^b · m`` EUR, term ``breach``); for the others m = 0 (strict).
    """
    B, T = s.shape
    if B == 0:
        return
    soft = p.soft
    rows = np.arange(B)
    cols, vals, rr = [s[:, -1]], [np.ones(B)], [rows]
    sb = np.flatnonzero(soft)
    if sb.size:
        m = lp.add_variables("soc_miss", p.asset[sb], T - 1, 0.0, INF)
        cols.append(m)
        vals.append(np.ones(sb.size))
        rr.append(rows[sb])
        lp.add_cost("breach", m, p.breach_price[sb])
        lp.add_breach("soc_target", p.asset[sb], np.full(sb.size, T - 1), m, p.breach_price[sb], "MWh")
    lp.add_constraints(
        "soc_target", p.asset, np.full(B, T - 1), np.concatenate(rr), np.concatenate(cols), np.concatenate(vals),
        p.soc_target, INF,
    )
    bi, ti = np.nonzero(np.isfinite(p.targets))
    if bi.size == 0:
        return
    n = bi.size
    r = np.arange(n)
    rr, cc, vv = [r], [s[bi, ti]], [np.ones(n)]
    soft_e = np.flatnonzero(soft[bi])
    if soft_e.size:
        up = lp.add_variables("soc_miss", p.asset[bi[soft_e]], ti[soft_e], 0.0, INF)
        down = lp.add_variables("soc_miss", p.asset[bi[soft_e]], ti[soft_e], 0.0, INF)
        rr += [r[soft_e], r[soft_e]]
        cc += [up, down]
        vv += [np.ones(soft_e.size), -np.ones(soft_e.size)]
        price = p.breach_price[bi[soft_e]]
        lp.add_cost("breach", np.concatenate([up, down]), np.concatenate([price, price]))
        lp.add_breach("soc_target", p.asset[bi[soft_e]], ti[soft_e], up, price, "MWh")
        lp.add_breach("soc_target", p.asset[bi[soft_e]], ti[soft_e], down, price, "MWh")
    tgt = p.targets[bi, ti]
    lp.add_constraints(
        "soc_target", p.asset[bi], ti, np.concatenate(rr), np.concatenate(cc), np.concatenate(vv), tgt, tgt
    )


def add_battery_soft_bounds(lp: LinearProgram, p: BatteryArrays, s: np.ndarray) -> None:
    """SoC minima and maxima that may be missed at a price (``soc_limits``, soft batteries).

    .. math::
        s[b, t] + m^{lo}_{b,t} ≥ s^{min}_b[t], \\qquad s[b, t] − m^{hi}_{b,t} ≤ s^{max}_b[t],
        \\qquad m ≥ 0, \\quad \\text{cost } π^b_b\\,(m^{lo} + m^{hi}) \\ [EUR]

    only where the wish is tighter than 0 … capacity (the physical range stays hard).
    """
    B, T = s.shape
    for which, bound, sign in (("lo", p.soc_lo, 1.0), ("hi", p.soc_hi, -1.0)):
        tight = (bound > 1e-12) if which == "lo" else (bound < p.capacity[:, None] - 1e-12)
        bi, ti = np.nonzero(tight & p.soft[:, None])
        if bi.size == 0:
            continue
        n = bi.size
        m = lp.add_variables("soc_miss", p.asset[bi], ti, 0.0, INF)
        r = np.arange(n)
        rhs = bound[bi, ti]
        lp.add_constraints(
            "soc_limits", p.asset[bi], ti, np.concatenate([r, r]), np.concatenate([s[bi, ti], m]),
            np.concatenate([np.full(n, sign), np.ones(n)]),
            sign * rhs, INF,
        )
        price = p.breach_price[bi]
        lp.add_cost("breach", m, price)
        lp.add_breach("soc_min" if which == "lo" else "soc_max", p.asset[bi], ti, m, price, "MWh")


def add_battery_degradation(lp: LinearProgram, p: BatteryArrays, c: np.ndarray, d: np.ndarray, hours: float) -> None:
    """Degradation cost of cycling (term ``degradation``).

    .. math::
        C^{deg} = \\sum_{b, t} κ_b\\, Δt\\, (c[b, t] + d[b, t]) \\quad [EUR]

    κ_b = ``degradation_cost`` [EUR/MWh of throughput at the grid side].
    """
    k = p.degradation_cost
    sel = np.flatnonzero(k > 0)
    if sel.size == 0:
        return
    w = np.repeat((k[sel] * hours)[:, None], c.shape[1], axis=1)
    lp.add_cost("degradation", np.concatenate([c[sel].ravel(), d[sel].ravel()]), np.concatenate([w.ravel(), w.ravel()]))


def add_battery_end_value(lp: LinearProgram, p: BatteryArrays, s: np.ndarray) -> None:
    """Value of the energy left at the end of the horizon (revenue term).

    .. math::
        R^{end} = \\sum_b v_b\\,(s[b, T−1] − s_{0,b}) \\quad [EUR]

    v_b = ``soc_value`` [EUR/MWh]; batteries without one get nothing.
    """
    sel = np.flatnonzero(np.isfinite(p.soc_value))
    if sel.size == 0:
        return
    v = p.soc_value[sel]
    lp.add_revenue("end_value", s[sel, -1], v, constant=-float((v * p.soc_start[sel]).sum()))


def battery_soc_baseline(p: BatteryArrays, n_steps: int, hours: float) -> np.ndarray:
    """SoC of idle batteries (baseline: no flexibility used) at step ends, shape (B, T) [MWh].

    ``s[t] = k^{t+1} s_0`` (only self-discharge).
    """
    k = (1.0 - p.self_discharge) ** hours
    return p.soc_start[:, None] * k[:, None] ** np.arange(1, n_steps + 1)[None, :]
