"""Running a sweep on Dask: one backtest per scenario, forecasts shared per forecast setting.

A scenario's day ranges run in order, because the battery SoC at the end of one range
starts the next; different scenarios and the forecasts of later ranges run alongside.
A task lost with its worker is retried by Dask; days it finished are skipped, the day it
was on was rolled back by PostgreSQL, so no row is written twice. Re-running a sweep
resumes it; ``force`` recomputes.

Costs: forecast tasks ≈ models × days (the forecast step, about half a day's run on the
full portfolio), scenario tasks ≈ scenarios × days (two schedules and the valuation).
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.runs.sweep.spec import Scenario, SweepError, SweepSpec, _label, chunks, load_sweep
from bvp_lib.runs.sweep.store import comparison, done_days, is_complete, register
from bvp_lib.runs.sweep.tasks import database_identity, forecast_task, scenario_task

@dataclass
class SweepResult:
    """What :func:`run_sweep` did."""

    spec: SweepSpec
    table: pd.DataFrame
    seconds: float
    workers: int
    computed_days: int = 0
    failed_days: int = 0
    task_errors: list[str] = field(default_factory=list)
    report: Path | None = None
    #: compute time [s] summed over tasks: forecasts (per model setting and day) and scenario-days
    forecast_seconds: float = 0.0
    forecast_days: int = 0
    scenario_seconds: float = 0.0

    def __str__(self) -> str:
        t = self.table
        lines = [
            f"sweep {self.spec.name!r}: {len(self.spec.scenarios)} scenarios × {len(self.spec.days)} days "
            f"({self.spec.first} .. {self.spec.last}) on {self.workers} worker(s) in {self.seconds:.1f} s; "
            f"computed {self.computed_days} scenario-days, {self.failed_days} failed",
        ]
        if len(t):
            cols = [*t.attrs.get("axes", []), "days_done", "days_failed", "realised_value_eur",
                    "perfect_foresight_value_eur", "captured_share"]  # fmt: skip
            lines.append(t[cols].to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
        if self.forecast_days or self.computed_days:
            per = lambda t, n: f"{t / n:.2f} s/day" if n else "-"  # noqa: E731
            lines.append(f"compute: forecasts {self.forecast_seconds:.1f} s for {self.forecast_days} model-day(s) "
                         f"({per(self.forecast_seconds, self.forecast_days)}), scenarios {self.scenario_seconds:.1f} s "
                         f"for {self.computed_days} scenario-day(s) ({per(self.scenario_seconds, self.computed_days)})")  # fmt: skip
        if self.task_errors:
            lines.append(f"{len(self.task_errors)} task(s) could not run (re-run the sweep to resume):")
            lines += [f"  {e}" for e in self.task_errors]
        if self.report is not None:
            lines.append(f"report: {self.report}")
        return "\n".join(lines)


def connect(scheduler: str | None = None, workers: int | None = None, *, timeout: str = "15s"):
    """A Dask client: on the scheduler at ``scheduler`` (``tcp://host:8786``), else on a new
    local cluster of ``workers`` single-threaded processes (default: this machine's cores).

    Raises
    ------
    SweepError
        The scheduler cannot be reached.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as e:
            raise SweepError(
                f"No Dask scheduler answers at {scheduler} ({e}). Start one with `dask scheduler` and workers with "
                f"`dask worker {scheduler}` on machines that have bvp_lib installed and BVP_DATABASE_URL set; or "
                "leave out --scheduler to run on a local cluster."
            ) from None
    n = workers or os.cpu_count() or 1
    # a free port for the scheduler's HTTP server (the dashboard when bokeh is installed):
    # the default 8787 may be taken by another cluster
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=40, env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                                 "MKL_NUM_THREADS": "1"})  # fmt: skip
    return Client(cluster)


def check_workers(client) -> int:
    """Every worker sees the same database (server and name) and schema as this process.

    Returns
    -------
    int
        The number of workers.

    Raises
    ------
    SweepError
        No workers, a worker without bvp_lib, or one that sees another database.
    """
    here = database_identity()
    try:
        seen = client.run(database_identity)
    except Exception as e:  # noqa: BLE001 - worker-side import or connection errors
        raise SweepError(
            f"A Dask worker cannot reach the database ({type(e).__name__}: {e}). Workers need bvp_lib installed "
            "and BVP_DATABASE_URL pointing at the same PostgreSQL as here (the embedded server is local to this "
            "machine: give remote workers a shared server)."
        ) from None
    if not seen:
        raise SweepError("The Dask cluster has no workers; start some with `dask worker <scheduler address>`.")
    for addr, ident in seen.items():
        if (ident["system_identifier"], ident["database"]) != (here["system_identifier"], here["database"]):
            raise SweepError(
                f"Dask worker {addr} sees database {ident['database']!r} on another server than this process "
                f"({here['database']!r}): set the same BVP_DATABASE_URL on every worker."
            )
        if ident["revision"] != here["revision"]:
            raise SweepError(
                f"Dask worker {addr} sees schema revision {ident['revision']} instead of {here['revision']}: "
                "run `bvp db upgrade` and install the same bvp_lib on every worker."
            )
    return len(seen)


def check_scenarios(spec: SweepSpec, *, bind=None) -> None:
    """Check every scenario against the database before any work is sent: its assets,
    owner and settings (:func:`bvp_lib.runs.day.prepare`) and its override targets.

    Raises
    ------
    SweepError
        Naming the scenario and what is wrong.
    """
    from bvp_lib.runs.day import prepare
    from bvp_lib.scheduling.inputs import asset_rows

    with transaction(bind) as c:
        cat = Catalogue.read(c)
        for s in spec.scenarios:
            p = {k: v for k, v in s.parameters.items() if k not in ("overrides",)}
            try:
                ctx = prepare(spec.first, save=False, bind=c, **p)
                asset_rows(cat, ctx.assets, s.parameters.get("overrides"))
            except ValueError as e:
                raise SweepError(f"sweep {spec.name!r}, scenario {_label(s.values)}: {e}") from None


def run_sweep(spec: SweepSpec, *, client=None, scheduler: str | None = None, workers: int | None = None,
              force: bool = False, progress: bool = True, bind=None) -> SweepResult:  # fmt: skip
    """Run every scenario's backtest of a sweep on Dask and return the comparison table.

    Parameters
    ----------
    spec : SweepSpec
        From :func:`load_sweep` or :func:`parse_sweep`.
    client : distributed.Client, optional
        Use this client (its cluster stays up afterwards).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); default a local
        cluster of ``workers`` processes, closed at the end.
    workers : int, optional
        Local cluster size (default: the machine's cores).
    force : bool
        Recompute days already done.
    progress : bool
        A progress bar over scenario-days (done, failed, time left).
    bind : Engine, optional
        The database of this process (the workers use their own settings; they are
        checked to see the same database).

    Returns
    -------
    SweepResult
        The comparison table (:func:`comparison`), counts, task errors.

    Raises
    ------
    SweepError
        An unreachable scheduler, workers that see another database.
    bvp_lib.runs.backtest.BacktestParameterError
        The sweep's runs exist with other parameters.
    """
    from distributed import as_completed
    from tqdm.auto import tqdm

    from bvp_lib.forecasting.weather_feed import ensure_weather_for_days

    t0 = time.perf_counter()
    check_scenarios(spec, bind=bind)
    ids = register(spec, bind=bind)
    # weather forecasts once, here: parallel forecast tasks then only read them
    ensure_weather_for_days(spec.first, spec.last, bind=bind)
    days = spec.days
    done = done_days(list(ids.values()), bind=bind) if not force else {r: set() for r in ids.values()}
    ranges = chunks(days, spec.chunk_days)
    own = client is None
    if own:
        client = connect(scheduler, workers)
    try:
        n_workers = check_workers(client)
        import importlib.util

        if progress and importlib.util.find_spec("bokeh"):
            tqdm.write(f"Dask dashboard: {client.dashboard_link}")
        token = uuid.uuid4().hex[:8]
        by_key: dict[str, list[Scenario]] = {}
        for s in spec.scenarios:
            by_key.setdefault(s.forecast_key, []).append(s)
        scenario_futures, forecast_futures, previous = [], [], {}
        todo = 0
        for k, rng in enumerate(ranges):
            for fi, (fkey, scs) in enumerate(by_key.items()):
                need = {s.run_name: [d for d in rng if d not in done[ids[s.run_name]]] for s in scs}
                fdays = sorted({d for v in need.values() for d in v})
                if not fdays:
                    continue
                ff = client.submit(forecast_task, fdays, scs[0].parameters, key=f"forecast-{fi}-{k}-{token}",
                                   pure=False, retries=1)  # fmt: skip
                forecast_futures.append(ff)
                for s in scs:
                    if not need[s.run_name]:
                        continue
                    todo += len(need[s.run_name])
                    f = client.submit(scenario_task, s.run_name, rng, s.parameters, days[0], force, ff,
                                      previous.get(s.run_name), key=f"scenario-{ids[s.run_name]}-{k}-{token}",
                                      pure=False, retries=1)  # fmt: skip
                    f.days = len(need[s.run_name])
                    previous[s.run_name] = f
                    scenario_futures.append(f)
        computed = failed = 0
        errors: list[str] = []
        bar = tqdm(total=todo, desc=f"sweep {spec.name}", unit="day", disable=not progress or not todo)
        for f in as_completed(scenario_futures):
            if f.status == "finished":
                r = f.result()
                computed += r["computed"]
                failed += r["failed"]
                bar.update(r["computed"] + r["skipped"])
            else:
                try:
                    exc = f.exception()
                except Exception as e:  # noqa: BLE001 - a cancelled future has no exception to give
                    exc = e
                errors.append(f"{f.key}: {type(exc).__name__}: {exc}")
                bar.update(f.days)
            bar.set_postfix(failed=failed, tasks_lost=len(errors))
        bar.close()
        fsec = fdays_n = 0
        for f in forecast_futures:
            if f.status == "finished":
                r = f.result()
                fsec += r["seconds"]
                fdays_n += r["days"]
        ssec = sum(f.result()["seconds"] for f in scenario_futures if f.status == "finished")
    finally:
        if own:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
    table = comparison(spec.name, bind=bind)
    return SweepResult(spec, table, time.perf_counter() - t0, n_workers, computed, failed, errors,
                       forecast_seconds=fsec, forecast_days=fdays_n, scenario_seconds=ssec)


def ensure_sweep(name: str, sweep_file: str | Path = "", *, workers: int = 1, bind=None):
    """Run the sweep file when the sweep ``name`` is not stored, stored with another
    spec, or has days not yet attempted (failed days are not retried here).

    Parameters
    ----------
    name : str
        The sweep's name; the file must describe the sweep of that name.
    sweep_file : str or Path
        A sweep file (YAML, see ``parameters/sweep.yaml``); ``""`` runs nothing.
    workers : int
        Local Dask worker processes.

    Returns
    -------
    bvp_lib.runs.sweep.SweepResult or None
        None when nothing ran.

    Raises
    ------
    bvp_lib.runs.sweep.SweepError
        A bad sweep file, or one that names another sweep.
    """
    if not sweep_file:
        return None
    spec = load_sweep(sweep_file)
    if spec.name != name:
        raise SweepError(f"Sweep file {sweep_file} describes the sweep {spec.name!r}, not {name!r}.")
    if is_complete(spec, bind=bind):
        return None
    return run_sweep(spec, workers=workers, progress=False, bind=bind)
