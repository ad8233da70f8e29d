"""The bundled 2015 demo data set: committed files, parser, generator pieces, determinism."""

from __future__ import annotations

import hashlib
import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.reproduced import differences
from bvp_lib.data import bundled
from bvp_lib.data import generate_buildings as gb
from bvp_lib.data import generate_ev as gev
from bvp_lib.data import generate_weather as gw
from bvp_lib.data import generate_wind as gwi
from bvp_lib.data.generate_prices import SMARD_DE_AT_LU, missing_periods, read_smard_prices

BUNDLED = bundled.DEFAULT_OUT_DIR
N_QUARTERS = 35040


@pytest.fixture(scope="module")
def structure() -> dict:
    return json.loads((BUNDLED / "assets.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((BUNDLED / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def series() -> dict[str, pd.Series]:
    ts = pd.read_parquet(BUNDLED / "timeseries.parquet")
    assert list(ts.columns) == ["sensor", "event_start", "value"]
    assert str(ts["event_start"].dt.tz) == "UTC"
    assert ts["value"].dtype == np.float64 and ts["value"].notna().all()
    return {name: g.set_index("event_start")["value"] for name, g in ts.groupby("sensor", sort=False)}


@pytest.fixture(scope="module")
def sessions() -> pd.DataFrame:
    s = pd.read_csv(BUNDLED / "charging_sessions.csv")
    for c in ("arrival", "departure"):
        assert s[c].str.endswith("+00:00").all()
        s[c] = pd.to_datetime(s[c], utc=True)
    return s


def assets_of(structure: dict, type_: str) -> list[dict]:
    return [a for a in structure["assets"] if a["type"] == type_]


# ---------------------------------------------------------------- prices


def test_price_facts():
    p = pd.read_csv(BUNDLED / "prices_epex_da.csv")
    p.index = pd.to_datetime(p.pop("event_start"), utc=True)
    s = p["price_eur_per_mwh"]
    assert round(s.mean(), 2) == 31.83
    assert s.min() == -79.94
    assert s.idxmin() == pd.Timestamp("2015-04-12 14:00", tz="Europe/Berlin")
    assert (s < 0).sum() == 110
    # 1-4 January 2015 have no DE-AT-LU price: the series starts on 5 January, local midnight.
    assert s.index[0] == pd.Timestamp("2015-01-05 00:00", tz="Europe/Berlin")
    assert s.index[-1] == pd.Timestamp("2015-12-31 23:00", tz="Europe/Berlin")
    assert len(s) == 8760 - 4 * 24 and s.notna().all()
    assert (np.diff(s.index.asi8) == 3_600 * 10**9).all()


def test_parser_reads_the_vendored_file():
    s = read_smard_prices(bundled.SMARD_FILE)
    assert s.name == "price" and str(s.index.tz) == "UTC" and s.index.freqstr == "h"
    assert len(s) == 8760 and s.isna().sum() == 96
    assert missing_periods(s) == [
        (pd.Timestamp("2015-01-01", tz="Europe/Berlin"), pd.Timestamp("2015-01-05", tz="Europe/Berlin"))
    ]
    # The 25-hour day: 2:00 AM twice in the file, 25.07 (summer time) then 25.02 (winter time).
    day = s.tz_convert("Europe/Berlin")["2015-10-25"]
    assert len(day) == 25 and day.iloc[2] == 25.07 and day.iloc[3] == 25.02
    assert len(s.tz_convert("Europe/Berlin")["2015-03-29"]) == 23


HEADER = f"Date;Time of day;Germany/Luxembourg[€/MWh];{SMARD_DE_AT_LU}\n"


def smard_file(tmp_path: Path, rows: list[tuple[str, str, str]], name: str = "prices.csv") -> Path:
    path = tmp_path / name
    text = HEADER + "".join(f"{d};{t};-;{v}\n" for d, t, v in rows)
    path.write_bytes(text.encode("utf-8-sig"))
    return path


def hours(date: str, times: list[str]) -> list[tuple[str, str, str]]:
    return [(date, t, str(i + 0.5)) for i, t in enumerate(times)]


def test_parser_dst(tmp_path):
    spring = hours("Mar 29, 2015", ["12:00 AM", "1:00 AM", "3:00 AM", "4:00 AM"])
    autumn = hours("Oct 25, 2015", ["12:00 AM", "1:00 AM", "2:00 AM", "2:00 AM", "3:00 AM"])
    s = read_smard_prices(smard_file(tmp_path, spring))
    assert list(s.index) == list(pd.date_range("2015-03-28 23:00", periods=4, freq="h", tz="UTC"))
    s = read_smard_prices(smard_file(tmp_path, autumn, "autumn.csv"))
    assert list(s.index) == list(pd.date_range("2015-10-24 22:00", periods=5, freq="h", tz="UTC"))
    assert list(s.index.tz_convert("Europe/Berlin").strftime("%H:%M%z")) == [
        "00:00+0200", "01:00+0200", "02:00+0200", "02:00+0100", "03:00+0100"]  # fmt: skip
    assert list(s) == [0.5, 1.5, 2.5, 3.5, 4.5]  # order of the file kept


def test_parser_missing_values(tmp_path):
    rows = [("Jan 5, 2015", "12:00 AM", "-"), ("Jan 5, 2015", "1:00 AM", "-12.5")]
    s = read_smard_prices(smard_file(tmp_path, rows))
    assert s.isna().tolist() == [True, False] and s.iloc[1] == -12.5


@pytest.mark.parametrize(
    "rows, match",
    [
        ([("Jan 5, 2015", "12:00 AM", "1"), ("Jan 5 2015", "1:00 AM", "2")], "line 3: cannot read date"),
        ([("Jan 5, 2015", "12:00 AM", "1"), ("Jan 5, 2015", "1:00 XM", "2")], "line 3: cannot read date"),
        ([("Jan 5, 2015", "12:00 AM", "1"), ("Jan 5, 2015", "1:00 AM", "n/a")], "line 3: .* neither a number"),
        ([("Mar 29, 2015", "1:00 AM", "1"), ("Mar 29, 2015", "2:00 AM", "2")], "line 3: .* does not exist"),
        ([("Jan 5, 2015", "12:00 AM", "1"), ("Jan 5, 2015", "2:00 AM", "2")], "line 3: .* by one hour"),
        ([("Jan 5, 2015", "1:00 AM", "1"), ("Jan 5, 2015", "1:00 AM", "2")], "line 3: .* by one hour"),
        ([("Oct 25, 2015", "2:00 AM", "1")] * 3, "line 4: .* more than twice"),
    ],
)
def test_parser_errors_name_file_and_line(tmp_path, rows, match):
    path = smard_file(tmp_path, rows, "bad.csv")
    with pytest.raises(ValueError, match=match) as e:
        read_smard_prices(path)
    assert "bad.csv" in str(e.value)


def test_parser_errors_on_missing_column_and_empty_file(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("Date;Time of day;France[€/MWh]\nJan 5, 2015;12:00 AM;1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"other.csv: no column 'Germany/Austria/Luxembourg"):
        read_smard_prices(path)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty.csv"):
        read_smard_prices(empty)


# ---------------------------------------------------------------- weather


def test_try_mapping_and_weather_series(series):
    data, station = gw.read_try(gw.try_path(4))
    assert station.station == "Potsdam" and abs(station.latitude - 52.383) < 0.01
    hourly = gw.try_to_year(data, 2015)
    # First TRY row (1 January, hour ending 01:00 MEZ) starts at 2014-12-31 23:00 UTC.
    assert hourly.index[0] == pd.Timestamp("2014-12-31 23:00", tz="UTC") and len(hourly) == 8760
    assert hourly["temperature"].iloc[0] == data["t"].iloc[0]
    temp = series["try_region04_temperature"]
    assert len(temp) == 8760 and temp.index[0] == bundled.PERIOD_START
    np.testing.assert_array_equal(temp.to_numpy(), data["t"].to_numpy(float))
    np.testing.assert_array_equal(series["try_region04_irradiance"].to_numpy(), (data["B"] + data["D"]).to_numpy(float))


# ---------------------------------------------------------------- solar


def test_pv_zero_at_night_and_plausible_yield(structure, series):
    import pvlib

    index = bundled.quarter_hours()
    north_central, weights = [], []
    for a in assets_of(structure, "solar"):
        p = series[a["name"]]
        assert p.index.equals(index)
        assert p.min() >= 0 and p.max() <= a["capacity_mw"] + 1e-9
        mid = index + pd.Timedelta(minutes=7.5)
        elevation = pvlib.solarposition.get_solarposition(mid, a["latitude"], a["longitude"])["elevation"]
        # The quarter-hour's sun is below the horizon at its start, middle and end: no power.
        night = (elevation < -3).to_numpy()
        assert night.sum() > 15000 and (p.to_numpy()[night] == 0).all()
        kwh_per_kwp = p.sum() * 0.25 / a["attributes"]["dc_capacity_mwp"]
        assert 900 <= kwh_per_kwp <= 1075, (a["name"], kwh_per_kwp)
        if a["attributes"]["try_region"] in (1, 4):  # northern and central Germany
            north_central.append(kwh_per_kwp)
            weights.append(a["attributes"]["dc_capacity_mwp"])
    assert 950 <= np.average(north_central, weights=weights) <= 1050


# ---------------------------------------------------------------- wind


def test_wind_within_power_curve(structure, series):
    index = bundled.quarter_hours()
    for a in assets_of(structure, "wind"):
        at = a["attributes"]
        design = gwi.WindDesign(at["turbine_type"], at["hub_height_m"], at["n_turbines"], at["roughness_length_m"])
        p = series[a["name"]]
        assert p.min() >= 0 and p.max() <= a["capacity_mw"] + 1e-9
        assert a["capacity_mw"] == pytest.approx(gwi.nominal_power_mw(design))
        curve = gwi.power_curve(design)
        v10 = gw.interpolate_to_quarter_hours(series[at["weather_sensors"][0]], index)
        v_hub = gwi.hub_wind_speed(v10, design).to_numpy()
        on_curve = at["n_turbines"] * np.interp(v_hub, curve["wind_speed"], curve["value"], left=0, right=0) / 1e6
        assert (p.to_numpy() <= on_curve + 1e-9).all()
        np.testing.assert_allclose(p.to_numpy(), np.minimum(on_curve, a["capacity_mw"]), atol=1e-9)
        assert 0.05 < p.mean() / a["capacity_mw"] < 0.5


# ---------------------------------------------------------------- buildings


def test_buildings_sum_to_annual_consumption(structure, series):
    for a in assets_of(structure, "building"):
        p = series[a["name"]]
        assert len(p) == N_QUARTERS and (p <= 0).all()
        assert -p.sum() * 0.25 == pytest.approx(a["attributes"]["annual_consumption_mwh"], rel=1e-9)
        assert 0.1 <= a["shiftable_share"] <= 0.3 and a["shift_window_hours"] == 3
        assert a["capacity_mw"] >= -p.min() - 1e-9


def test_building_profiles_follow_the_wall_clock(series):
    local = series["building-havel-rathaus-01"].tz_convert("Europe/Berlin")
    assert len(local["2015-03-29"]) == 92 and len(local["2015-10-25"]) == 100
    autumn = local["2015-10-25"]
    repeated = autumn[autumn.index.hour == 2]
    assert len(repeated) == 8
    np.testing.assert_array_equal(repeated.iloc[:4].to_numpy(), repeated.iloc[4:].to_numpy())
    # Office: working days draw more than Sundays and holidays (3 October 2015 is a Saturday; 25 December a Friday).
    daily = -local.resample("D").sum() * 0.25
    assert daily["2015-12-25"] < 0.7 * daily["2015-12-22"]


def test_align_days_keeps_weekdays_and_holidays():
    dates = pd.date_range("2015-01-01", "2015-12-31", freq="D")
    hol = gb.public_holidays(2015, "BB")
    chosen = pd.Timestamp("2016-01-01") + pd.to_timedelta(gb.align_days(dates, hol), unit="D")
    assert (chosen.year == 2016).all()
    is_hol = dates.isin(pd.to_datetime(hol))
    assert (chosen[is_hol].weekday == 6).all()
    assert (chosen[~is_hol].weekday == dates[~is_hol].weekday).all()
    assert not chosen[~is_hol].isin(pd.to_datetime(gb.public_holidays(2016))).any()


def test_demandlib_call_leaves_warning_filters_alone():
    gb._demandlib_frame.cache_clear()
    before = list(warnings.filters)
    frame = gb.demandlib_profiles(2015, gb.public_holidays(2015))
    assert list(warnings.filters) == before
    assert frame.shape == (N_QUARTERS, 12) and frame["g0"].sum() == pytest.approx(1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("still a warning, not an error", UserWarning)
    assert len(caught) == 1


# ---------------------------------------------------------------- EV


def test_ev_sessions_feasible(structure, sessions, series):
    stations = {a["name"]: a for a in structure["assets"] if "charging_station" in a["type"]}
    assert set(sessions["asset"]) == set(stations)
    assert sessions["session_key"].is_unique
    dwell_h = (sessions["departure"] - sessions["arrival"]).dt.total_seconds() / 3600
    assert (dwell_h > 0).all()
    assert (sessions["energy_mwh"] > 0).all()
    assert (sessions["energy_mwh"] <= 0.9 * sessions["max_power_mw"] * dwell_h + 1e-12).all()
    for c in ("arrival", "departure"):
        assert (sessions[c].dt.minute % 15 == 0).all() and (sessions[c].dt.second == 0).all()
    assert (sessions["arrival"] >= bundled.PERIOD_START).all() and (sessions["departure"] <= bundled.PERIOD_END).all()
    index = bundled.quarter_hours()
    for name, a in stations.items():
        s = sessions[sessions["asset"] == name]
        bidi = a["type"] == "bidirectional_charging_station"
        assert a["attributes"]["bidirectional"] == bidi and len(s) == a["attributes"]["sessions"]
        if bidi:
            assert (s["soc_at_arrival_mwh"] >= 0).all()
            assert (s["soc_at_arrival_mwh"] + s["energy_mwh"] <= s["battery_capacity_mwh"] + 1e-9).all()
        else:
            assert s["battery_capacity_mwh"].isna().all() and s["soc_at_arrival_mwh"].isna().all()
        # Never more cars than charge points.
        a_pos, d_pos = index.get_indexer(s["arrival"]), index.searchsorted(s["departure"])
        present = np.cumsum(np.bincount(a_pos, minlength=N_QUARTERS + 1) - np.bincount(d_pos, minlength=N_QUARTERS + 1))
        assert present.max() <= a["attributes"]["charge_points"]
        p = series[name]
        assert (p <= 1e-12).all() and -p.min() <= a["capacity_mw"] + 1e-9
        assert -p.sum() * 0.25 == pytest.approx(s["energy_mwh"].sum(), rel=1e-9)


def test_ev_baseline_charges_at_full_power_from_arrival():
    index = pd.date_range("2015-06-01", periods=16, freq="15min", tz="UTC")
    s = pd.DataFrame({"arrival": [index[2], index[3]], "energy_mwh": [0.011 * 0.25 * 2.5, 0.022 * 0.25],
                      "max_power_mw": [0.011, 0.022]})  # fmt: skip
    p = -gev.baseline_power(s, index).to_numpy()
    np.testing.assert_allclose(p[:7], [0, 0, 0.011, 0.011 + 0.022, 0.0055, 0, 0], atol=1e-12)


def test_ev_sampling_is_seeded(sessions):
    simbench = gb.read_simbench_profiles(bundled.SIMBENCH_FILE)
    cal = gev.calibrate(simbench, "workplace", gb.public_holidays(2016))
    assert 6 * 60 <= np.median(cal.start_minutes["working"]) <= 9 * 60  # people arrive at work in the morning
    station = gev.EvStation("x", "workplace", 5, 11.0, True, "BB")
    hol = gb.public_holidays(2015, "BB")
    args = (station, cal, bundled.PERIOD_START, bundled.PERIOD_END, hol)
    a = gev.sample_sessions(*args, np.random.default_rng(7))
    b = gev.sample_sessions(*args, np.random.default_rng(7))
    c = gev.sample_sessions(*args, np.random.default_rng(8))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


# ---------------------------------------------------------------- portfolio, manifest, small set


def test_assets_json_is_sane(structure, series):
    names = [a["name"] for a in structure["assets"]]
    assert len(names) == len(set(names)) and 20 <= len(names) <= 40
    types = {t["name"] for t in structure["asset_types"]}
    assert {"solar", "wind", "charging_station", "bidirectional_charging_station", "battery", "building"} <= types
    assert len({a["type"] for a in structure["assets"]}) >= 6
    assert 3 <= len(structure["owners"]) <= 5 and 2 <= len(structure["connection_points"]) <= 3
    owners = {o["name"] for o in structure["owners"]}
    cps = {c["name"] for c in structure["connection_points"]}
    markets = {m["name"] for m in structure["markets"]}
    assert {m["market_type"] for m in structure["markets"]} <= {t["name"] for t in structure["market_types"]}
    assert {w["type"] for w in structure["weather_sensors"]} <= {t["name"] for t in structure["weather_sensor_types"]}
    weather = {w["name"] for w in structure["weather_sensors"]}
    for a in structure["assets"]:
        assert a["type"] in types and a["owner"] in owners
        assert a["connection_point"] in cps and a["market"] in markets
        assert a["capacity_mw"] > 0 and a["event_resolution_minutes"] == 15
        assert set(a["attributes"].get("weather_sensors", [])) <= weather
        if a["type"] == "battery":
            assert a["name"] not in series
            assert 0 < a["min_soc_mwh"] < a["soc_at_start_mwh"] < a["max_soc_mwh"] < a["energy_capacity_mwh"]
            assert 0.9 <= a["charging_efficiency"] <= 1 and 0.9 <= a["discharging_efficiency"] <= 1
        else:
            assert len(series[a["name"]]) == N_QUARTERS
        assert a["curtailable"] == (a["type"] in ("solar", "wind"))
    for name in weather | markets:
        assert name in series
    assert set(series) == {a["name"] for a in structure["assets"] if a["type"] != "battery"} | weather | markets


def test_manifest_and_small_set(structure, manifest, series):
    for name, meta in manifest["series"].items():
        assert meta["rows"] == len(series[name]) and meta["unit"] in ("MW", "EUR/MWh", "°C", "W/m²", "m/s")
        assert meta["resolution_minutes"] == (15 if meta["kind"] == "asset" else 60)
    for file, meta in manifest["files"].items():
        data = (BUNDLED / file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"] and len(data) == meta["bytes"]
    assert sum(p.stat().st_size for p in BUNDLED.iterdir()) < 8e6
    small = manifest["small"]
    assert small == structure["small"]
    kinds = {a["name"]: a["type"] for a in structure["assets"]}
    assert sorted(kinds[n] for n in small["assets"]) == ["battery", "building", "solar", "wind"]
    days = pd.to_datetime(small["days"])
    assert len(days) == 4 and (days >= "2015-01-05").all() and pd.Timestamp("2015-04-12") in days
    prices = series["epex_da"].tz_convert("Europe/Berlin")
    in_small = prices[prices.index.normalize().tz_localize(None).isin(days)]
    assert len(in_small) == 96 and in_small.min() == -79.94


@pytest.mark.slow
def test_generation_reproduces_the_committed_files(tmp_path, manifest):
    installed = {p: version(p) for p in manifest["packages"]}
    if installed != manifest["packages"]:
        pytest.skip(f"package versions differ from the generating ones ({manifest['packages']}); regenerate with "
                    "python -m bvp_lib.data.bundled")  # fmt: skip
    paths = bundled.generate(tmp_path, progress=False)
    problems = differences(paths.values(), BUNDLED)  # bytes, or floats within a few ulps (tests/reproduced.py)
    assert not problems, "; ".join(problems)
