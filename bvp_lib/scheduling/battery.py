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
    for b in batteries:
        name = b.name

        def err(msg: str, family: str) -> SchedulingInputError:
            return SchedulingInputError(f"battery {name}: {msg}", asset=name, family=family)

        vals = {}
        for attr in ("capacity", "charge_power", "soc_start", "soc_min", "charge_efficiency",
                     "discharge_efficiency", "self_discharge"):
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
        smax = cap if b.soc_max is None else float(b.soc_max)
        smin = vals["soc_min"]
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
        rows.append((pc, pd_, cap, s0, smin, smax, target, eta_c, eta_d, sigma))
    arr = np.array(rows, dtype=float).reshape(-1, 10)
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
    )
    _check_reachable(p, grid)
    return p


def _check_reachable(p: BatteryArrays, grid: TimeGrid) -> None:
    """Raise when charging flat out from the start cannot reach the SoC target.

    The highest SoC reachable at the end of step t is
    ``ŝ[t] = min(s_max, k · ŝ[t−1] + η_c · P^c · Δt)``, ``ŝ[−1] = s_0``; the target is
    reachable iff ``ŝ[T−1] ≥ target`` (and SoC min holds on that path iff ``ŝ ≥ s_min``).
    """
    if len(p.names) == 0:
        return
    k = (1.0 - p.self_discharge) ** grid.hours
    s = p.soc_start.copy()
    lowest = s.copy()
    for _ in range(grid.n):
        s = np.minimum(p.soc_max, k * s + p.charge_efficiency * p.charge_power * grid.hours)
        lowest = np.minimum(lowest, s)
    bad = np.flatnonzero(s < p.soc_target - 1e-9)
    if bad.size:
        i = bad[0]
        raise SchedulingInputError(
            f"battery {p.names[i]}: SoC target {_fmt(p.soc_target[i])} MWh unreachable: charging at "
            f"{_fmt(p.charge_power[i])} MW from {_fmt(p.soc_start[i])} MWh gives at most "
            f"{_fmt(s[i])} MWh by {grid.end:%Y-%m-%d %H:%M} UTC",
            asset=p.names[i],
            family="soc_target",
        )
    bad = np.flatnonzero(lowest < p.soc_min - 1e-9)
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
        s^{min}_b ≤ s[b, t] ≤ s^{max}_b \\quad [MWh]

    All B × T balance rows are built in one vectorised expression (4 non-zeros per
    row: s[t], s[t−1], c[t], d[t]). Returns the SoC variable indices, shape (B, T).
    """
    B, T = c.shape
    asset = np.repeat(p.asset[:, None], T, axis=1)
    step = np.broadcast_to(np.arange(T), asset.shape)
    s = lp.add_variables(
        "soc", asset, step, p.soc_min[:, None], p.soc_max[:, None], family="soc_limits", relaxed_lb=-INF, relaxed_ub=INF
    )
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
    """SoC target at the end of the horizon (family ``soc_target``).

    .. math::
        s[b, T−1] ≥ s^{target}_b \\quad [MWh]
    """
    B, T = s.shape
    lp.add_constraints(
        "soc_target", p.asset, np.full(B, T - 1), np.arange(B), s[:, -1], 1.0, p.soc_target, INF
    )


def battery_soc_baseline(p: BatteryArrays, n_steps: int, hours: float) -> np.ndarray:
    """SoC of idle batteries (baseline: no flexibility used) at step ends, shape (B, T) [MWh].

    ``s[t] = k^{t+1} s_0`` (only self-discharge).
    """
    k = (1.0 - p.self_discharge) ** hours
    return p.soc_start[:, None] * k[:, None] ** np.arange(1, n_steps + 1)[None, :]
