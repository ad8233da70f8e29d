"""bvp_lib.market: order books, their rules and CSV, clearing, limit orders, and the bid
curves of the stochastic program on hand-computable cases (no database)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bvp_lib.market.bidding import BiddingError, group_program, limit_order_curve, scenario_curve
from bvp_lib.market.clearing import clear, split_accepted
from bvp_lib.market.orders import (
    COLUMNS,
    DEFAULT_PORTFOLIO,
    OrderBook,
    OrderBookError,
    read_order_csv,
    sum_curves,
    volume_at,
)
from bvp_lib.market.rules import EPEX_DAY_AHEAD as R
from bvp_lib.scheduling import Battery

PERIODS = pd.date_range("2015-04-11 22:00", periods=24, freq="1h", tz="UTC")


def book_of(curves: dict[str, list[tuple[list[float], list[float]]]], periods=PERIODS) -> OrderBook:
    """A book from {order: [(prices, volumes) per period]}."""
    recs = []
    for order, per in curves.items():
        for t, (p, v) in zip(periods, per):
            recs += [("bvp", order, t, t + pd.Timedelta("1h"), pp, vv) for pp, vv in zip(p, v)]
    return OrderBook(pd.DataFrame(recs, columns=COLUMNS), pd.DatetimeIndex(periods))


def flat(q):
    return ([R.min_price, R.max_price], [q, q])


def test_volume_at_interpolates_linearly_and_takes_the_top_of_a_vertical_step():
    p, v = np.array([-500.0, 0.0, 0.0, 3000.0]), np.array([0.0, 0.0, 5.0, 5.0])
    assert list(volume_at(p, v, [-600, -0.05, 0.0, 10.0, 4000])) == [0.0, 0.0, 5.0, 5.0, 5.0]
    assert list(volume_at(p, v, [0.0], side="left")) == [0.0]
    p, v = np.array([-500.0, 10.0, 50.0, 3000.0]), np.array([-2.0, -2.0, 2.0, 2.0])
    assert list(volume_at(p, v, [0.0, 30.0, 40.0])) == pytest.approx([-2.0, 0.0, 1.0])


def test_a_park_with_limit_zero_is_curtailed_exactly_in_the_negative_hours():
    prices = pd.Series([12.0, 0.0, -0.01, -80.0, 3.5, -500.0] + [20.0] * 18, index=PERIODS)
    forecast = np.full(24, 4.3)
    book = book_of({"park": [limit_order_curve(q, 0.0, R) for q in forecast]}).validate()
    acc = clear(book, prices)["park"]
    assert list(acc[:6]) == [4.3, 4.3, 0.0, 0.0, 4.3, 0.0]
    assert (acc[prices < 0] == 0).all() and (acc[prices >= 0] == 4.3).all()


def test_limit_orders_at_other_limits():
    p, v = limit_order_curve(2.0, -45.0, R)
    assert list(p) == [R.min_price, -45.0, -45.0, R.max_price] and list(v) == [0.0, 0.0, 2.0, 2.0]
    p, v = limit_order_curve(0.0, 0.0, R)
    assert list(v) == [0.0, 0.0]  # nothing to sell: price-independent zero
    p, v = limit_order_curve(1.04, R.min_price, R)
    assert list(v) == [1.0, 1.0]  # rounded to the 0.1 MW tick, sold at any price


def test_the_rules_are_named_with_the_row():
    good = {"a": [flat(1.0)] * 24}
    book_of(good).validate()
    cases = [
        ({"a": [([R.min_price, 10.0, R.max_price], [1.0, 0.5, 2.0])] + [flat(1.0)] * 23}, "volume falls from 1 to 0.5"),
        ({"a": [([R.min_price, 4000.0], [1.0, 1.0])] + [flat(1.0)] * 23}, "outside the exchange's limits"),
        ({"a": [([R.min_price, 10.05, R.max_price], [0.0, 0.5, 1.0])] + [flat(1.0)] * 23}, "not on the 0.1 EUR/MWh tick"),
        ({"a": [([R.min_price, R.max_price], [0.05, 0.05])] + [flat(1.0)] * 23}, "not on the 0.1 MW tick"),
        ({"a": [([0.0, R.max_price], [1.0, 1.0])] + [flat(1.0)] * 23}, "must start at the minimum price"),
        ({"a": [([R.min_price] + list(np.arange(257) * 0.1) + [R.max_price], list(np.arange(259) * 0.1))]
          + [flat(1.0)] * 23}, "has 259 points; the exchange takes 2 to 256"),  # fmt: skip
    ]
    for curves, message in cases:
        with pytest.raises(OrderBookError, match="row 1|row [0-9]+"):
            book_of(curves).validate()
        with pytest.raises(OrderBookError, match=message):
            book_of(curves).validate()
    # an unknown period and an unknown portfolio
    other = book_of(good, periods=PERIODS + pd.Timedelta("1D"))
    other.periods = PERIODS
    with pytest.raises(OrderBookError, match="is not a delivery period of the day"):
        other.validate()
    b = book_of(good)
    b.portfolio = "someone-else"
    with pytest.raises(OrderBookError, match="portfolio 'bvp' is not this book's"):
        b.validate()


def test_csv_round_trip_and_file_lines(tmp_path):
    book = book_of({"park": [limit_order_curve(3.2, 0.0, R)] * 24, "flex": [flat(-1.5)] * 24}).validate()
    path = book.to_csv(tmp_path / "book.csv")
    back = read_order_csv(path, PERIODS)
    pd.testing.assert_frame_equal(back.rows[COLUMNS].reset_index(drop=True), book.rows[COLUMNS].reset_index(drop=True),
                                  check_dtype=False)  # fmt: skip
    prices = pd.Series(np.linspace(-50, 80, 24), index=PERIODS)
    pd.testing.assert_frame_equal(clear(back, prices), clear(book, prices))
    # a broken rule in the file is named by the line an editor shows
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")
    cells[5] = "-9.0"  # the park's curve now falls at line 4
    lines[3] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(OrderBookError, match=r"bad.csv, line 4: .*volume falls"):
        read_order_csv(bad, PERIODS)
    lines[3] = lines[3].replace("+00:00", "", 1)
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(OrderBookError, match=r"line 4: column period_start: .* is not an ISO 8601 instant"):
        read_order_csv(bad, PERIODS)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(OrderBookError, match="not a CSV order book"):
        read_order_csv(tmp_path / "empty.csv", PERIODS)


def test_aggregate_is_the_sum_of_the_orders():
    rng = np.random.default_rng(3)
    curves = {}
    for name in ("a", "b", "c"):
        per = []
        for _ in range(24):
            p = np.r_[R.min_price, np.sort(rng.choice(np.arange(-200, 300), 5, replace=False)) * 1.0, R.max_price]
            v = np.round(np.sort(rng.normal(0, 2, len(p))), 1)
            per.append(scenario_curve(p[1:-1], v[1:-1], R))
        curves[name] = per
    book = book_of(curves).validate()
    agg = book.aggregate().validate()
    for t in PERIODS:
        at = np.r_[rng.uniform(-300, 400, 50), -500.0, 3000.0]
        exact = sum(volume_at(*book.curve(o, t), at) for o in book.orders)
        assert np.allclose(volume_at(*agg.curve("all", t), at), exact, atol=0.05 + 1e-9)  # the sum's points on the tick
    for t in PERIODS:  # monotone curves stay monotone
        p, v = agg.curve("all", t)
        assert (np.diff(v) >= -1e-9).all() and (np.diff(p) >= 0).all()


def test_a_battery_on_two_price_levels_bids_the_hand_derived_curve():
    """Two hours, two equally likely scenarios: A (10, 50), B (50, 10) EUR/MWh; a lossless
    1 MW / 1 MWh battery, empty at the start, SoC at the end at least the start.

    A: buy 1 MWh at 10, sell it at 50 (+40 EUR). B: the first hour is dear and the battery
    empty; buying in the second hour cannot be sold: idle. So the curves are
    hour 1: -1 MW at 10, 0 at 50; hour 2: 0 at 10, +1 MW at 50; expected revenue 20 EUR."""
    idx = pd.date_range("2015-04-12 10:00", periods=2, freq="1h", tz="UTC")
    bat = Battery("bat", capacity=1.0, charge_power=1.0, soc_start=0.0)
    scen = np.array([[10.0, 50.0], [50.0, 10.0]])
    g = group_program([bat], None, [], scen, np.array([0.5, 0.5]), idx, idx, R)
    p1, q1 = g.points[idx[0]]
    p2, q2 = g.points[idx[1]]
    assert list(p1) == [10.0, 50.0] and q1 == pytest.approx([-1.0, 0.0], abs=1e-7)
    assert list(p2) == [10.0, 50.0] and q2 == pytest.approx([0.0, 1.0], abs=1e-7)
    assert g.expected_revenue == pytest.approx(20.0)
    # as exchange points: flat out to the limits
    p, v = scenario_curve(p1, q1, R)
    assert list(p) == [R.min_price, 10.0, 50.0, R.max_price] and list(v) == [-1.0, -1.0, 0.0, 0.0]


def test_a_scenario_set_the_program_cannot_use_is_refused_by_name():
    idx = pd.date_range("2015-04-12 10:00", periods=2, freq="1h", tz="UTC")
    bat = Battery("bat", capacity=1.0, charge_power=1.0, soc_start=0.0)
    with pytest.raises(BiddingError, match="at least one price scenario"):
        group_program([bat], None, [], np.empty((0, 2)), np.empty(0), idx, idx, R)
    with pytest.raises(BiddingError, match="missing or infinite"):
        group_program([bat], None, [], np.array([[10.0, np.nan]]), np.array([1.0]), idx, idx, R, name="site-1")
    for w in (np.array([0.5, 0.6]), np.array([1.0]), np.array([1.5, -0.5])):
        with pytest.raises(BiddingError, match="site-1: the scenarios' weights must be 2 probabilities"):
            group_program([bat], None, [], np.array([[10.0, 50.0], [50.0, 10.0]]), w, idx, idx, R, name="site-1")


def test_beyond_the_scenarios_the_curve_reaches_what_the_battery_can_do():
    """The two-level case with tails 20 EUR/MWh: from 50 + 20 on the battery sells all it
    can in hour 1 (+1 MW), up to 10 - 20 it buys all it can in hour 2 (-1 MW), each a
    vertical step; between the scenarios' range and the step the curve stays flat, and
    inside that range it is the hand-derived one."""
    idx = pd.date_range("2015-04-12 10:00", periods=2, freq="1h", tz="UTC")
    bat = Battery("bat", capacity=1.0, charge_power=1.0, soc_start=0.0)
    g = group_program([bat], None, [], np.array([[10.0, 50.0], [50.0, 10.0]]), np.array([0.5, 0.5]), idx, idx, R,
                      tails=20.0)  # fmt: skip
    p1, q1 = g.points[idx[0]]
    p2, q2 = g.points[idx[1]]
    assert list(p1) == [10.0, 50.0, 70.0, 70.0] and q1 == pytest.approx([-1.0, 0.0, 0.0, 1.0], abs=1e-7)
    assert list(p2) == [-10.0, -10.0, 10.0, 50.0] and q2 == pytest.approx([-1.0, 0.0, 0.0, 1.0], abs=1e-7)
    assert g.by_asset["bat"][idx[0]][1] == pytest.approx(q1)
    # as exchange points, cleared: flat up to the step, all at and beyond it
    p, v = scenario_curve(p1, q1, R)
    assert volume_at(p, v, np.array([60.0, 69.9])) == pytest.approx([0.0, 0.0]) and volume_at(p, v, np.array([70.0, 900.0])) == pytest.approx([1.0, 1.0])


def test_curves_sum_exactly_with_their_vertical_steps():
    """A park's limit order at 0 (2 MW) and a battery buying 1 MW below 10 and selling 1 MW
    above 20 EUR/MWh, linear between: by hand, −1 MW below 0, +1 MW from 0 (the park's
    step), rising to 3 MW at 20, flat above."""
    park = ([R.min_price, 0.0, 0.0, R.max_price], [0.0, 0.0, 2.0, 2.0])
    battery = ([R.min_price, 10.0, 20.0, R.max_price], [-1.0, -1.0, 1.0, 1.0])
    p, v = sum_curves([park, battery])
    assert list(p) == [R.min_price, 0.0, 0.0, 10.0, 20.0, R.max_price]
    assert list(v) == [-1.0, -1.0, 1.0, 1.0, 3.0, 3.0]
    at = np.array([-600.0, -1.0, 0.0, 5.0, 15.0, 20.0, 25.0, 4000.0])
    for side in ("left", "right"):
        assert volume_at(p, v, at, side=side) == pytest.approx(
            volume_at(*park, at, side=side) + volume_at(*battery, at, side=side))


def test_each_asset_gets_its_own_part_of_what_was_accepted():
    """Two batteries behind one order: each asset's part is its own curve at the clearing
    price, and the parts sum to the accepted quantity up to its rounding to the tick."""
    idx = pd.date_range("2015-04-12 00:00", periods=24, freq="1h", tz="UTC")
    rng = np.random.default_rng(3)
    bats = [Battery("big", capacity=4.0, charge_power=2.0, soc_start=2.0),
            Battery("small", capacity=1.0, charge_power=0.3, soc_start=0.5, charge_efficiency=0.9)]  # fmt: skip
    scen = R.round_price(40 + 25 * np.sin(np.arange(24) / 24 * 2 * np.pi)[None, :] + rng.normal(0, 15, (10, 24)))
    g = group_program(bats, None, [], scen, np.full(10, 0.1), idx, idx, R)
    for t in idx:  # the order's curve is the sum of the assets' curves, each monotone
        p, q = g.points[t]
        parts = [g.by_asset[a][t] for a in ("big", "small")]
        assert all((pp == p).all() and (np.diff(qq) >= -1e-7).all() for pp, qq in parts)
        assert q == pytest.approx(parts[0][1] + parts[1][1], abs=1e-9)
    prices = pd.Series(rng.uniform(-50, 120, 24), index=idx)
    rows = [[("o", t, p, v) for p, v in zip(*scenario_curve(*g.points[t], R))] for t in idx]
    book = OrderBook(pd.DataFrame([(DEFAULT_PORTFOLIO, o, t, t + R.period, p, v) for r in rows for (o, t, p, v) in r],
                                  columns=COLUMNS), idx, R).validate()  # fmt: skip
    acc = clear(book, prices)
    parts = split_accepted(acc, {"o": g.by_asset})
    assert list(parts.columns) == ["big", "small"]
    for a in ("big", "small"):  # each part is the asset's own curve at the price, not rounded
        exact = np.array([np.interp(prices[t], *g.by_asset[a][t]) for t in idx])
        assert parts[a].to_numpy() == pytest.approx(exact, abs=1e-9)
    # the parts sum to the order's curve before the tick: off the accepted by at most the rounding
    assert np.abs(parts.sum(axis=1).to_numpy() - acc["o"].to_numpy()).max() <= R.volume_tick + 1e-9


def test_the_program_is_bracketed_by_the_mean_price_plan_and_wait_and_see():
    """The hand-derived case above: with each scenario known the battery earns 40 (A) and
    0 (B), so wait-and-see = 20; on the mean price (30, 30) it idles: the mean-price plan
    is worth 0. The program reaches 20 = WS (its curves adapt fully). Within a screen of
    25 EUR the program is not solved and the flat bid of the mean-price plan (idle) made."""
    idx = pd.date_range("2015-04-12 10:00", periods=2, freq="1h", tz="UTC")
    bat = Battery("bat", capacity=1.0, charge_power=1.0, soc_start=0.0)
    scen = np.array([[10.0, 50.0], [50.0, 10.0]])
    w = np.array([0.5, 0.5])
    g = group_program([bat], None, [], scen, w, idx, idx, R, screen=-1.0, full_bounds=True)
    assert not g.screened
    assert g.wait_and_see == pytest.approx(20.0) and g.mean_plan == pytest.approx(0.0, abs=1e-9)
    assert g.expected_revenue == pytest.approx(20.0)
    s = group_program([bat], None, [], scen, w, idx, idx, R, screen=25.0)
    assert s.screened and s.expected_revenue == pytest.approx(0.0, abs=1e-9)
    for t in idx:
        assert s.points[t][1] == pytest.approx([0.0, 0.0], abs=1e-9)


def test_bounds_agree_with_the_programs_of_single_scenarios_and_screened_curves_are_flat():
    """Random scenarios: wait-and-see is the weighted sum of one-scenario programs, the
    mean-price plan's value the one-scenario program on the mean price, and the program
    lies between them; screened, the curve is flat at the mean-price plan's power."""
    rng = np.random.default_rng(11)
    idx = pd.date_range("2015-04-12 00:00", periods=24, freq="1h", tz="UTC")
    bat = Battery("bat", capacity=4.0, charge_power=1.5, soc_start=2.0, charge_efficiency=0.95, discharge_efficiency=0.95)
    scen = R.round_price(40 + 25 * np.sin(np.arange(24) / 24 * 2 * np.pi)[None, :] + rng.normal(0, 20, (8, 24)))
    w = rng.dirichlet(np.ones(8))
    one = [group_program([bat], None, [], scen[k:k + 1], np.ones(1), idx, idx, R).expected_revenue for k in range(8)]
    mean = group_program([bat], None, [], (w @ scen)[None, :], np.ones(1), idx, idx, R)
    g = group_program([bat], None, [], scen, w, idx, idx, R, screen=-1.0, full_bounds=True)
    assert g.wait_and_see == pytest.approx(float(w @ one), rel=1e-7)
    assert g.mean_plan == pytest.approx(mean.expected_revenue, rel=1e-7, abs=1e-7)
    assert g.mean_plan - 1e-6 <= g.expected_revenue <= g.wait_and_see + 1e-6
    s = group_program([bat], None, [], scen, w, idx, idx, R, screen=1e9)
    assert s.screened and s.expected_revenue == pytest.approx(g.mean_plan, rel=1e-9)
    # a screen the bound soon exceeds: the bound stops early (no wait-and-see), the program is solved
    e = group_program([bat], None, [], scen, w, idx, idx, R, screen=1.0)
    assert not e.screened and e.wait_and_see is None and e.expected_revenue == pytest.approx(g.expected_revenue)
    for t in idx:
        q = s.points[t][1]
        assert q == pytest.approx(np.full(len(q), q[0]), abs=1e-9)
        assert q[0] == pytest.approx(mean.points[t][1][0], abs=1e-6)


def test_curves_are_monotone_for_random_scenarios():
    rng = np.random.default_rng(7)
    idx = pd.date_range("2015-04-12 00:00", periods=24, freq="1h", tz="UTC")
    bat = Battery("bat", capacity=4.0, charge_power=1.5, soc_start=2.0, charge_efficiency=0.95, discharge_efficiency=0.95)
    scen = R.round_price(40 + 25 * np.sin(np.arange(24) / 24 * 2 * np.pi)[None, :] + rng.normal(0, 20, (15, 24)))
    g = group_program([bat], None, [], scen, np.full(15, 1 / 15), idx, idx, R)
    for t in idx:
        p, q = g.points[t]
        assert (np.diff(p) > 0).all() and (np.diff(q) >= -1e-7).all()
        pe, ve = scenario_curve(p, q, R)
        assert (np.diff(ve) >= 0).all()


def test_programs_solved_apart_reach_the_joint_optimum_where_the_connection_does_not_bind():
    """Two batteries behind one connection point: solved apart (each without the connection)
    they earn what the joint program earns when the connection is loose; when it binds
    the joint program is solved, and its curves keep the limit in every scenario."""
    from bvp_lib.market.bidding import flexible_program
    from bvp_lib.scheduling import ConnectionPoint

    idx = pd.date_range("2015-04-12 00:00", periods=24, freq="1h", tz="UTC")
    rng = np.random.default_rng(5)
    bats = [Battery("a", capacity=4.0, charge_power=2.0, soc_start=2.0, charge_efficiency=0.95, discharge_efficiency=0.95),
            Battery("b", capacity=2.0, charge_power=1.0, soc_start=1.0, charge_efficiency=0.9, discharge_efficiency=0.9)]  # fmt: skip
    scen = R.round_price(40 + 25 * np.sin(np.arange(24) / 24 * 2 * np.pi)[None, :] + rng.normal(0, 15, (12, 24)))
    w = np.full(12, 1 / 12)
    for cap, apart in ((10.0, True), (1.5, False)):
        cp = ConnectionPoint("site", ["a", "b"], import_capacity=cap, export_capacity=cap)
        joint = group_program(bats, cp, [], scen, w, idx, idx, R)
        got = flexible_program(bats, cp, [], scen, w, idx, idx, R)
        assert got.expected_revenue == pytest.approx(joint.expected_revenue, rel=1e-6, abs=1e-6)
        assert (got.n_constraints < joint.n_constraints) == apart  # apart (no connection rows) only where exact
        assert np.abs(got.raw["flow"]).max() <= cap + 1e-6
        for t in idx:
            p, q = got.points[t]
            assert (np.diff(q) >= -1e-7).all()
            assert q == pytest.approx(sum(got.by_asset[n][t][1] for n in ("a", "b")), abs=1e-9)


def test_the_programs_table_names_each_part_solved_or_screened():
    """flexible_program solves a connection point's assets apart: the book's programs table
    lists each part, solved or screened, with its bounds."""
    from bvp_lib.market.bidding import BidResult, flexible_program
    from bvp_lib.scheduling import ConnectionPoint

    idx = pd.date_range("2015-04-12 00:00", periods=24, freq="1h", tz="UTC")
    rng = np.random.default_rng(3)
    bats = [Battery("a", capacity=4.0, charge_power=2.0, soc_start=2.0, charge_efficiency=0.95, discharge_efficiency=0.95),
            Battery("b", capacity=0.2, charge_power=0.1, soc_start=0.1, charge_efficiency=0.9, discharge_efficiency=0.9)]  # fmt: skip
    scen = R.round_price(40 + 25 * np.sin(np.arange(24) / 24 * 2 * np.pi)[None, :] + rng.normal(0, 15, (10, 24)))
    cp = ConnectionPoint("site", ["a", "b"], import_capacity=10.0, export_capacity=10.0)
    w = np.full(10, 0.1)
    every = BidResult(book=None, groups=[flexible_program(bats, cp, [], scen, w, idx, idx, R, screen=-1.0, full_bounds=True)]).programs()
    assert list(every["assets"]) == ["a", "b"] and list(every["program"]) == ["solved", "solved"]
    assert (every["mean_plan_eur"] <= every["expected_revenue_eur"] + 1e-6).all()
    assert (every["expected_revenue_eur"] <= every["wait_and_see_eur"] + 1e-6).all()
    gap = (every["wait_and_see_eur"] - every["mean_plan_eur"]).to_numpy()
    assert gap[1] < gap[0]  # the small battery has less to gain from knowing the prices
    screen = float(np.sqrt(gap[0] * gap[1]))
    t = BidResult(book=None, groups=[flexible_program(bats, cp, [], scen, w, idx, idx, R, name="flex:site",
                                                      screen=screen)]).programs()  # fmt: skip
    assert set(t["order"]) == {"flex:site"} and list(t["program"]) == ["solved", "screened"]
    assert t["expected_revenue_eur"].iloc[1] == pytest.approx(every["mean_plan_eur"].iloc[1], rel=1e-9)
