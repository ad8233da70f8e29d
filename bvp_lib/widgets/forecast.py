"""The forecast explorer: one asset's (or market's) forecast for one day, model and
horizon against the actual, with the error shaded and MAE, RMSE, WAPE and bias.

A stored forecast is shown when there is one; otherwise the forecast is computed by the
day run's own path (:func:`bvp_lib.forecasting.day_ahead.forecast_day_ahead` for
day-ahead, :func:`bvp_lib.forecasting.rolling.forecast_range` for a fixed horizon) as a
dry run: nothing is stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from bvp_lib.beliefs import load_beliefs, load_measurements
from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.market.clock import market_clock
from bvp_lib.reporting.figures.forecast import forecast_error_figure
from bvp_lib.timing import as_date, day_bounds, day_index
from bvp_lib.widgets.common import DEFAULT_DAY, Bind, Cache, View, _LRU, detach, error_message, parse_day, timing_text

@dataclass(frozen=True)
class ForecastInputs:
    """What the forecast explorer shows.

    Attributes
    ----------
    asset : str
        An asset with a power series, or a market (its price).
    model : str
        A model of ``parameters/forecasting.yaml`` for the asset's type: the baselines
        ``persistence``, ``seasonal_naive_daily``, ``seasonal_naive_weekly`` and the
        learned ``linear``, ``lightgbm`` (see :func:`forecast_options`).
    horizon : str
        ``"day-ahead"`` (issued at gate closure, 12:00 local on D-1) or a fixed horizon
        (``"1h"``, ``"24h"``): every step forecast that long before it ends.
    day : date or str
        Local day whose steps are forecast.
    source : {"auto", "stored", "computed"}
        ``"stored"``: forecasts in the database only; ``"computed"``: always compute from
        history; ``"auto"``: stored when they cover the day, else computed.
    train_window : str, optional
        Training window of learned models (default from the parameter file, 30 days).
    """

    asset: str = "solar-havel-01"
    model: str = "seasonal_naive_daily"
    horizon: str = "day-ahead"
    day: dt.date | str = DEFAULT_DAY
    source: str = "auto"
    train_window: str | None = None

    def replace(self, **changes) -> ForecastInputs:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass
class ForecastView(View):
    """The forecast explorer's answer.

    Attributes
    ----------
    inputs : ForecastInputs
    forecast, actual : pandas.Series or None
        On the day's steps (UTC) [unit]; the forecast as known at its belief times.
    metrics : dict of str to float
        ``mae``, ``rmse``, ``bias`` [unit] (bias = mean of forecast − actual) and
        ``wape`` [-] (Σ|error| / Σ|actual|); ``n`` steps compared.
    unit : str
        ``MW`` (power, production positive) or ``EUR/MWh`` (price).
    origin : str
        Where the forecast came from (a stored data source, or computed).
    """

    inputs: ForecastInputs | None = None
    forecast: pd.Series | None = None
    actual: pd.Series | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    unit: str = ""
    origin: str = ""


def series_info(name: str, *, bind: Bind = None, catalogue: Catalogue | None = None):
    """The forecasting target of an asset or market: sensor, type, unit, site, weather.

    From :func:`bvp_lib.forecasting.targets.forecast_targets`, so the explorer forecasts
    exactly what the daily run forecasts (same weather sensors, site, holidays).

    Returns
    -------
    bvp_lib.forecasting.targets.Target

    Raises
    ------
    ValueError
        Unknown name, or an asset with no power series of its own (a battery).
    """
    from bvp_lib.forecasting.targets import forecast_targets

    targets = forecast_targets([name], include_price=False, bind=bind, catalogue=catalogue)
    if not targets:
        raise ValueError(f"asset {name} has no power series of its own to forecast (storage is scheduled, not forecast)")
    return targets[0]


def forecastable(*, bind: Bind = None) -> list[str]:
    """Assets whose power sensor holds data, then markets: what the forecast explorer offers."""
    cat = Catalogue.read(bind)
    sensors = [s for s in cat.assets["sensor"] if s is not None]
    with transaction(bind) as c:
        with_data = set(c.execute(sa.text(
            "SELECT s.name FROM sensors s WHERE s.name = ANY(:n) AND EXISTS "
            "(SELECT 1 FROM timed_beliefs b WHERE b.sensor_id = s.id)"), {"n": sensors}).scalars())  # fmt: skip
    assets = [a for a, s in cat.assets["sensor"].items() if s in with_data]
    return sorted(assets) + sorted(cat.markets.index)


def forecast_options(asset: str, *, bind: Bind = None) -> tuple[list[str], list[str]]:
    """The models and horizons the forecast explorer offers for an asset or market.

    Returns
    -------
    models : list of str
        Baselines and the learned models of the asset's type (``parameters/forecasting.yaml``).
    horizons : list of str
        The backtest horizons of the parameter file (``"1h"`` … ``"day-ahead"``).
    """
    from bvp_lib.forecasting.config import backtest_settings
    from bvp_lib.forecasting.targets import target_models

    models = [m.name for m in target_models(series_info(asset, bind=bind))]
    return models, list(backtest_settings()["horizons"])


def _belief_times(day: dt.date, horizon: str, res: pd.Timedelta) -> tuple[pd.DatetimeIndex, pd.Series]:
    """Event starts of the day and each step's belief time (UTC) for a horizon: gate closure
    of the day (the market's clock) for day-ahead, ``event end − h`` for a fixed horizon."""
    from bvp_lib.forecasting.horizons import DAY_AHEAD, parse_horizons

    (spec,) = parse_horizons([horizon])
    events = day_index(day, None, res)
    if spec.label == DAY_AHEAD:
        return events, pd.Series(market_clock().gate_closure_of(day), index=events)
    return events, pd.Series(events + res - spec.horizon, index=events)


def _stored_forecast(sensor: str, model: str, horizon: str, day: dt.date, events: pd.DatetimeIndex,
                     belief: pd.Series, bind: Bind) -> tuple[pd.Series | None, str]:  # fmt: skip
    """Stored forecasts of ``model`` covering every step of the day, as known at the belief times.

    Day-ahead: per step the latest forecast known at gate closure; a fixed horizon h: the
    forecast made exactly h before the step ended. The data source is the model's name
    (as :func:`bvp_lib.forecasting.day_ahead.forecast_day_ahead` and ``forecast_range`` store
    them); of several stored versions the newest (highest source id) counts.
    """
    from bvp_lib.forecasting.horizons import DAY_AHEAD

    start, end = day_bounds(day, market_clock().timezone)
    if horizon == DAY_AHEAD:
        df = load_beliefs(sensor, start, end, source_types=["forecaster"], known_before=belief.iloc[0],
                          most_recent=True, bind=bind)  # fmt: skip
    else:
        h = pd.Timedelta(horizon)
        df = load_beliefs(sensor, start, end, source_types=["forecaster"], min_horizon=h, max_horizon=h, bind=bind)
    if df.empty:
        return None, "no stored forecasts"
    names = sorted(df["source"].astype(str).unique())
    if model not in names:
        return None, f"stored forecasts are from {', '.join(names)}, none from {model}"
    g = df[(df["source"] == model) & (df["source_id"] == df.loc[df["source"] == model, "source_id"].max())]
    s = pd.Series(g["value"].to_numpy(float), index=pd.DatetimeIndex(g["event_start"])).groupby(level=0).last()
    s = s.reindex(events)
    if s.isna().any():
        return None, f"stored forecasts of {model} cover {int(s.notna().sum())} of {len(events)} steps"
    return s.rename(sensor), f"stored forecasts (data source {model!r})"


class ForecastCache(Cache):
    """Forecasts and actuals of the forecast explorer, computed or read once per key.

    ``loads`` counts answers made from the database (read or computed), ``hits``
    answers from memory.
    """

    def __init__(self, bind: Bind = None, maxsize: int = 64):
        super().__init__(bind, maxsize)
        self._info = _LRU(256)

    def clear(self) -> None:
        super().clear()
        self._info.clear()

    def info(self, asset: str):
        """The asset's forecasting target (:func:`series_info`), read once."""
        return self._info.get(asset, lambda: series_info(asset, bind=self.bind))

    def forecast(self, state: ForecastInputs) -> tuple[pd.Series, pd.Series, str]:
        """(forecast, actual, origin) of ``state``; see :func:`compute_forecast`."""
        key = (state.asset, state.model, state.horizon, as_date(state.day), state.source, state.train_window)
        return self._lru.get(key, lambda: compute_forecast(state, target=self.info(state.asset), bind=self.bind))


def _series(d: pd.DataFrame | pd.Series) -> pd.Series:
    return d.groupby(level=0).last() if isinstance(d, pd.Series) else d


def compute_forecast(state: ForecastInputs, *, target=None, bind: Bind = None) -> tuple[pd.Series, pd.Series, str]:
    """One day's forecast of an asset or market with one model and horizon, and the actual.

    Stored forecasts are used when present (``state.source`` ``"auto"`` or
    ``"stored"``; see :func:`_stored_forecast`). Otherwise the forecast is computed by
    the day run's own path, as a dry run that stores nothing: day-ahead with
    :func:`bvp_lib.forecasting.day_ahead.forecast_day_ahead` (one fit on the training
    window before gate closure, only what was known then), a fixed horizon with
    :func:`bvp_lib.forecasting.rolling.forecast_range` (each step from what was known at
    its own belief time). Weather regressors are the stored weather feed, derived from
    measured weather where it is missing (the same seeded values).

    Returns
    -------
    forecast : pandas.Series
        On the day's steps (UTC) [MW, production positive; or EUR/MWh].
    actual : pandas.Series
        Measurements on the same steps (NaN where missing).
    origin : str

    Raises
    ------
    ValueError
        Unknown asset, model or horizon, not enough history, no actuals.
    """
    from bvp_lib.forecasting.config import backtest_settings
    from bvp_lib.forecasting.day_ahead import forecast_day_ahead
    from bvp_lib.forecasting.horizons import DAY_AHEAD, parse_horizons
    from bvp_lib.forecasting.rolling import forecast_range
    from bvp_lib.forecasting.targets import target_models

    settings = backtest_settings()
    clock = market_clock()
    tz = clock.timezone
    day = parse_day(state.day)
    if state.source not in ("auto", "stored", "computed"):
        raise ValueError(f"source must be auto, stored or computed, not {state.source!r}")
    target = target or series_info(state.asset, bind=bind)
    sensor = target.sensor
    (spec,) = parse_horizons([state.horizon])
    horizon = spec.label
    (model,) = target_models(target, [state.model])
    events, belief = _belief_times(day, horizon, target.resolution)
    start, end = day_bounds(day, tz)
    actual = _series(load_measurements([sensor], start, end, bind=bind)[sensor]).reindex(events).rename(sensor)
    if actual.isna().all():
        raise ValueError(f"no measurements of {sensor} on {day}: nothing to compare a forecast with")
    why = ""
    if state.source in ("auto", "stored"):
        stored, why = _stored_forecast(sensor, state.model, horizon, day, events, belief, bind)
        if stored is not None:
            return stored, actual, why
        if state.source == "stored":
            raise ValueError(f"no stored {horizon} forecast of {sensor} by {state.model} for {day}: {why}")
    window = pd.Timedelta(state.train_window or settings["train_window"])
    if window <= pd.Timedelta(0):
        raise ValueError(f"train window must be positive, not {state.train_window!r}")
    name = state.asset
    if horizon == DAY_AHEAD:
        f = forecast_day_ahead(day, assets=[name], include_price=target.asset_type == "price", models=[state.model],
                               train_window=window, save=False, bind=bind)  # fmt: skip
    else:
        f = forecast_range(day, day, assets=[name], models=[state.model], horizons=[horizon], train_window=window,
                           refit=settings["refit"], save=False, bind=bind, progress=False,
                           include_price=target.asset_type == "price")  # fmt: skip
    f = f[(f["sensor"] == sensor) & (f["source"] == state.model)]
    fc = (pd.Series(f["value"].to_numpy(float), index=pd.DatetimeIndex(f["event_start"]))
          .groupby(level=0).last().reindex(events).rename(sensor))  # fmt: skip
    last_b = belief.max()
    origin = (f"computed: {state.model}, {horizon}, from measurements known by {last_b.tz_convert(tz):%Y-%m-%d %H:%M} "
              f"{tz}" + (f" (train window {pd.Timedelta(window).days} days)" if model.learns else ""))  # fmt: skip
    if why and state.source == "auto":
        origin += f"; {why}"
    return fc, actual, origin


def forecast_metrics(forecast: pd.Series, actual: pd.Series) -> dict[str, float]:
    """MAE, RMSE, bias [unit], WAPE [-] and n over the steps where both exist.

    With ε = forecast − actual: MAE = mean |ε|, RMSE = √mean ε², bias = mean ε
    (positive: forecast too high), WAPE = Σ|ε| / Σ|actual| (NaN when all actuals are 0).
    """
    from bvp_lib.forecasting.metrics import bias, mae, rmse, wape

    both = pd.concat([forecast.rename("f"), actual.rename("a")], axis=1).dropna()
    if both.empty:
        return {"n": 0, "mae": float("nan"), "rmse": float("nan"), "wape": float("nan"), "bias": float("nan")}
    f, a = both["f"], both["a"]
    return {"n": int(len(both)), "mae": mae(f, a), "rmse": rmse(f, a), "wape": wape(f, a), "bias": bias(f, a)}


def explore_forecast(state: ForecastInputs, *, cache: ForecastCache, figures: bool = True) -> ForecastView:
    """Forecast against actual for one asset, model, horizon and day (the forecast explorer's callback).

    Parameters
    ----------
    state : ForecastInputs
    cache : ForecastCache
        Keeps each forecast: changing back to a seen combination answers from memory.
    figures : bool
        Draw the figure.

    Returns
    -------
    ForecastView
        ``forecast``, ``actual`` [MW or EUR/MWh], ``metrics``, ``origin`` and the figure
        ``"forecast"``; ``message`` set instead for bad input or missing data.
    """
    view = ForecastView(inputs=state)
    t0 = time.perf_counter()
    try:
        if not str(state.asset or "").strip():
            raise ValueError("pick an asset or a market")
        loads = cache.loads
        forecast, actual, origin = cache.forecast(state)
        info = cache.info(state.asset)
    except Exception as err:  # noqa: BLE001
        view.message = error_message(err)
        view.timings["total"] = time.perf_counter() - t0
        return view
    view.timings["forecast"] = time.perf_counter() - t0
    if cache.loads == loads:
        view.notes.append("forecast from memory")
    view.forecast, view.actual, view.origin, view.unit = forecast, actual, origin, info.unit
    view.notes.append(origin)
    view.metrics = forecast_metrics(forecast, actual)
    if view.metrics["n"] < len(forecast):
        view.notes.append(f"{len(forecast) - view.metrics['n']} step(s) without an actual are left out of the metrics")
    if figures:
        t1 = time.perf_counter()
        title = f"{info.sensor}: {state.model}, {state.horizon} forecast of {as_date(state.day)}"
        view.figures = {"forecast": detach(forecast_error_figure(forecast, actual, view.metrics, unit=info.unit,
                                                                 title=title, tz=market_clock().timezone))}  # fmt: skip
        view.timings["figures"] = time.perf_counter() - t1
    view.timings["total"] = time.perf_counter() - t0
    return view


def forecast_metrics_html(view: ForecastView) -> str:
    """The view's metrics (or its message) as a small HTML block."""
    import html

    if not view.ok:
        return f"<div style='color:#b00020'><b>No forecast:</b> {html.escape(view.message or '')}</div>"
    m, u = view.metrics, view.unit
    rows = [("MAE", f"{m['mae']:.4g} {u}"), ("RMSE", f"{m['rmse']:.4g} {u}"), ("WAPE", f"{m['wape']:.1%}"),
            ("bias (forecast − actual)", f"{m['bias']:+.4g} {u}"), ("steps", f"{m['n']}"),
            ("answered in", timing_text(view.timings))]  # fmt: skip
    body = "".join(f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(x)}</b></td></tr>" for k, x in rows)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in view.notes)
    return f"<table>{body}</table>" + (f"<ul style='font-size:small'>{notes}</ul>" if notes else "")
