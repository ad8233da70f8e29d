"""``bvp forecast``: backtests from the database, their accuracy, and day-ahead forecasts.

Thin wrappers over :mod:`bvp_lib.forecasting.rolling`, :mod:`~bvp_lib.forecasting.evaluation` and :mod:`~bvp_lib.forecasting.day_ahead`:

* ``bvp forecast --from D1 --to D2`` (or ``bvp forecast run ...``): rolling-origin
  backtest of local days D1 .. D2, stored as beliefs (:func:`forecast_range`);
* ``bvp forecast evaluate --from D1 --to D2``: the accuracy table of what is stored
  (:func:`evaluate_range`);
* ``bvp forecast day-ahead --date D``: the forecasts of day D at gate closure on D-1
  (:func:`forecast_day_ahead`).
"""

from __future__ import annotations

import math

import typer

from bvp_lib.cli.common import friendly, table

app = typer.Typer(
    help="Forecasts: backtests from the database (--from/--to), their accuracy, day-ahead forecasts at gate closure.",
    invoke_without_command=True,
    no_args_is_help=False,
)

FROM = typer.Option(None, "--from", help="First local day of the forecast events (YYYY-MM-DD).")
TO = typer.Option(None, "--to", help="Last local day (inclusive, YYYY-MM-DD).")
ASSETS = typer.Option(None, "--assets", "-a", help="Asset or market names (repeat, or separate by commas); default all.")
MODELS = typer.Option(None, "--models", "-m", help="Model names (linear, lightgbm, persistence, seasonal_naive_daily, ...).")
HORIZONS = typer.Option(None, "--horizons", help="Issue horizons, e.g. 1h,24h,day-ahead (default from parameters).")


def _split(values: list[str] | None) -> list[str] | None:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]``; None or empty -> None."""
    if not values:
        return None
    out = [v.strip() for item in values for v in str(item).split(",") if v.strip()]
    return out or None


def _fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def accuracy_table(metrics) -> str:
    """The metrics of :func:`evaluate_range` as a plain text table (WAPE and skill in %)."""
    rows = []
    for r in metrics.itertuples(index=False):
        unit = "EUR/MWh" if r.asset_type == "price" else "MW"
        rows.append({
            "sensor": r.sensor, "model": r.source, "horizon": str(r.horizon), "n": str(r.n),
            "MAE": _fmt(r.mae), "RMSE": _fmt(r.rmse), "unit": unit,
            "WAPE %": _fmt(100 * r.wape, 1), "bias": _fmt(r.bias), "skill %": _fmt(100 * r.skill_mae, 1),
        })  # fmt: skip
    return table(rows)


def _run(start: str | None, end: str | None, assets, models, horizons, train_window: str, refit: str,
         save: bool, workers: int, price: bool) -> None:  # fmt: skip
    from bvp_lib.forecasting import backtest_settings
    from bvp_lib.forecasting.rolling import forecast_range

    if not start or not end:
        raise ValueError("say which days to forecast: --from YYYY-MM-DD --to YYYY-MM-DD.")
    hz = _split(horizons) or backtest_settings()["horizons"]
    out = forecast_range(start, end, assets=_split(assets), models=_split(models), horizons=hz, train_window=train_window,
                         refit=refit, save=save, progress=True, include_price=price, workers=workers)  # fmt: skip
    n_series = out["sensor"].nunique()
    typer.echo(
        f"{len(out):,} forecasts of {n_series} series, {out['source'].nunique()} models, horizons {', '.join(hz)}"
        + (" (stored)" if save else " (dry run, nothing stored)")
        + f". Accuracy: `bvp forecast evaluate --from {start} --to {end}`."
    )


@app.callback()
@friendly
def main(
    ctx: typer.Context,
    start: str = FROM,
    end: str = TO,
    assets: list[str] = ASSETS,
    models: list[str] = MODELS,
    horizons: list[str] = HORIZONS,
    train_window: str = typer.Option("30D", help="Training window of each fit."),
    refit: str = typer.Option("7D", help="Time between fits."),
    save: bool = typer.Option(True, "--save/--dry-run", help="Store the forecasts, or compute them only."),
    workers: int = typer.Option(1, help="Processes to spread the series over."),
    price: bool = typer.Option(True, "--price/--no-price", help="Also forecast the market price."),
) -> None:
    """Backtest local days --from .. --to from the database and store the forecasts (same as `run`)."""
    if ctx.invoked_subcommand is not None:
        return
    if start is None and end is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    _run(start, end, assets, models, horizons, train_window, refit, save, workers, price)


@app.command()
@friendly
def run(
    start: str = FROM,
    end: str = TO,
    assets: list[str] = ASSETS,
    models: list[str] = MODELS,
    horizons: list[str] = HORIZONS,
    train_window: str = typer.Option("30D", help="Training window of each fit."),
    refit: str = typer.Option("7D", help="Time between fits."),
    save: bool = typer.Option(True, "--save/--dry-run", help="Store the forecasts, or compute them only."),
    workers: int = typer.Option(1, help="Processes to spread the series over."),
    price: bool = typer.Option(True, "--price/--no-price", help="Also forecast the market price."),
) -> None:
    """Rolling-origin backtest of local days --from .. --to, stored as beliefs."""
    _run(start, end, assets, models, horizons, train_window, refit, save, workers, price)


def session_table(scores) -> str:
    """The session scores of :func:`evaluate_sessions` as a plain text table (kWh, %)."""
    rows = []
    for r in scores.itertuples(index=False):
        if not r.days:
            rows.append({"station": r.station, "days": "0", "skipped": str(r.skipped_days)})
            continue
        rows.append({
            "station": r.station, "days": str(r.days), "actual kWh/d": _fmt(1e3 * r.actual_mwh_per_day, 1),
            "forecast kWh/d": _fmt(1e3 * r.forecast_mwh_per_day, 1), "CRPS hour kWh": _fmt(1e3 * r.crps_hour_mwh, 2),
            "CRPS day kWh": _fmt(1e3 * r.crps_day_mwh, 1), "CRPS day %": _fmt(100 * r.crps_day_relative, 1),
            "pinball day kWh": _fmt(1e3 * r.pinball_day_mwh, 1), "in 10-90 %": _fmt(100 * r.coverage_day, 0),
            "skill hour %": _fmt(100 * r.skill_hour, 1), "skill day %": _fmt(100 * r.skill_day, 1),
            "skipped": str(r.skipped_days),
        })  # fmt: skip
    return table(rows)


@app.command()
@friendly
def evaluate(
    start: str = FROM,
    end: str = TO,
    assets: list[str] = ASSETS,
    models: list[str] = MODELS,
    horizons: list[str] = HORIZONS,
    price: bool = typer.Option(True, "--price/--no-price", help="Also evaluate the price forecasts."),
) -> None:
    """Accuracy of the stored forecasts: MAE, RMSE, WAPE, bias, skill per asset, model and horizon;
    for charging stations the session forecasts' CRPS and pinball loss."""
    from bvp_lib.forecasting.errors import ForecastingError
    from bvp_lib.forecasting.evaluation import STATION_TYPES, evaluate_range, evaluate_sessions

    if not start or not end:
        raise ValueError("say which days to evaluate: --from YYYY-MM-DD --to YYYY-MM-DD.")
    names = _split(assets)
    scores = evaluate_sessions(start, end, assets=names)
    try:
        m = evaluate_range(start, end, assets=names, models=_split(models), horizons=_split(horizons),
                           include_price=price)  # fmt: skip
    except ForecastingError as e:
        if scores.empty:
            raise
        m, missing = None, str(e)
    is_station = m["asset_type"].isin(STATION_TYPES) if m is not None else None
    if m is not None and (~is_station).any():
        typer.echo(accuracy_table(m[~is_station]))
        typer.echo(
            "\nMAE, RMSE, bias in the series' unit (bias = forecast - actual); WAPE = sum|error| / sum|actual|; "
            "skill = 1 - MAE / MAE of seasonal_naive_daily on the same events."
        )
    if not scores.empty:
        typer.echo("\nEV charging stations: day-ahead session forecasts (energy of the sessions arriving per hour "
                   "and per day, made at gate closure on the sessions ended by then)")  # fmt: skip
        typer.echo(session_table(scores))
        typer.echo(
            "\nCRPS of the energy arriving per hour (mean over hours) and per day [kWh] (CRPS day % = CRPS / mean "
            "actual); pinball = mean pinball loss at 10, 50, 90 %; in 10-90 % = days inside that interval; skill = "
            "1 - CRPS / that of the sessions of the same day a week before."
        )
    if m is not None and is_station.any():
        typer.echo("\nCharging stations' quarter-hour power forecasts (not what their schedules use; WAPE of an "
                   "on/off series, where a forecast of 0 scores 100 %):")  # fmt: skip
        typer.echo(accuracy_table(m[is_station]))
    elif m is None:
        typer.echo(f"\n(no stored power forecasts: {missing})")
    if price:
        _price_scenario_scores(start, end, _split(models))


def _price_scenario_scores(start: str, end: str, models: list[str] | None) -> None:
    """The probabilistic price forecasts (the orders strategy's scenarios) beside the
    climatological benchmark: CRPS, mean pinball loss, coverage of the central 50 % and
    80 % intervals, MAE of the median, averaged over the days."""
    from bvp_lib.forecasting.errors import ForecastingError
    from bvp_lib.forecasting.probabilistic import evaluate_scenarios

    try:
        scores = evaluate_scenarios(start, end, model=models[0] if models and len(models) == 1 else None)
    except ForecastingError as e:
        typer.echo(f"\nPrice scenarios: not scored ({e}).")
        return
    mean = scores.groupby(level="method").mean()
    days = scores.index.get_level_values("day").nunique()
    clim = mean.loc["climatology"] if "climatology" in mean.index else None
    rows = []
    for method, r in mean.iterrows():
        skill = "" if clim is None or clim["crps"] <= 0 else f"{1 - r['crps'] / clim['crps']:.3f}"
        rows.append({"price scenarios": method, "days": str(days), "CRPS": _fmt(r["crps"]),
                     "pinball (mean)": _fmt(r["pinball_mean"]), "cover 50%": f"{100 * r['coverage_50']:.0f}%",
                     "cover 80%": f"{100 * r['coverage_80']:.0f}%", "MAE median": _fmt(r["mae_median"]),
                     "CRPS skill": skill})  # fmt: skip
    typer.echo("")
    typer.echo(table(rows))
    typer.echo("CRPS, pinball and MAE in EUR/MWh, lower is better; a calibrated forecast covers 50% and 80% of the "
               "hours with its central 50% and 80% intervals; CRPS skill = 1 - CRPS / CRPS of climatology (the last "
               "days' realised prices as scenarios).")  # fmt: skip


@app.command("day-ahead")
@friendly
def day_ahead(
    date: str = typer.Option(..., "--date", "-d", help="Delivery day D (local, YYYY-MM-DD); issued at 12:00 on D-1."),
    assets: list[str] = ASSETS,
    models: list[str] = MODELS,
    train_window: str = typer.Option("30D", help="Training window of the fit."),
    save: bool = typer.Option(True, "--save/--dry-run", help="Store the forecasts, or compute them only."),
    price: bool = typer.Option(True, "--price/--no-price", help="Also forecast the market price."),
) -> None:
    """Day-ahead forecasts of day D as known at gate closure (12:00 local on D-1), stored as beliefs."""
    from bvp_lib.forecasting.day_ahead import forecast_day_ahead

    out = forecast_day_ahead(date, assets=_split(assets), include_price=price, models=_split(models),
                             train_window=train_window, save=save, progress=True)  # fmt: skip
    g = out.groupby(["sensor", "source"], sort=True)["value"]
    rows = [
        {"sensor": s, "model": m, "steps": str(len(v)), "min": _fmt(v.min()), "mean": _fmt(v.mean()), "max": _fmt(v.max())}
        for (s, m), v in g
    ]
    typer.echo(table(rows))
    b = out.attrs["belief_time"]
    typer.echo(
        f"\nBelieved at {b:%Y-%m-%d %H:%M} UTC; MW (production positive, consumption negative), prices EUR/MWh."
        + (" Stored." if save else " Dry run, nothing stored.")
    )
