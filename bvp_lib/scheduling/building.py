"""Building constraint families: a share of the load shifts within a window, energy-neutral.

Notation per building b and step t: ℓ[b, t] ≥ 0 forecast consumption [MW] (the
baseline power is −ℓ), φ_b the flexible share [-], w_b the window in steps.

* up[b, t] ≥ 0 extra consumption (flexible load moved *into* t) [MW];
* down[b, t] ∈ [0, φ ℓ[b, t]] consumption moved *out of* t [MW];
* net power ``P[b, t] = −ℓ[b, t] − up[b, t] + down[b, t]`` (consumption negative);
* F[b, t] cumulative shifted energy up to the end of step t [MWh].

**Why cumulative bounds express "within ±w steps".** Let B[t] = Σ_{τ≤t} φ ℓ[τ] Δt be
the flexible energy of the baseline and S[t] = B[t] + F[t] the flexible energy actually
consumed by the end of step t (non-decreasing). Serving flexible energy first-in
first-out, the unit at position q of B is consumed in the step where S reaches q. It is
delayed at most w steps iff S[t] ≥ B[t−w] and advanced at most w steps iff
S[t] ≤ B[t+w], for all t; and some assignment within the window exists iff the FIFO one
does. So ``B[t−w] − B[t] ≤ F[t] ≤ B[t+w] − B[t]`` (with B clipped to the horizon) is
exact, and needs only O(T) variables and rows instead of one variable per
(origin, destination) pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from bvp_lib.scheduling.assets import Building
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.lp import INF, LinearProgram
from bvp_lib.scheduling.timeseries import TimeGrid, align


@dataclass(frozen=True)
class BuildingArrays:
    names: list[str]
    asset: np.ndarray  # (NB,)
    load: np.ndarray  # ℓ (NB, T) [MW] ≥ 0
    share: np.ndarray  # φ (NB,)
    window: np.ndarray  # w (NB,) [steps]
    max_power: np.ndarray  # (NB,) [MW], inf = none


def building_arrays(buildings: Sequence[Building], asset_index: Sequence[int], grid: TimeGrid) -> BuildingArrays:
    """Check building parameters and align the baselines to the grid.

    Raises
    ------
    SchedulingInputError
        Missing baseline values, production in the baseline, a share outside [0, 1] or
        a baseline above the connection capacity.
    """
    loads, shares, windows, caps = [], [], [], []
    for b in buildings:
        name = b.name
        base = align(b.baseline, grid, asset=name, what="baseline forecast")
        pos = np.flatnonzero(base > 1e-12)
        if pos.size:
            i = pos[0]
            raise SchedulingInputError(
                f"building {name}: the baseline must be consumption (≤ 0 MW, consumption negative) but is "
                f"{base[i]:+.6g} MW at {grid.index[i]:%Y-%m-%d %H:%M} UTC",
                asset=name,
            )
        load = np.maximum(-base, 0.0)
        phi = float(b.flexible_share)
        if not 0 <= phi <= 1:
            raise SchedulingInputError(f"building {name}: flexible_share must be in [0, 1], got {phi:g}", asset=name)
        window = pd.Timedelta(b.shift_window)
        if window < pd.Timedelta(0):
            raise SchedulingInputError(f"building {name}: shift_window must be ≥ 0, got {window}", asset=name)
        cap = INF if b.max_power is None else float(b.max_power)
        over = np.flatnonzero(load > cap + 1e-9)
        if over.size:
            i = over[0]
            raise SchedulingInputError(
                f"building {name}: baseline consumption {load[i]:.6g} MW at {grid.index[i]:%Y-%m-%d %H:%M} UTC "
                f"exceeds its connection capacity {cap:.6g} MW",
                asset=name,
                family="building_capacity",
            )
        loads.append(load)
        shares.append(phi)
        windows.append(int(window // grid.resolution))
        caps.append(cap)
    return BuildingArrays(
        names=[b.name for b in buildings],
        asset=np.asarray(asset_index, np.int64),
        load=np.array(loads, dtype=float).reshape(len(buildings), grid.n),
        share=np.array(shares, dtype=float),
        window=np.array(windows, dtype=np.int64),
        max_power=np.array(caps, dtype=float),
    )


def add_building_shift(lp: LinearProgram, p: BuildingArrays) -> tuple[np.ndarray, np.ndarray]:
    """Shifted load per step: connection capacity (``building_capacity``) and flexible share.

    .. math::
        0 ≤ up[b, t] ≤ P^{max}_b − ℓ[b, t], \\qquad 0 ≤ down[b, t] ≤ φ_b\\, ℓ[b, t] \\quad [MW]

    .. math::
        P[b, t] = −ℓ[b, t] − up[b, t] + down[b, t]

    Returns the indices of up and down, shape (NB, T).
    """
    NB, T = p.load.shape
    asset = np.repeat(p.asset[:, None], T, axis=1)
    step = np.broadcast_to(np.arange(T), asset.shape)
    up = lp.add_variables(
        "up", asset, step, 0.0, p.max_power[:, None] - p.load, family="building_capacity", relaxed_ub=INF
    )
    down = lp.add_variables("down", asset, step, 0.0, p.share[:, None] * p.load)
    lp.add_power(asset, step, up, -1.0)
    lp.add_power(asset, step, down, 1.0)
    lp.power_constant[p.asset, :] -= p.load
    return up, down


def shift_bounds(p: BuildingArrays, hours: float) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the cumulative shifted energy F [MWh], shape (NB, T).

    .. math::
        B[t−w] − B[t] ≤ F[t] ≤ B[t+w] − B[t], \\qquad B[t] = \\sum_{τ ≤ t} φ ℓ[τ] Δt

    with B[j] = 0 for j < 0 and B[j] = B[T−1] for j > T−1.
    """
    NB, T = p.load.shape
    B = np.cumsum(p.share[:, None] * p.load * hours, axis=1)
    Bpad = np.concatenate([np.zeros((NB, 1)), B], axis=1)  # Bpad[:, j+1] = B[j], Bpad[:, 0] = 0
    t = np.arange(T)[None, :]
    lo_idx = np.clip(t - p.window[:, None], -1, T - 1) + 1
    hi_idx = np.clip(t + p.window[:, None], -1, T - 1) + 1
    rows = np.arange(NB)[:, None]
    return Bpad[rows, lo_idx] - B, Bpad[rows, hi_idx] - B


def add_building_window(
    lp: LinearProgram, p: BuildingArrays, up: np.ndarray, down: np.ndarray, hours: float
) -> np.ndarray:
    """Shift window (``shift_window``) through the cumulative shifted energy (``shift_balance``).

    .. math::
        F[b, t] = F[b, t−1] + Δt\\,(up[b, t] − down[b, t]), \\qquad F[b, −1] = 0

    .. math::
        B[t−w] − B[t] ≤ F[b, t] ≤ B[t+w] − B[t] \\quad [MWh]

    (see the module docstring for why this is exactly "within ±w steps").
    Returns the indices of F, shape (NB, T).
    """
    NB, T = up.shape
    asset = np.repeat(p.asset[:, None], T, axis=1)
    step = np.broadcast_to(np.arange(T), asset.shape)
    lo, hi = shift_bounds(p, hours)
    F = lp.add_variables(
        "shift_energy", asset, step, lo, hi, family="shift_window", relaxed_lb=-INF, relaxed_ub=INF
    )
    row = np.arange(NB * T).reshape(NB, T)
    lp.add_constraints(
        "shift_balance",
        asset.ravel(),
        step.ravel(),
        np.concatenate([row.ravel(), row[:, 1:].ravel(), row.ravel(), row.ravel()]),
        np.concatenate([F.ravel(), F[:, :-1].ravel(), up.ravel(), down.ravel()]),
        np.concatenate([np.ones(NB * T), -np.ones(NB * (T - 1)), np.full(NB * T, -hours), np.full(NB * T, hours)]),
        0.0,
        0.0,
        relaxable=False,
    )
    return F


def add_building_energy_neutral(lp: LinearProgram, p: BuildingArrays, F: np.ndarray) -> None:
    """Energy-neutral over the horizon (family ``energy_neutral``).

    .. math::
        F[b, T−1] = 0 \\quad [MWh]
    """
    NB, T = F.shape
    lp.add_constraints("energy_neutral", p.asset, np.full(NB, T - 1), np.arange(NB), F[:, -1], 1.0, 0.0, 0.0)
