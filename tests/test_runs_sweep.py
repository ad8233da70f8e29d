"""Scenario sweeps on a real local Dask cluster and the real database (small data set).

- a 2×2 sweep equals, scenario by scenario, the sequential backtest that stores every
  day exactly as the daily run (SoC carried over across the sweep's day ranges);
- a worker killed mid-run: the sweep finishes, with no duplicate rows;
- a failing day is recorded with its reason and the others go on;
- bad sweep files, overrides and clusters are refused with errors that name the thing.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time

import pandas as pd
import pytest
import sqlalchemy as sa

from bvp_lib.runs.backtest import load_days, run_backtest
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.overrides import apply_overrides, normalise_overrides
from bvp_lib.runs.sweep import SweepError, comparison, parse_sweep, run_sweep
from tests.helpers import SMALL_ASSETS

BATTERY = "battery-havel-01"
BASE = {"solver": "highs", "assets": SMALL_ASSETS}


def spec(name="s", first="2015-04-12", last="2015-04-14", chunk=2, grid=None, base=None):
    return parse_sweep({"name": name, "from": first, "to": last, "chunk_days": chunk, "base": base or BASE,
                        "grid": grid or {"battery.power_mw": [1.0, 2.5], "building.shiftable_share": [0.0, 0.3]}})  # fmt: skip


# ---------------------------------------------------------------------------------------
# sweep files and overrides (no database)


def test_grid_expands_to_every_combination_with_readable_run_names():
    s = spec(grid={"battery.power_mw": [1, 2], "models": ["linear", "seasonal_naive_daily"], "spread": [5, 10]})
    assert len(s.scenarios) == 8
    first = s.scenarios[0]
    assert first.run_name == "s/battery.power_mw=1 models=linear spread=5"
    assert parse_sweep({"name": "t", "from": "2015-04-12", "to": "2015-04-12",
                        "grid": {"battery.power_mw": [0.1, 0.1000001]}}).scenarios[1].run_name == "t/battery.power_mw=0.1000001"
    assert first.parameters["models"] == ["linear"]
    assert first.parameters["overrides"] == {"battery": {"power_mw": 1.0}}
    assert first.parameters["assets"] == SMALL_ASSETS and first.parameters["solver"] == "highs"
    assert len({sc.run_name for sc in s.scenarios}) == 8
    # scenarios differing only in battery size share their forecasts
    assert len({sc.forecast_key for sc in s.scenarios}) == 2


@pytest.mark.parametrize(
    "change, words",
    [
        ({"grid": {"battery.power": [1]}}, ["battery.power", "unknown attribute 'power'", "power_mw"]),
        ({"grid": {"colour": [1]}}, ["colour", "neither a backtest parameter"]),
        ({"grid": {"battery.power_mw": []}}, ["battery.power_mw", "non-empty list"]),
        ({"grid": {"battery.power_mw": [1, 1]}}, ["repeats a value"]),
        ({"grid": {"building.shiftable_share": [1.5]}}, ["building.shiftable_share", "outside [0, 1]"]),
        ({"to": "2015-04-01"}, ["before from"]),
        ({"name": "a/b"}, ["letters, digits"]),
        ({"name": ".."}, ["letters, digits"]),
        ({"grid": {"battery.power_mw": [1, 1.0]}}, ["same backtest", "1 and 1.0"]),
        ({"chunk_days": 0}, ["chunk_days"]),
        ({"colour": 1}, ["unknown key", "colour"]),
        ({"base": {"solvr": "highs"}}, ["solvr"]),
        ({"to": None}, ["missing to"]),
    ],
)
def test_bad_sweep_files_are_refused_naming_the_key(change, words):
    data = {"name": "s", "from": "2015-04-12", "to": "2015-04-13", "grid": {"battery.power_mw": [1]}, **change}
    with pytest.raises(SweepError) as e:
        parse_sweep(data, where="my-sweep.yaml")
    assert "my-sweep.yaml" in str(e.value)
    for w in words:
        assert w in str(e.value)


def test_no_grid_is_one_scenario_the_base():
    s = parse_sweep({"name": "year", "from": "2015-02-15", "to": "2015-12-31", "base": {"solver": "highs"}})
    assert [sc.run_name for sc in s.scenarios] == ["year/base"] and s.scenarios[0].parameters == {"solver": "highs"}
    assert len(s.days) == 320


def test_load_sweep_names_a_missing_or_broken_file(tmp_path):
    from bvp_lib.runs.sweep import load_sweep

    with pytest.raises(SweepError, match="does not exist"):
        load_sweep(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(SweepError, match="not valid YAML"):
        load_sweep(bad)


def test_the_bundled_sweep_file_parses():
    from bvp_lib.config import get_settings
    from bvp_lib.runs.sweep import load_sweep

    s = load_sweep(get_settings().root / "parameters" / "sweep.yaml")
    assert len(s.scenarios) == 4 and len(s.days) == 14


def test_overrides_scale_soc_with_energy_and_set_both_power_limits():
    rows = pd.DataFrame(
        {"type": ["battery", "building"], "capacity_mw": [5.0, 1.0], "max_charge_mw": [5.0, None],
         "max_discharge_mw": [4.0, None], "energy_capacity_mwh": [10.0, None], "soc_at_start_mwh": [5.0, None],
         "min_soc_mwh": [1.0, None], "max_soc_mwh": [9.0, None], "shiftable_share": [None, 0.1]},
        index=["bat", "bld"],
    )  # fmt: skip
    out = apply_overrides(rows, {"battery": {"power_mw": 2, "energy_mwh": 20}, "bld": {"shiftable_share": 0.4}})
    assert out.loc["bat", ["capacity_mw", "max_charge_mw", "max_discharge_mw"]].tolist() == [2.0, 2.0, 2.0]
    assert out.loc["bat", ["energy_capacity_mwh", "soc_at_start_mwh", "min_soc_mwh", "max_soc_mwh"]].tolist() == [
        20.0, 10.0, 2.0, 18.0]  # fmt: skip
    assert out.loc["bld", "shiftable_share"] == 0.4
    assert rows.loc["bat", "energy_capacity_mwh"] == 10.0  # the input is not changed
    # factors keep a mixed fleet's proportions
    out = apply_overrides(rows, {"battery": {"power_scale": 0.5, "energy_scale": 3}})
    assert out.loc["bat", ["capacity_mw", "max_charge_mw", "max_discharge_mw"]].tolist() == [2.5, 2.5, 2.0]
    assert out.loc["bat", ["energy_capacity_mwh", "soc_at_start_mwh", "min_soc_mwh", "max_soc_mwh"]].tolist() == [
        30.0, 15.0, 3.0, 27.0]  # fmt: skip
    # an asset name wins over its type
    out = apply_overrides(rows, {"battery": {"power_mw": 2}, "bat": {"power_mw": 3}})
    assert out.loc["bat", "max_charge_mw"] == 3.0
    with pytest.raises(SchedulingInputError, match="neither an asset type"):
        apply_overrides(rows, {"batery": {"power_mw": 2}})
    with pytest.raises(SchedulingInputError, match="must be a number"):
        normalise_overrides({"battery": {"power_mw": "big"}})
    with pytest.raises(SchedulingInputError, match="true or false"):
        normalise_overrides({"solar": {"curtailable": 1}})


# ---------------------------------------------------------------------------------------
# on the database and a local Dask cluster


@pytest.fixture(scope="module")
def client(small):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=50)  # fmt: skip
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def _counts(engine) -> dict:
    with engine.connect() as c:
        return {
            "days": c.execute(sa.text("SELECT count(*), count(DISTINCT (run_id, day)) FROM backtest_days")).one(),
            "assets": c.execute(sa.text(
                "SELECT count(*), count(DISTINCT (run_id, day, asset)) FROM backtest_asset_days")).one(),  # fmt: skip
            "forecasts": c.execute(sa.text(
                "SELECT count(*) FROM timed_beliefs b JOIN data_sources s ON s.id = b.source_id "
                "WHERE s.type = 'forecaster' AND s.name <> 'derived weather forecast'")).scalar(),  # fmt: skip
            "schedules": c.execute(sa.text(
                "SELECT count(*) FROM timed_beliefs b JOIN data_sources s ON s.id = b.source_id "
                "WHERE s.type = 'scheduler'")).scalar(),  # fmt: skip
        }


def test_2x2_sweep_on_a_local_cluster_equals_sequential_daily_runs(small, client):
    s = spec(name="grid")
    before = _counts(small)
    r = run_sweep(s, client=client, progress=False)
    assert not r.task_errors and r.computed_days == 12 and r.failed_days == 0 and r.workers == 2
    t = r.table
    assert len(t) == 4 and t["days_done"].tolist() == [3] * 4 and t["days_failed"].tolist() == [0] * 4
    assert t.attrs["axes"] == ["battery.power_mw", "building.shiftable_share"]
    assert list(t.columns[:2]) == t.attrs["axes"]
    # scenarios store results, never schedules (they run at once on the same sensors)
    after = _counts(small)
    assert after["schedules"] == before["schedules"]
    # a bigger battery earns more with perfect foresight; more shiftable load never earns less
    pf = t.set_index(["battery.power_mw", "building.shiftable_share"])["perfect_foresight_value_eur"]
    assert pf[(2.5, 0.0)] > pf[(1.0, 0.0)]
    assert pf[(1.0, 0.3)] >= pf[(1.0, 0.0)] - 1e-6
    # each scenario = the sequential backtest storing every day as the daily run does
    # (day ranges of 2 days: the SoC carries over from the sweep's first range to its second)
    for sc in (s.scenarios[0], s.scenarios[3]):
        ref = run_backtest("ref-" + sc.run_name, s.first, s.last, parameters=sc.parameters, progress=False)
        got, _ = load_days(sc.run_name)
        for k in ("realised_value_eur", "perfect_foresight_value_eur", "planned_value_eur"):
            assert got[k].to_numpy() == pytest.approx(ref.days[k].to_numpy(), rel=1e-6, abs=1e-6), (sc.run_name, k)
        _, ga = load_days(sc.run_name)
        _, ra = load_days("ref-" + sc.run_name)
        soc = lambda a: a[a["asset"] == BATTERY]["soc_end_mwh"].to_numpy()  # noqa: E731
        assert soc(ga) == pytest.approx(soc(ra), abs=1e-6)
    # resuming a finished sweep computes nothing
    again = run_sweep(s, client=client, progress=False)
    assert again.computed_days == 0
    assert again.table[["realised_value_eur"]].equals(t[["realised_value_eur"]])
    assert _counts(small)["days"][0] == _counts(small)["days"][1]


def test_a_worker_killed_mid_run_is_retried_without_duplicate_rows(small, client):
    s = spec(name="kill", first="2015-04-11", last="2015-04-14", chunk=2,
             grid={"battery.power_mw": [1.0, 2.0], "battery.energy_mwh": [4.0]})  # fmt: skip
    out: dict = {}
    th = threading.Thread(target=lambda: out.setdefault("r", run_sweep(s, client=client, progress=False)))
    th.start()
    pids = client.run(os.getpid)
    killed = None
    deadline = time.time() + 120
    while killed is None and time.time() < deadline and th.is_alive():
        for addr, keys in client.processing().items():
            if any(str(k).startswith("scenario-") for k in keys):
                with small.connect() as c:
                    n = c.execute(sa.text("SELECT count(*) FROM backtest_days d JOIN backtest_runs r ON r.id = d.run_id "
                                          "WHERE r.name LIKE 'kill/%'")).scalar()  # fmt: skip
                if n >= 1:  # a scenario task is half-way: one day stored, the next running
                    os.kill(pids[addr], signal.SIGKILL)
                    killed = addr
                    break
        time.sleep(0.05)
    th.join(300)
    assert killed is not None, "no scenario task was caught running"
    r = out["r"]
    assert not r.task_errors
    assert r.table["days_done"].tolist() == [4, 4]
    n = _counts(small)
    assert n["days"][0] == n["days"][1] and n["assets"][0] == n["assets"][1]
    with small.connect() as c:
        per_run = c.execute(sa.text(
            "SELECT r.name, count(*) FROM backtest_days d JOIN backtest_runs r ON r.id = d.run_id "
            "WHERE r.name LIKE 'kill/%' GROUP BY 1")).all()  # fmt: skip
        dup_forecasts = c.execute(sa.text(
            "SELECT count(*) FROM (SELECT sensor_id, event_start, source_id FROM timed_beliefs b "
            "JOIN data_sources s ON s.id = b.source_id WHERE s.type = 'forecaster' "
            "GROUP BY 1, 2, 3 HAVING count(*) > 1 AND count(DISTINCT belief_horizon) < count(*)) x")).scalar()  # fmt: skip
    assert sorted(c for _, c in per_run) == [4, 4]
    assert dup_forecasts == 0
    # the killed worker came back (the nanny restarts it)
    client.wait_for_workers(2, timeout=60)


def test_a_day_without_data_is_recorded_failed_with_its_reason(small, client):
    s = spec(name="fail", first="2015-04-14", last="2015-04-16", chunk=3, grid={"battery.power_mw": [1.0]})
    r = run_sweep(s, client=client, progress=False)
    assert not r.task_errors and r.failed_days == 2
    days, _ = load_days(s.scenarios[0].run_name)
    assert days.loc[dt.date(2015, 4, 14), "status"] == "done"
    for d in (dt.date(2015, 4, 15), dt.date(2015, 4, 16)):
        assert days.loc[d, "status"] == "failed"
        assert days.loc[d, "error"].startswith("forecast failed:")
    assert "(1 done" not in str(r) and r.table["days_failed"].tolist() == [2]


def test_workers_on_another_database_are_refused(small):
    from distributed import Client, LocalCluster

    from bvp_lib.runs.sweep import check_workers

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50,
                      env={"BVP_DATABASE_NAME": "postgres"}) as cluster, Client(cluster) as c:  # fmt: skip
        with pytest.raises(SweepError, match="sees database 'postgres'.*BVP_DATABASE_URL"):
            check_workers(c)


def test_an_unreachable_scheduler_is_named():
    from bvp_lib.runs.sweep import connect

    with pytest.raises(SweepError, match=r"No Dask scheduler answers at tcp://127.0.0.1:9.*--scheduler"):
        connect("tcp://127.0.0.1:9", timeout="2s")


def test_comparison_of_an_unknown_sweep_says_how_to_make_one(small):
    with pytest.raises(SweepError, match="No sweep named 'nope'"):
        comparison("nope")


def test_cli_refuses_a_bad_sweep_file_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from bvp_lib.cli.main import app

    f = tmp_path / "s.yaml"
    f.write_text("name: s\nfrom: 2015-04-12\nto: 2015-04-13\ngrid: {battery.powr_mw: [1]}\n")
    r = CliRunner().invoke(app, ["sweep", "-f", str(f)])
    assert r.exit_code == 1
    assert "unknown attribute 'powr_mw'" in r.output and "Traceback" not in r.output


def test_a_scenario_the_database_cannot_run_is_refused_before_any_work(small):
    bad_asset = spec(name="bad1", base={**BASE, "assets": ["solar-havel-01", "no-such-asset"]})
    with pytest.raises(SweepError, match=r"scenario battery.power_mw=1.0 .*no-such-asset"):
        run_sweep(bad_asset, workers=1, progress=False)
    bad_target = spec(name="bad2", grid={"battery-nowhere-01.power_mw": [1.0]})
    with pytest.raises(SweepError, match="battery-nowhere-01.*neither an asset type"):
        run_sweep(bad_target, workers=1, progress=False)
    with small.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM sweeps WHERE name LIKE 'bad%'")).scalar() == 0


def test_grid_axes_keep_the_sweep_files_order(small):
    """PostgreSQL's JSONB orders keys by length: the stored order is kept apart."""
    from bvp_lib.runs.sweep import register
    from bvp_lib.reporting.sweep import scenario_days

    s = spec(name="order", grid={"building.shiftable_share": [0.1], "battery.power_mw": [1.0, 2.0]})
    register(s)
    axes = ["building.shiftable_share", "battery.power_mw"]
    t = comparison("order")
    assert t.attrs["axes"] == axes and list(t.columns[:2]) == axes
    assert scenario_days("order").attrs["axes"] == axes
    assert t["days_done"].tolist() == [0, 0]


def test_overrides_reach_the_schedule_and_change_nothing_stored(small):
    from bvp_lib.scheduling.inputs import prepare_day

    before = prepare_day("2015-04-13", mode="perfect").info.loc[BATTERY]
    inputs = prepare_day("2015-04-13", mode="perfect",
                         overrides={"battery": {"energy_scale": 2, "power_mw": 1.5}, "building": {"shiftable_share": 0.25}})  # fmt: skip
    info = inputs.info
    assert info.loc[BATTERY, "capacity_mwh"] == pytest.approx(2 * before["capacity_mwh"])
    assert info.loc[BATTERY, "soc_start_mwh"] == pytest.approx(2 * before["soc_start_mwh"])
    assert info.loc[BATTERY, ["max_charge_mw", "max_discharge_mw"]].tolist() == [1.5, 1.5]
    assert info.loc["building-havel-rathaus-01", "shiftable_share"] == 0.25
    again = prepare_day("2015-04-13", mode="perfect").info.loc[BATTERY]
    assert again["capacity_mwh"] == before["capacity_mwh"] and again["max_charge_mw"] == before["max_charge_mw"]


def test_switching_and_degradation_are_sweep_axes():
    s = spec(grid={"complementarity": ["strict", "intra-step"], "battery.degradation_cost_eur_mwh": [0, 30]})
    assert len(s.scenarios) == 4
    params = [sc.parameters for sc in s.scenarios]
    assert "complementarity" not in params[0]  # strict is the default, kept out of the run's identity
    assert params[2]["complementarity"] == "intra-step"
    assert params[1]["overrides"] == {"battery": {"degradation_cost_eur_mwh": 30.0}}
    with pytest.raises(SweepError, match="intra-step"):
        spec(grid={"complementarity": ["intra_step"]})


def test_switching_and_degradation_reach_the_day_schedule(small):
    """12 April 2015 has negative prices: switching within a step is worth at least the
    strict optimum; a cost per MWh of throughput makes the battery cycle less."""
    from bvp_lib.scheduling.store import schedule_day

    kw = dict(mode="perfect", assets=SMALL_ASSETS, solver="highs", save=False)
    strict = schedule_day("2015-04-12", **kw)
    intra = schedule_day("2015-04-12", complementarity="intra-step", **kw)
    assert intra.result.objective >= strict.result.objective - 1e-6
    assert strict.result.stats.simultaneous_steps == 0
    worn = schedule_day("2015-04-12", overrides={"battery": {"degradation_cost_eur_mwh": 40.0}}, **kw)

    def throughput(r):
        return float((r.charge[BATTERY] + r.discharge[BATTERY]).sum())

    assert throughput(worn.result) < throughput(strict.result)
    assert worn.result.terms["degradation"] < 0
    with pytest.raises(ValueError, match="Did you mean .intra-step."):
        schedule_day("2015-04-12", complementarity="intra_step", **kw)
