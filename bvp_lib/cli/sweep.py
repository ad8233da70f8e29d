"""``bvp sweep``: every scenario of a sweep file's grid, backtested in parallel on Dask.

A thin wrapper over :func:`bvp_lib.runs.sweep.run_sweep` and
:func:`bvp_lib.reporting.sweep.render_sweep_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from bvp_lib.cli.common import friendly


@friendly
def sweep(
    file: Path = typer.Option(..., "-f", "--file", help="Sweep YAML: name, from, to, base, grid (example: parameters/sweep.yaml)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler, e.g. tcp://host:8786 (default: a local cluster)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, help="Local cluster size (default: this machine's cores)."),
    force: bool = typer.Option(False, "--force", help="Recompute scenario-days already done."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write the sweep report to reports/sweeps/<name>/index.html."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Backtest every scenario of the grid (each combination of its values) and compare them.

    Work is split into (scenario, day range) tasks that read from and write to the database, so a re-run resumes and a lost worker's task is retried without duplicates. With --scheduler the same tasks go to an existing Dask cluster whose workers have bvp_lib installed and BVP_DATABASE_URL set to this database. Value in EUR, energy in MWh.
    """
    from bvp_lib.runs.sweep import load_sweep, run_sweep

    spec = load_sweep(file)
    typer.echo(f"sweep {spec.name!r}: {len(spec.scenarios)} scenario(s) × {len(spec.days)} day(s), "
               f"{-(-len(spec.days) // spec.chunk_days)} range(s) of {spec.chunk_days} day(s) each")  # fmt: skip
    result = run_sweep(spec, scheduler=scheduler, workers=workers, force=force, progress=progress)
    typer.echo(str(result))
    if report:
        from bvp_lib.reporting.sweep import render_sweep_report

        import sys

        # the report records the workers that really ran the sweep
        r = render_sweep_report(spec.name, workers=result.workers,
                                steps=lambda line: print(line, file=sys.stderr, flush=True))  # fmt: skip
        typer.echo(f"report: {r.html}")
    if result.task_errors:
        raise SystemExit(1)
