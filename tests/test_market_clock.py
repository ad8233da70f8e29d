"""The market clock: one source for the timezone, gate closure and price publication.

Changing the gate closure in that one place (the ``BVP_GATE_CLOSURE`` setting) changes
every stage's issue time: the forecasts' belief time, the schedule's, the evaluation's
day-ahead label, the explorer's.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bvp_lib.config import ConfigError, get_settings
from bvp_lib.market.clock import MarketClock, market_clock

DAY = "2015-04-12"


def test_hand_computed_clock_times():
    c = MarketClock("Europe/Berlin", "12:00", "13:00")
    assert c.gate_closure_of(DAY) == pd.Timestamp("2015-04-11 10:00", tz="UTC")  # CEST
    assert c.gate_closure_of("2015-01-10") == pd.Timestamp("2015-01-09 11:00", tz="UTC")  # CET
    # the 23-hour day: D-1 (28 March) is still winter time
    assert c.gate_closure_of("2015-03-29") == pd.Timestamp("2015-03-28 11:00", tz="UTC")
    assert c.price_known_at("2015-10-25") == pd.Timestamp("2015-10-24 11:00", tz="UTC")
    h = c.price_horizons(pd.date_range("2015-04-12", periods=2, freq="h", tz="Europe/Berlin"), "1h")
    # published 13:00 on 11 April (11:00 UTC); the 00:00-01:00 local step ends 23:00 UTC on the 11th
    assert list(h) == [pd.Timedelta("12h"), pd.Timedelta("13h")]
    assert list(c.issue_times("2015-04-11", "2015-04-12")) == [pd.Timestamp("2015-04-10 10:00", tz="UTC"),
                                                              pd.Timestamp("2015-04-11 10:00", tz="UTC")]  # fmt: skip


def test_bad_clock_settings_are_named(monkeypatch):
    monkeypatch.setenv("BVP_GATE_CLOSURE", "noon")
    with pytest.raises(ConfigError, match="BVP_GATE_CLOSURE='noon' is not a clock time"):
        get_settings()


def test_changing_the_gate_closure_moves_every_stage(small, monkeypatch):
    from bvp_lib.forecasting.day_ahead import forecast_day_ahead
    from bvp_lib.forecasting.evaluation import label_horizons
    from bvp_lib.forecasting.horizons import parse_horizons
    from bvp_lib.runs.day import run_day
    from bvp_lib.widgets.forecast import _belief_times

    default = market_clock().gate_closure_of(DAY)
    monkeypatch.setenv("BVP_GATE_CLOSURE", "11:00")
    clock = market_clock()
    gc = clock.gate_closure_of(DAY)
    assert gc == pd.Timestamp("2015-04-11 09:00", tz="UTC") and gc == default - pd.Timedelta("1h")
    assert clock.price_publication == "13:00"  # the other facts stay

    # forecasting: issued at the new gate closure, every step's horizon from it
    f = forecast_day_ahead(DAY, assets=["wind-flaeming-01"], save=False, bind=small)
    assert f.attrs["belief_time"] == gc
    belief_times = f["event_start"] + pd.Timedelta("15min") - f["belief_horizon"]
    assert (belief_times[f["sensor"] == "wind-flaeming-01"] == gc).all()
    (spec,) = parse_horizons(["day-ahead"])
    assert spec.gate_closure == "11:00"
    # evaluation: what was issued then is labelled day-ahead
    labelled = label_horizons(f, ["day-ahead"], {"wind-flaeming-01": pd.Timedelta("15min"),
                                                 "epex_da": pd.Timedelta("1h")})  # fmt: skip
    assert len(labelled) == len(f)
    # scheduling: the planned schedule is made (and stored) at the new gate closure
    run = run_day(DAY, solver="highs", save=False)
    assert run.planned.inputs.belief_time == gc
    assert run.perfect.inputs.belief_time is None
    # the explorers
    _, b = _belief_times(dt.date(2015, 4, 12), "day-ahead", pd.Timedelta("15min"))
    assert (b == gc).all()


def test_a_stored_market_in_another_timezone_is_named(small):
    """The markets table stores each market's timezone; a run refuses a catalogue whose
    market disagrees with the clock, naming the market, both timezones and the fix."""
    import dataclasses

    from bvp_lib.db.catalogue import Catalogue, CatalogueError

    cat = Catalogue.read(small)
    cat.check_clock()  # the bundled market is stored in the clock's timezone
    sensors = cat.sensors.copy()
    sensors.loc[sensors["market_timezone"].notna(), "market_timezone"] = "Europe/London"
    other = dataclasses.replace(cat, sensors=sensors)
    name = cat.markets.index[0]
    with pytest.raises(CatalogueError, match=rf"market '{name}' is stored with the timezone Europe/London, but the "
                                             rf"market clock says {market_clock().timezone} \(BVP_TIMEZONE\): set "
                                             "BVP_TIMEZONE=Europe/London"):  # fmt: skip
        other.check_clock()
