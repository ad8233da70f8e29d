"""``bvp backtest``: the daily run for every day of a period, stored under a named run;
``bvp backtest report NAME`` renders a stored run's report.

Thin wrappers over :func:`bvp_lib.runs.backtest.run_backtest` and
:func:`bvp_lib.reporting.backtest.render_backtest_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from bvp_lib.cli.common import friendly

app = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                  help="Backtest a period under a named run (--from/--to), or render a run's report (report NAME).")


@app.callback()
@friendly
def backtest(
    ctx: typer.Context,
    first: Optional[str] = typer.Option(None, "--from", help="First local day, YYYY-MM-DD."),
    last: Optional[str] = typer.Option(None, "--to", help="Last local day, YYYY-MM-DD (included)."),
    name: Optional[str] = typer.Option(None, "--name", "-n", help="Run name (default: the scenario file's stem, else 'default')."),
    file: Optional[Path] = typer.Option(None, "-f", "--file", help="Scenario YAML: owner, assets, solver, models, spread, resolution, mip_gap, time_limit, overrides, strategy."),
    strategy: Optional[str] = typer.Option(None, "--strategy", "-s", help="orders (bid curves cleared at the realised price) or schedule (one fixed quantity per step); default: the file's, else schedule."),
    force: bool = typer.Option(False, "--force", help="Recompute days already done under this run."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    report: bool = typer.Option(False, "--report", help="Render the run's report into reports/backtests/<name>/ afterwards."),
) -> None:
    """Forecast, schedule, realise and value every day from --from to --to, in order, with battery SoC carried over.

    Results go to the database under the named run (backtest_runs, backtest_days, backtest_asset_days); a re-run skips days already done, a failing day is recorded and the backtest goes on. Value in EUR, energy in MWh. `bvp backtest report NAME` renders a stored run.
    """
    if ctx.invoked_subcommand is not None:
        return
    if first is None or last is None:
        missing = " and ".join(o for o, v in (("--from", first), ("--to", last)) if v is None)
        raise ValueError(f"Give {missing} (local days YYYY-MM-DD), e.g. `bvp backtest --from 2015-04-06 --to "
                         "2015-04-12`; or `bvp backtest report NAME` to render a stored run.")
    import yaml

    from bvp_lib.reporting.daily import check_days
    from bvp_lib.runs.backtest import _normalise, run_backtest
    from bvp_lib.timing import days_between

    params: dict = {}
    if file is not None:
        if not file.exists():
            raise ValueError(f"Scenario file {file} does not exist.")
        params = yaml.safe_load(file.read_text()) or {}
        if not isinstance(params, dict):
            raise ValueError(f"Scenario file {file} must hold a mapping of parameter: value.")
    if strategy is not None:
        params["strategy"] = strategy
    _normalise(params)  # a bad parameter is named before the data is looked at
    check_days(days_between(first, last), first_name="--from", last_name="--to")
    run_name = name or (file.stem if file is not None else "default")
    summary = run_backtest(run_name, first, last, parameters=params, force=force, progress=progress)
    typer.echo(str(summary))
    if report:
        _render(run_name)
    else:
        typer.echo(f"Report: bvp backtest report {run_name}")


def _render(name: str) -> None:
    import sys

    from bvp_lib.reporting.backtest import render_backtest_report

    r = render_backtest_report(name, steps=lambda line: print(line, file=sys.stderr, flush=True))
    typer.echo(f"{r.html}  ({r.seconds:.1f} s)")


@app.command("report")
@friendly
def report(name: str = typer.Argument(..., help="A stored backtest run (`bvp backtest --from … --to … --name NAME`).")) -> None:
    """Render notebooks/05-backtest.ipynb for a stored run into reports/backtests/NAME/ (HTML, executed notebook, tables as CSV and Parquet) and refresh reports/index.html."""
    _render(name)
