"""``bvp backtest``: the daily run for every day of a period, stored under a named run.

A thin wrapper over :func:`bvp_lib.runs.backtest.run_backtest`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from bvp_lib.cli.common import friendly


@friendly
def backtest(
    first: str = typer.Option(..., "--from", help="First local day, YYYY-MM-DD."),
    last: str = typer.Option(..., "--to", help="Last local day, YYYY-MM-DD (included)."),
    name: Optional[str] = typer.Option(None, "--name", "-n", help="Run name (default: the scenario file's stem, else 'default')."),
    file: Optional[Path] = typer.Option(None, "-f", "--file", help="Scenario YAML: owner, assets, solver, models, spread, resolution, mip_gap, time_limit."),
    force: bool = typer.Option(False, "--force", help="Recompute days already done under this run."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Forecast, schedule, realise and value every day from --from to --to, in order, with battery SoC carried over.

    Results go to the database under the named run (backtest_runs, backtest_days, backtest_asset_days); a re-run skips days already done, a failing day is recorded and the backtest goes on. Value in EUR, energy in MWh.
    """
    import yaml

    from bvp_lib.runs.backtest import run_backtest

    params: dict = {}
    if file is not None:
        if not file.exists():
            raise ValueError(f"Scenario file {file} does not exist.")
        params = yaml.safe_load(file.read_text()) or {}
        if not isinstance(params, dict):
            raise ValueError(f"Scenario file {file} must hold a mapping of parameter: value.")
    run_name = name or (file.stem if file is not None else "default")
    summary = run_backtest(run_name, first, last, parameters=params, force=force, progress=progress)
    typer.echo(str(summary))
