"""The Dask tasks of a sweep (module-level functions: workers import them from bvp_lib).

- a *forecast* task per (forecast settings, day range): the day-ahead forecasts at gate
  closure for the days some scenario still needs, exactly as the daily run's forecast
  step (:func:`bvp_lib.runs.day.forecast`), stored once for all the scenarios that share
  the models;
- a *scenario* task per (scenario, day range): the backtest of those days on the stored
  forecasts (:func:`bvp_lib.runs.backtest.run_backtest` with ``store_beliefs=False``),
  storing per-day and per-asset results only.

Each reads what it needs from PostgreSQL and writes its own results with idempotent
upserts, one transaction per day.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import sqlalchemy as sa

from bvp_lib.runs.sweep.spec import FORECAST_KEYS

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
    from bvp_lib.runs.day import forecast, prepare

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
    from bvp_lib.runs.backtest import run_backtest
    from bvp_lib.forecasting.profiling import single_threaded

    t0 = time.perf_counter()
    with single_threaded():
        s = run_backtest(run_name, days[0], days[-1], parameters=parameters, force=force, progress=False,
                         store_beliefs=False, carry_from=carry_from, fail_days=(forecasts or {}).get("errors") or {})  # fmt: skip
    return {"run": run_name, "computed": len(s.computed), "skipped": len(s.skipped),
            "failed": sum(1 for d in s.computed if d.isoformat() in s.failed), "days": len(days),
            "seconds": time.perf_counter() - t0, "pid": os.getpid()}  # fmt: skip
