"""bvp_lib.reporting.explore: price statistics by hand, coverage on the real test database."""

from __future__ import annotations

import pandas as pd
import pytest

from bvp_lib.reporting import explore


def test_price_statistics_by_hand():
    idx = pd.date_range("2015-04-11 22:00", periods=48, freq="1h", tz="UTC")  # two local days
    p = pd.Series([10.0] * 24 + [-5.0] * 2 + [40.0] * 22, index=idx)
    s = explore.price_statistics(p)
    assert s["negative hours [h]"] == 2.0 and s["min [EUR/MWh]"] == -5.0
    assert s["mean daily spread [EUR/MWh]"] == pytest.approx((0 + 45) / 2)


def test_coverage_and_gaps(db):
    from bvp_lib.data.populate import populate

    populate(structure=True, data=True, small=True, bind=db, progress=False)
    start, end = pd.Timestamp("2015-04-11", tz="Europe/Berlin"), pd.Timestamp("2015-04-16", tz="Europe/Berlin")
    cov = explore.coverage(start, end, bind=db)
    assert cov.loc["solar-havel-01"].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert explore.gaps(cov).empty
    assert set(explore.portfolio(bind=db)["type"]) == {"solar", "wind", "building", "battery"}
