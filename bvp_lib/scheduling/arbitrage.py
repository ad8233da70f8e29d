"""An exact single-battery arbitrage algorithm, vectorised over many batteries.

For one battery without self-discharge, in *stored-energy* units (e[t] ≥ 0 MWh put
into storage, f[t] ≥ 0 MWh taken out in step t), the LP

.. math::
    \\max \\sum_t \\big(α_t f[t] − β_t e[t]\\big) + v\\, s[T−1]
    \\quad\\text{s.t.}\\quad s[t] = s[t−1] + e[t] − f[t],\\;
    s^{lo}[t] ≤ s[t] ≤ s^{hi}[t],\\; 0 ≤ e ≤ \\bar{e},\\; 0 ≤ f ≤ \\bar{f}

with β_t = (q_t + κ)/η_c (the price of a stored MWh), α_t = (q_t − κ) η_d (what a
stored MWh sells for), q_t the (effective) price [EUR/MWh], κ the degradation cost,
ē = η_c P^c Δt, f̄ = P^d Δt / η_d, is solved by dynamic programming on the value
function V_t(s) of the SoC at the end of step t. V_t is concave and piecewise linear,
kept as a list of segments (length, slope) sorted by decreasing slope ("slope
trick"). One step back is a sup-convolution with the step's reward, which for concave
functions merges the segment lists:

.. math::
    V_{t−1}(s) = \\max_{u ∈ [−\\bar f, \\bar e]} r_t(u) + V_t(s + u),

then V_{t−1} is cut to the SoC bounds of step t−1. r_t has two segments: slopes
β_t on [−ē, 0] and α_t on [0, f̄] of ``w = −u`` when β_t ≥ α_t (charging costs more
than discharging earns); otherwise (a negative price) the best split of u into e and f
does both (the LP without the "never both" rule), a kink at u = ē − f̄.

The optimal decision is read off V_t in the forward pass: from s[t−1], move the SoC
up while V_t's slope exceeds the marginal cost of charging, down while it is below the
marginal revenue of discharging, within the power limits. Ties (a slope *equal* to
the price) are broken towards doing nothing, so the schedule is canonical.

Exact: no discretisation; only floating-point sums of segment lengths.
"""

from __future__ import annotations

import numpy as np

NEG = -np.inf


def _insert(L: np.ndarray, G: np.ndarray, length: np.ndarray, slope: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert one segment per row into rows sorted by decreasing slope (after equal slopes)."""
    N, K = G.shape
    pos = (G >= slope[:, None]).sum(axis=1)
    k = np.arange(K + 1)[None, :]
    before = k < pos[:, None]
    at = k == pos[:, None]
    Lp = np.concatenate([L, np.zeros((N, 1))], axis=1)
    Gp = np.concatenate([G, np.full((N, 1), NEG)], axis=1)
    Ls = np.concatenate([np.zeros((N, 1)), L], axis=1)
    Gs = np.concatenate([np.full((N, 1), NEG), G], axis=1)
    newL = np.where(before, Lp, np.where(at, length[:, None], Ls))
    newG = np.where(before, Gp, np.where(at, slope[:, None], Gs))
    return newL, newG


def _cut(L: np.ndarray, a: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Restrict the function starting at ``a`` with segment lengths ``L`` to [lo, hi]."""
    d = np.maximum(lo - a, 0.0)
    C = np.cumsum(L, axis=1)
    L = np.clip(C - d[:, None], 0.0, L)
    a = a + d
    room = np.maximum(hi - a, 0.0)
    C0 = np.cumsum(L, axis=1) - L
    L = np.clip(room[:, None] - C0, 0.0, L)
    return L, a


def _compact(L: np.ndarray, G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop zero-length segments (keeping the order), trimming the width."""
    keep = L > 0
    order = np.argsort(~keep, axis=1, kind="stable")
    L = np.take_along_axis(L, order, axis=1)
    G = np.take_along_axis(G, order, axis=1)
    width = max(int(keep.sum(axis=1).max()), 1)
    G = np.where(np.take_along_axis(keep, order, axis=1), G, NEG)
    return L[:, :width].copy(), G[:, :width].copy()


def solve_batteries(
    q: np.ndarray, hours: float, *, charge_power: np.ndarray, discharge_power: np.ndarray, eta_c: np.ndarray,
    eta_d: np.ndarray, soc_start: np.ndarray, soc_lo: np.ndarray, soc_hi: np.ndarray, soc_end_min: np.ndarray,
    degradation: np.ndarray | None = None, end_value: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Optimal schedules of N independent batteries at prices ``q`` (N, T) [EUR/MWh].

    Parameters
    ----------
    q : numpy.ndarray
        Price per battery and step [EUR/MWh] (the day-ahead price minus the connection
        dual in a decomposition).
    hours : float
        Step length Δt [h].
    charge_power, discharge_power, eta_c, eta_d, soc_start : numpy.ndarray
        Per battery [MW, MW, -, -, MWh].
    soc_lo, soc_hi : numpy.ndarray
        SoC bounds per battery and step end (N, T) [MWh] (exact targets: lo = hi).
    soc_end_min : numpy.ndarray
        Lowest SoC at the end of the horizon [MWh].
    degradation, end_value : numpy.ndarray, optional
        κ [EUR/MWh of throughput] and v [EUR/MWh of SoC left at the end].

    Returns
    -------
    charge, discharge, soc : numpy.ndarray
        (N, T) [MW, MW, MWh at step ends]; charge and discharge are never both > 0
        where charging costs more than discharging earns (q ≥ 0).
    """
    N, T = q.shape
    kappa = np.zeros(N) if degradation is None else np.asarray(degradation, float)
    v = np.zeros(N) if end_value is None else np.nan_to_num(np.asarray(end_value, float))
    e_bar = eta_c * charge_power * hours
    f_bar = discharge_power * hours / eta_d
    beta = (q + kappa[:, None]) / eta_c[:, None]  # cost of a stored MWh
    alpha = (q - kappa[:, None]) * eta_d[:, None]  # revenue of a stored MWh
    both = beta < alpha  # negative price: the LP would charge and discharge at once
    lo_end = np.maximum(soc_lo[:, -1], soc_end_min)
    a = lo_end.copy()
    L = np.maximum(soc_hi[:, -1] - lo_end, 0.0)[:, None]
    G = v[:, None].copy()
    low_cut = np.empty((N, T))
    high_cut = np.empty((N, T))
    infeasible = soc_hi[:, -1] < lo_end - 1e-9
    for t in range(T - 1, -1, -1):
        bt, at_ = beta[:, t], alpha[:, t]
        up = np.where(both[:, t], at_, bt)  # marginal cost of moving the SoC up from the kink
        down = np.where(both[:, t], bt, at_)  # marginal revenue of moving it down
        low_cut[:, t] = a + (L * (G > up[:, None])).sum(axis=1)
        high_cut[:, t] = a + (L * (G >= down[:, None])).sum(axis=1)
        if t == 0:
            break
        # sup-convolution with r̂(w) = r(−w): two segments, start shifted by −ē
        s1 = np.where(both[:, t], at_, bt)
        l1 = np.where(both[:, t], f_bar, e_bar)
        s2 = np.where(both[:, t], bt, at_)
        l2 = np.where(both[:, t], e_bar, f_bar)
        L, G = _insert(L, G, l1, s1)
        L, G = _insert(L, G, l2, s2)
        a = a - e_bar
        L, a = _cut(L, a, soc_lo[:, t - 1], soc_hi[:, t - 1])
        infeasible |= soc_hi[:, t - 1] < a - 1e-9
        if L.shape[1] > 16:
            L, G = _compact(L, G)
    if infeasible.any():
        raise ValueError(f"battery {int(np.flatnonzero(infeasible)[0])}: SoC bounds cannot all hold")
    charge = np.zeros((N, T))
    discharge = np.zeros((N, T))
    soc = np.zeros((N, T))
    s = soc_start.astype(float).copy()
    for t in range(T):
        kink = np.where(both[:, t], e_bar - f_bar, 0.0)
        nxt = np.clip(s + kink, low_cut[:, t], high_cut[:, t])
        nxt = np.clip(nxt, s - f_bar, s + e_bar)
        u = nxt - s
        f = np.where(both[:, t], np.minimum(f_bar, e_bar - u), np.maximum(-u, 0.0))
        e = u + f
        e = np.maximum(e, 0.0)
        f = np.maximum(f, 0.0)
        charge[:, t] = e / (eta_c * hours)
        discharge[:, t] = f * eta_d / hours
        s = nxt
        soc[:, t] = s
    return charge, discharge, soc
