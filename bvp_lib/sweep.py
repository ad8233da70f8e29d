"""Scenario sweeps: one backtest per point of a parameter grid, run in parallel on Dask.

A sweep file (YAML, see ``parameters/sweep.yaml``) names the sweep, its period and a
grid; every combination of the grid's values is a *scenario*, stored as a backtest run
named ``<sweep>/<axis>=<value>,...`` (:mod:`bvp_lib.backtest`) and listed in
``sweeps`` / ``sweep_scenarios``::

    name: battery-sizing
    from: 2015-04-06
    to: 2015-04-19
    chunk_days: 7                  # days per task
    base: {solver: highs}          # backtest parameters every scenario shares
    grid:
      battery.power_mw: [0.5, 1.0] # <asset type or asset name>.<attribute>: asset overrides
      battery.energy_mwh: [1, 2]
      models: [linear, seasonal_naive_daily]   # or any backtest parameter

The work is two kinds of Dask task, each reading what it needs from PostgreSQL and
writing its own results with idempotent upserts, one transaction per day:

- *forecast* tasks, one per (forecast settings, day range): the day-ahead forecasts at
  gate closure for the days some scenario still needs, exactly as the daily run's
  forecast step (:func:`bvp_lib.pipeline.forecast`), stored once for all the scenarios
  that share the models;
- *scenario* tasks, one per (scenario, day range): the backtest of those days on the
  stored forecasts (:func:`bvp_lib.backtest.run_backtest` with ``store_beliefs=False``),
  storing per-day and per-asset results only. A scenario's ranges run in order, because
  the battery SoC at the end of one range starts the next.

A task lost with its worker is retried by Dask; days it finished are skipped, the day it
was on was rolled back by PostgreSQL, so no row is written twice. Re-running a sweep
resumes it; ``force`` recomputes.

Costs: forecast tasks ≈ models × days (the forecast step, about half a day's run on the
full portfolio), scenario tasks ≈ scenarios × days (two schedules and the valuation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from bvp_lib.backtest import RUN_DAY_PARAMETERS, BacktestParameterError, _normalise, ensure_run

#: sweep file keys
SPEC_KEYS = ("name", "from", "to", "chunk_days", "base", "grid", "description")
#: run parameters that change what is forecast (one forecast task per distinct setting)
FORECAST_KEYS = ("models", "owner", "assets")
DEFAULT_CHUNK_DAYS = 7


class SweepError(ValueError):
    """A bad sweep file, a Dask cluster that cannot be reached or cannot see the database."""

    user_facing = True


@dataclass
class Scenario:
    """One grid point: its label, grid values and backtest parameters."""

    run_name: str
    values: dict
    parameters: dict

    @property
    def forecast_key(self) -> str:
        return json.dumps({k: self.parameters.get(k) for k in FORECAST_KEYS}, sort_keys=True)


@dataclass
class SweepSpec:
    """A parsed sweep file."""

    name: str
    first: dt.date
    last: dt.date
    base: dict
    grid: dict[str, list]
    chunk_days: int = DEFAULT_CHUNK_DAYS
    description: str = ""
    scenarios: list[Scenario] = field(default_factory=list)

    @property
    def days(self) -> list[dt.date]:
        from bvp_lib.reporting.daily import days_between

        return days_between(self.first, self.last)

    def as_json(self) -> dict:
        return {"name": self.name, "from": self.first.isoformat(), "to": self.last.isoformat(),
                "chunk_days": self.chunk_days, "base": self.base, "grid": self.grid, "axes": list(self.grid),
                "description": self.description}  # fmt: skip


def _axis_parameters(axis: str, value, where: str) -> dict:
    """The backtest parameters one grid value sets."""
    from bvp_lib.scheduling.overrides import ATTRIBUTES

    if "." in axis:
        target, attr = axis.rsplit(".", 1)
        if attr not in ATTRIBUTES:
            raise SweepError(f"{where}: grid axis {axis!r}: unknown attribute {attr!r}; known: {', '.join(ATTRIBUTES)}.")
        return {"overrides": {target: {attr: value}}}
    if axis not in RUN_DAY_PARAMETERS or axis == "overrides":
        known = [k for k in RUN_DAY_PARAMETERS if k != "overrides"]
        raise SweepError(
            f"{where}: grid axis {axis!r} is neither a backtest parameter ({', '.join(known)}) nor "
            "<asset type or asset name>.<attribute> (for example battery.power_mw)."
        )
    if axis == "models" and isinstance(value, str):
        value = [value]
    return {axis: value}


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _label(values: dict) -> str:
    def fmt(v):
        return ",".join(map(str, v)) if isinstance(v, list) else repr(v) if isinstance(v, float) else str(v)

    return " ".join(f"{k}={fmt(v)}" for k, v in values.items()) or "base"


def parse_sweep(data: dict, *, where: str = "sweep") -> SweepSpec:
    """Check a sweep mapping and expand its grid into scenarios.

    Parameters
    ----------
    data : dict
        ``name``, ``from``, ``to`` (YYYY-MM-DD, both included), ``grid`` (axis → list of
        values; none: one scenario, the base, named ``<name>/base``), optionally ``base``
        (backtest parameters), ``chunk_days`` and ``description``.
    where : str
        Where the mapping came from (a file name), for error messages.

    Returns
    -------
    SweepSpec
        With ``scenarios`` in grid order (the last axis varies fastest).

    Raises
    ------
    SweepError
        A missing or unknown key, an empty axis, a bad parameter or override; the message
        names the key.
    """
    from bvp_lib.scheduling.errors import SchedulingInputError
    from bvp_lib.timing import as_date

    if not isinstance(data, dict):
        raise SweepError(f"{where} must hold a mapping with name, from, to and grid.")
    unknown = sorted(set(data) - set(SPEC_KEYS))
    if unknown:
        raise SweepError(f"{where}: unknown key(s) {unknown}; a sweep file has {', '.join(SPEC_KEYS)}.")
    missing = [k for k in ("name", "from", "to") if data.get(k) in (None, "")]
    if missing:
        raise SweepError(f"{where}: missing {', '.join(missing)} (see parameters/sweep.yaml for an example).")
    name = str(data["name"]).strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}", name):
        raise SweepError(f"{where}: name {name!r} must be 1-60 letters, digits, '.', '_' or '-', starting with a "
                         "letter or digit (it names a report folder).")  # fmt: skip
    try:
        first, last = as_date(data["from"]), as_date(data["to"])
    except (TypeError, ValueError) as e:
        raise SweepError(f"{where}: from/to must be dates YYYY-MM-DD ({e}).") from None
    if last < first:
        raise SweepError(f"{where}: to ({last}) is before from ({first}).")
    chunk = data.get("chunk_days", DEFAULT_CHUNK_DAYS)
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
        raise SweepError(f"{where}: chunk_days must be a whole number of days >= 1, not {chunk!r}.")
    base = data.get("base") or {}
    grid = data.get("grid") or {}
    if not isinstance(base, dict) or not isinstance(grid, dict):
        raise SweepError(f"{where}: base and grid must be mappings.")
    for axis, values in grid.items():
        if not isinstance(values, list) or not values:
            raise SweepError(f"{where}: grid axis {axis!r} must be a non-empty list of values, not {values!r}.")
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) < len(values):
            raise SweepError(f"{where}: grid axis {axis!r} repeats a value: {values}.")
    spec = SweepSpec(name, first, last, base, {str(k): list(v) for k, v in grid.items()}, chunk,
                     str(data.get("description") or ""))  # fmt: skip
    axes = list(spec.grid)
    for combo in itertools.product(*(spec.grid[a] for a in axes)):
        values = dict(zip(axes, combo))
        params = dict(base)
        for a, v in values.items():
            params = _merge(params, _axis_parameters(a, v, where))
        try:
            params = _normalise(params)
        except (BacktestParameterError, SchedulingInputError) as e:
            raise SweepError(f"{where}: scenario {_label(values)}: {e}") from None
        label = _label(values)
        run = f"{name}/{label}"
        if len(run) > 200:
            run = f"{name}/{hashlib.sha256(label.encode()).hexdigest()[:16]}"
        twin = next((o for o in spec.scenarios if o.parameters == params or o.run_name == run), None)
        if twin is not None:
            raise SweepError(f"{where}: scenarios {_label(twin.values)} and {label} are the same backtest: "
                             "an axis repeats a value in another spelling (1 and 1.0).")  # fmt: skip
        spec.scenarios.append(Scenario(run, values, params))
    return spec


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file (YAML); see :func:`parse_sweep`."""
    import yaml

    p = Path(path)
    if not p.exists():
        raise SweepError(f"Sweep file {p} does not exist (an example: parameters/sweep.yaml).")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as e:
        raise SweepError(f"Sweep file {p} is not valid YAML: {e}") from None
    return parse_sweep(data, where=str(p))


# ---------------------------------------------------------------------------------------
# the database side


def register(spec: SweepSpec, *, bind=None) -> dict[str, int]:
    """Store the sweep and its scenarios' backtest runs (one transaction); run name → id.

    A sweep file changed since the last run keeps its name: the sweep's grid becomes the
    new one (scenarios no longer in it stay stored as backtest runs, out of the sweep).

    Raises
    ------
    bvp_lib.backtest.BacktestParameterError
        A scenario's run exists with other parameters (the base changed under the same
        sweep name): choose a new sweep name.
    """
    from bvp_lib.db.engine import transaction

    with transaction(bind) as c:
        sid = c.execute(sa.text(
            "INSERT INTO sweeps (name, spec, first_day, last_day) VALUES (:n, CAST(:s AS jsonb), :f, :l) "
            "ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, first_day = EXCLUDED.first_day, "
            "last_day = EXCLUDED.last_day, updated_at = now() RETURNING id"),
            {"n": spec.name, "s": json.dumps(spec.as_json(), default=str), "f": spec.first,
             "l": spec.last}).scalar_one()  # fmt: skip
        ids = {}
        for s in spec.scenarios:
            try:
                ids[s.run_name] = ensure_run(s.run_name, s.parameters, bind=c)
            except BacktestParameterError as e:
                raise BacktestParameterError(
                    f"{e} The sweep {spec.name!r} was run before with other base parameters: give the sweep a new name."
                ) from None
        c.execute(sa.text("DELETE FROM sweep_scenarios WHERE sweep_id = :s"), {"s": sid})
        c.execute(sa.text("INSERT INTO sweep_scenarios (sweep_id, run_id, position, grid_values) "
                          "VALUES (:s, :r, :p, CAST(:v AS jsonb))"),
                  [{"s": sid, "r": ids[s.run_name], "p": i, "v": json.dumps(s.values, default=str)}
                   for i, s in enumerate(spec.scenarios)])  # fmt: skip
    return ids


def _done_days(run_ids: list[int], *, bind=None) -> dict[int, set[dt.date]]:
    from bvp_lib.db.engine import transaction

    out: dict[int, set[dt.date]] = {r: set() for r in run_ids}
    with transaction(bind) as c:
        for r, d in c.execute(sa.text("SELECT run_id, day FROM backtest_days WHERE status = 'done' AND run_id = ANY(:r)"),
                              {"r": run_ids}).all():  # fmt: skip
            out[r].add(d)
    return out


def stored_sweep(conn, name: str):
    """The ``sweeps`` row (id, spec, first_day, last_day) of a stored sweep.

    Raises
    ------
    SweepError
        No sweep of that name is stored; the message lists the stored ones.
    """
    sw = conn.execute(sa.text("SELECT id, spec, first_day, last_day FROM sweeps WHERE name = :n"), {"n": name}).first()
    if sw is None:
        known = [r[0] for r in conn.execute(sa.text("SELECT name FROM sweeps ORDER BY name")).all()]
        raise SweepError(f"No sweep named {name!r} is stored" + (f"; stored: {', '.join(known)}." if known else
                         "; run one with `bvp sweep -f parameters/sweep.yaml`."))  # fmt: skip
    return sw


def sweep_axes(spec_json: dict | None) -> list[str]:
    """The grid axes of a stored spec, in the sweep file's order (JSONB keeps no key order)."""
    spec_json = spec_json or {}
    return list(spec_json.get("axes") or spec_json.get("grid", {}))


def comparison(name: str, *, bind=None) -> pd.DataFrame:
    """One row per scenario of a stored sweep: its grid values and results over the sweep's period.

    Columns: the grid axes, ``run`` (backtest run name), ``days_done``, ``days_failed``,
    ``realised_value_eur``, ``perfect_foresight_value_eur``, ``planned_value_eur``
    [EUR, summed over done days], ``captured_share`` [-], ``energy_shifted_mwh``
    [MWh], ``seconds_per_day`` [s]. Rows in grid order.

    Raises
    ------
    SweepError
        No sweep of that name is stored.
    """
    from bvp_lib.db.engine import transaction
    from bvp_lib.valuation import captured_share

    with transaction(bind) as c:
        sw = stored_sweep(c, name)
        rows = c.execute(sa.text(
            "SELECT s.position, s.grid_values, r.name AS run, "
            "count(d.day) FILTER (WHERE d.status = 'done') AS days_done, "
            "count(d.day) FILTER (WHERE d.status = 'failed') AS days_failed, "
            "sum(d.realised_value_eur) FILTER (WHERE d.status = 'done') AS realised_value_eur, "
            "sum(d.perfect_foresight_value_eur) FILTER (WHERE d.status = 'done') AS perfect_foresight_value_eur, "
            "sum(d.planned_value_eur) FILTER (WHERE d.status = 'done') AS planned_value_eur, "
            "sum(d.energy_shifted_mwh) FILTER (WHERE d.status = 'done') AS energy_shifted_mwh, "
            "avg(d.seconds) FILTER (WHERE d.status = 'done') AS seconds_per_day "
            "FROM sweep_scenarios s JOIN backtest_runs r ON r.id = s.run_id "
            "LEFT JOIN backtest_days d ON d.run_id = r.id AND d.day BETWEEN :f AND :l "
            "WHERE s.sweep_id = :s GROUP BY s.position, s.grid_values, r.name ORDER BY s.position"),
            {"s": sw.id, "f": sw.first_day, "l": sw.last_day}).mappings().all()  # fmt: skip
    axes = sweep_axes(sw.spec)
    recs = []
    for r in rows:
        rec = {a: r["grid_values"].get(a) for a in axes}
        rec = {a: ",".join(map(str, v)) if isinstance(v, list) else v for a, v in rec.items()}
        rec.update({k: r[k] for k in ("run", "days_done", "days_failed", "realised_value_eur",
                                      "perfect_foresight_value_eur", "planned_value_eur", "energy_shifted_mwh",
                                      "seconds_per_day")})  # fmt: skip
        rec["captured_share"] = captured_share(rec["realised_value_eur"] or 0.0, rec["perfect_foresight_value_eur"] or 0.0)
        recs.append(rec)
    df = pd.DataFrame(recs)
    df.attrs.update(axes=axes, first_day=sw.first_day, last_day=sw.last_day, name=name)
    return df


# ---------------------------------------------------------------------------------------
# the Dask tasks (module-level functions: workers import them from bvp_lib)


def database_identity() -> dict:
    """What a process sees as the database: server system id, database name and schema revision."""
    from bvp_lib.db.engine import get_engine

    with get_engine().connect() as c:
        sysid = c.execute(sa.text("SELECT system_identifier FROM pg_control_system()")).scalar()
        db = c.execute(sa.text("SELECT current_database()")).scalar()
        try:
            rev = c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        except sa.exc.ProgrammingError:
            rev = None
    return {"system_identifier": str(sysid), "database": db, "revision": rev, "pid": os.getpid()}


def forecast_task(days: list[dt.date], parameters: dict) -> dict:
    """Day-ahead forecasts of ``days`` for one forecast setting (models, owner, assets),
    stored; returns ``errors`` (ISO day → error for days that could not be forecast),
    ``days`` and ``seconds``."""
    from bvp_lib.forecasting.profiling import single_threaded
    from bvp_lib.pipeline import forecast, prepare

    t0 = time.perf_counter()
    errors: dict[str, str] = {}
    kw = {k: parameters[k] for k in FORECAST_KEYS if parameters.get(k) is not None}
    with single_threaded():
        for d in days:
            ctx = None
            try:
                ctx = prepare(d, save=True, **kw)
                forecast(ctx)
            except Exception as e:  # noqa: BLE001 - the scenario days are recorded failed with this error
                if ctx is not None:
                    ctx.save = False
                errors[d.isoformat()] = f"forecast failed: {type(e).__name__}: {e}"
            finally:
                if ctx is not None:
                    ctx.finish()
    return {"errors": errors, "days": len(days), "seconds": time.perf_counter() - t0, "pid": os.getpid()}


def scenario_task(run_name: str, days: list[dt.date], parameters: dict, carry_from: dt.date, force: bool,
                  forecasts: dict | None = None, previous=None) -> dict:
    """The backtest of one scenario over ``days`` on the stored forecasts.

    ``forecasts`` is the result of the range's forecast task (its failed days are
    recorded failed here); ``previous`` (the result of the scenario's previous range)
    only orders the tasks: the SoC is read back from the database. Returns counts and
    seconds."""
    from bvp_lib.backtest import run_backtest
    from bvp_lib.forecasting.profiling import single_threaded

    t0 = time.perf_counter()
    with single_threaded():
        s = run_backtest(run_name, days[0], days[-1], parameters=parameters, force=force, progress=False,
                         store_beliefs=False, carry_from=carry_from, fail_days=(forecasts or {}).get("errors") or {})  # fmt: skip
    return {"run": run_name, "computed": len(s.computed), "skipped": len(s.skipped),
            "failed": sum(1 for d in s.computed if d.isoformat() in s.failed), "days": len(days),
            "seconds": time.perf_counter() - t0, "pid": os.getpid()}  # fmt: skip


# ---------------------------------------------------------------------------------------
# running


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
    owner and settings (:func:`bvp_lib.pipeline.prepare`) and its override targets.

    Raises
    ------
    SweepError
        Naming the scenario and what is wrong.
    """
    from bvp_lib.db.engine import transaction
    from bvp_lib.pipeline import prepare
    from bvp_lib.scheduling.store import _asset_rows

    with transaction(bind) as c:
        for s in spec.scenarios:
            p = {k: v for k, v in s.parameters.items() if k not in ("overrides",)}
            try:
                ctx = prepare(spec.first, save=False, bind=c, **p)
                _asset_rows(c, ctx.assets, s.parameters.get("overrides"))
            except ValueError as e:
                raise SweepError(f"sweep {spec.name!r}, scenario {_label(s.values)}: {e}") from None


def chunks(days: list[dt.date], size: int) -> list[list[dt.date]]:
    """Consecutive day ranges of ``size`` days (the last may be shorter)."""
    return [days[i : i + size] for i in range(0, len(days), size)]


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
    bvp_lib.backtest.BacktestParameterError
        The sweep's runs exist with other parameters.
    """
    from distributed import as_completed
    from tqdm.auto import tqdm

    from bvp_lib.forecasting.store import ensure_weather_for_days

    t0 = time.perf_counter()
    check_scenarios(spec, bind=bind)
    ids = register(spec, bind=bind)
    # weather forecasts once, here: parallel forecast tasks then only read them
    ensure_weather_for_days(spec.first, spec.last, bind=bind)
    days = spec.days
    done = _done_days(list(ids.values()), bind=bind) if not force else {r: set() for r in ids.values()}
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
