"""The bundled demo portfolio: its owners, asset types, connection points and assets
(the same 31 assets in every bundled year), the folders of the raw files, and the
helpers that write a bundled data set.

Used by :mod:`bvp_lib.data.bundled` (2015) and :mod:`bvp_lib.data.bundled_2018`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from bvp_lib.data import SOURCE_TIMEZONE
from bvp_lib.data import generate_solar as gs
from bvp_lib.data import generate_wind as gwi

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT_DIR = PROJECT_ROOT / "data" / "bundled"
RAW_DIR = PROJECT_ROOT / "data" / "raw"
SMARD_FILE = RAW_DIR / "smard" / "Day-ahead_prices_2015.csv"
SIMBENCH_FILE = RAW_DIR / "simbench" / "simbench_profiles_2016.parquet"

YEAR = 2015
TIMEZONE = SOURCE_TIMEZONE
PERIOD_START = pd.Timestamp(f"{YEAR}-01-01", tz=TIMEZONE).tz_convert("UTC")
PERIOD_END = pd.Timestamp(f"{YEAR + 1}-01-01", tz=TIMEZONE).tz_convert("UTC")
MARKET = "epex_da"
REGIONS = {1: "NI", 4: "BB", 13: "BY"}  # TRY region -> German state (public holidays)

#: The "--small" load: one asset of each main kind and four local days around 12 April 2015.
SMALL = {
    "assets": ["solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "battery-havel-01"],
    "days": ["2015-04-11", "2015-04-12", "2015-04-13", "2015-04-14"],
    "timezone": TIMEZONE,
    "why": "12 April 2015 has the year's lowest price (-79.94 EUR/MWh at 14:00 local), 13 April negative "
    "morning prices; a weekend and two working days.",
}

OWNERS = [
    {"name": "buergerwind-wursten", "display_name": "Bürgerwindpark Land Wursten eG"},
    {"name": "stadtwerke-havelland", "display_name": "Stadtwerke Havelland GmbH"},
    {"name": "logistik-campus-mitte", "display_name": "Logistik-Campus Mitte GmbH"},
    {"name": "agrar-inntal", "display_name": "Agrargenossenschaft Inntal eG"},
]

ASSET_TYPES = [
    {"name": "solar", "display_name": "Solar park", "is_consumer": False, "is_producer": True,
     "can_curtail": True, "can_shift": False, "is_storage": False},
    {"name": "wind", "display_name": "Wind turbine", "is_consumer": False, "is_producer": True,
     "can_curtail": True, "can_shift": False, "is_storage": False},
    {"name": "charging_station", "display_name": "EV charging station", "is_consumer": True, "is_producer": False,
     "can_curtail": False, "can_shift": True, "is_storage": False},
    {"name": "bidirectional_charging_station", "display_name": "Bidirectional EV charging station",
     "is_consumer": True, "is_producer": True, "can_curtail": False, "can_shift": True, "is_storage": True},
    {"name": "battery", "display_name": "Battery", "is_consumer": True, "is_producer": True,
     "can_curtail": False, "can_shift": True, "is_storage": True},
    {"name": "building", "display_name": "Building", "is_consumer": True, "is_producer": False,
     "can_curtail": False, "can_shift": True, "is_storage": False},
]  # fmt: skip

CONNECTION_POINTS = [
    {"name": "cp-wursten-110kv", "import_capacity_mw": 3.0, "export_capacity_mw": 12.0},
    {"name": "cp-havelland-20kv", "import_capacity_mw": 8.0, "export_capacity_mw": 16.0},
    {"name": "cp-inntal-20kv", "import_capacity_mw": 5.0, "export_capacity_mw": 6.0},
]

_SMALL_INV = "SMA_America__STP_60_US_10__400V_"
# name, owner, connection point, TRY region, latitude, longitude, design
SOLAR = [
    ("solar-wursten-01", "buergerwind-wursten", "cp-wursten-110kv", 1, 53.61, 8.62, gs.PvDesign(2.0, 25, 180)),
    ("solar-havel-01", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.41, 12.95, gs.PvDesign(10.0, 25, 180)),
    ("solar-havel-02", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.35, 13.02, gs.PvDesign(3.5, 20, 165)),
    ("solar-havel-03", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.40, 13.06,
     gs.PvDesign(0.75, 10, 200, inverter=_SMALL_INV, strings_per_inverter=13, mounting="close_mount_glass_glass")),
    ("solar-campus-01", "logistik-campus-mitte", "cp-havelland-20kv", 4, 52.33, 13.29,
     gs.PvDesign(1.5, 10, 180, inverter=_SMALL_INV, strings_per_inverter=13, mounting="close_mount_glass_glass")),
    ("solar-inntal-01", "agrar-inntal", "cp-inntal-20kv", 13, 48.25, 12.55, gs.PvDesign(6.0, 25, 180)),
    ("solar-inntal-02", "agrar-inntal", "cp-inntal-20kv", 13, 48.30, 12.47,
     gs.PvDesign(0.5, 30, 160, inverter=_SMALL_INV, strings_per_inverter=13, mounting="close_mount_glass_glass")),
]  # fmt: skip

WIND = [
    ("wind-wursten-01", "buergerwind-wursten", "cp-wursten-110kv", 1, 53.70, 8.55, gwi.WindDesign("E-82/2300", 108, 3, 0.03)),
    ("wind-wursten-02", "buergerwind-wursten", "cp-wursten-110kv", 1, 53.68, 8.60, gwi.WindDesign("E-115/3000", 135, 1, 0.03)),
    ("wind-wursten-03", "buergerwind-wursten", "cp-wursten-110kv", 1, 53.65, 8.66, gwi.WindDesign("E-53/800", 73, 1, 0.03)),
    ("wind-flaeming-01", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.15, 12.80, gwi.WindDesign("E-82/2300", 108, 1, 0.1)),
    ("wind-flaeming-02", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.13, 12.85, gwi.WindDesign("E-53/800", 73, 1, 0.1)),
]  # fmt: skip

# name, owner, connection point, TRY region, lat, lon, display name, profile, annual MWh, shiftable share
BUILDINGS = [
    ("building-wursten-kuehlhaus-01", "buergerwind-wursten", "cp-wursten-110kv", 1, 53.54, 8.58,
     "Cold store, Bremerhaven", "simbench:G3-A", 1800.0, 0.3),
    ("building-havel-rathaus-01", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.40, 13.06,
     "Town hall and offices", "simbench:G1-A", 650.0, 0.2),
    ("building-havel-wohnen-01", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.39, 13.09,
     "Residential quarter (about 300 flats)", "simbench:H0-A", 900.0, 0.1),
    ("building-havel-hallenbad-01", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.38, 13.04,
     "Indoor swimming pool", "demandlib:g2", 1200.0, 0.25),
    ("building-campus-lager-01", "logistik-campus-mitte", "cp-havelland-20kv", 4, 52.33, 13.29,
     "Warehouse", "demandlib:g0", 2500.0, 0.2),
    ("building-campus-buero-01", "logistik-campus-mitte", "cp-havelland-20kv", 4, 52.33, 13.30,
     "Office building", "demandlib:g1", 400.0, 0.15),
    ("building-inntal-hof-01", "agrar-inntal", "cp-inntal-20kv", 13, 48.29, 12.49,
     "Dairy farm", "simbench:L0-A", 350.0, 0.2),
    ("building-inntal-molkerei-01", "agrar-inntal", "cp-inntal-20kv", 13, 48.27, 12.52,
     "Dairy plant", "demandlib:g3", 2200.0, 0.1),
    ("building-inntal-markt-01", "agrar-inntal", "cp-inntal-20kv", 13, 48.28, 12.51,
     "Supermarket", "simbench:G4-A", 300.0, 0.15),
    ("building-inntal-hofladen-01", "agrar-inntal", "cp-inntal-20kv", 13, 48.29, 12.50,
     "Farm shop and bakery", "demandlib:g5", 120.0, 0.15),
]  # fmt: skip

# name, owner, connection point, TRY region, lat, lon, display name, kind, points, kW per point, bidirectional
EV_STATIONS = [
    ("ev-havel-home-01", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.39, 13.09,
     "Residential garages (wallboxes)", "home", 20, 11.0, False),
    ("ev-havel-public-01", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.40, 13.06,
     "Public charging at the town hall", "public", 6, 22.0, False),
    ("ev-havel-v2g-home-01", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.38, 13.10,
     "Vehicle-to-grid wallboxes (pilot)", "home", 10, 11.0, True),
    ("ev-campus-work-01", "logistik-campus-mitte", "cp-havelland-20kv", 4, 52.33, 13.29,
     "Employee car park", "workplace", 30, 11.0, False),
    ("ev-campus-v2g-fleet-01", "logistik-campus-mitte", "cp-havelland-20kv", 4, 52.33, 13.30,
     "Company fleet, bidirectional", "workplace", 16, 11.0, True),
]  # fmt: skip

# name, owner, connection point, TRY region, lat, lon, power MW, energy MWh
BATTERIES = [
    ("battery-wursten-01", "buergerwind-wursten", "cp-wursten-110kv", 1, 53.69, 8.58, 2.0, 4.0),
    ("battery-havel-01", "stadtwerke-havelland", "cp-havelland-20kv", 4, 52.41, 12.96, 5.0, 10.0),
    ("battery-campus-01", "logistik-campus-mitte", "cp-havelland-20kv", 4, 52.33, 13.29, 1.0, 2.0),
    ("battery-inntal-01", "agrar-inntal", "cp-inntal-20kv", 13, 48.25, 12.56, 1.5, 3.0),
]

WEATHER_QUANTITIES = {  # weather sensor type -> (unit, column of the TRY-on-2015 table, description)
    "temperature": ("°C", "temperature", "air temperature at 2 m"),
    "irradiance": ("W/m²", "ghi", "global horizontal irradiance (direct + diffuse), hour mean"),
    "wind_speed": ("m/s", "wind_speed", "wind speed at 10 m"),
}

_STORAGE_FIELDS = [
    "energy_capacity_mwh", "min_soc_mwh", "max_soc_mwh", "soc_at_start_mwh", "max_charge_mw", "max_discharge_mw",
    "charging_efficiency", "discharging_efficiency", "self_discharge_per_hour", "shiftable_share", "shift_window_hours",
]  # fmt: skip


def weather_sensor_name(region: int, quantity: str) -> str:
    """Name of a TRY weather sensor, e.g. ``try_region04_temperature``."""
    return f"try_region{region:02d}_{quantity}"


def quarter_hours() -> pd.DatetimeIndex:
    """Quarter-hour starts (UTC) of the local year 2015: 35,040 steps."""
    return pd.date_range(PERIOD_START, PERIOD_END, freq="15min", inclusive="left", name="event_start")


def _asset(name, display_name, type_, owner, cp, capacity_mw, lat, lon, *, curtailable=False, attributes=None, **flex):
    entry = {
        "name": name, "display_name": display_name, "type": type_, "owner": owner, "market": MARKET,
        "connection_point": cp, "capacity_mw": round(float(capacity_mw), 6), "latitude": lat, "longitude": lon,
        "event_resolution_minutes": 15,
    }  # fmt: skip
    entry.update({f: flex.get(f) for f in _STORAGE_FIELDS})
    entry["curtailable"] = curtailable
    entry["attributes"] = attributes or {}
    return entry


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _long(sensor: str, series: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"sensor": sensor, "event_start": series.index, "value": series.to_numpy(float)})


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------
# the assets both bundled years make the same way (buildings, EV stations, batteries)


def add_buildings(add_series, make_asset, index: pd.DatetimeIndex, year: int, simbench, *, region_key: str) -> None:
    """The buildings' load on ``year``'s calendar: each profile's weights (SimBench days
    aligned to ``year``'s weekdays and the state's holidays, or the BDEW profile) scaled to
    the annual consumption. ``add_series(entry, power, source)`` stores an asset with its
    series; ``make_asset`` makes the asset entry; ``region_key`` names the region attribute."""
    import numpy as np
    from importlib.metadata import version

    from bvp_lib.data import generate_buildings as gb

    for name, owner, cp, region, lat, lon, display, profile, annual, share in BUILDINGS:
        weights = gb.load_weights(profile, index, year, REGIONS[region], simbench)
        power = gb.building_power(weights, annual, index)
        attrs = {"load_profile": profile, "annual_consumption_mwh": annual, "holidays_subdivision": REGIONS[region],
                 region_key: region}  # fmt: skip
        peak = float(np.ceil(-power.min() * 1000) / 1000)
        entry = make_asset(name, display, "building", owner, cp, peak, lat, lon, attributes=attrs,
                           shiftable_share=share, shift_window_hours=3.0)  # fmt: skip
        kind, _, prof = profile.partition(":")
        source = (f"SimBench 2016 profile {prof} ({SIMBENCH_FILE.relative_to(PROJECT_ROOT)}, ODbL), days aligned to "
                  f"{year} weekdays and {REGIONS[region]} holidays" if kind == "simbench" else
                  f"demandlib {version('demandlib')} BDEW standard load profile {prof} for {year} with "
                  f"{REGIONS[region]} holidays")  # fmt: skip
        add_series(entry, power, f"{source}; scaled to {annual:g} MWh/a")


def add_ev_stations(add_series, make_asset, index: pd.DatetimeIndex, year: int, simbench, start: pd.Timestamp,
                    end: pd.Timestamp, seed: int) -> tuple[pd.DataFrame, dict]:  # fmt: skip
    """The EV stations: sessions drawn (``seed``) from distributions calibrated on SimBench
    profiles, over ``start`` .. ``end`` with ``year``'s holidays, and their baseline power
    (full power from arrival). Returns the sessions (``charging_sessions.csv``) and the
    calibration per station kind (for the manifest)."""
    import numpy as np

    from bvp_lib.data import generate_buildings as gb
    from bvp_lib.data import generate_ev as gev

    rng = np.random.default_rng(seed)
    hol_source = gb.public_holidays(gb.SIMBENCH_YEAR)
    calibrations = {k: gev.calibrate(simbench, k, hol_source) for k in ("home", "workplace", "public")}
    sessions = []
    for name, owner, cp, region, lat, lon, display, kind, points, kw, bidi in EV_STATIONS:
        station = gev.EvStation(name, kind, points, kw, bidi, REGIONS[region])
        s = gev.sample_sessions(station, calibrations[kind], start, end, gb.public_holidays(year, REGIONS[region]), rng)
        sessions.append(s)
        power = gev.baseline_power(s, index)
        cap = station.capacity_mw
        type_ = "bidirectional_charging_station" if bidi else "charging_station"
        flex = {"max_charge_mw": cap, "max_discharge_mw": cap if bidi else 0.0, "charging_efficiency": 0.95}
        if bidi:
            flex["discharging_efficiency"] = 0.95
        attrs = {"kind": kind, "charge_points": points, "point_power_kw": kw, "bidirectional": bidi,
                 "sessions": int(len(s)), "holidays_subdivision": REGIONS[region]}  # fmt: skip
        entry = make_asset(name, display, type_, owner, cp, cap, lat, lon, attributes=attrs, **flex)
        add_series(entry, power, f"baseline of the sessions in charging_sessions.csv (full power from arrival); "
                   f"sessions drawn (seed {seed}) from distributions calibrated on SimBench "
                   f"{'HLS' if kind == 'home' else 'APLS' if kind == 'workplace' else 'HLS/APLS'} profiles")  # fmt: skip
    return pd.concat(sessions, ignore_index=True), calibrations


def battery_assets(make_asset, *, region_key: str) -> list[dict]:
    """The batteries (no power series: their baseline is idle)."""
    return [make_asset(
        name, f"Battery {mw:g} MW / {mwh:g} MWh", "battery", owner, cp, mw, lat, lon,
        energy_capacity_mwh=mwh, min_soc_mwh=round(0.1 * mwh, 6), max_soc_mwh=round(0.9 * mwh, 6),
        soc_at_start_mwh=round(0.5 * mwh, 6), max_charge_mw=mw, max_discharge_mw=mw,
        charging_efficiency=0.95, discharging_efficiency=0.95, self_discharge_per_hour=0.0001,
        attributes={region_key: region, "baseline": "idle (no power series)"},
    ) for name, owner, cp, region, lat, lon, mw, mwh in BATTERIES]  # fmt: skip


def write_series_files(paths: dict, frames: list, prices: pd.Series, sessions: pd.DataFrame) -> None:
    """The bundled set's data files, written the same way for every year: ``timeseries``
    (Parquet, zstd, no negative zeros), ``prices`` (CSV, UTC ISO 8601, 0.01 EUR/MWh) and
    ``charging_sessions`` (CSV, UTC ISO 8601)."""
    iso = "%Y-%m-%dT%H:%M:%S+00:00"
    ts = pd.concat(frames, ignore_index=True)
    ts["value"] = ts["value"].astype("float64") + 0.0  # no negative zeros
    ts.to_parquet(paths["timeseries"], compression="zstd", compression_level=19, index=False)
    price_csv = pd.DataFrame({"event_start": prices.index.strftime(iso), "price_eur_per_mwh": prices.to_numpy()})
    price_csv.to_csv(paths["prices"], index=False, float_format="%.2f", lineterminator="\n")
    sess = sessions.assign(arrival=sessions["arrival"].dt.strftime(iso), departure=sessions["departure"].dt.strftime(iso))
    sess.to_csv(paths["charging_sessions"], index=False, float_format="%.6g", lineterminator="\n")
