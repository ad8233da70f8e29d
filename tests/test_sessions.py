"""The EV session forecast (bvp_lib.forecasting.sessions) and its scores on hand-computable cases.

The issue time is gate closure for Thursday 9 April 2015: Wednesday 8 April, 12:00 in
Berlin. With a 7-day window the training days are 1..7 April: Wednesday 1, Thursday 2,
Good Friday 3 (a holiday), Saturday 4, Easter Sunday 5, Easter Monday 6 (a holiday),
Tuesday 7. So there are 3 working days, 1 Saturday and 3 Sundays or holidays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bvp_lib.forecasting.errors import InsufficientHistoryError
from bvp_lib.forecasting.session_scores import crps_ensemble, pinball_loss, quantile_scores
from bvp_lib.forecasting.sessions import (
    SessionSettings,
    arrivals_by_hour,
    day_types,
    fit_sessions,
    known_sessions,
)

TZ = "Europe/Berlin"
ISSUE = pd.Timestamp("2015-04-08 12:00", tz=TZ)
DAY = "2015-04-09"
P = 0.011  # MW per car
SETTINGS = SessionSettings(window=pd.Timedelta("7D"), min_days=5, min_days_per_type=1, min_pool=3, strata=2)


def session(key: str, arrival: str, hours: float, energy: float) -> dict:
    a = pd.Timestamp(arrival, tz=TZ)
    return {"asset": "cs", "session_key": key, "arrival": a.tz_convert("UTC"),
            "departure": (a + pd.Timedelta(hours=hours)).tz_convert("UTC"), "energy_mwh": energy,
            "max_power_mw": P, "battery_capacity_mwh": np.nan, "soc_at_arrival_mwh": np.nan}  # fmt: skip


SESSIONS = pd.DataFrame([
    session("before-window", "2015-03-31 08:00", 2, 0.050),   # 31 March: before the window
    session("wed-8", "2015-04-01 08:00", 2, 0.010),
    session("wed-17", "2015-04-01 17:00", 1, 0.004),
    session("thu-8", "2015-04-02 08:30", 4, 0.020),
    session("goodfriday-10", "2015-04-03 10:00", 3, 0.009),
    session("tue-8", "2015-04-07 08:15", 3, 0.006),
    session("tue-20-still-plugged", "2015-04-07 20:00", 17, 0.030),  # leaves 8 April 13:00: not known at 12:00
    session("wed-7-D-1", "2015-04-08 07:00", 2, 0.005),  # known (left 09:00) but D-1 is no training day
])  # fmt: skip


@pytest.fixture(scope="module")
def model():
    return fit_sessions(SESSIONS, ISSUE, station="cs", tz=TZ, country="DE", subdivision="BB", settings=SETTINGS)


def test_a_session_is_known_once_it_has_ended():
    s = pd.DataFrame([session("a", "2015-04-08 09:00", 3, 0.01), session("b", "2015-04-08 09:01", 3, 0.01)])
    assert list(known_sessions(s, ISSUE)["session_key"]) == ["a"]  # a leaves at 12:00 exactly, b at 12:01


def test_day_types_know_easter():
    d = pd.date_range("2015-04-01", "2015-04-07").date
    assert list(day_types(d, "DE", "BB")) == [0, 0, 2, 1, 2, 2, 0]


def test_rates_are_arrivals_per_training_day_of_the_type(model):
    assert list(model.days.index.astype(str)) == [f"2015-04-0{i}" for i in range(1, 8)]
    assert model.days["day_type"].value_counts().to_dict() == {0: 3, 2: 3, 1: 1}
    # neither the session still plugged in at gate closure, nor 31 March, nor D-1 are used
    assert len(model.pool) == 5 and model.days["sessions"].sum() == 5
    lam = model.arrival_rates(DAY)  # Thursday: working day
    assert lam[8] == pytest.approx(3 / 3) and lam[17] == pytest.approx(1 / 3) and lam.sum() == pytest.approx(4 / 3)
    sunday = model.arrival_rates("2015-04-12")
    assert sunday[10] == pytest.approx(1 / 3) and sunday.sum() == pytest.approx(1 / 3)  # Good Friday's session


def test_window_pool_widens_to_the_nearest_hours(model):
    assert sorted(model.window_pool(0, 8)["energy_mwh"]) == [0.006, 0.010, 0.020]  # its own three
    # hour 17 has one session: widened until hour 8 (9 h away) brings it to 4 >= min_pool
    assert sorted(model.window_pool(0, 17)["energy_mwh"]) == [0.004, 0.006, 0.010, 0.020]
    e = model.expected_energy(DAY)
    assert e[8] == pytest.approx(1.0 * (0.010 + 0.020 + 0.006) / 3)
    assert e[17] == pytest.approx((0.010 + 0.020 + 0.006 + 0.004) / 4 / 3)


def test_expected_sessions_match_the_expectation_by_hand(model):
    x = model.expected_sessions(DAY)
    d = x[x["session_key"].str.contains("20150409")].set_index("session_key")
    eight = d[d["hour"] == 8]
    # pool of hour 8 sorted by dwell: (2 h, 10 kWh, :00), (3 h, 6 kWh, :15) | (4 h, 20 kWh, :30)
    a, b = eight.iloc[0], eight.iloc[1]
    assert a["weight"] == pytest.approx(2 / 3) and a["energy_mwh"] == pytest.approx(2 / 3 * 0.008)
    assert a["max_power_mw"] == pytest.approx(2 / 3 * P)
    assert a["arrival"] == pd.Timestamp("2015-04-09 08:08", tz=TZ)  # mean minute 7.5, rounded
    assert a["departure"] - a["arrival"] == pd.Timedelta("2.5h")
    assert b["weight"] == pytest.approx(1 / 3) and b["energy_mwh"] == pytest.approx(1 / 3 * 0.020)
    assert b["arrival"] == pd.Timestamp("2015-04-09 08:30", tz=TZ) and b["departure"] - b["arrival"] == pd.Timedelta("4h")
    # total energy and timing: the expectation, hour by hour
    got = d.groupby("hour")["energy_mwh"].sum()
    exp = model.expected_energy(DAY)
    np.testing.assert_allclose(got.to_numpy(), exp[exp > 0].to_numpy())
    assert d["weight"].sum() == pytest.approx(4 / 3)
    # the cars of D-1 (a working day too) are forecast as well: the scheduler cuts them to D
    assert x["session_key"].str.contains("20150408").sum() == len(d)
    assert model.arrival_days(DAY)[0].isoformat() == "2015-04-08"


def test_scenarios_are_seeded_and_respect_the_charge_points(model):
    a = model.scenarios(DAY, 50, seed=3)
    b = model.scenarios(DAY, 50, seed=3)
    c = model.scenarios(DAY, 50, seed=4)
    assert all(x.equals(y) for x, y in zip(a, b)) and not all(x.equals(y) for x, y in zip(a, c))
    on_d = [x[x["arrival"] >= pd.Timestamp(DAY, tz=TZ)] for x in model.scenarios(DAY, 400, seed=1)]
    assert np.mean([len(x) for x in on_d]) == pytest.approx(4 / 3, abs=0.15)  # Poisson(4/3) cars a day
    drawn = pd.concat(on_d)
    assert set(drawn["energy_mwh"]) <= {0.004, 0.006, 0.010, 0.020}  # whole sessions of the pools
    for x in model.scenarios(DAY, 100, seed=2, points=1):
        x = x.sort_values("arrival")
        assert (x["arrival"].iloc[1:].to_numpy() >= x["departure"].iloc[:-1].to_numpy()).all()  # one car at a time


def test_energy_samples_average_to_the_expected_energy(model):
    s = model.energy_samples(DAY, 20000, seed=5)
    assert s.shape == (20000, 24)
    np.testing.assert_allclose(s.mean(axis=0), model.expected_energy(DAY).to_numpy(), atol=4e-4)
    assert (s[:, 8] == 0).mean() == pytest.approx(np.exp(-1.0), abs=0.02)  # P(no car in hour 8) = e^-λ
    np.testing.assert_array_equal(s[:5], model.energy_samples(DAY, 20000, seed=5)[:5])


def test_too_little_history_is_named():
    with pytest.raises(InsufficientHistoryError, match=r"station 'cs'.*needs 10 days.*has 7.*2015-03-29"):
        fit_sessions(SESSIONS, ISSUE, station="cs", tz=TZ, settings=SessionSettings(window=pd.Timedelta("7D"),
                                                                                     min_days=10))  # fmt: skip


def test_arrivals_by_hour_is_what_happened():
    got = arrivals_by_hour(SESSIONS, "2015-04-01", TZ)
    assert got[8] == 0.010 and got[17] == 0.004 and got.sum() == pytest.approx(0.014)


def test_crps_and_pinball_by_hand():
    # samples 1, 2, 3 and outcome 2: mean |x - y| = 2/3; sum over pairs |xi - xj| = 8, / (2 * 9)
    assert crps_ensemble([1.0, 2.0, 3.0], 2.0) == pytest.approx(2 / 3 - 8 / 18)
    assert crps_ensemble([[4.0]], [1.0])[0] == pytest.approx(3.0)  # a point forecast: the absolute error
    assert pinball_loss(1.0, 3.0, 0.9) == pytest.approx(1.8) and pinball_loss(3.0, 1.0, 0.9) == pytest.approx(0.2)
    q = quantile_scores(np.array([[0.0, 1.0, 2.0, 3.0, 4.0]]), np.array([2.0]), taus=(0.25, 0.5, 0.75))
    assert q["pinball_50"] == 0 and q["pinball_25"] == pytest.approx(0.25) and q["coverage"] == 1.0


def test_dst_days_have_their_hours():
    """A session every day at 02:30 local for two weeks: on the spring day (29 March 2015)
    02:30 does not exist, so no car is expected then; on the autumn day (25 October) 02:30
    happens twice and the cars are expected once, at the first."""
    hist = pd.DataFrame([session(f"s{d:%m%d}", f"{d:%Y-%m-%d} 02:30", 1, 0.005)
                         for d in pd.date_range("2015-03-10", "2015-03-27")])  # fmt: skip
    st = SessionSettings(window=pd.Timedelta("14D"), min_days=7, min_days_per_type=1, min_pool=1, strata=1)
    spring = fit_sessions(hist, pd.Timestamp("2015-03-28 12:00", tz=TZ), station="cs", tz=TZ, settings=st)
    x = spring.expected_sessions("2015-03-29")
    assert pd.Timestamp("2015-03-29", tz=TZ) not in set(x["arrival"].dt.tz_convert(TZ).dt.normalize())
    assert len(x) == 1  # only 28 March's car
    hist = pd.DataFrame([session(f"s{d:%m%d}", f"{d:%Y-%m-%d} 02:30", 1, 0.005)
                         for d in pd.date_range("2015-10-05", "2015-10-22")])  # fmt: skip
    autumn = fit_sessions(hist, pd.Timestamp("2015-10-24 12:00", tz=TZ), station="cs", tz=TZ, settings=st)
    x = autumn.expected_sessions("2015-10-25")
    on = x[x["arrival"] >= pd.Timestamp("2015-10-25", tz=TZ)]
    assert len(on) == 1 and on["arrival"].iloc[0] == pd.Timestamp("2015-10-25 00:30", tz="UTC")  # 02:30 CEST


def test_the_ensemble_crps_is_the_price_scenarios_crps_with_equal_weights():
    from bvp_lib.forecasting.probabilistic import crps

    rng = np.random.default_rng(0)
    x, y = rng.gamma(2.0, size=(40, 24)), rng.gamma(2.0, size=24)  # 40 samples of 24 hours
    assert crps_ensemble(x.T, y).mean() == pytest.approx(crps(x, np.full(40, 1 / 40), y), rel=1e-12)
