"""Bounds on the value of a bidding program, and the screen that uses them.

:func:`value_bounds` brackets a stochastic program's expected revenue between the
mean-price plan bid flat at every price (which the program never does worse than) and
the wait-and-see value (each scenario's best dispatch with its prices known, which no
curve beats), from one small LP per scenario on one re-used HiGHS model.
:mod:`bvp_lib.market.bidding` does not solve a program whose bounds are within
:data:`SCREEN_GAP`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bvp_lib.scheduling.backends import MatrixLP
from bvp_lib.scheduling.errors import SolverError

#: [EUR per program and day] a program whose curve can add at most this much (in
#: expectation over the scenarios) to a price-independent bid is not solved: the bid is
#: the mean-price plan (:func:`value_bounds`). Measured on 12 days of 2015 with every
#: program solved (``benchmarks/bench_orders.py``, its ``--bounds`` part): the curves
#: added 10.40 EUR over the mean-price plans to the batteries' expected revenue, where
#: their wait-and-see bounds left room for 772 EUR (about 16 EUR per battery and day);
#: 0.00 EUR to the buildings' (room 53 EUR over 120 programs) and 0.19 EUR to the EV
#: stations' (room 4.4 EUR): the curves added 0-4 % of the room. Within 5 EUR of room
#: a curve so adds about 0.2 EUR at most, and the program (30-90 ms for a battery or a
#: building, 0.7-2.4 s for a bidirectional EV station) is not worth solving; the
#: batteries' room is above it on most days, so they are still solved.
SCREEN_GAP = 5.0


def value_bounds(m: MatrixLP, G, g0: np.ndarray, pp: np.ndarray, weights: np.ndarray, *,
                 stop_above: float | None = None) -> tuple[float | None, float, np.ndarray]:
    """Bounds on a stochastic program's value, far cheaper than the program itself.

    ``m`` is one scenario's dispatch LP (its cost is replaced), ``G x + g0`` the assets'
    mean power per period (rows asset × period, [MW]), ``pp`` the scenarios' period prices
    (S × H [EUR/MWh]) and ``weights`` their probabilities. Returns

    * the **wait-and-see** value ``WS = Σ_s w_s max_x V_s(x)``: each scenario's best
      dispatch with its prices known. No bid curve does better: the curve's dispatch is
      feasible for each scenario's own problem, so ``SP <= WS``;
    * the **expected value of the mean-price plan**, ``EV = max_x Σ_s w_s V_s(x)`` (the
      revenue is linear in the prices, so it is the plan on the scenarios' mean price).
      Its power as a price-independent bid is feasible for the program, so ``EV <= SP``;
    * that plan ``x``.

    Hence a price-dependent curve can add at most ``WS - EV`` [EUR] in expectation to the
    price-independent bid of the mean-price plan. The S scenario solves re-use one
    HiGHS model (only the costs change), each from the previous optimal basis. With
    ``stop_above``, they stop as soon as ``WS - EV`` is known to exceed it (then WS is
    returned as None): after scenario j, ``Σ_{k<=j} w_k (V_k* - V_k(x)) <= WS - EV``.
    """
    from bvp_lib.scheduling.backends import highs_instance, highs_status, pass_matrix

    S, H = pp.shape
    A_n = G.shape[0] // H
    rows = np.tile(pp, (1, A_n))  # S × (asset, period): the price of each power row
    costs = (G.T @ rows.T).T  # S × n [EUR per unit of each column]
    offsets = rows @ g0  # S [EUR]
    h = highs_instance()
    mean_offset = float(weights @ offsets)
    pass_matrix(h, dataclasses.replace(m, cost=weights @ costs, offset=mean_offset))
    h.run()
    status, text, _ = highs_status(h)
    if status != "optimal":
        raise SolverError(f"the mean-price plan of the bidding program ended {status} ({text}).")
    x_ev = np.asarray(h.getSolution().col_value, dtype=float)
    ev = float(h.getInfo().objective_function_value)
    at_ev = costs @ x_ev + offsets  # each scenario's value of the mean-price plan
    cols = np.arange(m.n_vars, dtype=np.int32)
    ws = gain = 0.0
    for k in range(S):
        h.changeColsCost(len(cols), cols, np.ascontiguousarray(costs[k], dtype=np.float64))
        h.run()
        if highs_status(h)[0] != "optimal":
            raise SolverError(f"scenario {k} of the bidding program's wait-and-see bound ended {highs_status(h)[1]}.")
        best = float(h.getInfo().objective_function_value) - mean_offset + offsets[k]
        ws += weights[k] * best
        gain += weights[k] * max(best - at_ev[k], 0.0)
        if stop_above is not None and gain > stop_above:
            return None, ev, x_ev
    return ws, ev, x_ev
