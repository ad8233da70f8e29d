"""Bid curves: the portfolio's order book for one day, made at gate closure.

The book the exchange gets is **one order per delivery period** for the whole portfolio
(:data:`PORTFOLIO_ORDER`), as a portfolio's bid upload holds one curve per period: the
exact sum of every asset's own curve (:func:`~bvp_lib.market.orders.sum_curves`),
rounded to the volume tick once, so the exchange's rounding is at most half a tick for
the portfolio (measured before, with one order per connection point and limit price
each rounded on its own: the buildings bid alone realised 0.50 of their perfect-foresight
value, 0.85 on a 0.001 MW tick, 1-7 June 2015). The asset curves come in component orders
(kept as :attr:`BidResult.components`; ``aggregate=False`` bids them instead), per asset
type (see :mod:`bvp_lib.market.orders`):

curtailable producers (solar, wind)
    A **limit order**: sell the forecast production at any price at or above the park's
    limit price (its marginal cost, or minus its support per MWh; attribute
    ``limit_price_eur_mwh``, default 0), nothing below. The curve has a vertical step at
    the limit: the park is curtailed exactly when the price is below it, with no price
    forecast at all. Parks behind one connection point with one limit price bid one
    order (``limit:<connection point>@<price>``), rounded to the volume tick once.
producers that cannot be curtailed
    A price-independent order: the forecast production at every price.
storage, charging stations, shiftable building load
    One order per connection point (its flexible assets bid together, as they share the
    connection), from the **stochastic program of Fleten and Pettersen** (2005,
    "Constructing bidding curves for a price-taking retailer in the Norwegian electricity
    market", IEEE Trans. Power Systems 20(2)): the price points of hour ``h`` are the
    (tick-rounded) prices of the day's price scenarios in that hour; the quantity at each
    point, ``X[h, k]``, is a decision shared by every scenario whose price falls there;
    each scenario ``s`` has its own dispatch of the assets (the scheduling model of
    :mod:`bvp_lib.scheduling`, on the forecast baseline), and the dispatch's mean power
    in hour ``h`` must equal the accepted quantity ``X[h, k(h, s)]``. Maximised:

    .. math::
        \\sum_s w_s \\sum_h π_{s,h} \\, X[h, k(h,s)] \\cdot 1\\,h

    subject to every scenario's flexibility constraints (SoC, session energy, shift
    windows, the connection limit less the parks' production as their limit orders
    clear in that scenario), and ``X[h, k] ≤ X[h, k+1]`` (monotone curves). Storage may
    switch between charging and discharging within a step (``c/P_c + d/P_d ≤ 1``), which
    keeps the program a linear program; the delivery after clearing
    (:mod:`bvp_lib.market.dispatch`) keeps the strict rule.

    Each asset has its own curve ``X[a, h, k]`` (monotone on its own); the order's curve
    is their sum, and each asset's part of what the auction accepts is its own curve at
    the clearing price (:func:`bvp_lib.market.clearing.split_accepted`), so delivery and
    valuation know which asset sold what.

    Beyond the scenarios: a price far below (above) every scenario's is a price the
    scenarios did not foresee, and there the program's curve says nothing (no scenario
    is there to value it). The curve steps out to what the assets can do in the period
    at :data:`TAIL_MARGIN` below the lowest (above the highest) scenario price, and is
    flat from there out to the exchange's limits.

Screening: before a program is solved, :func:`value_bounds` brackets its value between
the expected value of the mean-price plan bid at every price (a flat curve, feasible for
the program) and the wait-and-see value (each scenario's best dispatch with its prices
known, which no curve beats); both are one small LP per scenario on one re-used solver
model. Where the two are within :data:`SCREEN_GAP`, a curve could add at most that much
in expectation, and the flat bid is made without the program (the EV stations' programs,
the largest of a day, and most buildings'). The bounds are kept on each :class:`GroupProgram`: their
gap is the value of perfect price information, the program's excess over the mean-price
plan is the value of bidding curves (the value of the stochastic solution).

Curves are rounded to the exchange's price and volume ticks after solving (rounding is
monotone, so curves stay monotone). Power in MW, sold positive; prices in EUR/MWh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bvp_lib.market.bounds import SCREEN_GAP, value_bounds
from bvp_lib.market.curves import (
    DEFAULT_LIMIT_PRICE,
    BiddingError,
    limit_order_curve,
    order_rows,
    price_taker_curves,
    scenario_curve,
    with_tails,
)
from bvp_lib.market.dispatch import add_switching, within_connections
from bvp_lib.market.orders import DEFAULT_PORTFOLIO, PORTFOLIO_ORDER, OrderBook, sum_curves
from bvp_lib.market.rules import EPEX_DAY_AHEAD, ExchangeRules
from bvp_lib.scheduling.assets import (
    Battery,
    Building,
    ChargingStation,
    ConnectionPoint,
    Curtailable,
)
from bvp_lib.scheduling.backends import MatrixLP, solve_matrix
from bvp_lib.scheduling.build import build_problem
from bvp_lib.scheduling.errors import SchedulingInputError, SolverError
from bvp_lib.timing import day_index

FLEXIBLE = (Battery, ChargingStation, Building)
#: [EUR/MWh] beyond the scenarios' prices, where the flexible curves reach all the assets
#: can do in the period (chosen on 6-19 April 2015: the batteries' captured share was
#: 0.800 without tails, 0.808 at 20 and 0.824 at 60 EUR/MWh; benchmarks/bench_orders.py)
TAIL_MARGIN = 60.0


@dataclass
class GroupProgram:
    """What the stochastic program of one connection point's flexible assets gave.

    Attributes
    ----------
    name : str
        The order's name (``flex:<connection point>``).
    assets : list of str
        Its assets.
    points : dict
        Period start (UTC) -> (prices [EUR/MWh], quantities [MW]) of the unrounded curve.
    expected_revenue : float
        The program's objective [EUR].
    seconds : float
        Build and solve time [s].
    n_variables, n_constraints : int
    """

    name: str
    assets: list[str]
    points: dict
    expected_revenue: float
    seconds: float
    n_variables: int = 0
    n_constraints: int = 0
    #: asset -> period start -> (prices, quantities): each asset's share of the curve
    by_asset: dict = field(default_factory=dict)
    #: :func:`value_bounds` where computed [EUR]: the wait-and-see value (no curve does
    #: better) and the expected value of the mean-price plan's price-independent bid
    #: (the program never does worse); None where not computed
    wait_and_see: float | None = None
    mean_plan: float | None = None
    #: whether the program was not solved, its bound being within the screen (the curve
    #: is then the mean-price plan's, flat in the price)
    screened: bool = False
    #: the programs solved apart that make up this one (:func:`flexible_program`), if any
    parts: list = field(default_factory=list, repr=False)
    #: before the tails: per period (prices, quantities assets × points), the assets'
    #: capability (lo, hi: assets × periods [MW]) and each scenario's net power of the
    #: assets per program step (scenarios × steps [MW]); for :func:`_merged`
    raw: dict | None = field(default=None, repr=False)


@dataclass
class BidResult:
    """An order book and how it was made."""

    book: OrderBook
    groups: list[GroupProgram] = field(default_factory=list)
    limits: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    #: order name -> the assets behind it
    members: dict[str, list[str]] = field(default_factory=dict)
    #: order name -> asset -> period start -> (prices, quantities): each asset's own curve
    #: (their sum is the order's curve before rounding)
    shares: dict = field(default_factory=dict)
    #: with the portfolio's one order: the orders it is made of (per connection point and
    #: limit price, each rounded on its own, as they were bid with ``aggregate=False``)
    #: and their assets
    components: OrderBook | None = None
    component_members: dict = field(default_factory=dict)

    def programs(self) -> pd.DataFrame:
        """One row per stochastic program (the parts of a connection point solved apart):
        its order, assets, whether it was solved or screened, its expected revenue, the
        value of the mean-price plan's flat bid and the wait-and-see value [EUR] (their
        difference bounds what any curve could add; the expected revenue's excess over
        the mean-price plan is what the curves did add), its time [s] and size."""
        recs = []
        for g in self.groups:
            for part in g.parts or [g]:
                recs.append({"order": g.name, "assets": ", ".join(part.assets),
                             "program": "screened" if part.screened else "solved",
                             "expected_revenue_eur": part.expected_revenue, "mean_plan_eur": part.mean_plan,
                             "wait_and_see_eur": part.wait_and_see, "seconds": part.seconds,
                             "variables": part.n_variables})  # fmt: skip
        return pd.DataFrame(recs, columns=["order", "assets", "program", "expected_revenue_eur", "mean_plan_eur",
                                           "wait_and_see_eur", "seconds", "variables"])  # fmt: skip


def limit_prices(info: pd.DataFrame, rows: pd.DataFrame | None = None) -> dict[str, float]:
    """Each curtailable producer's limit price [EUR/MWh]: ``attributes.limit_price_eur_mwh``
    of the asset row, else 0 (sell at any non-negative price)."""
    out = {}
    for a in info.index:
        if info.at[a, "type"] in ("solar", "wind") and bool(info.at[a, "scheduled"]):
            attrs = {}
            if rows is not None and a in rows.index and isinstance(rows.at[a, "attributes"], dict):
                attrs = rows.at[a, "attributes"]
            v = attrs.get("limit_price_eur_mwh", DEFAULT_LIMIT_PRICE)
            out[a] = float(v if v is not None else DEFAULT_LIMIT_PRICE)
    return out


def group_program(
    flexible: list,
    connection: ConnectionPoint | None,
    parks: list[tuple[Curtailable, float]],
    scenario_prices: np.ndarray,
    weights: np.ndarray,
    index: pd.DatetimeIndex,
    periods: pd.DatetimeIndex,
    rules: ExchangeRules = EPEX_DAY_AHEAD,
    *,
    name: str = "flex",
    time_limit: float | None = None,
    tails: float | None = None,
    screen: float | None = None,
    full_bounds: bool = False,
) -> GroupProgram:
    """The stochastic program of one group of flexible assets (module docstring).

    Parameters
    ----------
    flexible : list of Battery, ChargingStation, Building
        The group's flexible assets (on the forecast baseline).
    connection : ConnectionPoint or None
        Their connection point (capacities [MW], scalars or Series on ``index``), whose
        limit holds in every scenario less the parks' production as their limit orders
        clear.
    parks : list of (Curtailable, limit price)
        The curtailable producers behind the same connection point.
    scenario_prices : numpy.ndarray
        S × T prices [EUR/MWh] on the steps ``index``, already on the price tick.
    weights : numpy.ndarray
        Probability of each scenario (sum 1).
    index : pandas.DatetimeIndex
        The schedule's steps (UTC); ``periods`` the delivery periods (UTC starts).
    screen : float, optional
        [EUR] Where :func:`value_bounds` shows that no curve can add more than this to
        the mean-price plan's flat bid, that bid is made and the program not solved
        (None: no bounds, the program is solved; a negative screen always solves, and
        with ``full_bounds`` records both bounds).
    full_bounds : bool
        Compute the wait-and-see bound in full even where it is soon clear that it
        exceeds the screen (for studies of the bounds; otherwise it stops early and the
        program's ``wait_and_see`` is None).

    Raises
    ------
    BiddingError
        No scenario, missing prices in them, or weights that are not probabilities.
    SolverError
        The program cannot be solved.
    """
    t0 = time.perf_counter()
    S, T = scenario_prices.shape
    if S < 1:
        raise BiddingError("the stochastic program needs at least one price scenario.")
    if not np.isfinite(scenario_prices).all():
        raise BiddingError(f"{name}: the price scenarios hold missing or infinite prices.")
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (S,) or not np.isfinite(weights).all() or (weights < 0).any() or abs(weights.sum() - 1) > 1e-6:
        raise BiddingError(f"{name}: the scenarios' weights must be {S} probabilities (finite, >= 0, sum 1), "
                           f"not {np.array2string(weights, precision=3, threshold=6)}.")  # fmt: skip
    H = len(periods)
    if T % H:
        raise BiddingError(f"{T} steps do not split into {H} delivery periods.")
    per = T // H
    names = [a.name for a in flexible]
    cps = []
    if connection is not None:
        cps = [ConnectionPoint(connection.name, assets=tuple(names), import_capacity=connection.import_capacity,
                               export_capacity=connection.export_capacity)]  # fmt: skip
    mean = pd.Series(scenario_prices.T @ weights, index=index)
    problem = build_problem(flexible, mean, cps, complementarity="lp", tie_break=0.0)
    add_switching(problem)  # c/Pc + d/Pd <= 1: storage may alternate within a step (keeps it an LP)
    m = problem.to_matrix(include_custom=False)
    lp = problem.lp
    n, R = m.n_vars, m.n_rows
    # hourly mean power of each asset, per period: G x + g0 [MW], row a * H + h
    A_n = len(names)
    a, s, v, c = lp.power_terms()
    G = sp.csr_matrix((c / per, (a * H + s // per, v)), shape=(A_n * H, n))
    g0 = lp.power_constant.reshape(A_n, H, per).mean(axis=2).ravel()
    # connection rows move with the parks' production in each scenario
    conn_rows = np.zeros(0, np.int64)
    conn_steps = np.zeros(0, np.int64)
    for blk in lp.row_blocks:
        if blk.family == "connection_limit":
            conn_rows = np.r_[conn_rows, blk.start + np.arange(blk.n)]
            conn_steps = np.r_[conn_steps, blk.step]
    park_out = np.zeros((S, T))
    for park, lim in parks:
        f = np.asarray(pd.Series(park.forecast).reindex(index).to_numpy(float))
        sells = scenario_prices >= lim  # S × T
        park_out += np.where(sells, f[None, :], 0.0)
    # price points per period: the unique scenario prices of the period
    pp = scenario_prices[:, ::per]  # S × H (prices are constant within a period)
    shifted = bool(len(conn_rows)) and bool(np.any(park_out))
    points, kidx = [], np.zeros((S, H), np.int64)
    offs = [0]
    for h in range(H):
        u, inv = np.unique(pp[:, h], return_inverse=True)
        points.append(u)
        kidx[:, h] = inv
        offs.append(offs[-1] + len(u))
    K = offs[-1]  # points of one asset's curves over the day; X[a, j] is column a * K + j
    lo, hi = _capability(G, g0, m.col_lower, m.col_upper)
    lo, hi = lo.reshape(A_n, H), hi.reshape(A_n, H)
    Gt = sp.csr_matrix((c, (s, v)), shape=(T, n))
    const = lp.power_constant.reshape(A_n, T).sum(axis=0)
    ws = ev = None
    if screen is not None and S > 1 and not shifted:
        ws, ev, x_ev = value_bounds(m, G, g0, pp, weights, stop_above=None if full_bounds else screen)
        if ws is not None and ws - ev <= screen:  # a flat bid loses at most ws - ev in expectation
            q = (G @ x_ev + g0).reshape(A_n, H)
            per_point = [(points[h], np.repeat(q[:, h:h + 1], len(points[h]), axis=1)) for h in range(H)]
            flow = np.repeat((Gt @ x_ev + const)[None, :], S, axis=0)
            out = GroupProgram(name, names, {}, ev, time.perf_counter() - t0, n, R, wait_and_see=ws, mean_plan=ev,
                               screened=True, raw={"points": per_point, "lo": lo, "hi": hi, "flow": flow})  # fmt: skip
            return _finish(out, periods, rules, tails)
    N = S * n + A_n * K
    A = m.A.tocsr()
    blocks_A = sp.block_diag([A] * S, format="csr") if S > 1 else A
    # linking: G_a x_s - X[a, h, k(h,s)] = -g0_a, rows (s, a, h)
    Gs = sp.block_diag([G] * S, format="csr")
    col_h = np.array([[offs[h] + kidx[s_, h] for h in range(H)] for s_ in range(S)])  # S × H
    xcol = (np.arange(A_n)[None, :, None] * K + col_h[:, None, :]).ravel()  # (s, a, h)
    L = sp.csr_matrix((-np.ones(S * A_n * H), (np.arange(S * A_n * H), xcol)), shape=(S * A_n * H, A_n * K))
    # monotone, per asset: X[a, h, j] - X[a, h, j+1] <= 0
    j = np.concatenate([np.arange(offs[h], offs[h + 1] - 1) for h in range(H)])
    jj = (np.arange(A_n)[:, None] * K + j[None, :]).ravel()
    r = len(jj)
    Mo = sp.csr_matrix((np.r_[np.ones(r), -np.ones(r)], (np.r_[np.arange(r), np.arange(r)], np.r_[jj, jj + 1])),
                       shape=(r, A_n * K))  # fmt: skip
    top = sp.hstack([blocks_A, sp.csr_matrix((S * R, A_n * K))])
    link = sp.hstack([Gs, L])
    mono = sp.hstack([sp.csr_matrix((r, S * n)), Mo])
    big = sp.vstack([top, link, mono], format="csc")
    rlo = np.tile(m.row_lower, S)
    rup = np.tile(m.row_upper, S)
    if len(conn_rows):
        shift = park_out[:, conn_steps]  # S × rows
        for s_ in range(S):
            rlo[s_ * R + conn_rows] -= shift[s_]
            rup[s_ * R + conn_rows] -= shift[s_]
    rlo = np.r_[rlo, np.tile(-g0, S), np.full(r, -np.inf)]
    rup = np.r_[rup, np.tile(-g0, S), np.zeros(r)]
    cost = np.zeros(N)
    wp = (weights[:, None] * pp)[:, None, :] * np.ones((1, A_n, 1))  # EUR per MW over one hour, (s, a, h)
    np.add.at(cost, S * n + xcol, wp.ravel())
    col_lo = np.r_[np.tile(m.col_lower, S), np.full(A_n * K, -np.inf)]
    col_up = np.r_[np.tile(m.col_upper, S), np.full(A_n * K, np.inf)]
    big_lp = MatrixLP(cost=cost, offset=0.0, A=big, col_lower=col_lo, col_upper=col_up, row_lower=rlo, row_upper=rup,
                      integrality=np.zeros(N, bool))  # fmt: skip
    raw = solve_matrix(big_lp, time_limit=time_limit)
    if raw.x is None or raw.status not in ("optimal", "time_limit"):
        raise SolverError(f"the bidding program of {name} ended {raw.status} ({raw.solver_status}): the flexible "
                          "assets cannot follow every price scenario; check the connection capacity.")  # fmt: skip
    X = raw.x[S * n:].reshape(A_n, K)
    per_point = [(points[h], X[:, offs[h]:offs[h + 1]]) for h in range(H)]
    # each scenario's net power of these assets per step (for the connection check of _merged)
    flow = np.stack([Gt @ raw.x[k * n:(k + 1) * n] + const for k in range(S)])
    out = GroupProgram(name, names, {}, float(raw.objective or 0.0), time.perf_counter() - t0, N, big.shape[0],
                       wait_and_see=ws, mean_plan=ev, raw={"points": per_point, "lo": lo, "hi": hi, "flow": flow})  # fmt: skip
    return _finish(out, periods, rules, tails)


def _finish(g: GroupProgram, periods: pd.DatetimeIndex, rules: ExchangeRules, tails: float | None) -> GroupProgram:
    """The curves of a program from its raw points: tails, the order's sum, each asset's."""
    lo, hi = g.raw["lo"], g.raw["hi"]
    curves, by_asset = {}, {nm: {} for nm in g.assets}
    for h, (p, q) in enumerate(g.raw["points"]):
        if tails:
            p, q = with_tails(p, q, lo[:, h], hi[:, h], rules, tails)
        curves[periods[h]] = (p, q.sum(axis=0))
        for i, nm in enumerate(g.assets):
            by_asset[nm][periods[h]] = (p, q[i])
    g.points, g.by_asset = curves, by_asset
    return g


def _merged(name: str, programs: list[GroupProgram], periods, rules, tails) -> GroupProgram:
    """One program from programs solved apart on the same scenarios (same price points):
    their assets' curves side by side, as if solved together."""
    pts = [np.array_equal(a[0], b[0]) for g in programs[1:] for a, b in zip(g.raw["points"], programs[0].raw["points"])]
    if not all(pts):
        raise BiddingError(f"{name}: programs solved apart do not share their price points.")
    raw = {"points": [(p, np.vstack([g.raw["points"][h][1] for g in programs]))
                      for h, (p, _) in enumerate(programs[0].raw["points"])],
           "lo": np.vstack([g.raw["lo"] for g in programs]), "hi": np.vstack([g.raw["hi"] for g in programs]),
           "flow": sum(g.raw["flow"] for g in programs)}  # fmt: skip
    bounded = all(g.wait_and_see is not None for g in programs)
    g = GroupProgram(name, [a for g in programs for a in g.assets], {}, sum(g.expected_revenue for g in programs),
                     sum(g.seconds for g in programs), sum(g.n_variables for g in programs),
                     sum(g.n_constraints for g in programs), raw=raw,
                     wait_and_see=sum(g.wait_and_see for g in programs) if bounded else None,
                     mean_plan=sum(g.mean_plan for g in programs) if bounded else None,
                     screened=all(g.screened for g in programs), parts=list(programs))  # fmt: skip
    return _finish(g, periods, rules, tails)


def _within(flow: np.ndarray, connection: ConnectionPoint | None, index: pd.DatetimeIndex, tol: float = 1e-6) -> bool:
    """Whether every scenario's net power (scenarios × steps [MW]) keeps the connection's limits."""
    if connection is None:
        return True
    for cap, sign in ((connection.export_capacity, 1.0), (connection.import_capacity, -1.0)):
        if cap is None:
            continue
        c = cap.reindex(index).to_numpy(float) if isinstance(cap, pd.Series) else np.full(len(index), float(cap))
        if (sign * flow > c[None, :] + tol).any():
            return False
    return True


def flexible_program(flexible: list, connection: ConnectionPoint | None, parks: list[tuple[Curtailable, float]],
                     scenario_prices: np.ndarray, weights: np.ndarray, index: pd.DatetimeIndex,
                     periods: pd.DatetimeIndex, rules: ExchangeRules = EPEX_DAY_AHEAD, *, name: str = "flex",
                     time_limit: float | None = None, tails: float | None = None,
                     screen: float | None = None, full_bounds: bool = False) -> GroupProgram:
    """:func:`group_program` of a connection point's flexible assets, decomposed where that
    is exact: each asset's program alone (without the connection), and, if in every
    scenario their summed power with the parks' keeps the connection's limits, those
    solutions are the joint program's optimum (the joint program only adds the connection
    rows, which they keep). Otherwise the joint program is solved. The programs are far
    smaller apart (one connection point's joint program took 4-8 s, 3 June 2015)."""
    kw = dict(rules=rules, time_limit=time_limit, screen=screen, full_bounds=full_bounds)
    if connection is None or len(flexible) < 2:
        return group_program(flexible, connection, parks, scenario_prices, weights, index, periods, name=name,
                             tails=tails, **kw)  # fmt: skip
    apart = [group_program([a], None, [], scenario_prices, weights, index, periods, name=name, tails=None, **kw)
             for a in flexible]  # fmt: skip
    park_out = np.zeros_like(scenario_prices, dtype=float)
    for park, lim in parks:
        f = np.asarray(pd.Series(park.forecast).reindex(index).to_numpy(float))
        park_out += np.where(scenario_prices >= lim, f[None, :], 0.0)
    if _within(sum(g.raw["flow"] for g in apart) + park_out, connection, index):
        return _merged(name, apart, periods, rules, tails)
    return group_program(flexible, connection, parks, scenario_prices, weights, index, periods, name=name,
                         tails=tails, **kw)  # fmt: skip


def _capability(G, g0, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    """Least and most mean power [MW] the group can have in each period, step by step
    (each variable at its own bound, ignoring what couples the steps, such as the SoC)."""
    lb = np.where(np.isfinite(lower), lower, 0.0)
    ub = np.where(np.isfinite(upper), upper, 0.0)
    Gc = G.tocoo()
    a, b = Gc.data * lb[Gc.col], Gc.data * ub[Gc.col]
    lo = np.zeros(G.shape[0])
    hi = np.zeros(G.shape[0])
    np.add.at(lo, Gc.row, np.minimum(a, b))
    np.add.at(hi, Gc.row, np.maximum(a, b))
    return lo + g0, hi + g0


def make_order_book(
    inputs,
    scenarios,
    *,
    rules: ExchangeRules = EPEX_DAY_AHEAD,
    limits: dict[str, float] | None = None,
    portfolio: str = DEFAULT_PORTFOLIO,
    time_limit: float | None = None,
    program_resolution: str | pd.Timedelta | None = None,
    tails: float | None = None,
    screen: float | None = SCREEN_GAP,
    full_bounds: bool = False,
    aggregate: bool = True,
) -> BidResult:
    """The portfolio's order book of one day (module docstring).

    Parameters
    ----------
    inputs : bvp_lib.scheduling.inputs.DayInputs
        The day in forecast mode (baseline forecasts known at gate closure).
    scenarios : bvp_lib.forecasting.probabilistic.PriceScenarios
        Joint price scenarios of the day, made at gate closure.
    rules : ExchangeRules
    limits : dict, optional
        Curtailable producer -> limit price [EUR/MWh] (default :func:`limit_prices`).
    tails : float, optional
        Margin [EUR/MWh] beyond the lowest and highest scenario price of a period at
        which each flexible asset's curve reaches all it can buy or sell in that period
        (default :data:`TAIL_MARGIN`; 0 keeps the curve flat beyond the scenarios). A
        price no scenario foresaw is then used, not ignored; where the assets cannot
        follow every such extreme at once, delivery settles the rest as imbalance.
    program_resolution : str or pandas.Timedelta, optional
        Steps of the stochastic programs (default the delivery period: prices are
        constant within it, and a program on hourly steps is a quarter of the size of one
        on quarter-hours; the delivery after clearing runs on the schedule's own steps).
    screen, full_bounds
        As in :func:`group_program` (default :data:`SCREEN_GAP`).
    aggregate : bool
        Bid the portfolio's one order per period (default; :data:`PORTFOLIO_ORDER`, the
        sum of every asset's own curve, rounded to the volume tick once), as a portfolio
        uploads its bid to the exchange; the orders per connection point and limit price
        it is made of are kept as :attr:`BidResult.components`. ``False`` bids those
        component orders themselves, each rounded to the tick on its own.

    Returns
    -------
    BidResult
        The validated :class:`~bvp_lib.market.orders.OrderBook` and per group the
        program's size, expected revenue and time.

    Raises
    ------
    BiddingError
        No scenario, weights that are not a distribution, more scenarios than the
        exchange's points per curve allow.
    """
    tails = TAIL_MARGIN if tails is None else (float(tails) or None)
    t0 = time.perf_counter()
    idx = inputs.prices.index
    periods = day_index(inputs.day, inputs.tz, rules.period)
    if len(idx) % len(periods):
        raise BiddingError(f"the schedule's {len(idx)} steps do not split into {len(periods)} delivery periods of "
                           f"{rules.period}.")  # fmt: skip
    if scenarios.n < 1:
        raise BiddingError("no price scenarios: the stochastic program's price points are the scenarios' prices.")
    w_all = scenarios.weights.to_numpy(float)
    if (w_all < 0).any() or abs(w_all.sum() - 1.0) > 1e-6:
        raise BiddingError(f"the scenario weights must be non-negative and sum to 1, not {w_all.sum():g}.")
    if scenarios.n + 2 > rules.max_points:
        raise BiddingError(f"{scenarios.n} price scenarios make up to {scenarios.n + 2} points per curve; the exchange "
                           f"takes at most {rules.max_points}: use at most {rules.max_points - 2} scenarios.")  # fmt: skip
    w = scenarios.weights.to_numpy(float)
    info = inputs.info
    limits = dict(limit_prices(info, inputs.rows) if limits is None else limits)
    inputs = within_connections(inputs)  # a park sells no more than its connection takes
    parts, groups, members, shares = [], [], {}, {}
    # producers: one limit order per connection point and limit price (the parks behind it
    # sell together, so one rounding to the volume tick instead of one per park)
    cp_of = {a: info.at[a, "connection_point"] for a in info.index}
    park_groups: dict[tuple, list] = {}
    for a in inputs.assets:
        if isinstance(a, Curtailable):
            lim = float(rules.round_price(limits.get(a.name, DEFAULT_LIMIT_PRICE)))
            park_groups.setdefault((cp_of.get(a.name), lim), []).append(a)
    own, qty = price_taker_curves(inputs, periods, rules, limits)  # each asset's own curve, off the tick
    for (cp, lim), parks in park_groups.items():
        name = f"limit:{cp or parks[0].name}@{lim:g}"
        curves = [limit_order_curve(x, lim, rules) for x in sum(qty[a.name] for a in parks)]
        parts.append(order_rows(portfolio, name, periods, rules, [c[0] for c in curves], [c[1] for c in curves]))
        members[name] = [a.name for a in parks]
    ends = np.array([rules.min_price, rules.max_price])
    for a in info.index[~info["scheduled"].astype(bool)]:
        if a in qty:
            parts.append(order_rows(portfolio, a, periods, rules, [ends] * len(periods),
                                    [np.array([x, x]) for x in rules.round_volume(qty[a])]))  # fmt: skip
            members[a] = [a]
    # flexible assets: one stochastic program per connection point, on the program's steps
    t1 = time.perf_counter()
    coarse = inputs.at_resolution(program_resolution or rules.period)
    cidx = coarse.prices.index
    S_coarse = rules.round_price(scenarios.on_steps(cidx))
    cpoints = {cp.name: cp for cp in coarse.connection_points}
    keys = list(dict.fromkeys(cp_of[a.name] for a in coarse.assets if isinstance(a, FLEXIBLE)))
    for key in keys:
        flex = [a for a in coarse.assets if isinstance(a, FLEXIBLE) and cp_of[a.name] == key]
        parks = [(a, limits.get(a.name, DEFAULT_LIMIT_PRICE)) for a in coarse.assets
                 if isinstance(a, Curtailable) and cp_of[a.name] == key]  # fmt: skip
        name = f"flex:{key}" if key is not None else f"flex:{flex[0].name}"
        try:
            g = flexible_program(flex, cpoints.get(key), parks, S_coarse, w, cidx, periods, rules, name=name,
                                 time_limit=time_limit, tails=tails, screen=screen,
                                 full_bounds=full_bounds)  # fmt: skip
        except SchedulingInputError as e:
            raise BiddingError(f"{name}: {e}") from None
        groups.append(g)
        curves = [scenario_curve(*g.points[t], rules) for t in periods]
        parts.append(order_rows(portfolio, name, periods, rules, [c[0] for c in curves], [c[1] for c in curves]))
        members[name] = [a.name for a in flex]
        shares[name] = g.by_asset
        own.update(g.by_asset)
    meta = {"day": inputs.day.isoformat(), "scenarios": scenarios.n, "belief_time": scenarios.belief_time.isoformat()}
    book = OrderBook(pd.concat(parts, ignore_index=True), periods, rules, portfolio, meta=meta).validate()
    seconds = {"programs": time.perf_counter() - t1}
    if not aggregate:
        seconds["total"] = time.perf_counter() - t0
        return BidResult(book, groups, limits, seconds, members, shares)
    # the portfolio's one order: every asset's own curve summed exactly, rounded to the tick once
    names = [a for a in info.index if a in own]
    curves = [scenario_curve(*sum_curves([own[a][t] for a in names]), rules) for t in periods]
    rows = order_rows(portfolio, PORTFOLIO_ORDER, periods, rules, [c[0] for c in curves], [c[1] for c in curves])
    whole = OrderBook(rows, periods, rules, portfolio, meta=meta).validate()
    seconds["total"] = time.perf_counter() - t0
    return BidResult(whole, groups, limits, seconds, {PORTFOLIO_ORDER: names}, {PORTFOLIO_ORDER: own},
                     components=book, component_members=members)  # fmt: skip
