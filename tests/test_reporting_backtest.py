"""Summaries and figures of a stored backtest run (bvp_lib.reporting.backtest)."""

from __future__ import annotations

import datetime as dt

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from bvp_lib.reporting import backtest as br
from bvp_lib.reporting.figures import period as figures
from bvp_lib.runs.backtest import ensure_run_days

D1, D2, D3 = dt.date(2015, 4, 12), dt.date(2015, 4, 13), dt.date(2015, 5, 1)


def _days():
    return pd.DataFrame({
        "day": [D1, D2, D3], "status": ["done", "failed", "done"], "error": [None, "SchedulingInputError: gap", None],
        "realised_value_eur": [80.0, None, 30.0], "perfect_foresight_value_eur": [100.0, None, 60.0],
        "captured_share": [0.8, None, 0.5]}).set_index("day")  # fmt: skip


def _assets():
    return pd.DataFrame({"day": [D1, D1, D3], "asset": ["b", "s", "b"], "type": ["battery", "solar", "battery"],
                         "realised_value_eur": [50.0, 30.0, 30.0], "perfect_foresight_value_eur": [70.0, 30.0, 60.0]})  # fmt: skip


def test_summary_cumulative_and_value_lost():
    s = br.summary(_days())["value"]
    assert s["days done"] == 2 and s["days failed"] == 1
    assert s["value lost [EUR]"] == pytest.approx(50.0) and s["captured share"] == pytest.approx(110 / 160)
    c = br.cumulative(_days())
    assert list(c.index) == [D1, D3] and c["realised_value_eur"].iloc[-1] == pytest.approx(110.0)
    assert list(br.value_lost(_days())["value_lost_eur"]) == pytest.approx([20.0, 30.0])
    assert list(br.failed_days(_days()).index) == [D2]


def test_by_month_and_type_and_best_worst():
    t = br.value_by_month_and_type(_assets())
    assert t.loc[("2015-04", "battery"), "captured_share"] == pytest.approx(50 / 70)
    assert t.loc[("2015-05", "battery"), "realised_value_eur"] == pytest.approx(30.0)
    bw = br.best_and_worst_days(_days(), n=1)
    assert list(bw["rank"]) == ["best", "worst"] and list(bw.index) == [D1, D3]


def test_figures_have_units_and_handle_empty_runs():
    import matplotlib.pyplot as plt

    for days, assets in ((_days(), _assets()), (pd.DataFrame(), pd.DataFrame())):
        for fig in (figures.cumulative_figure(days), figures.month_type_figure(assets), figures.value_lost_figure(days)):
            ax = fig.axes[0]
            assert "[" in ax.get_xlabel() or "/" in ax.get_xlabel()
            assert "[EUR]" in ax.get_ylabel() + ax.get_xlabel()  # value up, or across for horizontal bars
            plt.close(fig)
        assert br.summary(days)["value"]["days"] == len(days)


def test_load_run_runs_when_missing(small):
    assert br.load_run("no-such-run")[2] is None
    assert ensure_run_days("report-demo", D1, D1, run_if_missing=False) is None
    assert ensure_run_days("report-demo", D1, D1) is not None
    assert ensure_run_days("report-demo", D1, D1) is None
    days, assets, info = br.load_run("report-demo")
    assert info.name == "report-demo" and info.parameters == {"solver": "highs"}
    assert list(days.index) == [D1] and days.loc[D1, "status"] == "done"
    assert len(assets) and assets["type"].notna().all() and "unknown" not in set(assets["type"])
    t = br.forecast_error_vs_value_lost(days)
    assert list(t.index) == [D1] and t["price_forecast_mae_eur_mwh"].notna().all()
    assert t["price_forecast_mae_eur_mwh"].iloc[0] >= 0
    assert "[EUR/MWh]" in figures.price_error_figure(t).axes[0].get_xlabel()
