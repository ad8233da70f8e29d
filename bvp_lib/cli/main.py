"""``bvp``: the BVP workbench command line.

Every command is a thin wrapper over a bvp_lib function; ``bvp COMMAND --help`` tells more.
"""

from __future__ import annotations

import typer

from bvp_lib.cli import backtest as backtest_cli
from bvp_lib.cli import data as data_cli
from bvp_lib.cli import db as db_cli
from bvp_lib.cli import forecast as forecast_cli
from bvp_lib.cli import orders as orders_cli
from bvp_lib.cli import report as report_cli
from bvp_lib.cli import schedule as schedule_cli
from bvp_lib.cli import sweep as sweep_cli
from bvp_lib.cli.common import friendly

app = typer.Typer(
    help="BVP workbench: value and schedule the flexibility of connected assets on the day-ahead market.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _resolve_settings(ctx: typer.Context) -> None:
    # Before any command does any work: settings that cannot be used (production without a
    # database URL, an unknown environment, a bad config file) stop here, with one clear line.
    import sys

    from bvp_lib.config import ConfigError, get_settings
    from bvp_lib.redact import install_log_redaction, mask_text

    install_log_redaction()
    if ctx.resilient_parsing or any(a in ("--help", "-h") for a in sys.argv[1:]) or ctx.invoked_subcommand == "version":
        return
    try:
        get_settings()
    except ConfigError as e:
        typer.secho(f"Error: {mask_text(str(e))}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


app.add_typer(db_cli.app, name="db")
app.add_typer(data_cli.app, name="data")
app.add_typer(forecast_cli.app, name="forecast")
app.command("schedule")(schedule_cli.schedule)
app.command("report")(report_cli.report)
app.add_typer(backtest_cli.app, name="backtest")
app.command("orders")(orders_cli.orders)
app.command("sweep")(sweep_cli.sweep)


@app.command()
@friendly
def config() -> None:
    """Print the resolved settings and where each came from (password masked)."""
    from bvp_lib.config import get_settings

    from bvp_lib.environment import lock_summary

    for k, v in get_settings().describe().items():
        typer.echo(f"{k:14s} {v}")
    typer.echo(f"{'package lock':14s} {lock_summary()}")


@app.command()
def version() -> None:
    """Print the bvp_lib version."""
    import bvp_lib

    typer.echo(bvp_lib.__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
