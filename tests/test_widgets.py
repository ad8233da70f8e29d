"""The explorers (bvp_lib.widgets): callbacks, figures, caches, messages, CSV export, widgets.

Real PostgreSQL with the small data set (4 assets, 11-14 April 2015) plus history from
1 March for those assets, as the notebooks see it. No browser: the ipywidgets are built
and driven from Python.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import bvp_lib.widgets as L  # noqa: E402
from tests.conftest import truncate_all  # noqa: E402

SMALL_ASSETS = ("solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "battery-havel-01")
DAY = "2015-04-13"


def _load(engine) -> None:
    from bvp_lib.data.populate import populate

    truncate_all(engine)
    populate(structure=True, data=True, small=True, bind=engine, progress=False)
    populate(structure=False, data=True, asset=list(SMALL_ASSETS), start="2015-03-01", end="2015-04-14",
             bind=engine, progress=False)  # fmt: skip


@pytest.fixture(scope="module")
def _small_loaded(db_engine):
    _load(db_engine)
    return db_engine


@pytest.fixture
def small(_small_loaded):
    """The small set plus history; reloaded if another test emptied the database meanwhile."""
    with _small_loaded.connect() as c:
        n = c.execute(sa.text("SELECT count(*) FROM assets")).scalar_one()
        sensors = c.execute(sa.text("SELECT count(*) FROM sensors")).scalar_one()
    if n != len(SMALL_ASSETS) or sensors == 0:
        _load(_small_loaded)
    yield _small_loaded
    plt.close("all")


@contextlib.contextmanager
def db_activity(engine):
    """Count SQL statements and pool checkouts on ``engine`` (raw COPY reads check out a connection too)."""
    counts = {"statements": 0, "checkouts": 0}

    def on_execute(*args, **kwargs):
        counts["statements"] += 1

    def on_checkout(*args, **kwargs):
        counts["checkouts"] += 1

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    sa.event.listen(engine.pool, "checkout", on_checkout)
    try:
        yield counts
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
        sa.event.remove(engine.pool, "checkout", on_checkout)


def labelled_with_units(fig) -> None:
    """Every visible axes has a y label with a unit in brackets; time axes say their timezone."""
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert axes
    for ax in axes:
        assert "[" in ax.get_ylabel() and "]" in ax.get_ylabel(), ax.get_ylabel()
        if ax.get_xlabel():
            assert "[" in ax.get_xlabel() and "]" in ax.get_xlabel(), ax.get_xlabel()
    assert any("time [Europe/Berlin]" == ax.get_xlabel() for ax in axes)


# ---------------------------------------------------------------------------------------
# schedule explorer


def test_explore_schedule_gives_schedule_soc_value_and_a_labelled_figure(small):
    cache = L.ScheduleCache(bind=small)
    view = L.explore_schedule(L.ScheduleInputs(day=DAY, assets=SMALL_ASSETS), cache=cache)
    assert view.ok, view.message
    r = view.result
    assert list(r.schedule.columns) == list(SMALL_ASSETS)
    assert len(r.schedule) == 96 and list(r.soc.columns) == ["battery-havel-01"]
    v = view.values
    assert v["value_eur"] == pytest.approx(v["schedule_revenue_eur"] - v["baseline_revenue_eur"])
    assert v["value_eur"] > 0  # a 10 MWh battery earns something on a day with a price spread
    assert view.summary.loc["total", "value_eur"] == pytest.approx(v["value_eur"], abs=1e-6)
    assert set(view.figures) == {"schedule"}
    fig = view.figures["schedule"]
    labelled_with_units(fig)
    ylabels = {ax.get_ylabel() for ax in fig.axes}
    assert {"power [MW]", "state of charge [MWh]", "asset [-]"} <= ylabels
    assert any("[EUR]" in ax.get_xlabel() for ax in fig.axes)
    assert {"load", "solve", "figures", "total"} <= set(view.timings)
    view.close()


def test_overrides_change_the_schedule_as_stated(small):
    cache = L.ScheduleCache(bind=small)
    base = L.ScheduleInputs(day=DAY, assets=SMALL_ASSETS)
    idle = L.explore_schedule(base.replace(battery_power_mw=0.25), cache=cache)
    assert idle.ok, idle.message
    assert idle.result.schedule["battery-havel-01"].abs().max() <= 0.25 + 1e-9
    rigid = L.explore_schedule(base.replace(shiftable_share="0"), cache=cache)
    assert np.allclose(rigid.result.schedule["building-havel-rathaus-01"],
                       rigid.result.baseline["building-havel-rathaus-01"], atol=1e-9)  # fmt: skip
    tight = L.explore_schedule(base.replace(connection_capacity_mw="1.5"), cache=cache)
    net = tight.result.schedule.sum(axis=1)
    assert net.max() <= 1.5 + 1e-6 and net.min() >= -1.5 - 1e-6
    small_bat = L.explore_schedule(base.replace(battery_energy_mwh=2.0), cache=cache)
    soc = small_bat.result.soc["battery-havel-01"]
    assert soc.max() <= 2.0 * 0.9 + 1e-6 and soc.min() >= 2.0 * 0.1 - 1e-6  # stored bounds 1..9 of 10 MWh, scaled
    assert soc.iloc[0] == pytest.approx(1.0)  # stored start 5 of 10 MWh
    assert "battery energy 2 MWh" in small_bat.notes
    for v in (idle, rigid, tight, small_bat):
        v.close()


def test_apply_overrides_leaves_the_cached_day_untouched(small):
    cache = L.ScheduleCache(bind=small)
    inputs = cache.day_inputs(DAY, SMALL_ASSETS)
    before = [repr(a) for a in inputs.assets], [repr(c) for c in inputs.connection_points]
    state = L.ScheduleInputs(battery_power_mw=3.0, battery_energy_mwh=20.0, shiftable_share=0.5,
                             connection_capacity_mw=4.0)  # fmt: skip
    over = L.explorer_overrides(state)
    assert over == {"battery": {"power_mw": 3.0, "energy_mwh": 20.0}, "building": {"shiftable_share": 0.5},
                    "connection_point": {"capacity_mw": 4.0}}  # the scenario vocabulary of backtests and sweeps
    changed = inputs.with_overrides(over)
    objs, points = changed.assets, changed.connection_points
    from bvp_lib.widgets.schedule import override_notes

    notes = override_notes(inputs, over)
    bat = next(a for a in objs if a.name == "battery-havel-01")
    assert (bat.charge_power, bat.discharge_power, bat.capacity, bat.soc_start) == (3.0, 3.0, 20.0, 10.0)
    assert next(a for a in objs if a.name == "building-havel-rathaus-01").flexible_share == 0.5
    assert all(c.import_capacity == 4.0 and c.export_capacity == 4.0 for c in points)
    assert len(notes) == 4
    assert ([repr(a) for a in inputs.assets], [repr(c) for c in inputs.connection_points]) == before
    assert L.stored_settings(inputs) == {"battery_power_mw": "5 MW", "battery_energy_mwh": "10 MWh",
                                         "shiftable_share": "0.2", "connection_capacity_mw": "8, 16 MW"}  # fmt: skip


def test_second_change_does_not_touch_the_database(small):
    cache = L.ScheduleCache(bind=small)
    base = L.ScheduleInputs(day=DAY, assets=SMALL_ASSETS)
    with db_activity(small) as first:
        L.explore_schedule(base, cache=cache).close()
    assert first["checkouts"] >= 1 and first["statements"] >= 1
    assert cache.loads == 1
    with db_activity(small) as later:
        for changes in ({"battery_power_mw": 2.0}, {"battery_energy_mwh": 15}, {"shiftable_share": 0.4},
                        {"connection_capacity_mw": 6}, {"solver": "cbc"}):  # fmt: skip
            view = L.explore_schedule(base.replace(**changes), cache=cache)
            assert view.ok, view.message
            assert "day read from memory" in view.notes
            view.close()
    assert later == {"statements": 0, "checkouts": 0}
    assert cache.loads == 1 and cache.hits == 5
    L.explore_schedule(base.replace(day="2015-04-12"), cache=cache).close()  # another day: read once more
    assert cache.loads == 2


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"battery_power_mw": -1}, "battery power [MW] must be at least 0"),
        ({"battery_power_mw": 1e6}, "battery power [MW] must be at most 1,000"),
        ({"battery_power_mw": 1e6, "shiftable_share": 2, "connection_capacity_mw": "x"},
         "battery power [MW] must be at most 1,000, not 1e+06; building shiftable share [-] must be at most 1, not 2; "
         "connection capacity [MW]: 'x' is not a number"),
        ({"battery_energy_mwh": 0}, "battery energy [MWh] must be above 0"),
        ({"battery_energy_mwh": "ten"}, "battery energy [MWh]: 'ten' is not a number"),
        ({"shiftable_share": 1.5}, "building shiftable share [-] must be at most 1"),
        ({"connection_capacity_mw": -2}, "connection capacity [MW] must be at least 0"),
        ({"connection_capacity_mw": "nan"}, "connection capacity [MW] must be a finite number"),
        ({"assets": ("solar-havel-01", "no-such-asset")}, "unknown asset(s) 'no-such-asset'"),
        ({"assets": ()}, "pick at least one asset"),
        ({"day": "2015-13-45"}, "is not a date"),
        ({"day": "2015-06-01"}, "2015-06-01"),  # no data stored that day: named
        ({"solver": "gurobi"}, "solver 'gurobi' is not supported"),
        ({"mode": "magic"}, "mode must be 'perfect' or 'forecast'"),
        ({"mode": "forecast"}, "forecast"),  # no day-ahead forecasts stored: says so
        ({"strategy": "orders"}, "pick mode 'forecast'"),  # orders are made at gate closure, on the forecasts
        ({"strategy": "auction"}, "strategy must be 'schedule' or 'orders'"),
        ({"battery_power_mw": 0}, "SoC target 5 MWh unreachable"),  # self-discharge, no power to make up for it
        ({"assets": ("building-havel-rathaus-01",), "connection_capacity_mw": 0}, "no feasible schedule"),
    ],
)
def test_bad_schedule_inputs_give_a_message_not_an_exception(small, changes, expected):
    view = L.explore_schedule(L.ScheduleInputs(day=DAY, assets=SMALL_ASSETS).replace(**changes),
                              cache=L.ScheduleCache(bind=small))  # fmt: skip
    assert not view.ok and view.result is None and view.figures == {}
    assert expected in view.message
    assert "Traceback" not in view.message
    assert "Cannot schedule" in L.schedule_values_html(view)


def test_empty_database_gives_a_message(db):
    view = L.explore_schedule(L.ScheduleInputs(day=DAY), cache=L.ScheduleCache(bind=db))
    assert "holds no assets" in view.message


def test_auto_solver_is_exact_lp_first_then_mip(small):
    cache = L.ScheduleCache(bind=small)
    inputs = cache.day_inputs("2015-04-12", SMALL_ASSETS)  # negative prices: a lossy battery wants binaries
    auto = L.solve_schedule(inputs.assets, inputs.prices, inputs.connection_points, resolution=inputs.resolution)
    cbc = L.solve_schedule(inputs.assets, inputs.prices, inputs.connection_points, resolution=inputs.resolution,
                           solver="cbc")  # fmt: skip
    assert auto.objective == pytest.approx(cbc.objective, rel=1e-6)
    assert auto.stats.simultaneous_steps == 0
    # the MIP goes to HiGHS's matrix path (independent parts apart), not to Cbc
    assert auto.stats.n_integer > 0 and auto.stats.solver == "highs" and auto.stats.backend == "matrix"
    inputs = cache.day_inputs("2015-04-14", SMALL_ASSETS)  # no negative prices: the LP is already exact
    lp = L.solve_schedule(inputs.assets, inputs.prices, inputs.connection_points, resolution=inputs.resolution)
    assert lp.stats.n_integer == 0 and lp.stats.solver == "highs" and lp.stats.backend == "matrix"


def test_error_message_names_unexpected_errors():
    assert L.error_message(ValueError("end before start")) == "end before start"
    assert L.error_message(ZeroDivisionError("division by zero")) == "unexpected error (ZeroDivisionError): division by zero"


# ---------------------------------------------------------------------------------------
# forecast explorer


def test_explore_forecast_computes_from_history_with_metrics_and_figure(small):
    from bvp_lib.forecasting import bias, mae, rmse, wape

    cache = L.ForecastCache(bind=small)
    view = L.explore_forecast(L.ForecastInputs(asset="solar-havel-01", model="seasonal_naive_daily",
                                               horizon="day-ahead", day=DAY), cache=cache)  # fmt: skip
    assert view.ok, view.message
    assert len(view.forecast) == 96 and view.forecast.notna().all() and view.actual.notna().all()
    assert view.origin.startswith("computed: seasonal_naive_daily, day-ahead, from measurements known by 2015-04-12 12:00")
    f, a = view.forecast, view.actual
    assert view.metrics == pytest.approx({"n": 96, "mae": mae(f, a), "rmse": rmse(f, a), "wape": wape(f, a),
                                          "bias": bias(f, a)})  # fmt: skip
    # seasonal naive daily (solar keeps UTC time): the latest same step known at gate closure, 10:00 UTC on D-1;
    # 08:00 UTC the day before had ended by then, 10:00 UTC had not (it is the value of two days before)
    with small.connect() as c:
        def measured(t):
            return c.execute(sa.text(
                "SELECT b.value FROM timed_beliefs b JOIN sensors s ON s.id = b.sensor_id "
                "WHERE s.name = 'solar-havel-01' AND b.event_start = :t"), {"t": t}).scalar_one()  # fmt: skip

        assert view.forecast[pd.Timestamp("2015-04-13 08:00", tz="UTC")] == pytest.approx(measured("2015-04-12 08:00+00"))
        assert view.forecast[pd.Timestamp("2015-04-13 10:00", tz="UTC")] == pytest.approx(measured("2015-04-11 10:00+00"))
    fig = view.figures["forecast"]
    labelled_with_units(fig)
    assert [ax.get_ylabel() for ax in fig.axes] == ["power [MW]", "error [MW]"]
    assert "MAE" in fig.axes[0].get_title() and "WAPE" in fig.axes[0].get_title()
    assert "MAE" in L.forecast_metrics_html(view)


def test_forecast_cache_answers_from_memory(small):
    cache = L.ForecastCache(bind=small)
    state = L.ForecastInputs(asset="wind-flaeming-01", model="persistence", horizon="6h", day=DAY)
    L.explore_forecast(state, cache=cache).close()
    with db_activity(small) as counts:
        view = L.explore_forecast(state, cache=cache)
    assert view.ok and "forecast from memory" in view.notes
    assert counts == {"statements": 0, "checkouts": 0}
    assert cache.loads == 1 and cache.hits == 1


def test_forecast_uses_only_data_known_at_the_belief_time(small):
    state = L.ForecastInputs(asset="building-havel-rathaus-01", model="linear", horizon="day-ahead", day=DAY,
                             source="computed", train_window="10D")  # fmt: skip
    before, actual, origin = L.compute_forecast(state, bind=small)
    assert before.notna().all() and "train window 10 days" in origin
    # change the building's measurements after gate closure (12:00 local on D-1): the forecast must not move.
    # (Weather forecasts derived from measured weather are synthetic forecasts of that weather, known at their
    # belief horizon, so the weather measurements are left alone.)
    with small.connect() as conn:
        tx = conn.begin()
        conn.execute(sa.text(
            "UPDATE timed_beliefs b SET value = value * 10 - 1 FROM sensors s WHERE s.id = b.sensor_id "
            "AND s.name = 'building-havel-rathaus-01' AND b.event_start >= '2015-04-12 10:00+00'"))  # fmt: skip
        after, actual2, _ = L.compute_forecast(state, bind=conn)
        tx.rollback()
    pd.testing.assert_series_equal(before, after)
    assert not np.allclose(actual, actual2)


def test_stored_weather_feed_and_derived_weather_give_the_same_forecast(small, monkeypatch):
    from bvp_lib.forecasting import weather
    from bvp_lib.forecasting.weather_feed import ensure_weather_forecasts

    state = L.ForecastInputs(asset="wind-flaeming-01", model="linear", horizon="day-ahead", day=DAY,
                             source="computed", train_window="10D")  # fmt: skip
    derived, _, _ = L.compute_forecast(state, bind=small)
    with small.connect() as conn:
        tx = conn.begin()
        assert ensure_weather_forecasts(["try_region04_wind_speed"], pd.Timestamp("2015-03-15", tz="UTC"),
                                        pd.Timestamp("2015-04-15", tz="UTC"), bind=conn) > 0  # fmt: skip
        with monkeypatch.context() as m:  # the stored feed must be read, not derived again
            m.setattr(weather, "derive_weather_forecasts", lambda *a, **k: pytest.fail("derived despite a stored feed"))
            fed, _, _ = L.compute_forecast(state, bind=conn)
        tx.rollback()
    pd.testing.assert_series_equal(derived, fed)


def test_stored_forecasts_are_used_when_present(small):
    from bvp_lib.beliefs import SourceSpec, save_beliefs
    from bvp_lib.market.clock import gate_closure_of as gate_closure
    from bvp_lib.timing import day_index

    events = day_index(DAY)
    gc = gate_closure(DAY)
    stored = pd.DataFrame({"sensor": "wind-flaeming-01", "event_start": events,
                           "belief_horizon": events + pd.Timedelta("15min") - gc, "value": np.linspace(0, 1, 96)})  # fmt: skip
    save_beliefs(stored, source=SourceSpec("linear", "forecaster"), bind=small)
    try:
        cache = L.ForecastCache(bind=small)
        view = L.explore_forecast(L.ForecastInputs(asset="wind-flaeming-01", model="linear", day=DAY), cache=cache)
        assert view.ok, view.message
        assert view.origin == "stored forecasts (data source 'linear')"
        assert np.allclose(view.forecast.to_numpy(), np.linspace(0, 1, 96))
        # another model has none stored: computed, and the view says why
        other = L.explore_forecast(L.ForecastInputs(asset="wind-flaeming-01", model="persistence", day=DAY),
                                   cache=cache)  # fmt: skip
        assert other.origin.startswith("computed") and "none from persistence" in other.origin
        only = L.explore_forecast(L.ForecastInputs(asset="wind-flaeming-01", model="persistence", day=DAY,
                                                   source="stored"), cache=cache)  # fmt: skip
        assert "no stored day-ahead forecast" in only.message
    finally:
        with small.begin() as c:
            c.execute(sa.text("DELETE FROM timed_beliefs WHERE source_id IN "
                              "(SELECT id FROM data_sources WHERE type = 'forecaster')"))  # fmt: skip


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"asset": "no-such-asset"}, "unknown asset(s) 'no-such-asset'"),
        ({"asset": "battery-havel-01"}, "has no power series of its own to forecast"),
        ({"asset": ""}, "pick an asset or a market"),
        ({"model": "crystal_ball"}, "model(s) ['crystal_ball'] are not configured for 'solar-havel-01'"),
        ({"horizon": "-1h"}, "is not positive"),
        ({"horizon": "soon"}, "neither a duration"),
        ({"day": "2015-03-02"}, "holds them only from 2015-03-01"),  # not enough history before the first day of data
        ({"day": "2015-06-01"}, "no measurements of solar-havel-01 on 2015-06-01"),
        ({"source": "guess"}, "source must be auto, stored or computed"),
    ],
)
def test_bad_forecast_inputs_give_a_message(small, changes, expected):
    view = L.explore_forecast(L.ForecastInputs(day=DAY).replace(**changes), cache=L.ForecastCache(bind=small))
    assert not view.ok and view.figures == {}
    assert expected in view.message, view.message
    assert "No forecast" in L.forecast_metrics_html(view)


def test_forecast_options_and_price_series(small):
    models, horizons = L.forecast_options("solar-havel-01", bind=small)
    assert {"persistence", "seasonal_naive_daily", "linear", "lightgbm"} <= set(models)
    assert "day-ahead" in horizons and "1h" in horizons
    assert L.forecastable(bind=small) == ["building-havel-rathaus-01", "solar-havel-01", "wind-flaeming-01", "epex_da"]
    view = L.explore_forecast(L.ForecastInputs(asset="epex_da", model="seasonal_naive_weekly", day=DAY),
                              cache=L.ForecastCache(bind=small))  # fmt: skip
    assert view.ok, view.message
    assert view.unit == "EUR/MWh" and len(view.forecast) == 24
    assert view.figures["forecast"].axes[0].get_ylabel() == "price [EUR/MWh]"


# ---------------------------------------------------------------------------------------
# data browser


def test_list_sensors_covers_assets_markets_and_weather(small):
    s = L.list_sensors(bind=small)
    assert {"asset", "market", "weather"} == set(s["kind"])
    assert s.loc["epex_da", "unit"] == "EUR/MWh" and s.loc["epex_da", "resolution"] == pd.Timedelta("1h")
    assert s.loc["solar-havel-01", "label"] == "asset: solar-havel-01 [MW]"


def test_browse_data_frame_statistics_and_figure(small):
    view = L.browse_data(L.BrowseInputs(sensor="solar-havel-01", start="2015-04-11", end="2015-04-12"), bind=small)
    assert view.ok, view.message
    f = view.frame
    assert list(f.columns) == ["solar-havel-01 [MW]"] and len(f) == 192 and f.index.name == "event_start"
    assert f.index[0] == pd.Timestamp("2015-04-10 22:00", tz="UTC")
    col = view.stats["solar-havel-01 [MW]"]
    assert col["steps"] == 192 and col["coverage [-]"] == 1.0
    assert col["mean [MW]"] == pytest.approx(f.iloc[:, 0].mean())
    assert col["energy [MWh]"] == pytest.approx(f.iloc[:, 0].sum() * 0.25)
    assert col["max [MW]"] == pytest.approx(f.iloc[:, 0].max()) and col["min [MW]"] >= 0
    fig = view.figures["series"]
    labelled_with_units(fig)
    assert fig.axes[0].get_ylabel() == "solar-havel-01 [MW]"
    price = L.browse_data(L.BrowseInputs(sensor="epex_da", start="2015-04-12", end="2015-04-12"), bind=small)
    assert price.stats.loc["negative steps", "epex_da [EUR/MWh]"] == 8
    assert len(price.frame) == 24
    weather = L.browse_data(L.BrowseInputs(sensor="try_region04_temperature", start="2015-03-01", end="2015-03-31"),
                            bind=small)  # fmt: skip
    assert weather.ok and weather.unit == "°C" and len(weather.frame) == 31 * 24 - 1  # DST: 29 March has 23 hours


def test_browse_shows_each_source_as_a_column(small):
    from bvp_lib.beliefs import SourceSpec, save_beliefs
    from bvp_lib.timing import day_index

    idx = day_index("2015-04-12", resolution="1h")
    save_beliefs(pd.DataFrame({"sensor": "epex_da", "event_start": idx, "belief_horizon": pd.Timedelta("20h"),
                               "value": 30.0}), source=SourceSpec("price model", "forecaster"), bind=small)  # fmt: skip
    try:
        view = L.browse_data(L.BrowseInputs(sensor="epex_da", start="2015-04-12", end="2015-04-12",
                                            source_types=("measurement", "forecaster")), bind=small)  # fmt: skip
        assert sorted(view.frame.columns) == ["epex_da [EUR/MWh] SMARD day-ahead prices",
                                              "epex_da [EUR/MWh] price model"]  # fmt: skip
        assert (view.frame["epex_da [EUR/MWh] price model"] == 30.0).all()
    finally:
        with small.begin() as c:
            c.execute(sa.text("DELETE FROM timed_beliefs WHERE source_id IN "
                              "(SELECT id FROM data_sources WHERE type = 'forecaster')"))  # fmt: skip


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"start": "2015-04-14", "end": "2015-04-11"}, "the end day 2015-04-11 is before the start day 2015-04-14"),
        ({"sensor": "no-such-sensor"}, "unknown sensor 'no-such-sensor'"),
        ({"sensor": ""}, "pick a sensor"),
        ({"start": None}, "pick a start day"),
        ({"end": "14.4.2015"}, "end day '14.4.2015' is not a date"),
        ({"start": "2014-01-01", "end": "2014-01-02"}, "nothing stored for epex_da from 2014-01-01 to 2014-01-02"),
    ],
)
def test_bad_browse_inputs_give_a_message(small, changes, expected):
    view = L.browse_data(L.BrowseInputs().replace(**changes), bind=small)
    assert not view.ok and view.frame is None
    assert expected in view.message
    with pytest.raises(ValueError, match="nothing to export"):
        L.export_csv(view)


def test_export_csv_writes_the_shown_frame(small, tmp_path):
    view = L.browse_data(L.BrowseInputs(sensor="wind-flaeming-01", start="2015-04-11", end="2015-04-11"), bind=small)
    folder = tmp_path / "my exports"
    path = L.export_csv(view, folder)
    assert path == folder / "wind-flaeming-01_2015-04-11_2015-04-11.csv" and path.exists()
    back = pd.read_csv(path, index_col="event_start", parse_dates=["event_start"])
    assert list(back.columns) == ["wind-flaeming-01 [MW]"] and len(back) == 96
    assert back.index[0] == pd.Timestamp("2015-04-10 22:00", tz="UTC")
    assert np.allclose(back.iloc[:, 0].to_numpy(), view.frame.iloc[:, 0].to_numpy())
    assert L.export_csv(view, folder) == path and len(list(folder.iterdir())) == 1  # again: replaced, not added
    from bvp_lib.config import get_settings

    assert L.export_path(view.inputs) == get_settings().root / "reports" / "exports" / path.name


# ---------------------------------------------------------------------------------------
# the ipywidgets layer


def test_schedule_explorer_widget_builds_and_shows_messages(small):
    import ipywidgets as W

    from bvp_lib.widgets import schedule_explorer

    ex = schedule_explorer(DAY, list(SMALL_ASSETS), bind=small)
    assert isinstance(ex, W.VBox) and ex.view.ok
    assert ex.solver.value == "auto" and "as stored: 5 MW" in ex.battery_power.stored.value
    assert isinstance(ex.battery_power.slider, W.FloatSlider) and ex.battery_power.slider.disabled
    assert isinstance(ex.mode, W.Dropdown) and isinstance(ex.solver, W.Dropdown)
    assert "value of flexibility" in ex.numbers.value and "optimal" in ex.numbers.value
    before = ex.view.values["value_eur"]
    ex.battery_power.slider.value = 1.0  # unticked: the stored value stays
    assert ex.view.values["value_eur"] == pytest.approx(before)
    ex.battery_power.enabled.value = True
    ex.battery_power.slider.value = 2.0
    assert ex.view.ok and "✓" in ex.status.value and ex.inputs().battery_power_mw == 2.0
    assert ex.view.values["value_eur"] < before  # 2 MW instead of 5 MW earns less
    assert ex.cache.loads == 1
    ex.assets.value = ()
    assert "pick at least one asset" in ex.status.value


def test_forecast_explorer_widget_updates_models_per_asset(small):
    from bvp_lib.widgets import forecast_explorer

    ex = forecast_explorer("solar-havel-01", "seasonal_naive_daily", "day-ahead", DAY, bind=small)
    assert ex.view.ok, ex.view.message
    assert "linear" in ex.model.options and "day-ahead" in ex.horizon.options
    ex.asset.value = "epex_da"
    assert ex.view.ok and ex.view.unit == "EUR/MWh" and ex.model.value == "seasonal_naive_daily"
    ex.day.value = dt.date(2015, 6, 1)
    assert "no measurements" in ex.status.value


def test_data_browser_widget_exports(small, tmp_path):
    from bvp_lib.widgets import data_browser

    ex = data_browser("epex_da", "2015-04-11", "2015-04-12", export_dir=str(tmp_path), bind=small)
    assert ex.view.ok and "steps" in ex.numbers.value
    path = ex.export()
    assert path is not None and path.parent == tmp_path and "written" in ex.exported.value
    ex.end.value = dt.date(2015, 4, 1)
    assert "before the start day" in ex.status.value
    assert ex.export() is None and "nothing to export" in ex.exported.value


def test_use_zoomable_figures_outside_ipython():
    from bvp_lib.widgets import use_zoomable_figures

    assert use_zoomable_figures() == matplotlib.get_backend()


def test_orders_strategy_bids_clears_and_delivers_on_the_forecasts(small):
    """Forecast mode with the orders strategy: the book from price scenarios, cleared at
    the realised prices; the view's schedule is the delivery, and it says so."""
    from bvp_lib.forecasting.day_ahead import forecast_day_ahead

    forecast_day_ahead(DAY, assets=list(SMALL_ASSETS), save=True, bind=small)
    cache = L.ScheduleCache(bind=small)
    state = L.ScheduleInputs(day=DAY, assets=SMALL_ASSETS, mode="forecast")
    orders = L.explore_schedule(state.replace(strategy="orders"), cache=cache)
    assert orders.ok, orders.message
    assert any(n.startswith("orders: ") and "price scenarios" in n for n in orders.notes)
    fixed = L.explore_schedule(state, cache=cache)
    assert fixed.ok
    # the same assets and steps; the orders' plan is valued at the realised prices, the schedule at the forecast's
    assert sorted(orders.result.schedule.columns) == sorted(fixed.result.schedule.columns)
    assert orders.result.schedule.index.equals(fixed.result.schedule.index)
    realised = cache.day_inputs(DAY, SMALL_ASSETS, "perfect").prices
    assert orders.result.prices.to_numpy() == pytest.approx(realised.to_numpy())
