"""The system fundamentals as price regressors against the real PostgreSQL (2018 set): read as
the day-ahead forecasts known at gate closure, never their measurements nor a later issue.

One module-wide data set: the 2018 small set plus the price, the weather and the system
fundamentals (measurements and day-ahead forecasts) from 10 March 2018. Tests that change
data do it inside a transaction they roll back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bvp_lib import forecasting as fc
from bvp_lib.forecasting import day_ahead
from bvp_lib.forecasting.config import load_parameters
from bvp_lib.forecasting.targets import forecast_targets, target_models
from bvp_lib.market.clock import gate_closure_of
from tests.conftest import truncate_all

TZ = "Europe/Berlin"
DAY = "2018-05-01"  # Labour Day: 18 hours with a negative price
SYSTEM = ["de_load_proxy", "de_wind", "de_solar", "de_residual_load"]


@pytest.fixture(scope="module")
def loaded18(db_engine):
    from bvp_lib.data.populate import populate

    truncate_all(db_engine)
    populate(structure=True, data=True, small=True, year=2018, bind=db_engine, progress=False)
    populate(structure=False, data=True, asset=["solar-havel-01"], start="2018-03-10", end="2018-05-02", year=2018,
             bind=db_engine, progress=False)  # fmt: skip
    yield db_engine
    truncate_all(db_engine)


def price(bind, **kw) -> pd.DataFrame:
    return day_ahead.forecast_day_ahead(DAY, assets=["epex_da"], models=["linear", "lightgbm"], save=False, bind=bind, **kw)


def test_the_price_models_read_the_markets_fundamentals(loaded18):
    t = forecast_targets(["epex_da"], bind=loaded18)[0]
    assert t.system == {"residual_load": "de_residual_load", "load": "de_load_proxy", "wind": "de_wind", "solar": "de_solar"}
    for m in target_models(t, ["linear", "lightgbm"]):
        assert m.spec.used_fundamentals() == ["de_residual_load", "de_load_proxy", "de_wind", "de_solar"]


def test_no_look_ahead_in_the_fundamentals(loaded18):
    b = gate_closure_of(DAY)
    before = price(loaded18)
    assert len(before) == 2 * 24 and np.isfinite(before["value"]).all()
    with loaded18.connect() as conn:
        tx = conn.begin()
        # every fundamental known only after gate closure: the measurements of D-1 from 11:00 and of D, the
        # forecasts of D+1 (issued 09:00 on D); and D's prices
        n = conn.execute(sa.text(
            "UPDATE timed_beliefs b SET value = b.value * 3 + 5000 FROM sensors s WHERE s.id = b.sensor_id "
            "AND (s.name = ANY(:sys) OR s.name = 'epex_da') AND b.event_start + s.event_resolution - b.belief_horizon > :b"),
            {"sys": SYSTEM, "b": b.to_pydatetime()}).rowcount  # fmt: skip
        assert n > 4 * 24
        pd.testing.assert_frame_equal(price(conn), before)
        # ... while D's forecasts, issued 09:00 on D-1, are read (the test can fail)
        conn.execute(sa.text(
            "UPDATE timed_beliefs b SET value = b.value * 0.6 FROM sensors s, data_sources d WHERE s.id = b.sensor_id "
            "AND d.id = b.source_id AND d.type = 'forecaster' AND s.name = ANY(:sys) AND b.event_start >= :a "
            "AND b.event_start < :e"),
            {"sys": SYSTEM, "a": pd.Timestamp(DAY, tz=TZ).to_pydatetime(),
             "e": pd.Timestamp("2018-05-02", tz=TZ).to_pydatetime()})  # fmt: skip
        moved = price(conn)
        tx.rollback()
    for src in ("linear", "lightgbm"):
        assert not np.allclose(moved[moved["source"] == src]["value"], before[before["source"] == src]["value"]), src


def test_without_fundamentals_the_same_models_run_and_differ(loaded18):
    p = load_parameters()
    for spec in p["asset_types"]["price"]["models"].values():
        spec["features"] = [f for f in spec["features"] if f != "fundamentals"]
    without = price(loaded18, parameters=p)
    with_f = price(loaded18)
    assert len(without) == len(with_f) == 48
    assert not np.allclose(without["value"], with_f["value"])
    # a missing source of the fundamentals' forecasts is named
    p2 = load_parameters()
    p2["system_forecasts"] = {"source": "nobody's forecast"}
    with pytest.raises(fc.RegressorError, match=r"no forecasts of the fundamentals.*nobody's forecast"):
        price(loaded18, parameters=p2)
