"""``bvp data``: import real files into the database.

Every import goes through one validation path (:mod:`bvp_lib.data.validation`): a bad
file is refused naming the file, the line, the column and the rule, and nothing is
stored; ``--dry-run`` runs the same checks and the same write, then rolls it back.
"""

from __future__ import annotations

from pathlib import Path

import typer

from bvp_lib.cli.common import friendly
from bvp_lib.data import SOURCE_TIMEZONE

app = typer.Typer(help="Import real files (CSV, SMARD, ENTSO-E, Excel, assets.json).", no_args_is_help=True)
imp = typer.Typer(help="Import one file; every import is one transaction and idempotent.", no_args_is_help=True)
app.add_typer(imp, name="import")

DRY = typer.Option(False, "--dry-run", help="Run every check and report what would be stored; store nothing.")
GAPS = typer.Option(False, "--allow-gaps", help="Store a series with missing steps (default: refuse).")
ENCODING = typer.Option(None, "--encoding", help="The file's text encoding (default: UTF-8, or as its byte order mark says).")
PUBLISHED = typer.Option(
    None, "--published",
    help="When the values became known, if not by the rule (prices: 13:00 local on the day before delivery; "
         "other values: when each step ended): HH:MM on the day before delivery, a timestamp with offset, or 'delivery'.",
)  # fmt: skip
# a file argument that must exist; directories and missing files are refused by the importer with its rule
FILE_HELP = "The file to import."


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
    encoding: str = ENCODING,
    published: str = PUBLISHED,
    allow_gaps: bool = GAPS,
    dry_run: bool = DRY,
) -> None:
    """Import a tidy CSV for any asset, market or weather sensor, converting units."""
    from bvp_lib.data.importers import import_file, raw_tidy_csv

    raw = raw_tidy_csv(file, timestamp_column=timestamp_column, value_column=value_column, timezone=timezone,
                       encoding=encoding)
    typer.echo(str(import_file(raw, sensor, unit=unit, sign=sign, allow_gaps=allow_gaps, published=published,
                               source_name=source, dry_run=dry_run)))


@imp.command("smard")
@friendly
def import_smard(
    file: Path = typer.Argument(..., help="SMARD.de day-ahead price export (;-separated)."),
    market: str = typer.Option("epex_da", help="Market to load the prices into."),
    column: str = typer.Option("Germany/Austria/Luxembourg[€/MWh]", help="Bidding-zone column."),
    encoding: str = ENCODING,
    published: str = PUBLISHED,
    allow_gaps: bool = GAPS,
    dry_run: bool = DRY,
) -> None:
    """Import day-ahead prices in SMARD's export layout."""
    from bvp_lib.data.importers import import_file, raw_smard

    raw = raw_smard(file, column, encoding=encoding)
    typer.echo(str(import_file(raw, market, unit="EUR/MWh", allow_gaps=allow_gaps, published=published,
                               source_name="SMARD", dry_run=dry_run)))


@imp.command("entsoe")
@friendly
def import_entsoe(
    file: Path = typer.Argument(..., help="ENTSO-E transparency platform day-ahead price export (CSV)."),
    market: str = typer.Option("epex_da", help="Market to load the prices into."),
    timezone: str = typer.Option(SOURCE_TIMEZONE, help="Timezone of the MTU column (CET/CEST)."),
    encoding: str = ENCODING,
    published: str = PUBLISHED,
    allow_gaps: bool = GAPS,
    dry_run: bool = DRY,
) -> None:
    """Import day-ahead prices in the ENTSO-E transparency platform's CSV layout."""
    from bvp_lib.data.importers import import_file, raw_entsoe

    raw = raw_entsoe(file, timezone, encoding=encoding)
    typer.echo(str(import_file(raw, market, unit="EUR/MWh", allow_gaps=allow_gaps, published=published,
                               source_name="ENTSO-E", dry_run=dry_run)))


@imp.command("excel")
@friendly
def import_excel(
    file: Path = typer.Argument(..., help="The original platform's Excel design data set."),
    sheet: str = typer.Option(..., help="Sheet name or prefix, e.g. 0_Weather, 1_PV, 2_WT."),
    column: str = typer.Option(..., help="Column header of the series."),
    sensor: str = typer.Option(..., "--sensor", "-s", help="Sensor to load it into."),
    unit: str = typer.Option(..., "--unit", "-u", help="Unit of the column (kW, kWh, MW, ...)."),
    timezone: str = typer.Option("UTC", help="Timezone of the sheet's timestamps."),
    sign: str = typer.Option("production-positive", help="production-positive | consumption-positive (negated)."),
    published: str = PUBLISHED,
    allow_gaps: bool = GAPS,
    dry_run: bool = DRY,
) -> None:
    """Import one column of an Excel design data set sheet."""
    from bvp_lib.data.importers import import_file, raw_excel

    raw = raw_excel(file, sheet, column, timezone=timezone)
    typer.echo(str(import_file(raw, sensor, unit=unit, sign=sign, allow_gaps=allow_gaps, published=published,
                               source_name="design data set", dry_run=dry_run)))


@imp.command("assets")
@friendly
def import_assets(
    file: Path = typer.Argument(..., help="assets.json: owners, asset types, assets, markets, sensors."),
    dry_run: bool = DRY,
) -> None:
    """Load (or update) the portfolio structure from an assets.json file."""
    from bvp_lib.data.importers import import_structure_file

    counts = import_structure_file(file, dry_run=dry_run)
    verb = "would be loaded (dry run)" if dry_run else "loaded"
    typer.echo(", ".join(f"{v} {k}" for k, v in counts.items()) + f" {verb} from {file}.")
