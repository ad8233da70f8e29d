"""``bvp report``: the daily report (papermill + HTML)."""

from __future__ import annotations

from pathlib import Path

import typer

from bvp_lib.cli.common import friendly


def _parse_sets(values: list[str]) -> dict:
    import yaml

    out = {}
    for v in values or []:
        if "=" not in v:
            raise ValueError(f"-p {v!r}: write parameters as name=value.")
        k, val = v.split("=", 1)
        out[k.strip()] = yaml.safe_load(val)
    return out


@friendly
def report(
    date: str = typer.Option(None, "--date", "-d", help="Local day YYYY-MM-DD (default: the last complete day)."),
    to: str = typer.Option(None, "--to", help="Last day of a range (one report per day)."),
    file: Path = typer.Option(None, "-f", "--file", help="Parameter file (default parameters/daily-report.yaml)."),
    param: list[str] = typer.Option(None, "-p", "--param", help="Override one parameter: name=value (repeatable)."),
) -> None:
    """Run notebooks/daily-report.ipynb with papermill into its scope's folder and render HTML.

    The portfolio's report goes to reports/<day>/, an owner's (-p owner=NAME) to reports/<day>/owner-NAME/, chosen assets' (-p assets=[A,B]) to reports/<day>/assets-…/; reports/index.html lists them all. One progress line per step goes to stderr.
    """
    from bvp_lib.reporting.daily import run_reports

    results = run_reports(date, to, parameters_file=file, overrides=_parse_sets(param))
    from bvp_lib.config import get_settings

    typer.echo(f"{len(results)} report(s); index of every report: {get_settings().reports_path / 'index.html'}")
