"""Report figures and tables: drawn from pandas inputs, units on every axis."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from bvp_lib.reporting import figures as F  # noqa: E402
from bvp_lib.timing import day_index  # noqa: E402

IDX = day_index("2015-03-29", "Europe/Berlin", "15min")  # a 23-hour day


@pytest.fixture
def day():
    n = len(IDX)
    price = pd.Series(30 + 20 * np.sin(np.arange(n) / n * 2 * np.pi), index=IDX)
    base = pd.DataFrame({"pv": np.clip(np.sin(np.arange(n) / n * np.pi), 0, None), "bat": 0.0}, index=IDX)
    plan = base.copy()
    plan.loc[IDX[10:14], "bat"] = -1.0
    plan.loc[IDX[60:64], "bat"] = 1.0
    return price, base, plan


def labels(fig):
    return [ax.get_ylabel() for ax in fig.axes if ax.get_visible()] + [ax.get_xlabel() for ax in fig.axes if ax.get_visible()]


def test_figures_have_units(day):
    price, base, plan = day
    for fig in (
        F.price_figure(price, plan - base),
        F.schedules_figure(plan, base, perfect=plan),
        F.soc_figure(pd.DataFrame({"bat": np.linspace(0, 1, len(IDX))}, index=IDX), capacity=pd.Series({"bat": 2.0})),
        F.forecast_figure(base, base * 1.1),
        F.owner_value_figure(pd.DataFrame({"realised_value_eur": [1.0], "perfect_foresight_value_eur": [2.0]}, index=["o"])),
    ):
        assert all("[" in lbl and "]" in lbl for lbl in labels(fig)), labels(fig)


def test_actions_table_periods_and_value(day):
    price, base, plan = day
    t = F.actions_table(plan - base, price)
    assert list(t["asset"]) == ["bat", "bat"]
    assert list(t["MWh"]) == [-1.0, 1.0]
    first = t.iloc[0]
    assert first["value EUR"] == pytest.approx(-(price.iloc[10:14] * 0.25).sum(), abs=0.01)
    assert first["start"] == IDX[10].tz_convert("Europe/Berlin").strftime("%H:%M")


def test_largest_actions_orders_periods(day):
    _, base, plan = day
    plan.loc[IDX[60:64], "bat"] = 2.0
    runs = F.largest_actions(plan - base)
    assert runs[0][0] == IDX[60] and runs[1][0] == IDX[10]
    assert F.largest_actions(base - base) == []


def test_headline_html_escapes():
    assert "&lt;b&gt;" in F.headline_html({"<b>": 1.0}) and "n/a" in F.headline_html({"x": None})
