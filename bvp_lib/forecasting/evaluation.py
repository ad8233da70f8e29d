"""Stored forecasts and their accuracy (``bvp forecast evaluate``; notebook 02-forecast).

Stored forecast beliefs are labelled with the issue horizon they belong to
(:func:`label_horizons`: a fixed horizon ``24h``, or ``day-ahead`` at gate closure),
set beside the actual values (:func:`forecast_errors`) and scored per sensor, model and
horizon (:func:`evaluate_range`: MAE, RMSE, WAPE, bias and skill against the reference
benchmark, seasonal naive daily). :func:`day_ahead_vs_actual` feeds the figures of
:mod:`bvp_lib.reporting.figures.forecast`.

Charging stations are scored on their session forecasts (:func:`evaluate_sessions`, from
:mod:`bvp_lib.forecasting.session_feed`: CRPS and pinball loss of the energy arriving per
hour and per day), which is what their planned schedules are made on. The WAPE of their
quarter-hour power forecasts is still computed but is no headline: on an on/off series a
forecast of zero scores exactly 100 %.

Power in MW, production positive and consumption negative; prices in EUR/MWh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from bvp_lib.beliefs import load_beliefs, measurement_rows
from bvp_lib.db.engine import transaction
from bvp_lib.forecasting.base import BELIEF_COLUMNS
from bvp_lib.forecasting.config import backtest_settings, parameters_of
from bvp_lib.forecasting.day_ahead import load_actuals
from bvp_lib.forecasting.errors import ForecastingError
from bvp_lib.forecasting.horizons import FixedHorizon, day_ahead_issue_times, parse_horizons
from bvp_lib.forecasting.metrics import evaluate
from bvp_lib.forecasting.session_feed import STATION_TYPES, evaluate_sessions  # noqa: F401 (part of this API)
from bvp_lib.forecasting.targets import PRICE_TYPE, forecast_targets
from bvp_lib.market.clock import market_clock
from bvp_lib.timing import as_date, day_bounds

def label_horizons(forecasts: pd.DataFrame, horizons: Sequence, resolutions: Mapping[str, pd.Timedelta],
                    *, tz: str | None = None, gate_closure: str | None = None) -> pd.DataFrame:  # fmt: skip
    """Stored forecast beliefs labelled with the issue horizon they belong to.

    A belief belongs to a fixed horizon ``h`` when its belief horizon is ``h``, and to
    ``day-ahead`` when its belief time (``event_start + resolution - belief_horizon``) is
    gate closure on the day before the event's local day. A belief can belong to both
    (the last step of a day-ahead issue is also its 24 h forecast): it appears once per
    label; a belief of neither is dropped.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        Beliefs (``sensor``, ``event_start``, ``belief_horizon``, ``source``, ``value``).
    horizons : sequence
        Schedules (``"24h"``, ``"day-ahead"``, ...).
    resolutions : mapping of str to pandas.Timedelta
        Event resolution per sensor.
    tz, gate_closure : str, optional
        Market timezone and day-ahead gate closure (local HH:MM on D-1); default the
        market's clock.

    Returns
    -------
    pandas.DataFrame
        The beliefs plus ``horizon`` (label, categorical in the order given).
    """
    clock = market_clock()
    tz, gate_closure = tz or clock.timezone, gate_closure or clock.gate_closure
    specs = parse_horizons(horizons, tz=tz, gate_closure=gate_closure)
    parts = []
    for spec in specs:
        if isinstance(spec, FixedHorizon):
            sel = forecasts[forecasts["belief_horizon"] == spec.horizon]
        else:
            res = pd.to_timedelta(forecasts["sensor"].astype(str).map(dict(resolutions))).to_numpy("timedelta64[ns]")
            es = pd.DatetimeIndex(forecasts["event_start"])
            h = forecasts["belief_horizon"].to_numpy("timedelta64[ns]").astype(np.int64)
            bt = es.asi8 + res.astype(np.int64) - h
            codes, days = pd.factorize(es.tz_convert(tz).normalize())  # local days, once each
            if len(days):
                local = [d.date() for d in days]
                issue = np.array([day_ahead_issue_times(x, x, tz, gate_closure)[0].value for x in local], dtype=np.int64)
                sel = forecasts[bt == issue[codes]]
            else:
                sel = forecasts.iloc[:0]
        parts.append(sel.assign(horizon=spec.label))
    out = pd.concat(parts, ignore_index=True)
    out["horizon"] = pd.Categorical(out["horizon"], categories=[s.label for s in specs])
    return out


def stored_forecasts(
    start_day,
    end_day,
    *,
    assets: list[str] | None = None,
    models: list[str] | None = None,
    horizons: Sequence | None = None,
    include_price: bool = True,
    bind=None,
    parameters: dict | str | None = None,
) -> pd.DataFrame:
    """Stored forecasts of the events of local days ``start_day`` .. ``end_day``, labelled
    with their issue horizon (:func:`label_horizons`).

    Where one model name has several stored versions (changed parameters) for a sensor,
    the newest (highest data source id) is read.

    Returns
    -------
    pandas.DataFrame
        ``sensor``, ``event_start`` (UTC), ``belief_horizon``, ``source``, ``value`` [MW or
        EUR/MWh], ``horizon``; ``attrs["asset_types"]`` maps sensor -> asset type.

    Raises
    ------
    ForecastingError
        When nothing is stored for the selection.
    """
    p = parameters_of(parameters)
    bs = backtest_settings(p)
    tz = bs["tz"]
    d0, d1 = as_date(start_day), as_date(end_day)
    start, _ = day_bounds(d0, tz)
    _, end = day_bounds(d1, tz)
    horizons = list(horizons) if horizons is not None else bs["horizons"]
    with transaction(bind) as conn:
        targets = forecast_targets(assets, include_price=include_price, parameters=p, bind=conn)
        sensors = [t.sensor for t in targets]
        f = load_beliefs(sensors, start, end, source_types=["forecaster"], sources=models, bind=conn)
    if f.empty:
        raise ForecastingError(
            f"no forecasts stored for {sensors[:6]}{' ...' if len(sensors) > 6 else ''} between {d0} and {d1}"
            + (f" from models {list(models)}" if models else "")
            + f"; make them first: `bvp forecast --from {d0} --to {d1}` (forecast_range)."
        )
    newest = f.groupby(["sensor", "source"], observed=True)["source_id"].transform("max")
    f = f[f["source_id"] == newest]
    res = {t.sensor: t.resolution for t in targets}
    out = label_horizons(f[BELIEF_COLUMNS], horizons, res, tz=tz, gate_closure=bs["gate_closure"])
    out.attrs["asset_types"] = {t.sensor: t.asset_type for t in targets}
    return out


def forecast_errors(
    start_day,
    end_day,
    *,
    assets: list[str] | None = None,
    models: list[str] | None = None,
    horizons: Sequence | None = None,
    include_price: bool = True,
    bind=None,
    parameters: dict | str | None = None,
) -> pd.DataFrame:
    """Stored forecasts next to the actual values: one row per forecast with an actual.

    Returns
    -------
    pandas.DataFrame
        ``sensor``, ``asset_type``, ``source``, ``horizon``, ``event_start`` (UTC),
        ``forecast``, ``actual``, ``error`` (forecast minus actual) [MW, production positive
        and consumption negative; EUR/MWh for prices]. A positive error is too much
        production or too little consumption.
    """
    p = parameters_of(parameters)
    tz = backtest_settings(p)["tz"]
    f = stored_forecasts(start_day, end_day, assets=assets, models=models, horizons=horizons,
                         include_price=include_price, bind=bind, parameters=p)  # fmt: skip
    start, _ = day_bounds(as_date(start_day), tz)
    _, end = day_bounds(as_date(end_day), tz)
    a = measurement_rows(sorted(f["sensor"].unique()), start, end, bind=bind).rename(columns={"value": "actual"})
    df = f.rename(columns={"value": "forecast"}).merge(a, on=["sensor", "event_start"], how="inner")
    df["error"] = df["forecast"] - df["actual"]
    df["asset_type"] = df["sensor"].map(f.attrs["asset_types"])
    return df[["sensor", "asset_type", "source", "horizon", "event_start", "forecast", "actual", "error"]]


def evaluate_range(
    start_day,
    end_day,
    *,
    assets: list[str] | None = None,
    models: list[str] | None = None,
    horizons: Sequence | None = None,
    include_price: bool = True,
    bind=None,
    parameters: dict | str | None = None,
) -> pd.DataFrame:
    """Accuracy of the stored forecasts of local days ``start_day`` .. ``end_day``.

    Reads the stored forecasts (:func:`stored_forecasts`) and the actual values, and
    computes :func:`~bvp_lib.forecasting.metrics.evaluate` per sensor, model and
    schedule. Skill is measured against the reference model (``reference_model`` in the
    parameters, seasonal naive daily) on the same events; it is read along even when
    ``models`` leaves it out, and is NaN when it is not stored.

    Parameters
    ----------
    start_day, end_day : date or str (YYYY-MM-DD)
        First and last local day of the events (inclusive).
    assets, models : list of str, optional
        Asset (or market) names and model names; None: all stored.
    horizons : sequence, optional
        Schedules to evaluate (default the configured backtest horizons).
    include_price : bool
        Also evaluate the price forecasts.
    bind : Engine or Connection, optional
    parameters : dict or path, optional

    Returns
    -------
    pandas.DataFrame
        One row per (sensor, model, horizon): ``sensor``, ``asset_type``, ``source``,
        ``horizon``, ``n``, ``mae``, ``rmse``, ``bias`` [MW or EUR/MWh], ``wape``,
        ``skill_mae``, ``skill_rmse`` [-].
    """
    p = parameters_of(parameters)
    ref = p.get("backtest", {}).get("reference_model", "seasonal_naive_daily")
    names = None if models is None else list(dict.fromkeys([*models, ref]))
    errs = forecast_errors(start_day, end_day, assets=assets, models=names, horizons=horizons,
                           include_price=include_price, bind=bind, parameters=p)  # fmt: skip
    if errs.empty:
        raise ForecastingError(f"no stored forecast between {start_day} and {end_day} has an actual value.")
    f = errs.rename(columns={"forecast": "value"})[["sensor", "event_start", "source", "horizon", "value"]]
    a = errs[["sensor", "event_start", "actual"]].drop_duplicates(["sensor", "event_start"])
    a = a.rename(columns={"actual": "value"})
    has_ref = ref in set(f["source"])
    out = evaluate(f, a, reference_model=ref if has_ref else None)
    if not has_ref:
        out["skill_mae"] = np.nan
        out["skill_rmse"] = np.nan
    if models is not None and ref not in models:
        out = out[out["source"] != ref]
    types = dict(zip(errs["sensor"], errs["asset_type"]))
    out.insert(1, "asset_type", out["sensor"].map(types))
    return out.reset_index(drop=True)


def summarise_by_type(metrics: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per asset type, model and horizon: the mean over sensors of WAPE and skill.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`evaluate_range`.

    Returns
    -------
    pandas.DataFrame
        ``asset_type``, ``source``, ``horizon``, ``sensors`` (count), ``wape``,
        ``skill_mae`` [-] (means over sensors).
    """
    g = metrics.groupby(["asset_type", "source", "horizon"], observed=True)
    out = g.agg(sensors=("sensor", "nunique"), wape=("wape", "mean"), skill_mae=("skill_mae", "mean"))
    return out.reset_index()


def day_ahead_vs_actual(
    day,
    sensor: str,
    *,
    models: list[str] | None = None,
    bind=None,
    parameters: dict | str | None = None,
) -> pd.DataFrame:
    """The stored day-ahead forecasts of each model for one sensor and local day, with the actuals.

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        The local day D (forecasts issued at gate closure on D-1).
    sensor : str
        An asset's power sensor or a market's price sensor.
    models : list of str, optional
        Model names; None: all stored.
    bind : Engine or Connection, optional
    parameters : dict or path, optional

    Returns
    -------
    pandas.DataFrame
        One column per model plus ``actual``, indexed by step start (UTC) [MW, production
        positive and consumption negative; or EUR/MWh]; ``attrs["unit"]`` and
        ``attrs["title"]`` for :func:`bvp_lib.reporting.figures.forecast.forecast_vs_actual_figure`.
    """
    f = stored_forecasts(day, day, assets=[sensor], models=models, horizons=["day-ahead"], include_price=False,
                         bind=bind, parameters=parameters)  # fmt: skip
    f = f[f["sensor"] == sensor]
    if f.empty:
        raise ForecastingError(
            f"no day-ahead forecasts of {sensor!r} for {day} are stored; make them with "
            f"`bvp forecast --from {day} --to {day} --horizons day-ahead` or `bvp forecast day-ahead --date {day}`."
        )
    wide = f.pivot_table(index="event_start", columns="source", values="value", aggfunc="first", observed=True)
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    actual = load_actuals(day, [sensor], bind=bind, parameters=parameters)[sensor]
    wide["actual"] = actual.reindex(wide.index)
    asset_type = f.attrs["asset_types"].get(sensor)
    wide.attrs["unit"] = "EUR/MWh" if asset_type == PRICE_TYPE else "MW"
    wide.attrs["title"] = f"{sensor}: day-ahead forecasts for {as_date(day)} (issued at gate closure on D-1) and actual"
    return wide
