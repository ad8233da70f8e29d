"""``bvp data``: import real files into the database."""

from __future__ import annotations

from pathlib import Path

import typer

from bvp_lib.cli.common import friendly
from bvp_lib.data import SOURCE_TIMEZONE

app = typer.Typer(help="Import real files (CSV, SMARD, ENTSO-E, Excel, assets.json).", no_args_is_help=True)
imp = typer.Typer(help="Import one file; every import is one transaction and idempotent.", no_args_is_help=True)
app.add_typer(imp, name="import")

DRY = typer.Option(False, "--dry-run", help="Check the file and report what would be stored; store nothing.")
GAPS = typer.Option(False, "--allow-gaps", help="Store a series with missing steps (default: refuse).")


def _sensor_unit(sensor: str) -> str:
    from bvp_lib.beliefs import sensor_table
    from bvp_lib.db.engine import transaction

    with transaction(None) as c:
        return sensor_table(c, [sensor]).loc[sensor, "unit"]


@imp.command("csv")
@friendly
def import_csv(
    file: Path = typer.Argument(..., help="CSV with a timestamp (with UTC offset) and a value column."),
    sensor: str = typer.Option(..., "--sensor", "-s", help="Asset, market or weather sensor name (see `bvp db show`)."),
    unit: str = typer.Option(..., "--unit", "-u", help="W, kW, MW; Wh, kWh, MWh per step; EUR/MWh, ct/kWh."),
    sign: str = typer.Option("production-positive", help="production-positive | consumption-positive (negated)."),
    timezone: str = typer.Option(None, help="Timezone of timestamps written without offset, e.g. Europe/Berlin."),
    timestamp_column: str = typer.Option(None, help="Default: the first column."),
    value_column: str = typer.Option(None, help="Default: the second column."),
    source: str = typer.Option("user import", help="Data source name recorded with the beliefs."),
    allow_gaps: bool = GAPS,
    dry_run: bool = DRY,
) -> None:
    """Import a tidy CSV for any asset, market or weather sensor, converting units."""
    from bvp_lib.data.importers import import_series, read_tidy_csv

    s = read_tidy_csv(file, unit=unit, target_unit=_sensor_unit(sensor), sign=sign, timezone=timezone,
                      timestamp_column=timestamp_column, value_column=value_column)
    typer.echo(str(import_series(s, sensor, path=file, source_name=source, allow_gaps=allow_gaps, dry_run=dry_run)))


@imp.command("smard")
@friendly
def import_smard(
    file: Path = typer.Argument(..., help="SMARD.de day-ahead price export (;-separated)."),
    market: str = typer.Option("epex_da", help="Market to load the prices into."),
    column: str = typer.Option("Germany/Austria/Luxembourg[€/MWh]", help="Bidding-zone column."),
    allow_gaps: bool = GAPS,
    dry_run: bool = DRY,
) -> None:
    """Import day-ahead prices in SMARD's export layout."""
    from bvp_lib.data.importers import import_series, read_smard_prices

    s = read_smard_prices(file, column=column)
    typer.echo(str(import_series(s, market, path=file, source_name="SMARD", allow_gaps=allow_gaps, dry_run=dry_run)))


@imp.command("entsoe")
@friendly
def import_entsoe(
    file: Path = typer.Argument(..., help="ENTSO-E transparency platform day-ahead price export (CSV)."),
    market: str = typer.Option("epex_da", help="Market to load the prices into."),
    timezone: str = typer.Option(SOURCE_TIMEZONE, help="Timezone of the MTU column (CET/CEST)."),
    allow_gaps: bool = GAPS,
    dry_run: bool = DRY,
) -> None:
    """Import day-ahead prices in the ENTSO-E transparency platform's CSV layout."""
    from bvp_lib.data.importers import import_series, read_entsoe_prices

    s = read_entsoe_prices(file, timezone=timezone)
    typer.echo(str(import_series(s, market, path=file, source_name="ENTSO-E", allow_gaps=allow_gaps, dry_run=dry_run)))


@imp.command("excel")
@friendly
def import_excel(
    file: Path = typer.Argument(..., help="The original platform's Excel design data set."),
    sheet: str = typer.Option(..., help="Sheet name or prefix, e.g. 0_Weather, 1_PV, 2_WT."),
    column: str = typer.Option(..., help="Column header of the series."),
    sensor: str = typer.Option(..., "--sensor", "-s", help="Sensor to load it into."),
    unit: str = typer.Option(..., "--unit", "-u", help="Unit of the column (kW, kWh, MW, ...)."),
    timezone: str = typer.Option("UTC", help="Timezone of the sheet's timestamps."),
    allow_gaps: bool = GAPS,
    dry_run: bool = DRY,
) -> None:
    """Import one column of an Excel design data set sheet."""
    from bvp_lib.data.importers import import_series, read_design_excel

    s = read_design_excel(file, sheet, column, unit=unit, target_unit=_sensor_unit(sensor), timezone=timezone)
    typer.echo(str(import_series(s, sensor, path=file, allow_gaps=allow_gaps, dry_run=dry_run)))


@imp.command("assets")
@friendly
def import_assets(
    file: Path = typer.Argument(..., help="assets.json: owners, asset types, assets, markets, sensors."),
    dry_run: bool = DRY,
) -> None:
    """Load (or update) the portfolio structure from an assets.json file."""
    from bvp_lib.data.structure import load_structure, read_structure

    spec = read_structure(file)
    if dry_run:
        typer.echo(f"{file}: {len(spec.get('assets', []))} assets, {len(spec.get('owners', []))} owners (dry run).")
        return
    counts = load_structure(spec)
    typer.echo(", ".join(f"{v} {k}" for k, v in counts.items()) + f" loaded from {file}.")
