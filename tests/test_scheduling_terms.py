"""Tests for the scheduling terms of issue 16, each on a hand-computable case: degradation,
import/export prices, peak and contracted-capacity charges, soft wishes (SoC, session energy,
connection limits), SoC series, end value, longer horizons, intra-step switching, a
negative-price optimum known by hand, and determinism of the canonical tie-break.

Sign convention: power in MW, production positive, consumption negative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bvp_lib.scheduling import (
    Battery,
    Building,
    ChargingStation,
    ConnectionPoint,
    Curtailable,
    InfeasibleScheduleError,
    SchedulingInputError,
    build_problem,
)
from bvp_lib.scheduling.horizon import carry_over, keep_until
from bvp_lib.scheduling.synthetic import battery_fleet, two_peak_prices
from bvp_lib.timing import day_index

T0 = pd.Timestamp("2015-04-12 00:00", tz="UTC")
Q = pd.Timedelta("15min")


def series(values, start=T0, freq="15min") -> pd.Series:
    return pd.Series(np.asarray(values, float), index=pd.date_range(start, periods=len(values), freq=freq))


def load(values) -> Building:
    """A fixed load (nothing shiftable) [MW, consumption negative]."""
    return Building("load", series(-np.asarray(values, float)), flexible_share=0.0)


# ----------------------------------------------------------------------- degradation


@pytest.mark.parametrize("cost,expected", [(15.0, 10.0), (25.0, 0.0)])
def test_degradation_cost_prices_the_throughput(cost, expected):
    """1 MWh lossless, spread 40 EUR/MWh. Cycling 1 MWh moves 2 MWh through the battery:
    at 15 EUR/MWh it costs 30 < 40 (objective 40 − 30 = 10); at 25 it costs 50 > 40: idle."""
    prices = series([10] * 4 + [50] * 4)
    bat = Battery("b", capacity=1.0, charge_power=1.0, degradation_cost=cost)
    r = build_problem([bat], prices).solve("highs")
    assert r.objective == pytest.approx(expected, abs=1e-6)
    assert r.terms["degradation"] == pytest.approx(-30.0 if expected else 0.0, abs=1e-6)
    assert r.terms.sum() == pytest.approx(r.objective)
    same = build_problem([bat], prices).solve("cbc")
    assert same.objective == pytest.approx(expected, abs=1e-6)


# ----------------------------------------------------------------------- tariffs


def _pv_load_battery(**cp_terms):
    """PV 1 MW in steps 0–1, load 1 MW in steps 2–3; a 0.5 MWh battery behind one connection."""
    prices = series([50.0] * 4)
    pv = Curtailable("pv", series([1, 1, 0, 0]))
    bat = Battery("bat", capacity=0.5, charge_power=1.0)
    cp = ConnectionPoint("site", ["pv", "load", "bat"], **cp_terms)
    return [pv, load([0, 0, 1, 1]), bat], prices, [cp]


def test_separate_import_and_export_prices():
    """Import at 250, export at 50 EUR/MWh (EMHASS's retail/feed-in shape). Without the
    battery: export 0.5 MWh (+25), import 0.5 MWh (−125): −100 EUR. The battery stores
    the PV for the evening: nothing crosses the meter, objective 0. On one price (50)
    storing earns nothing."""
    assets, prices, cps = _pv_load_battery(import_price=250.0, export_price=50.0)
    r = build_problem(assets, prices, cps).solve("highs")
    assert r.baseline_revenue == pytest.approx(-100.0)
    assert r.objective == pytest.approx(0.0, abs=1e-6)
    assert r.terms["tariff"] == pytest.approx(0.0, abs=1e-6) and r.terms["energy"] == 0.0
    np.testing.assert_allclose(r.schedule["bat"], [-1, -1, 1, 1], atol=1e-7)
    one = build_problem(assets, prices, [ConnectionPoint("site", ["pv", "load", "bat"])]).solve("highs")
    assert one.objective == pytest.approx(0.0, abs=1e-6) and one.value == pytest.approx(0.0, abs=1e-6)
    cbc = build_problem(assets, prices, cps).solve("cbc")
    assert cbc.objective == pytest.approx(0.0, abs=1e-6)


def test_import_price_below_export_price_is_refused():
    assets, prices, cps = _pv_load_battery(import_price=10.0, export_price=50.0)
    with pytest.raises(SchedulingInputError, match="import price 10 EUR/MWh below export price 50"):
        build_problem(assets, prices, cps)


def _peak_case(**cp_terms):
    """Load 1 MW in steps 1 and 2 at a flat 30 EUR/MWh; a 0.25 MWh battery, full, target 0."""
    prices = series([30.0] * 4)
    bat = Battery("bat", capacity=0.25, charge_power=1.0, soc_start=0.25, soc_target=0.0)
    cp = ConnectionPoint("site", ["load", "bat"], **cp_terms)
    return [load([0, 1, 1, 0]), bat], prices, [cp]


def test_peak_price_shaves_the_highest_import():
    """The battery's 0.25 MWh spread over both load steps (0.5 MW each) halves the peak:
    energy −0.5 × 30 + 0.25 × 30 = −7.5 EUR, peak 0.5 MW × 100 EUR/MW = 50: −57.5 EUR.
    With 0.8 MW already reached this month, a peak up to 0.8 MW is free: −7.5 EUR."""
    assets, prices, cps = _peak_case(peak_price=100.0)
    r = build_problem(assets, prices, cps).solve("highs")
    assert r.objective == pytest.approx(-57.5, abs=1e-6)
    assert r.terms["peak"] == pytest.approx(-50.0, abs=1e-6)
    assert (-r.connection_flows["site"]).max() == pytest.approx(0.5, abs=1e-6)
    assert r.baseline_revenue == pytest.approx(-15.0 - 100.0)
    assets, prices, cps = _peak_case(peak_price=100.0, peak_already=0.8)
    assert build_problem(assets, prices, cps).solve("highs").objective == pytest.approx(-7.5, abs=1e-6)


def test_contracted_capacity_breach_is_priced_and_itemised():
    """Contracted 0.6 MW import, 200 EUR/MW on the highest excess. Without the battery's
    help the 1 MW load breaches by 0.4 MW (80 EUR); with it the peak is 0.5 MW: no breach."""
    prices = series([30.0] * 4)
    cp = ConnectionPoint("site", ["load"], contracted_import=0.6, capacity_breach_price=200.0)
    r = build_problem([load([0, 1, 1, 0])], prices, [cp]).solve("highs")
    assert r.terms["capacity_breach"] == pytest.approx(-80.0, abs=1e-6)
    assert len(r.breaches) == 1
    row = r.breaches.iloc[0]
    assert (row["asset"], row["family"], row["unit"]) == ("site", "contracted_capacity", "MW")
    assert row["amount"] == pytest.approx(0.4) and row["cost"] == pytest.approx(80.0)
    assets, prices, cps = _peak_case(contracted_import=0.6, capacity_breach_price=200.0)
    r = build_problem(assets, prices, cps).solve("highs")
    assert r.terms["capacity_breach"] == pytest.approx(0.0, abs=1e-6) and r.breaches.empty
    assert r.objective == pytest.approx(-7.5, abs=1e-6)


# ----------------------------------------------------------------------- soft wishes


def test_soft_soc_target_returns_the_cheapest_compromise():
    """One step of 15 min at 1 MW can add 0.25 MWh; a target of 0.5 MWh is impossible.
    Strict: an error naming the target. Soft at 100 EUR/MWh: charge 0.25 MWh (−5 EUR at
    20 EUR/MWh) and miss 0.25 MWh (−25 EUR): −30 EUR, the miss itemised."""
    prices = series([20.0])
    strict = Battery("b", capacity=1.0, charge_power=1.0, soc_target=0.5)
    with pytest.raises(SchedulingInputError, match="SoC target 0.5 MWh unreachable"):
        build_problem([strict], prices, resolution="15min")
    soft = Battery("b", capacity=1.0, charge_power=1.0, soc_target=0.5, soc_breach_price=100.0)
    r = build_problem([soft], prices, resolution="15min").solve("highs")
    assert r.objective == pytest.approx(-30.0, abs=1e-6)
    assert r.terms["breach"] == pytest.approx(-25.0, abs=1e-6)
    assert list(r.breaches["family"]) == ["soc_target"]
    assert r.breaches["amount"].iloc[0] == pytest.approx(0.25)


@pytest.mark.parametrize("kind", ["target", "min_series", "connection", "session"])
def test_soft_wishes_equal_hard_ones_at_very_high_breach_prices(kind):
    """Where the hard problem is feasible, a breach price of 1e6 EUR per unit makes the
    soft problem choose the hard optimum: same objective, same schedule, no misses."""
    prices = series([10, 50, 10, 50, 20, 60, 30, 40])
    if kind in ("target", "min_series"):
        extra = ({"soc_target": 0.4} if kind == "target"
                 else {"soc_min": series([0.3, 0.3], start=T0 + 4 * Q)})
        hard = [Battery("b", capacity=1.0, charge_power=1.0, **extra)]
        soft = [Battery("b", capacity=1.0, charge_power=1.0, soc_breach_price=1e6, **extra)]
        cps_h = cps_s = []
    elif kind == "connection":
        hard = soft = [Curtailable("pv", series([3] * 8)), Battery("b", capacity=1.0, charge_power=1.0)]
        cps_h = [ConnectionPoint("g", ["pv", "b"], export_capacity=2.0)]
        cps_s = [ConnectionPoint("g", ["pv", "b"], export_capacity=2.0, limit_breach_price=1e6)]
    else:
        sessions = pd.DataFrame({"arrival": [T0], "departure": [T0 + 8 * Q], "energy": [0.015],
                                 "max_power": [0.011]})
        hard = [ChargingStation("cs", sessions)]
        soft = [ChargingStation("cs", sessions, energy_breach_price=1e6)]
        cps_h = cps_s = []
    h = build_problem(hard, prices, cps_h).solve("highs")
    s = build_problem(soft, prices, cps_s).solve("highs")
    assert s.objective == pytest.approx(h.objective, abs=1e-6)
    pd.testing.assert_frame_equal(s.schedule, h.schedule, atol=1e-7)
    assert s.breaches.empty


def test_soft_connection_limit_exports_when_the_price_beats_the_breach_price():
    """3 MW of PV, 2 MW export limit, 40 EUR/MWh: at a breach price of 10 EUR/MWh it pays
    to export all: 3 × 2 h × 40 − 1 × 2 h × 10 = 220 EUR, 8 misses of 0.25 MWh."""
    prices = series([40.0] * 8)
    cp = ConnectionPoint("g", ["pv"], export_capacity=2.0, limit_breach_price=10.0)
    r = build_problem([Curtailable("pv", series([3] * 8))], prices, [cp]).solve("highs")
    assert r.objective == pytest.approx(220.0, abs=1e-6)
    assert len(r.breaches) == 8 and r.breaches["amount"].sum() == pytest.approx(2.0)
    assert set(r.breaches["family"]) == {"connection_limit"}


def test_soft_session_energy_delivers_what_it_can():
    """A car needing 0.05 MWh in 85 min at 11 kW can get 0.011 × 85/60 MWh; soft, the rest
    is missed at 1000 EUR/MWh (strict, the input is refused)."""
    sessions = pd.DataFrame({"arrival": [T0 + pd.Timedelta("5min")], "departure": [T0 + pd.Timedelta("90min")],
                             "energy": [0.05], "max_power": [0.011]}, index=[7])
    prices = series([30.0] * 8)
    with pytest.raises(SchedulingInputError, match="needs 50 kWh"):
        build_problem([ChargingStation("cs", sessions)], prices)
    r = build_problem([ChargingStation("cs", sessions, energy_breach_price=1000.0)], prices).solve("highs")
    got = 0.011 * 85 / 60
    assert r.breaches["amount"].sum() == pytest.approx(0.05 - got, abs=1e-9)
    assert r.objective == pytest.approx(-got * 30 - (0.05 - got) * 1000, abs=1e-6)


# ----------------------------------------------------------------------- SoC series


def test_soc_series_bounds_and_targets():
    """Prices [10, 50, 10, 50], 1 MWh lossless, 1 MW, empty. Free: buy and sell 0.25 MWh
    twice, 2 × 0.25 × 40 = 20 EUR. A soc_max series of 0.1 MWh at the end of step 0 allows
    only 0.1 MWh in the first round: 0.1 × 40 + 0.25 × 40 = 14 EUR. An exact target of
    0.25 MWh at the end of step 1 forbids the first sale: buy at step 0, sell at step 3
    (10 EUR). A soc_max Series used to raise a TypeError."""
    prices = series([10, 50, 10, 50])
    free = build_problem([Battery("b", capacity=1, charge_power=1)], prices).solve("highs")
    assert free.objective == pytest.approx(20.0, abs=1e-6)
    cap = build_problem([Battery("b", capacity=1, charge_power=1, soc_max=series([0.1], start=T0 + Q))],
                        prices).solve("highs")
    assert cap.objective == pytest.approx(14.0, abs=1e-6)
    assert cap.soc["b"].iloc[1] == pytest.approx(0.1, abs=1e-7)
    tgt = build_problem([Battery("b", capacity=1, charge_power=1, soc_targets=series([0.25], start=T0 + 2 * Q))],
                        prices).solve("highs")
    assert tgt.objective == pytest.approx(10.0, abs=1e-6)
    assert tgt.soc["b"].iloc[2] == pytest.approx(0.25, abs=1e-7)


def test_soc_series_errors_are_named():
    prices = series([10, 50, 10, 50])
    with pytest.raises(SchedulingInputError, match="SoC max 2 MWh .* outside 0 … capacity 1 MWh"):
        build_problem([Battery("b", capacity=1, charge_power=1, soc_max=series([2.0], start=T0 + Q))], prices)
    with pytest.raises(SchedulingInputError, match="not a step end"):
        build_problem([Battery("b", capacity=1, charge_power=1,
                                soc_min=series([0.2], start=T0 + pd.Timedelta("20min")))], prices)
    # an exact target the battery cannot reach: strict -> the solver's diagnosis names it
    with pytest.raises(InfeasibleScheduleError, match="soc_target"):
        build_problem([Battery("b", capacity=1, charge_power=1, soc_targets=series([0.9], start=T0 + Q))],
                      prices).solve("highs")


# ----------------------------------------------------------------------- end value, horizon


def test_end_value_keeps_energy_for_later():
    """Flat 30 EUR/MWh, half full (0.5 MWh), no target. Without an end value the battery
    sells its 0.5 MWh (+15 EUR); valued at 40 EUR/MWh it fills up instead: −15 + 20 = 5 EUR."""
    prices = series([30.0] * 4)
    sell = build_problem([Battery("b", capacity=1, charge_power=1, soc_start=0.5, soc_target=0)], prices).solve("highs")
    assert sell.objective == pytest.approx(15.0, abs=1e-6)
    keep = build_problem([Battery("b", capacity=1, charge_power=1, soc_start=0.5, soc_target=0, soc_value=40.0)],
                         prices).solve("highs")
    assert keep.objective == pytest.approx(5.0, abs=1e-6)
    assert keep.terms["end_value"] == pytest.approx(20.0, abs=1e-6)
    assert keep.soc["b"].iloc[-1] == pytest.approx(1.0, abs=1e-7)


def test_two_day_horizon_keeps_day_one_and_carries_its_end_state():
    """Hourly prices: 20 EUR/MWh everywhere except 100 in the last hour of D+1. Planned on
    D alone a lossless battery has nothing to do; planned over D and D+1 it buys 1 MWh on D
    (earliest hour, the tie-break) and sells it at 100: 80 EUR. Keeping D leaves it full
    at midnight, the start of the next plan."""
    start = pd.Timestamp("2015-04-12 00:00", tz="UTC")
    prices = series([20.0] * 47 + [100.0], start=start, freq="1h")
    bat = Battery("b", capacity=1.0, charge_power=1.0, soc_target=0.0)
    alone = build_problem([bat], prices.iloc[:24]).solve("highs")
    assert alone.objective == pytest.approx(0.0, abs=1e-6)
    plan = build_problem([bat], prices).solve("highs")
    assert plan.objective == pytest.approx(80.0, abs=1e-6)
    kept = keep_until(plan, start + pd.Timedelta("1D"))
    assert len(kept.schedule) == 24 and kept.end_soc["b"] == pytest.approx(1.0)
    assert kept.revenue == pytest.approx(-20.0) and kept.schedule["b"].iloc[0] == pytest.approx(-1.0)
    nxt = carry_over([bat], kept)
    assert nxt[0].soc_start == pytest.approx(1.0)
    day2 = build_problem(nxt, prices.iloc[24:]).solve("highs")
    assert day2.objective == pytest.approx(100.0, abs=1e-6)
    with pytest.raises(SchedulingInputError, match="not a step boundary"):
        keep_until(plan, start + pd.Timedelta("30min"))


# ----------------------------------------------------------------------- negative prices, intra-step


def test_negative_price_optimum_known_by_hand():
    """A full battery (1 MWh, 1 MW, η = 0.9 each way, target = full) over 4 quarter-hours
    at −20 EUR/MWh earns by consuming more than it delivers. Strictly (never both in one
    step): discharge 2 steps and charge 2 steps, D = η² C with C = 0.5 MWh: net import
    0.5 − 0.405 = 0.095 MWh, 1.9 EUR — proven. Intra-step switching dissipates through the
    losses in every step: c = 1/(1 + η²), d = η² c: 20 × 0.19/1.81 = 2.0994 EUR. Without
    any rule (c = 1, d = 0.81): 3.8 EUR."""
    prices = series([-20.0] * 4)
    bat = Battery("b", capacity=1, charge_power=1, soc_start=1, charge_efficiency=0.9, discharge_efficiency=0.9)
    strict = build_problem([bat], prices).solve("highs")
    assert strict.status == "optimal" and strict.stats.proven_gap is not None and strict.stats.proven_gap <= 1e-6
    assert strict.objective == pytest.approx(1.9, abs=1e-6)
    assert not ((strict.charge["b"] > 1e-6) & (strict.discharge["b"] > 1e-6)).any()
    intra = build_problem([bat], prices, complementarity="intra-step").solve("highs")
    assert intra.stats.n_integer == 0
    assert intra.objective == pytest.approx(20 * 0.19 / 1.81, abs=1e-6)
    free = build_problem([bat], prices, complementarity="lp").solve("highs")
    assert free.objective == pytest.approx(3.8, abs=1e-6)
    assert build_problem([bat], prices).solve("cbc").objective == pytest.approx(1.9, abs=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_intra_step_is_never_below_the_strict_optimum(seed):
    idx = day_index("2015-06-10")[:48]
    prices = two_peak_prices(idx, seed, negative_hours=3, negative_from=3)
    bats, cps = battery_fleet(2, idx, seed)
    strict = build_problem(bats, prices, cps).solve("highs", mip_gap=0)
    intra = build_problem(bats, prices, cps, complementarity="intra-step").solve("highs")
    free = build_problem(bats, prices, cps, complementarity="lp").solve("highs")
    assert strict.status == "optimal"
    assert intra.objective >= strict.objective - 1e-6
    assert free.objective >= intra.objective - 1e-6


def test_canonical_tie_break_is_deterministic_and_keeps_the_optimum():
    """Same schedule twice; the tie-break solved on the optimal face never costs revenue
    (it equals the objective without any tie-break), and it matches the one-shot
    tie-break of the PuLP backend."""
    idx = day_index("2015-06-10")
    prices = two_peak_prices(idx, 3)
    bats, cps = battery_fleet(6, idx, 3)
    runs = [build_problem(bats, prices, cps).solve("highs", backend="matrix") for _ in range(2)]
    pd.testing.assert_frame_equal(runs[0].schedule, runs[1].schedule, check_exact=True)
    none = build_problem(bats, prices, cps, tie_break=0).solve("highs", backend="matrix")
    assert runs[0].objective == pytest.approx(none.objective, rel=1e-9)
    pulp = build_problem(bats, prices, cps).solve("highs", backend="pulp")
    assert runs[0].objective_with_tie_break == pytest.approx(pulp.objective_with_tie_break, rel=1e-7)
    assert runs[0].stats.canonical_time > 0


# ----------------------------------------------------------------------- exact single-battery algorithm, decomposition


@pytest.mark.parametrize("seed", range(6))
def test_single_battery_dynamic_programme_matches_the_lp(seed):
    """The vectorised slope-trick DP of scheduling.arbitrage is exact: the same optimum
    as HiGHS on the LP (relaxed rule), with degradation, end value, SoC minimum and
    negative prices, and its schedule satisfies the SoC balance."""
    from bvp_lib.scheduling.arbitrage import solve_batteries

    idx = day_index("2015-06-10")
    prices = two_peak_prices(idx, seed, negative_hours=3 * (seed % 2))
    rng = np.random.default_rng(seed)
    n, T = 4, len(idx)
    fleet, _ = battery_fleet(n, idx, seed)
    kappa = rng.uniform(0, 5, n)
    value = rng.uniform(0, 60, n) if seed % 3 == 0 else np.zeros(n)
    bats = [Battery(b.name, b.capacity, b.charge_power, discharge_power=0.7 * b.charge_power, soc_start=b.soc_start,
                    soc_min=0.2, charge_efficiency=0.93, discharge_efficiency=0.96, degradation_cost=k,
                    soc_value=v if v else None) for b, k, v in zip(fleet, kappa, value)]
    pc = np.array([b.charge_power for b in bats])
    s0 = np.array([b.soc_start for b in bats])
    c, d, s = solve_batteries(
        np.repeat(prices.to_numpy()[None, :], n, axis=0), 0.25, charge_power=pc, discharge_power=0.7 * pc,
        eta_c=np.full(n, 0.93), eta_d=np.full(n, 0.96), soc_start=s0, soc_lo=np.full((n, T), 0.2),
        soc_hi=np.repeat(np.array([b.capacity for b in bats])[:, None], T, axis=1), soc_end_min=s0,
        degradation=kappa, end_value=value)
    np.testing.assert_allclose(s, s0[:, None] + np.cumsum(0.93 * c * 0.25 - d * 0.25 / 0.96, axis=1), atol=1e-9)
    obj = (((d - c) * prices.to_numpy()).sum() * 0.25 - (kappa[:, None] * (c + d)).sum() * 0.25
           + (value * (s[:, -1] - s0)).sum())
    lp = build_problem(bats, prices, tie_break=0, complementarity="lp").solve("highs")
    assert obj == pytest.approx(lp.objective, rel=1e-9, abs=1e-9)


def test_decomposition_proves_the_monolithic_optimum():
    """Column generation over the batteries (coupled by one binding site limit) reaches
    the monolithic LP's optimum with a proven gap, and its schedule keeps the limit."""
    idx = day_index("2015-06-10")[:48]
    prices = two_peak_prices(idx, 4)
    bats, cps = battery_fleet(6, idx, 4)
    mono = build_problem(bats, prices, cps).solve("highs", method="monolithic")
    dec = build_problem(bats, prices, cps).solve("highs", method="decomposed")
    assert dec.stats.backend == "matrix/decomposed" and dec.status == "optimal"
    assert dec.objective == pytest.approx(mono.objective, rel=1e-8)
    assert dec.stats.proven_gap <= 1e-6
    cap = cps[0].import_capacity
    assert dec.connection_flows["site"].abs().max() <= cap + 1e-6
    assert dec.stats.simultaneous_steps == 0
    with pytest.raises(ValueError, match="cannot be decomposed: soft SoC wishes"):
        soft = [Battery("b", 1.0, 1.0, soc_breach_price=10.0)]
        build_problem(soft, prices).solve("highs", method="decomposed")
