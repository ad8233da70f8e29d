"""Figures and tables of a stored scenario sweep (bvp_lib.reporting.sweep).

One real 2 × 2 sweep of two days on the small portfolio is run once for the module on a
one-worker local Dask cluster; the tests read it back. Synthetic tables only where the
real sweep cannot show a case (three axes, a categorical axis).
"""

from __future__ import annotations

import datetime as dt
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bvp_lib.reporting import sweep as sr
from bvp_lib.reporting.figures import sweep as figures
from bvp_lib.runs.sweep import ensure_sweep
from bvp_lib.runs.sweep import SweepError, comparison, parse_sweep, run_sweep
from tests.conftest import truncate_all
from tests.helpers import SMALL_ASSETS, load_small_with_history

NAME = "report-test"
POWER, SHARE = "battery.power_mw", "building.shiftable_share"
SPEC = {"name": NAME, "from": "2015-04-11", "to": "2015-04-12", "chunk_days": 1,
        "base": {"solver": "highs", "assets": SMALL_ASSETS},
        "grid": {POWER: [1.0, 0.5], SHARE: [0.1, 0.3]}}  # fmt: skip


@pytest.fixture(scope="module")
def swept(db_engine):
    truncate_all(db_engine)
    load_small_with_history(db_engine)
    result = run_sweep(parse_sweep(SPEC), workers=1, progress=False)
    assert result.computed_days == 8 and not result.task_errors, str(result)
    yield db_engine
    plt.close("all")


@pytest.fixture
def table(swept):
    return comparison(NAME)


def _value(t: pd.DataFrame, value: str, **grid) -> float:
    mask = np.ones(len(t), dtype=bool)
    for k, v in grid.items():
        mask &= (t[k.replace("__", ".")] == v).to_numpy()
    assert mask.sum() == 1
    return float(t.loc[mask, value].iloc[0])


def _ticks(labels) -> list[str]:
    return [t.get_text() for t in labels]


def test_units_and_labels():
    assert sr.unit(POWER) == "MW" and sr.unit("battery.energy_mwh") == "MWh" and sr.unit(SHARE) == "-"
    assert sr.unit("models") is None and sr.unit("building.shift_window_hours") == "h"
    assert sr.label(POWER) == "battery.power_mw [MW]" and sr.label("realised_value_eur") == "realised value [EUR]"
    assert sr.label("captured_share") == "captured share [-]"


def test_value_surface_cells_are_the_table(table):
    fig = figures.value_surface(table)
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 1
    ax = images[0].axes
    # x = first axis, y = second; numeric axes sorted although the grid lists 1.0 first
    assert ax.get_xlabel() == "battery.power_mw [MW]" and ax.get_ylabel() == "building.shiftable_share [-]"
    assert _ticks(ax.get_xticklabels()) == ["0.5", "1"] and _ticks(ax.get_yticklabels()) == ["0.1", "0.3"]
    data = np.ma.getdata(images[0].get_array())
    assert data.shape == (2, 2)  # rows: share, columns: power
    for i, s in enumerate([0.1, 0.3]):
        for j, p in enumerate([0.5, 1.0]):
            assert data[i, j] == pytest.approx(_value(table, "realised_value_eur", **{POWER: p, SHARE: s}))
    # every cell annotated with its value, and one colour bar in EUR
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 4
    spec = ",.0f" if np.abs(data).max() >= 100 else ".1f" if np.abs(data).max() >= 1 else ".3g"
    assert sorted(texts) == sorted(format(v, spec) for v in data.ravel())
    colorbars = [a for a in fig.axes if a is not ax]
    assert len(colorbars) == 1 and colorbars[0].get_ylabel() == "realised value [EUR]"
    # a bigger battery can earn at least as much with perfect foresight (a larger feasible set)
    for s in (0.1, 0.3):
        assert _value(table, "perfect_foresight_value_eur", **{POWER: 1.0, SHARE: s}) >= _value(
            table, "perfect_foresight_value_eur", **{POWER: 0.5, SHARE: s}) - 1e-6  # fmt: skip
    plt.close(fig)


def test_value_surface_of_captured_share_with_swapped_axes(table):
    fig = figures.value_surface(table, "captured_share", x=SHARE, y=POWER)
    (im,) = [im for ax in fig.axes for im in ax.images]
    assert im.axes.get_xlabel() == "building.shiftable_share [-]"
    data = np.ma.getdata(im.get_array())
    for i, p in enumerate([0.5, 1.0]):
        for j, s in enumerate([0.1, 0.3]):
            assert data[i, j] == pytest.approx(_value(table, "captured_share", **{POWER: p, SHARE: s}))
            assert 0 < data[i, j] <= 1
    assert fig.axes[-1].get_ylabel() == "captured share [-]"
    assert sorted(t.get_text() for t in im.axes.texts) == sorted(f"{v:.2f}" for v in data.ravel())
    plt.close(fig)


def test_value_surface_with_one_varying_axis_is_a_line(table):
    half = table[table[POWER] == 0.5].reset_index(drop=True)
    half.attrs = dict(table.attrs)
    fig = figures.value_surface(half)
    (ax,) = fig.axes
    assert not ax.images and len(ax.lines) == 1
    x, y = ax.lines[0].get_data()
    assert list(x) == [0.1, 0.3]
    assert list(y) == pytest.approx([_value(half, "realised_value_eur", **{SHARE: s}) for s in (0.1, 0.3)])
    assert ax.get_xlabel() == "building.shiftable_share [-]" and ax.get_ylabel() == "realised value [EUR]"
    assert "battery.power_mw=0.5" in ax.get_title()
    plt.close(fig)


def _synthetic(power=(2.0, 0.5, 1.0), energy=(1.0, 2.0), models=("linear", "seasonal_naive_daily")):
    rows = []
    for p in power:
        for e in energy:
            for m in models:
                rows.append({POWER: p, "battery.energy_mwh": e, "models": m, "run": f"s/{p}-{e}-{m}",
                             "days_done": 2, "days_failed": 0, "realised_value_eur": 100 * p + 10 * e + len(m),
                             "perfect_foresight_value_eur": 200 * p + 20 * e, "captured_share": 0.5})  # fmt: skip
    t = pd.DataFrame(rows)
    t.attrs.update(axes=[POWER, "battery.energy_mwh", "models"], name="synthetic")
    return t


def test_value_surface_small_multiples_share_one_colour_scale():
    t = _synthetic()
    fig = figures.value_surface(t)
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 2  # one panel per model
    assert {im.norm.vmin for im in images} == {float(t["realised_value_eur"].min())}
    assert {im.norm.vmax for im in images} == {float(t["realised_value_eur"].max())}
    assert [im.axes.get_title() for im in images] == ["models=linear", "models=seasonal_naive_daily"]
    for im in images:
        m = im.axes.get_title().split("=")[1]
        assert _ticks(im.axes.get_xticklabels()) == ["0.5", "1", "2"]
        data = np.ma.getdata(im.get_array())
        assert data.shape == (2, 3)
        for i, e in enumerate([1.0, 2.0]):
            for j, p in enumerate([0.5, 1.0, 2.0]):
                assert data[i, j] == pytest.approx(100 * p + 10 * e + len(m))
    assert sum(1 for a in fig.axes if a.get_ylabel() == "realised value [EUR]") == 1  # one colour bar
    plt.close(fig)


def test_value_surface_categorical_axis_and_missing_cells():
    t = _synthetic(power=(1.0,), energy=(1.0,))
    fig = figures.value_surface(t)
    (ax,) = fig.axes
    assert [round(b.get_height(), 6) for b in ax.patches] == pytest.approx(list(t["realised_value_eur"]))
    assert _ticks(ax.get_xticklabels()) == ["linear", "seasonal_naive_daily"] and ax.get_xlabel() == "models"
    plt.close(fig)
    # a grid point without a scenario is a blank cell, not an error
    t = _synthetic(models=("linear",)).iloc[1:]
    fig = figures.value_surface(t, x="battery.energy_mwh", y=POWER)
    (im,) = [im for ax in fig.axes for im in ax.images]
    assert np.ma.getmaskarray(im.get_array()).sum() == 1 and "–" in [x.get_text() for x in im.axes.texts]
    plt.close(fig)


def test_value_surface_of_a_sweep_without_grid():
    t = _synthetic(power=(1.0,), energy=(1.0,), models=("linear",))[["run", "days_done", "days_failed",
                                                                      "realised_value_eur", "captured_share"]]
    t.attrs.update(axes=[], name="base-only")
    fig = figures.value_surface(t)
    (ax,) = fig.axes
    assert [b.get_height() for b in ax.patches] == pytest.approx([116.0])
    assert _ticks(ax.get_xticklabels()) == ["base"]
    assert sr.headline(t)["best scenario"] == "base"
    plt.close(fig)


def test_value_surface_errors(table):
    with pytest.raises(ValueError, match="empty"):
        figures.value_surface(table.iloc[0:0])
    with pytest.raises(ValueError, match=r"x='battery\.nope' is not a grid axis.*battery\.power_mw"):
        figures.value_surface(table, x="battery.nope")
    with pytest.raises(ValueError, match="y='run' is not a grid axis"):
        figures.value_surface(table, y="run")
    with pytest.raises(ValueError, match="same axis"):
        figures.value_surface(table, x=POWER, y=POWER)
    with pytest.raises(ValueError, match="not a column"):
        figures.value_surface(table, "no_such_value")
    with pytest.raises(ValueError, match="not numeric"):
        figures.value_surface(table, "run")
    doubled = pd.concat([table, table], ignore_index=True)
    doubled.attrs = dict(table.attrs)
    with pytest.raises(ValueError, match="Several rows"):
        figures.value_surface(doubled)


def test_cumulative_by_scenario_ends_at_the_totals(table):
    fig = figures.cumulative_by_scenario(NAME)
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert len(lines) == 4
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for ln, text in zip(lines, legend):
        assert ln.get_label() == text
        match = re.fullmatch(r"battery\.power_mw=(.+), building\.shiftable_share=(.+)", text)
        p, s = (float(v) for v in match.groups())
        assert ln.get_ydata()[-1] == pytest.approx(_value(table, "realised_value_eur", **{POWER: p, SHARE: s}))
    assert [pd.Timestamp(x).date() for x in lines[0].get_xdata()] == [dt.date(2015, 4, 11), dt.date(2015, 4, 12)]
    assert ax.get_ylabel() == "cumulative realised value [EUR]"
    plt.close(fig)
    with pytest.raises(SweepError, match="No sweep named 'nope'.*report-test"):
        figures.cumulative_by_scenario("nope")


def test_best_scenarios_headline_and_tables(table):
    best = sr.best_scenarios(table, n=2)
    assert list(best.index) == [1, 2] and best.index.name == "rank"
    r = best["realised value [EUR]"]
    assert r.iloc[0] == pytest.approx(table["realised_value_eur"].max(), abs=0.01) and r.iloc[0] >= r.iloc[1]
    assert list(best.columns[:2]) == [POWER, SHARE] and "captured share [-]" in best.columns
    lost = best["perfect-foresight value [EUR]"] - best["realised value [EUR]"]
    assert list(best["value lost [EUR]"]) == pytest.approx(list(lost), abs=0.02)
    assert len(sr.best_scenarios(table, n=None)) == 4 and len(sr.format_table(table)) == 4
    with pytest.raises(ValueError):
        sr.best_scenarios(table, n=0)
    head = sr.headline(table)
    top = table.loc[table["realised_value_eur"].idxmax()]
    assert head["best scenario"] == f"{POWER}={top[POWER]:g}, {SHARE}={top[SHARE]:g}"
    assert head["realised value [EUR]"] == pytest.approx(top["realised_value_eur"])
    assert head["captured share"] == pytest.approx(top["captured_share"])
    assert (head["scenarios"], head["days"], head["days failed"]) == (4, 2, 0)
    assert "bvp-headline" in sr.headline_html(table)


def test_failed_days_names_scenario_day_and_error(swept):
    assert sr.failed_days(NAME).empty
    with swept.connect() as c:
        tx = c.begin()
        c.execute(sa.text("UPDATE backtest_days d SET status = 'failed', error = 'SchedulingInputError: gap', "
                          "realised_value_eur = NULL FROM backtest_runs r WHERE r.id = d.run_id "
                          "AND r.name = :n AND d.day = '2015-04-12'"),
                  {"n": f"{NAME}/{POWER}=0.5 {SHARE}=0.3"})  # fmt: skip
        f = sr.failed_days(NAME, bind=c)
        t = comparison(NAME, bind=c)
        fig = figures.cumulative_by_scenario(NAME, bind=c)
        tx.rollback()
    assert f.to_dict("records") == [{"scenario": f"{POWER}=0.5, {SHARE}=0.3", "day": dt.date(2015, 4, 12),
                                     "error": "SchedulingInputError: gap"}]  # fmt: skip
    assert sr.headline(t)["days failed"] == 1
    # the failed day adds nothing: that scenario's line stays flat on the last day
    ys = [ln.get_ydata() for ln in fig.axes[0].get_lines() if not ln.get_label().startswith("_")]
    assert sum(1 for y in ys if y[1] == y[0]) >= 1
    plt.close(fig)


def test_ensure_sweep_runs_only_what_is_missing(swept, tmp_path):
    import yaml

    f = tmp_path / "sweep.yaml"
    f.write_text(yaml.safe_dump(SPEC))
    assert ensure_sweep(NAME, "") is None
    assert ensure_sweep(NAME, f) is None  # stored and complete: nothing runs
    with pytest.raises(SweepError, match="describes the sweep 'report-test', not 'other'"):
        ensure_sweep("other", f)


def test_render_sweep_report(swept, tmp_path):
    with pytest.raises(SweepError, match="No sweep named 'nope'"):
        sr.render_sweep_report("nope", tmp_path)
    with pytest.raises(ValueError, match="cannot name a report folder"):
        sr.render_sweep_report("..", tmp_path)
    r = sr.render_sweep_report(NAME, tmp_path)
    assert r.folder == tmp_path / "sweeps" / NAME and r.html.exists()
    page = r.html.read_text()
    assert "Traceback" not in page
    assert page.count("data:image/png;base64") == 3  # two value surfaces and the cumulative value
    assert "Best scenarios" in page and "battery.power_mw=" in page
