"""One day, end to end: forecast at gate closure → schedule → realise → value.

This module only wires the stages together (it adds no algorithms):

1. :func:`prepare` — the day, the portfolio (one catalogue read, shared by every step),
   the settings, and the run's own database transaction;
2. :func:`forecast` — day-ahead forecasts of every asset's uncontrolled power and the
   price, issued at gate closure on D-1 (the market's clock) with only what was known
   then, stored as beliefs (:func:`bvp_lib.forecasting.day_ahead.forecast_day_ahead`);
3. :func:`schedule` — the portfolio schedule on those forecasts ("planned") and on
   realised data ("perfect foresight"), stored as beliefs
   (:func:`bvp_lib.scheduling.store.schedule_day`);
4. :func:`value` — baseline, planned, realised and perfect-foresight value
   (:func:`bvp_lib.valuation.value_day`);
5. :func:`commit` — an explicit step: the run's forecasts and schedules land together
   (or, ``save=False``, not at all).

:func:`run_day` does all five and returns the :class:`DayRun`. The daily report notebook
calls them one per cell, so a failure names its step. Re-running a day replaces its
stored forecasts and schedules (idempotent writes).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import pandas as pd

from bvp_lib.db.catalogue import Catalogue, last_complete_day
from bvp_lib.market.clock import market_clock
from bvp_lib.market.offer import STRATEGIES
from bvp_lib.timing import as_date, days_between


@dataclass
class DayRun:
    """What a daily run works on, and what it has produced so far (the result object).

    ``catalogue`` is the portfolio read once in :func:`prepare`; ``forecasts``,
    ``planned``, ``perfect``, ``valuation`` and ``actual`` fill as the steps run;
    ``timings`` holds the seconds per step.
    """

    day: dt.date
    assets: list[str] | None = None
    owner: str | None = None
    solver: str | None = None
    models: list[str] | None = None
    spread: float = 10.0
    resolution: str = "15min"
    save: bool = True
    timezone: str = ""
    mip_gap: float | None = 1e-3
    time_limit: float | None = 60.0
    soc_start: dict[str, float] | None = None
    overrides: dict | None = None
    reuse_forecasts: bool = False
    strategy: str = "schedule"
    #: orders made elsewhere, cleared and delivered instead of the workbench's own (orders strategy)
    book: object | None = None
    ev_sessions: str = "forecast"
    complementarity: str = "strict"
    timings: dict[str, float] = field(default_factory=dict)
    forecasts: pd.DataFrame | None = None
    planned: object | None = None
    perfect: object | None = None
    valuation: object | None = None
    actual: pd.DataFrame | None = None
    started: float = field(default_factory=time.perf_counter)
    connection: object | None = field(default=None, repr=False)
    transaction: object | None = field(default=None, repr=False)
    catalogue: Catalogue | None = field(default=None, repr=False)
    #: the orders strategy: the price scenarios, and the book, clearing and delivery
    scenarios: object | None = field(default=None, repr=False)
    offer: object | None = field(default=None, repr=False)
    #: the other strategy, run by :func:`compare` (not stored): name -> planned, offer, valuation
    compared: dict = field(default_factory=dict, repr=False)

    def bind(self, bind=None):
        """Where the steps read and write: the caller's bind, or the run's own transaction."""
        return bind if bind is not None else self.connection

    def finish(self) -> None:
        """Commit the run's forecasts and schedules (``save``) or roll them back (a dry run);
        the run's connection closes. Calling it again does nothing."""
        if self.transaction is not None and self.transaction.is_active:
            (self.transaction.commit if self.save else self.transaction.rollback)()
        if self.connection is not None:
            self.connection.close()
        self.connection = self.transaction = None


def prepare(day=None, *, owner: str | None = None, assets: list[str] | None = None, solver: str | None = None,
            models: list[str] | None = None, spread: float = 10.0, resolution: str = "15min",
            save: bool = True, mip_gap: float | None = 1e-3, time_limit: float | None = 60.0,
            soc_start: dict[str, float] | None = None, overrides: dict | None = None,
            reuse_forecasts: bool = False, strategy: str = "schedule", book=None, ev_sessions: str = "forecast",
            complementarity: str = "strict", bind=None) -> DayRun:
    """Resolve the day (default: the last complete day), the assets (an owner's or all) and settings.

    ``models``: the forecast models to run; with one model the schedule uses its
    forecasts, with several (or none: each type's primary model) the primary model's.
    ``overrides`` changes stored asset parameters for this run only (a scenario,
    :mod:`bvp_lib.scheduling.overrides`). ``reuse_forecasts`` skips the forecast step and
    schedules on the day-ahead forecasts already stored (a sweep computes them once per
    model for all its scenarios); ``save=False`` then stores nothing at all.
    ``ev_sessions``: the charging stations are planned on the sessions forecast at gate
    closure (``"forecast"``) and realised on the real cars; ``"actual"`` plans them on the
    real sessions (look-ahead, the comparison of what that overstates).

    ``mip_gap`` and ``time_limit`` [s] bound each solve: a schedule needs binaries only at
    negative prices with lossy storage (see :mod:`bvp_lib.scheduling.complementarity`),
    and proving optimality to 1e-7 there can take minutes; 1e-3 costs at most 0.1 % of
    the day's objective and answers in seconds with HiGHS. ``soc_start`` (battery → SoC
    [MWh] at the start of the day) overrides the stored ``soc_at_start_mwh`` (a backtest
    carries the previous day's end SoC over).

    ``strategy``: ``"schedule"`` fixes one quantity per step on the point forecast of the
    price; ``"orders"`` offers price-dependent orders made at gate closure on price
    scenarios, clears them at the realised price and plans the delivery of what was
    accepted (:mod:`bvp_lib.market.offer`); ``book`` (an
    :class:`~bvp_lib.market.orders.OrderBook`) offers orders made elsewhere instead.

    ``complementarity``: ``"strict"`` (storage never charges and discharges in one
    step) or ``"intra-step"`` (an inverter may alternate within a step: a pure LP, and
    at negative prices lossy storage may burn energy through its losses). It applies to
    the schedule strategy's plan and to the perfect-foresight ceiling of both
    strategies; the orders strategy's delivery keeps the strict rule.

    Without ``bind`` the run opens its own connection and transaction, committed by
    :func:`commit`; the portfolio is read once, here (:class:`~bvp_lib.db.catalogue.Catalogue`).
    """
    from bvp_lib.db.engine import get_engine

    if spread < 0:
        raise ValueError(f"imbalance_spread must be >= 0 EUR/MWh, not {spread}.")
    if solver and solver not in ("cbc", "highs"):
        raise ValueError(f"solver {solver!r} is not supported; use cbc or highs.")
    if ev_sessions not in ("forecast", "actual"):
        raise ValueError(f"ev_sessions must be 'forecast' or 'actual', not {ev_sessions!r}.")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy {strategy!r} is not known; use {' or '.join(STRATEGIES)}.")
    from bvp_lib.scheduling.strategy import check_switching

    check_switching(complementarity)
    from bvp_lib.scheduling.limits import check_solver_limits

    check_solver_limits(time_limit, mip_gap)
    connection = transaction = None
    if bind is None:
        # one transaction for the whole run: forecasts and schedules land together, or (save=False) not at all
        connection = get_engine().connect()
        transaction = connection.begin()
    try:
        where = bind if bind is not None else connection
        cat = Catalogue.read(where)
        cat.check_clock()
        chosen = cat.select(assets or None, owner or None)
        if not day:
            day = last_complete_day(where)
        if overrides:
            from bvp_lib.scheduling.overrides import normalise_overrides

            overrides = normalise_overrides(overrides)
    except BaseException:
        if connection is not None:
            transaction.rollback()
            connection.close()
        raise
    run = DayRun(as_date(day), chosen, owner or None, solver or None, list(models) if models else None,
                 float(spread), resolution, save, market_clock().timezone, mip_gap, time_limit,
                 dict(soc_start) if soc_start else None, overrides or None, bool(reuse_forecasts), strategy,
                 ev_sessions=ev_sessions, complementarity=complementarity)  # fmt: skip
    run.connection, run.transaction, run.catalogue = connection, transaction, cat
    if book is not None:
        if strategy != "orders":
            raise ValueError("an order book is offered with strategy='orders'.")
        run.book = book
    return run


def _timed(ctx: DayRun, step: str):
    class _T:
        def __enter__(self):
            self.t = time.perf_counter()

        def __exit__(self, *exc):
            ctx.timings[step] = ctx.timings.get(step, 0.0) + time.perf_counter() - self.t

    return _T()


def forecast(ctx: DayRun, *, bind=None) -> pd.DataFrame:
    """Day-ahead forecasts at gate closure for the run's assets and the price."""
    from bvp_lib.forecasting.day_ahead import forecast_day_ahead

    with _timed(ctx, "forecast"):
        # stored inside the run's transaction so the scheduler reads them; rolled back when save=False
        ctx.forecasts = forecast_day_ahead(ctx.day, assets=ctx.assets, models=ctx.models, save=True,
                                           bind=ctx.bind(bind), catalogue=ctx.catalogue)
    return ctx.forecasts


def forecast_source(ctx: DayRun) -> str | None:
    """The forecast model the planned schedule reads: the one model asked for, else None
    (each sensor's primary model)."""
    return ctx.models[0] if ctx.models and len(ctx.models) == 1 else None


def schedule(ctx: DayRun, *, bind=None):
    """The planned schedule (on the forecasts) and the perfect-foresight schedule (on realised data).

    Stored as beliefs when the run saves (nothing reads them back within the run)."""
    from bvp_lib.scheduling.store import schedule_day

    with _timed(ctx, "schedule"):
        kw = dict(assets=ctx.assets, solver=ctx.solver, resolution=ctx.resolution, mip_gap=ctx.mip_gap,
                  time_limit=ctx.time_limit, soc_start=ctx.soc_start, overrides=ctx.overrides, save=ctx.save,
                  bind=ctx.bind(bind), catalogue=ctx.catalogue, complementarity=ctx.complementarity)  # fmt: skip
        if ctx.strategy == "orders":
            ctx.perfect = schedule_day(ctx.day, mode="perfect", **kw)
            ctx.planned = _offer(ctx, bind)
        else:
            ctx.planned = schedule_day(ctx.day, mode="forecast", forecast_source=forecast_source(ctx),
                                       ev_sessions=ctx.ev_sessions, **kw)  # fmt: skip
            ctx.perfect = schedule_day(ctx.day, mode="perfect", **kw)
    return ctx.planned, ctx.perfect


def _offer(ctx: DayRun, bind=None, *, save: bool | None = None):
    """The orders strategy's plan: price scenarios, order book, clearing at the realised
    prices, and the delivery (stored as the ``bvp scheduler (orders)`` schedule, known at
    the prices' publication, with the book and what was accepted)."""
    import dataclasses

    from bvp_lib.forecasting.probabilistic import price_scenarios
    from bvp_lib.market.offer import offer_day
    from bvp_lib.market.store import save_order_book
    from bvp_lib.scheduling.inputs import prepare_day
    from bvp_lib.scheduling.store import DaySchedule, save_schedule

    save = ctx.save if save is None else save
    where = ctx.bind(bind)
    inputs = prepare_day(ctx.day, mode="forecast", assets=ctx.assets, resolution=ctx.resolution,
                         forecast_source=forecast_source(ctx), soc_start=ctx.soc_start, overrides=ctx.overrides,
                         bind=where, catalogue=ctx.catalogue, ev_sessions=ctx.ev_sessions)  # fmt: skip
    if ctx.book is None and ctx.scenarios is None:
        ctx.scenarios = price_scenarios(ctx.day, model=forecast_source(ctx), save=save, bind=where,
                                        catalogue=ctx.catalogue)  # fmt: skip
    offer = offer_day(inputs, ctx.scenarios, ctx.perfect.inputs.prices, book=ctx.book, solver=ctx.solver or "highs",
                      time_limit=ctx.time_limit, mip_gap=ctx.mip_gap)  # fmt: skip
    ctx.offer = offer
    published = dataclasses.replace(inputs, belief_time=market_clock().price_known_at(ctx.day))
    planned = DaySchedule(result=offer.delivery.result, inputs=published)
    if save:
        planned.source, planned.saved_rows = save_schedule(offer.delivery.result, published, bind=where,
                                                           strategy="orders")  # fmt: skip
        save_order_book(ctx.day, offer.book, offer.accepted, offer.delivery.imbalance, bind=where)
    return planned


def _value_of(ctx: DayRun, planned, offer):
    """Value of one strategy's plan. Charging stations planned on forecast sessions are
    realised on their real cars (the perfect-foresight inputs' stations,
    :func:`bvp_lib.valuation.realise_station`)."""
    from bvp_lib.scheduling.assets import ChargingStation
    from bvp_lib.valuation import value_day

    plan, pf = planned.result, ctx.perfect.result
    info = planned.info
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
    real = ({a.name: a for a in ctx.perfect.inputs.assets if isinstance(a, ChargingStation)}
            if planned.inputs.ev_sessions == "forecast" else None)  # fmt: skip
    return value_day(
        price=ctx.perfect.inputs.prices, forecast_price=planned.inputs.prices, planned=plan.schedule,
        forecast_baseline=plan.baseline[cols], actual_baseline=pf.baseline[cols], perfect=pf.schedule[cols],
        kinds=info["type"].to_dict(), owners=info["owner"].to_dict(), storage=storage, spread=ctx.spread,
        stations=real, position=offer.delivery.position[cols] if offer is not None else None,
    )  # fmt: skip


def value(ctx: DayRun):
    """Value of flexibility for the day (see :mod:`bvp_lib.valuation`); the portfolio
    also holds the ``strategy`` and, as ``<strategy>_value_eur``, its realised value."""
    if ctx.planned is None or ctx.perfect is None:
        raise ValueError("Schedule the day first (bvp_lib.runs.day.schedule).")
    with _timed(ctx, "value"):
        ctx.valuation = _value_of(ctx, ctx.planned, ctx.offer)
        ctx.valuation.portfolio["strategy"] = ctx.strategy
        ctx.valuation.portfolio[f"{ctx.strategy}_value_eur"] = ctx.valuation.portfolio["realised_value_eur"]
    return ctx.valuation


def _label(valuation, strategy: str, of) -> None:
    """Add ``<strategy>_value_eur``, the realised value of ``of`` (another strategy's
    valuation of the day), to ``valuation``'s assets, owners and portfolio."""
    col = f"{strategy}_value_eur"
    valuation.assets[col] = of.assets["realised_value_eur"].reindex(valuation.assets.index)
    valuation.owners[col] = of.owners["realised_value_eur"].reindex(valuation.owners.index)
    valuation.portfolio[col] = float(of.portfolio["realised_value_eur"])
    valuation.portfolio[f"{strategy}_captured_share"] = of.portfolio["captured_share"]


def compare(ctx: DayRun, *, bind=None):
    """The other strategy on the same day, forecasts and perfect-foresight schedule,
    stored nowhere: its realised value joins the run's valuation as
    ``<other>_value_eur`` (per asset, owner and portfolio), and its plan (and, for
    orders, the book and what was accepted) is kept in ``ctx.compared[<other>]``.

    Returns the other strategy's :class:`~bvp_lib.valuation.DayValue`.
    """
    from bvp_lib.scheduling.store import schedule_day

    if ctx.valuation is None:
        raise ValueError("Value the day first (bvp_lib.runs.day.value).")
    other = next(s for s in STRATEGIES if s != ctx.strategy)
    with _timed(ctx, f"compare ({other})"):
        if other == "orders":
            main_offer = ctx.offer
            planned = _offer(ctx, bind, save=False)
            offer, ctx.offer = ctx.offer, main_offer
        else:
            planned = schedule_day(ctx.day, mode="forecast", forecast_source=forecast_source(ctx), assets=ctx.assets,
                                   solver=ctx.solver, resolution=ctx.resolution, mip_gap=ctx.mip_gap,
                                   time_limit=ctx.time_limit, soc_start=ctx.soc_start, overrides=ctx.overrides,
                                   save=False, bind=ctx.bind(bind), catalogue=ctx.catalogue,
                                   ev_sessions=ctx.ev_sessions, complementarity=ctx.complementarity)  # fmt: skip
            offer = None
        val = _value_of(ctx, planned, offer)
        _label(ctx.valuation, other, val)
        ctx.compared[other] = {"planned": planned, "offer": offer, "valuation": val}
    return val


def commit(ctx: DayRun) -> DayRun:
    """Land the run: its forecasts and schedules are committed in one transaction (or,
    ``save=False``, rolled back), and its connection closes."""
    ctx.finish()
    return ctx


def run_day(day=None, **kwargs) -> DayRun:
    """All steps for one day, committed; returns the filled :class:`DayRun` (keywords:
    :func:`prepare`). On an error nothing is stored.

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
    return commit(ctx)


def actuals(ctx: DayRun, *, bind=None) -> pd.DataFrame:
    """Realised power per asset with data [MW] on the day's steps (for forecast-vs-actual)."""
    from bvp_lib.forecasting.day_ahead import load_actuals

    sensors = sorted(set(ctx.forecasts["sensor"]) & set(ctx.assets or [])) if ctx.forecasts is not None else ctx.assets
    return load_actuals(ctx.day, sensors, bind=ctx.bind(bind))


def forecasts_wide(ctx: DayRun) -> pd.DataFrame:
    """The day's asset power forecasts [MW] as one column per asset (the price forecast is
    shown with the prices)."""
    f = ctx.forecasts
    if f is None or f.empty:
        return pd.DataFrame()
    f = f[f["sensor"].isin(ctx.assets or [])]
    return f.pivot_table(index="event_start", columns="sensor", values="value", aggfunc="first")


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
