"""One day, end to end: forecast at gate closure → schedule → realise → value.

This module only wires the stages together (it adds no algorithms):

1. :func:`forecast` — day-ahead forecasts of every asset's uncontrolled power and the
   price, issued at gate closure (12:00 local on D-1) with only what was known then,
   stored as beliefs (:func:`bvp_lib.forecasting.store.forecast_day_ahead`);
2. :func:`schedule` — the portfolio schedule on those forecasts ("planned") and on
   realised data ("perfect foresight"), stored as beliefs
   (:func:`bvp_lib.scheduling.store.schedule_day`);
3. :func:`value` — baseline, planned, realised and perfect-foresight value
   (:func:`bvp_lib.valuation.value_day`).

The daily report notebook calls these one per cell, so a failure names its step.
Re-running a day replaces its stored forecasts and schedules (idempotent writes).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bvp_lib.timing import as_date


@dataclass
class DayContext:
    """What a daily run works on, and what it has produced so far."""

    day: dt.date
    assets: list[str] | None = None
    owner: str | None = None
    solver: str | None = None
    models: list[str] | None = None
    spread: float = 10.0
    resolution: str = "15min"
    save: bool = True
    timezone: str = "Europe/Berlin"
    mip_gap: float | None = 1e-3
    time_limit: float | None = 60.0
    soc_start: dict[str, float] | None = None
    overrides: dict | None = None
    reuse_forecasts: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    forecasts: pd.DataFrame | None = None
    planned: object | None = None
    perfect: object | None = None
    valuation: object | None = None
    actual: pd.DataFrame | None = None
    started: float = field(default_factory=time.perf_counter)
    connection: object | None = field(default=None, repr=False)
    transaction: object | None = field(default=None, repr=False)

    def bind(self, bind=None):
        """Where the steps read and write: the caller's bind, or the run's own transaction."""
        return bind if bind is not None else self.connection

    def finish(self) -> None:
        """Commit the run's forecasts and schedules (``save``) or roll them back (a dry run)."""
        if self.transaction is not None and self.transaction.is_active:
            (self.transaction.commit if self.save else self.transaction.rollback)()
        if self.connection is not None:
            self.connection.close()
        self.connection = self.transaction = None


def prepare(day=None, *, owner: str | None = None, assets: list[str] | None = None, solver: str | None = None,
            models: list[str] | None = None, spread: float = 10.0, resolution: str = "15min",
            save: bool = True, mip_gap: float | None = 1e-3, time_limit: float | None = 60.0,
            soc_start: dict[str, float] | None = None, overrides: dict | None = None,
            reuse_forecasts: bool = False, bind=None) -> DayContext:
    """Resolve the day (default: the last complete day), the assets (an owner's or all) and settings.

    ``models``: the forecast models to run; with one model the schedule uses its
    forecasts, with several (or none: each type's primary model) the primary model's.
    ``overrides`` changes stored asset parameters for this run only (a scenario,
    :mod:`bvp_lib.scheduling.overrides`). ``reuse_forecasts`` skips the forecast step and
    schedules on the day-ahead forecasts already stored (a sweep computes them once per
    model for all its scenarios); ``save=False`` then stores nothing at all.

    ``mip_gap`` and ``time_limit`` [s] bound each solve: a schedule needs binaries only at
    negative prices with lossy storage (see :mod:`bvp_lib.scheduling.complementarity`),
    and proving optimality to 1e-7 there can take minutes; 1e-3 costs at most 0.1 % of
    the day's objective and answers in seconds with HiGHS. ``soc_start`` (battery → SoC
    [MWh] at the start of the day) overrides the stored ``soc_at_start_mwh`` (a backtest
    carries the previous day's end SoC over).
    """
    import sqlalchemy as sa

    from bvp_lib.db.engine import transaction
    from bvp_lib.config import get_settings

    settings = get_settings()
    if not day:
        from bvp_lib.reporting.daily import last_complete_day

        day = last_complete_day(bind)
    if spread < 0:
        raise ValueError(f"imbalance_spread must be >= 0 EUR/MWh, not {spread}.")
    if solver and solver not in ("cbc", "highs"):
        raise ValueError(f"solver {solver!r} is not supported; use cbc or highs.")
    from bvp_lib.scheduling.problem import check_solver_limits

    check_solver_limits(time_limit, mip_gap)
    with transaction(bind) as c:
        known = dict(c.execute(sa.text(
            "SELECT a.name, o.name FROM assets a JOIN owners o ON o.id = a.owner_id")).all())  # fmt: skip
    if not known:
        raise ValueError("The database holds no assets: run `bvp db populate --structure --data` first.")
    chosen = list(assets) if assets else sorted(known)
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise ValueError(f"Unknown asset(s) {unknown}; `bvp db show` lists them.")
    if owner:
        if owner not in set(known.values()):
            raise ValueError(f"Unknown owner {owner!r}; owners are {sorted(set(known.values()))}.")
        chosen = [a for a in chosen if known[a] == owner]
    if overrides:
        from bvp_lib.scheduling.overrides import normalise_overrides

        overrides = normalise_overrides(overrides)
    ctx = DayContext(as_date(day), chosen, owner or None, solver or None, list(models) if models else None,
                     float(spread), resolution, save, settings.timezone, mip_gap, time_limit,
                     dict(soc_start) if soc_start else None, overrides or None, bool(reuse_forecasts))  # fmt: skip
    if bind is None:
        # one transaction for the whole run: forecasts and schedules land together, or (save=False) not at all
        from bvp_lib.db.engine import get_engine

        ctx.connection = get_engine().connect()
        ctx.transaction = ctx.connection.begin()
    return ctx


def _timed(ctx: DayContext, step: str):
    class _T:
        def __enter__(self):
            self.t = time.perf_counter()

        def __exit__(self, *exc):
            ctx.timings[step] = ctx.timings.get(step, 0.0) + time.perf_counter() - self.t

    return _T()


def forecast(ctx: DayContext, *, bind=None) -> pd.DataFrame:
    """Day-ahead forecasts at gate closure for the context's assets and the price."""
    from bvp_lib.forecasting.store import forecast_day_ahead

    with _timed(ctx, "forecast"):
        # stored inside the run's transaction so the scheduler reads them; rolled back when save=False
        ctx.forecasts = forecast_day_ahead(ctx.day, assets=ctx.assets, models=ctx.models, save=True,
                                           bind=ctx.bind(bind))
    return ctx.forecasts


def forecast_source(ctx: DayContext) -> str | None:
    """The forecast model the planned schedule reads: the one model asked for, else None
    (each sensor's primary model)."""
    return ctx.models[0] if ctx.models and len(ctx.models) == 1 else None


def schedule(ctx: DayContext, *, bind=None):
    """The planned schedule (on the forecasts) and the perfect-foresight schedule (on realised data).

    Stored as beliefs when the run saves (nothing reads them back within the run)."""
    from bvp_lib.scheduling.store import schedule_day

    with _timed(ctx, "schedule"):
        kw = dict(assets=ctx.assets, solver=ctx.solver, resolution=ctx.resolution, mip_gap=ctx.mip_gap,
                  time_limit=ctx.time_limit, soc_start=ctx.soc_start, overrides=ctx.overrides, save=ctx.save,
                  bind=ctx.bind(bind))  # fmt: skip
        ctx.planned = schedule_day(ctx.day, mode="forecast", forecast_source=forecast_source(ctx), **kw)
        ctx.perfect = schedule_day(ctx.day, mode="perfect", **kw)
    return ctx.planned, ctx.perfect


def value(ctx: DayContext):
    """Value of flexibility for the day (see :mod:`bvp_lib.valuation`); then commits the run
    (or rolls it back when ``save`` is false)."""
    from bvp_lib.valuation import value_day

    if ctx.planned is None or ctx.perfect is None:
        raise ValueError("Schedule the day first (pipeline.schedule).")
    with _timed(ctx, "value"):
        plan, pf = ctx.planned.result, ctx.perfect.result
        info = ctx.planned.info
        cols = list(plan.schedule.columns)
        storage = None
        if len(plan.soc.columns):
            st = [a for a in plan.soc.columns if a in info.index]
            storage = pd.DataFrame({
                "soc_start": plan.soc[st].iloc[0],
                "planned_soc_end": plan.soc[st].iloc[-1],
                "perfect_soc_end": pf.soc[st].iloc[-1],
                "charge_efficiency": info.loc[st, "charge_efficiency"].astype(float).fillna(1.0),
                "discharge_efficiency": info.loc[st, "discharge_efficiency"].astype(float).fillna(1.0),
                "capacity_mwh": info.loc[st, "capacity_mwh"].astype(float),
            })  # fmt: skip
        ctx.valuation = value_day(
            price=ctx.perfect.inputs.prices, forecast_price=ctx.planned.inputs.prices, planned=plan.schedule,
            forecast_baseline=plan.baseline[cols], actual_baseline=pf.baseline[cols], perfect=pf.schedule[cols],
            kinds=info["type"].to_dict(), owners=info["owner"].to_dict(), storage=storage, spread=ctx.spread,
        )  # fmt: skip
    ctx.finish()
    return ctx.valuation


def run_day(day=None, **kwargs) -> DayContext:
    """All stages for one day; returns the filled context (keywords: :func:`prepare`).

    With ``reuse_forecasts=True`` the forecast step (and the forecast-vs-actual read) is
    skipped: the schedule reads the stored day-ahead forecasts."""
    bind = kwargs.pop("bind", None)
    ctx = prepare(day, bind=bind, **kwargs)
    try:
        if not ctx.reuse_forecasts:
            forecast(ctx, bind=bind)
        schedule(ctx, bind=bind)
        if not ctx.reuse_forecasts:
            ctx.actual = actuals(ctx, bind=bind)
        value(ctx)
    except BaseException:
        ctx.save = False
        ctx.finish()
        raise
    ctx.finish()
    return ctx


def actuals(ctx: DayContext, *, bind=None) -> pd.DataFrame:
    """Realised power per asset with data [MW] on the day's steps (for forecast-vs-actual)."""
    from bvp_lib.forecasting.store import load_actuals

    sensors = sorted(set(ctx.forecasts["sensor"]) & set(ctx.assets or [])) if ctx.forecasts is not None else ctx.assets
    return load_actuals(ctx.day, sensors, bind=ctx.bind(bind))


def forecasts_wide(ctx: DayContext) -> pd.DataFrame:
    """The day's asset power forecasts [MW] as one column per asset (the price forecast is
    shown with the prices)."""
    f = ctx.forecasts
    if f is None or f.empty:
        return pd.DataFrame()
    f = f[f["sensor"].isin(ctx.assets or [])]
    return f.pivot_table(index="event_start", columns="sensor", values="value", aggfunc="first")


def git_commit() -> str:
    from bvp_lib.config import get_settings

    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=get_settings().root, capture_output=True,
                             text=True, timeout=10)  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=get_settings().root,
                               capture_output=True, text=True, timeout=10).stdout.strip()  # fmt: skip
        return (out.stdout.strip() or "unknown") + (" (with local changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(ctx: DayContext, parameters: dict) -> pd.DataFrame:
    """Parameters, code version, data sources, models, solver, status and run time (no secrets)."""
    import bvp_lib
    from bvp_lib.config import get_settings
    from bvp_lib.db.engine import mask_url

    s = get_settings()
    from bvp_lib.environment import lock_summary

    rows = [("bvp_lib version", bvp_lib.__version__), ("git commit", git_commit()),
            ("environment", s.env), ("package lock", lock_summary()),
            ("database", "embedded PostgreSQL" if s.uses_embedded_server else mask_url(s.database_url))]  # fmt: skip
    rows += [(f"parameter {k}", repr(v)) for k, v in sorted(parameters.items()) if k != "report_dir"]
    if ctx.forecasts is not None and len(ctx.forecasts):
        for src in sorted(ctx.forecasts["source"].astype(str).unique()):
            rows.append(("forecast model", src))
    for label, sched in (("planned schedule", ctx.planned), ("perfect foresight", ctx.perfect)):
        if sched is not None:
            st = sched.result.stats
            get = (lambda k: st.get(k)) if isinstance(st, dict) else (lambda k: getattr(st, k, None))
            rows.append((f"{label} solver", f"{get('solver')} via {get('backend')}, status {get('status')}, "
                         f"{get('n_variables')} variables, {get('n_integer')} integer, {get('n_constraints')} constraints, "
                         f"solve {get('solve_time') or 0:.2f} s"))  # fmt: skip
    rows.append(("data sources", "SMARD day-ahead prices (CC BY 4.0); bundled 2015 data set (data/README.md)"))
    for k, v in ctx.timings.items():
        rows.append((f"time {k} [s]", f"{v:.2f}"))
    rows.append(("run time [s]", f"{time.perf_counter() - ctx.started:.1f}"))
    from bvp_lib.redact import mask_text

    rows = [(k, mask_text(str(v))) for k, v in rows]
    return pd.DataFrame(rows, columns=["item", "value"]).set_index("item")


def write_timings(ctx: DayContext, folder) -> Path:
    """Seconds per stage and in all, as ``timings.json`` in ``folder`` (read by benchmarks)."""
    import json

    p = Path(folder) / "timings.json"
    p.write_text(json.dumps({**ctx.timings, "run": time.perf_counter() - ctx.started}, indent=2))
    return p


@dataclass
class PeriodValue:
    """Daily runs over a period: one row per day (``days``) and per day and asset (``assets``)."""

    days: pd.DataFrame
    assets: pd.DataFrame
    failed: dict[str, str] = field(default_factory=dict)


def run_period(first, last, *, progress: bool = True, **kwargs) -> PeriodValue:
    """:func:`run_day` for every local day in ``[first, last]``; a failing day is recorded
    with its error and the run goes on.

    Battery state of charge does not carry over between days here (each day starts from
    the stored ``soc_at_start_mwh``); the backtest does that.
    """
    from tqdm.auto import tqdm

    from bvp_lib.reporting.daily import days_between

    day_rows, asset_rows, failed = [], [], {}
    days = days_between(first, last)
    for d in tqdm(days, desc="days", unit="day", disable=not progress):
        try:
            ctx = run_day(d, **kwargs)
        except Exception as e:  # noqa: BLE001 - recorded per day, the period goes on
            failed[d.isoformat()] = f"{type(e).__name__}: {e}"
            continue
        v = ctx.valuation
        p = v.portfolio
        price = ctx.perfect.inputs.prices
        day_rows.append({
            "day": d, "realised_value_eur": p["realised_value_eur"],
            "perfect_foresight_value_eur": p["perfect_foresight_value_eur"],
            "planned_value_eur": p["planned_value_eur"], "captured_share": p["captured_share"],
            "energy_shifted_mwh": p["energy_shifted_mwh"], "energy_curtailed_mwh": p["energy_curtailed_mwh"],
            "price_spread_eur_mwh": float(price.max() - price.min()), "negative_price_hours": float((price < 0).mean() * 24),
        })  # fmt: skip
        a = v.assets.reset_index()
        a.insert(0, "day", d)
        asset_rows.append(a)
    days_df = pd.DataFrame(day_rows).set_index("day") if day_rows else pd.DataFrame()
    assets_df = pd.concat(asset_rows, ignore_index=True) if asset_rows else pd.DataFrame()
    return PeriodValue(days_df, assets_df, failed)


def value_by(period: PeriodValue, key: str) -> pd.DataFrame:
    """Realised and perfect-foresight value [EUR] summed by ``type`` or ``owner``, with the captured share."""
    from bvp_lib.valuation import value_by as _value_by

    return _value_by(period.assets, key).sort_values("perfect_foresight_value_eur", ascending=False)


def period_figure(period: PeriodValue):
    """Cumulative realised and perfect-foresight value [EUR] over the days, and daily captured share."""
    import matplotlib.pyplot as plt

    d = period.days
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.5))
    x = pd.to_datetime(d.index)
    a.plot(x, d["realised_value_eur"].cumsum(), label="realised", color="#1f77b4")
    a.plot(x, d["perfect_foresight_value_eur"].cumsum(), label="perfect foresight", color="#2ca02c", ls="--")
    a.set_ylabel("cumulative value [EUR]")
    a.set_xlabel("local day [date]")
    a.legend(fontsize=8)
    a.grid(alpha=0.3)
    b.bar(x, d["captured_share"].astype(float).fillna(0.0), color="#1f77b4")
    b.set_ylabel("captured share [-]")
    b.set_xlabel("local day [date]")
    b.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
