"""The orders strategy on the real database: price scenarios, bid curves, clearing,
delivery and value; stored once, replaced on a re-run; perfect information gives the
perfect-foresight value; any clearing price gives a deliverable plan; bad books refused."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bvp_lib.forecasting.probabilistic import PriceScenarios, price_scenarios, score_day
from bvp_lib.market.bidding import make_order_book
from bvp_lib.market.clearing import clear, split_accepted
from bvp_lib.market.dispatch import deliver
from bvp_lib.market.offer import period_prices
from bvp_lib.market.orders import volume_at
from bvp_lib.market.rules import EPEX_DAY_AHEAD, ExchangeRules
from bvp_lib.runs.day import run_day
from bvp_lib.scheduling.inputs import prepare_day
from bvp_lib.timing import day_bounds
from tests.helpers import SMALL_ASSETS

DAY = "2015-04-13"


@pytest.fixture(scope="module")
def small(db_engine):
    """The small portfolio with its data (and the prices) from 1 February: history for the
    price model's training window and the scenarios' past errors."""
    from bvp_lib.data.populate import populate
    from tests.conftest import truncate_all

    truncate_all(db_engine)
    populate(structure=True, data=True, small=True, bind=db_engine, progress=False)
    populate(structure=False, data=True, asset=SMALL_ASSETS, start="2015-02-01", end="2015-04-14", bind=db_engine,
             progress=False)  # fmt: skip
    return db_engine


def count(engine, table: str) -> int:
    with engine.connect() as c:
        return int(c.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar())


def orders_beliefs(engine) -> int:
    with engine.connect() as c:
        return int(c.execute(sa.text(
            "SELECT count(*) FROM timed_beliefs b JOIN data_sources d ON d.id = b.source_id "
            "WHERE d.name = 'bvp scheduler (orders)'")).scalar())  # fmt: skip


def test_dry_run_stores_nothing_and_values_the_day(small):
    before = count(small, "timed_beliefs"), count(small, "order_books")
    r = run_day(DAY, solver="highs", strategy="orders", save=False)
    assert (count(small, "timed_beliefs"), count(small, "order_books")) == before
    p = r.valuation.portfolio
    assert p["perfect_foresight_value_eur"] > 0 and p["captured_share"] is not None
    o = r.offer
    # one order per period, as a portfolio uploads its bid: every asset's own curve summed and
    # rounded to the volume tick once (within half a tick of the exact sum at any price);
    # the orders it is made of are kept
    assert o.book.orders == ["all"] and set(o.bid.members["all"]) == set(r.perfect.inputs.info.index)
    assert set(o.bid.components.orders) >= {"flex:cp-havelland-20kv", "limit:cp-havelland-20kv@0"}
    own = o.bid.shares["all"]
    rng = np.random.default_rng(0)
    for t in o.book.periods[::5]:
        at = np.r_[rng.uniform(-100, 150, 40), -500.0, 0.0, 3000.0]
        exact = sum(volume_at(*own[a][t], at) for a in own)
        assert np.abs(volume_at(*o.book.curve("all", t), at) - exact).max() <= 0.05 + 1e-9
    assert r.scenarios.n >= 7 and abs(r.scenarios.weights.sum() - 1) < 1e-9
    # the plan delivers what was sold, up to the reported imbalance: accepted − delivered
    d = o.delivery
    hourly = d.result.schedule.resample("1h").mean()
    for order in d.imbalance.columns:
        got = hourly[[m for m in o.bid.members[order] if m in hourly.columns]].sum(axis=1).to_numpy()
        assert np.allclose(d.accepted[order].to_numpy() - got, d.imbalance[order].to_numpy(), atol=1e-6)
    # ... which is a small part of what was traded, and each asset's part of it is known
    assert d.info["imbalance_mwh"] < 0.05 * d.accepted[d.imbalance.columns].abs().to_numpy().sum()
    assert set(d.targets.columns) == {m for o_ in o.bid.shares for m in o.bid.members[o_]}
    # the exchange's rounding is at most half a tick for the whole portfolio in every period
    assert np.abs(d.accepted["all"] - d.targets.sum(axis=1)).max() <= 0.05 + 1e-9
    # the component orders, as the report lists them below the portfolio's order: accepted
    # at their assets' parts, which add up to the portfolio's curve before the tick
    book, members, acc, imb = o.components()
    assert set(book.orders) == set(members) and len(members) >= 2
    assert np.allclose(acc[list(members)].sum(axis=1), d.targets.sum(axis=1), atol=1e-9)
    assert np.allclose(imb[list(members)].sum(axis=1), d.imbalance["all"], atol=1e-6)


def test_stored_once_and_a_rerun_replaces(small):
    run_day(DAY, solver="highs", strategy="orders")
    counts = [count(small, t) for t in ("order_books", "order_points", "order_accepted")] + [orders_beliefs(small)]
    assert counts[0] == 1 and all(n > 0 for n in counts)
    with small.connect() as c:
        names = set(c.execute(sa.text("SELECT name FROM data_sources WHERE type = 'forecaster'")).scalars())
    assert {"linear scenario 01", "linear q0.50"} <= names  # the price scenarios, with their identity
    run_day(DAY, solver="highs", strategy="orders")
    assert [count(small, t) for t in ("order_books", "order_points", "order_accepted")] + [orders_beliefs(small)] == counts
    # the delivered plan is known when the prices were published, not at gate closure
    with small.connect() as c:
        h = c.execute(sa.text(
            "SELECT max(b.event_start + s.event_resolution - b.belief_horizon) FROM timed_beliefs b "
            "JOIN data_sources d ON d.id = b.source_id JOIN sensors s ON s.id = b.sensor_id "
            "WHERE d.name = 'bvp scheduler (orders)'")).scalar()  # fmt: skip
    assert pd.Timestamp(h) == pd.Timestamp("2015-04-12 13:00", tz="Europe/Berlin")


def test_scenarios_are_made_from_what_was_known_and_scored(small):
    sc = price_scenarios(DAY, save=False, bind=small)
    assert sc.belief_time == pd.Timestamp("2015-04-12 12:00", tz="Europe/Berlin")
    assert all(pd.Timestamp(n[1:]).date() < pd.Timestamp(DAY).date() for n in sc.prices.index)
    start, end = day_bounds(DAY)
    from bvp_lib.beliefs import load_measurements

    actual = load_measurements(["epex_da"], start, end, bind=small)["epex_da"]
    s = score_day(sc, actual)
    assert 0 <= s["coverage_80"] <= 1 and s["crps"] > 0 and s["pinball_0.50"] == pytest.approx(s["mae_median"] / 2)


def _perfect_scenarios(inputs) -> PriceScenarios:
    hourly = period_prices(inputs.prices)
    return PriceScenarios(inputs.day, pd.DataFrame([hourly.to_numpy()], columns=hourly.index, index=["realised"]),
                          pd.Series([1.0], index=["realised"]), hourly, pd.Timestamp(inputs.prices.index[0]),
                          "perfect", "epex_da")  # fmt: skip


def test_a_single_scenario_equal_to_the_realised_prices_gives_the_perfect_foresight_value(small):
    """With one scenario, the realised prices, on the realised data, every curve is flat at
    the perfect-foresight position: clearing and delivery earn exactly its revenue (on a
    volume tick fine enough not to round it away; the exchange's 0.1 MW tick costs the
    rounding's imbalance)."""
    day = "2015-03-10"  # positive prices all day: no energy to burn
    inputs = prepare_day(day, mode="perfect", assets=["battery-havel-01", "building-havel-rathaus-01"], bind=small)
    fine = ExchangeRules(volume_tick=1e-6)
    perfect = inputs.build().solve("highs")
    for resolution, rel in (("15min", 1e-6), ("1h", 1e-3)):  # hourly programs: a coarser flexibility model
        # without tails: the scenario points are on the 0.1 EUR/MWh tick and the realised
        # prices (cents) are not, so a tail's slope would move the curve by a few kW
        for tails, most in ((0, 1e-5), (None, 1e-2)):
            bid = make_order_book(inputs, _perfect_scenarios(inputs), rules=fine, program_resolution=resolution,
                                  tails=tails)  # fmt: skip
            accepted = clear(bid.book, period_prices(inputs.prices, fine))
            dl = deliver(inputs, bid.members, accepted, inputs.prices, targets=split_accepted(accepted, bid.shares))
            assert dl.info["imbalance_mwh"] < most
            if tails == 0:
                assert dl.result.objective == pytest.approx(perfect.objective, rel=rel)


def test_any_clearing_price_gives_a_deliverable_plan(small):
    """Clear the day's book at random prices anywhere in the exchange's range: the plan
    keeps every constraint (SoC limits, power limits, never charging and discharging at
    once, the connection limits) and what it cannot deliver is the reported imbalance."""
    r = run_day(DAY, solver="highs", strategy="orders", save=False)
    inputs, book, members = r.planned.inputs, r.offer.book, r.offer.bid.members
    rng = np.random.default_rng(11)
    periods = book.periods
    info = inputs.info
    for k in range(4):
        prices = pd.Series(EPEX_DAY_AHEAD.round_price(rng.uniform(-500, 3000, len(periods)) if k % 2 else
                                                      rng.normal(30, 60, len(periods))), index=periods)  # fmt: skip
        accepted = clear(book, prices)
        steps = pd.Series(np.repeat(prices.to_numpy(), len(inputs.prices) // len(periods)), index=inputs.prices.index)
        dl = deliver(inputs, members, accepted, steps)
        res = dl.result
        for b in res.soc.columns:
            lo, hi = info.at[b, "soc_min_mwh"], info.at[b, "soc_max_mwh"]
            assert res.soc[b].min() >= lo - 1e-6 and res.soc[b].max() <= hi + 1e-6
            assert (res.charge[b] <= info.at[b, "max_charge_mw"] + 1e-6).all()
            assert (res.discharge[b] <= info.at[b, "max_discharge_mw"] + 1e-6).all()
            assert not ((res.charge[b] > 1e-6) & (res.discharge[b] > 1e-6)).any()
        for cp in inputs.connection_points:
            flow = res.schedule[list(cp.assets)].sum(axis=1)
            imp = cp.import_capacity if np.isscalar(cp.import_capacity) else cp.import_capacity.reindex(flow.index)
            exp = cp.export_capacity if np.isscalar(cp.export_capacity) else cp.export_capacity.reindex(flow.index)
            assert (flow <= exp + 1e-6).all() and (flow >= -imp - 1e-6).all()
        delivered = res.schedule.reindex(columns=[m for ms in members.values() for m in ms]).resample("1h").mean()
        for o, ms in members.items():
            got = delivered[ms].sum(axis=1).to_numpy()
            assert np.allclose(accepted[o].to_numpy() - got, dl.imbalance[o].to_numpy(), atol=1e-6)


def bvp(*args, env=None):
    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", *args], capture_output=True, text=True, env=e,
                          timeout=600)  # fmt: skip


def test_cli_writes_the_book_and_clears_a_file_or_refuses_it(small, tmp_path):
    out = tmp_path / "book.csv"
    r = bvp("orders", "--date", DAY, "-o", str(out), "--no-save")
    assert r.returncode == 0, r.stderr
    assert out.exists() and "captured share" in r.stdout
    lines = out.read_text().splitlines()
    assert lines[0] == "portfolio,order,period_start,period_end,price_eur_mwh,volume_mw"
    # the same file, cleared: the same accepted quantities, and about the same value (a
    # file carries no asset's part of an order: the parks' parts follow from their limit
    # prices, and the flexible assets deliver the rest of the portfolio's order as a whole)
    again = bvp("orders", "--date", DAY, "--clear", str(out))
    assert again.returncode == 0, again.stderr

    def accepted(text):
        return [ln.split()[:2] for ln in text.splitlines() if ln.startswith(("all ", "flex:", "limit:"))]

    def value(text):
        return float(text.splitlines()[-1].split("realised value ")[1].split(" EUR")[0].replace(",", ""))

    assert accepted(again.stdout) == accepted(r.stdout) and [a[0] for a in accepted(r.stdout)] == ["all"]
    assert value(again.stdout) == pytest.approx(value(r.stdout), rel=0.02)
    # a curve that falls as the price rises is refused, naming the line; nothing stored
    books = count(small, "order_books")
    i = next(k for k in range(2, len(lines)) if lines[k].split(",")[4] == "3000"
             and lines[k].split(",")[1:3] == lines[k - 1].split(",")[1:3])  # a curve's last point  # fmt: skip
    cells = lines[i].split(",")
    cells[5] = str(float(lines[i - 1].split(",")[5]) - 1.0)
    lines[i] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    refused = bvp("orders", "--date", DAY, "--clear", str(bad), "--save")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"bad.csv, line {i + 1}:" in refused.stderr and "falls" in refused.stderr
    assert count(small, "order_books") == books
    # an asset bid twice (in the portfolio's order and in its own) is refused by name
    good = out.read_text().splitlines()
    twice = tmp_path / "twice.csv"
    twice.write_text("\n".join(good + [ln.replace(",all,", ",solar-havel-01,") for ln in good[1:]]) + "\n")
    refused = bvp("orders", "--date", DAY, "--clear", str(twice), "--save")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "'solar-havel-01' is in order 'all' and in order 'solar-havel-01'" in refused.stderr
    assert count(small, "order_books") == books


def test_parks_sell_no_more_than_their_connection_takes(small):
    """Where the parks' forecast exceeds their connection's export capacity (here halved
    below their peak), the limit orders offer at most the capacity, and the delivery keeps
    the connection limit instead of failing on a negative headroom for the other assets."""
    import dataclasses

    from bvp_lib.market.dispatch import within_connections
    from bvp_lib.scheduling.assets import Curtailable

    r = run_day(DAY, solver="highs", strategy="orders", save=False)
    inputs = r.planned.inputs
    idx = inputs.prices.index
    parks = {a.name: a for a in inputs.assets if isinstance(a, Curtailable)}
    cps, caps = [], {}
    for cp in inputs.connection_points:
        mine = [p for p in cp.assets if p in parks]
        if mine:
            peak = float(sum(parks[p].forecast.reindex(idx) for p in mine).max())
            assert peak > 0
            caps[cp.name] = 0.5 * peak
            cp = dataclasses.replace(cp, export_capacity=0.5 * peak)
        cps.append(cp)
    assert caps, "the small portfolio has parks behind a connection point"
    tight = dataclasses.replace(inputs, connection_points=cps)
    within = within_connections(tight)
    for cp in within.connection_points:
        if cp.name in caps:
            total = sum(a.forecast.reindex(idx) for a in within.assets if a.name in cp.assets and a.name in parks)
            assert total.max() <= caps[cp.name] + 1e-9
    bid = make_order_book(tight, r.scenarios)
    apart = make_order_book(tight, r.scenarios, aggregate=False)  # the component orders, bid each on its own
    pd.testing.assert_frame_equal(apart.book.rows, bid.components.rows)
    limits = [o for o in apart.book.orders if o.startswith("limit:")]
    assert limits
    for o in limits:
        cp = o.split(":", 1)[1].split("@")[0]
        if cp in caps:
            top = max(apart.book.curve(o, t)[1].max() for t in apart.book.periods)
            assert top <= caps[cp] + EPEX_DAY_AHEAD.volume_tick + 1e-9
    for b in (bid, apart):  # the portfolio's order and the separate ones: both delivered within the limits
        accepted = clear(b.book, period_prices(r.perfect.inputs.prices, EPEX_DAY_AHEAD))
        dl = deliver(tight, b.members, accepted, r.perfect.inputs.prices, targets=split_accepted(accepted, b.shares))
        for cp in cps:
            flow = dl.result.schedule[[a for a in cp.assets if a in dl.result.schedule.columns]].sum(axis=1)
            if cp.name in caps:
                assert (flow <= caps[cp.name] + 1e-6).all()
