"""Figures of forecast accuracy (matplotlib; units on every axis).

Each function takes the pandas objects of :mod:`bvp_lib.forecasting.evaluation` (or a
forecast explorer's view) and returns a
matplotlib Figure, so notebooks and reports call the same code. Times are shown in the
market's local timezone; power in MW (production positive, consumption negative), prices
in EUR/MWh; WAPE and skill in percent.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bvp_lib.forecasting.errors import ForecastingError
from bvp_lib.forecasting.metrics import horizon_order
from bvp_lib.market.clock import market_timezone
from bvp_lib.reporting.figures.common import COLORS

#: a fixed colour per model, so every figure reads the same
MODEL_COLORS = {
    "actual": "#333333",
    "persistence": "#9aa5b1",
    "seasonal_naive_daily": "#8c6d31",
    "seasonal_naive_weekly": "#bd9e39",
    "linear": "#1f77b4",
    "lightgbm": "#ff7f0e",
    "hist_gradient_boosting": "#d62728",
}


def _color(name: str, i: int) -> str:
    return MODEL_COLORS.get(name, f"C{i % 10}")


def _models_in_order(names) -> list[str]:
    known = [m for m in MODEL_COLORS if m in set(names)]
    return known + sorted(set(names) - set(known))


def unit_of(asset_type: str | None) -> str:
    """Unit of a series by asset type: EUR/MWh for prices, MW otherwise."""
    return "EUR/MWh" if asset_type == "price" else "MW"


def accuracy_figure(metrics: pd.DataFrame, *, sensor: str | None = None, title: str | None = None):
    """WAPE and MAE skill per horizon (groups) and model (bars), mean over the sensors.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`bvp_lib.forecasting.evaluation.evaluate_range` (``sensor``,
        ``source``, ``horizon``, ``wape``, ``skill_mae``).
    sensor : str, optional
        Show one sensor only; default the mean over all sensors in ``metrics``.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Left: WAPE [%] (lower is better); right: skill against seasonal naive daily [%]
        (higher is better; 0 = no better than the reference).
    """
    m = metrics if sensor is None else metrics[metrics["sensor"] == sensor]
    if m.empty:
        raise ForecastingError(f"no metrics{' for ' + repr(sensor) if sensor else ''} to plot.")
    g = m.groupby(["horizon", "source"], observed=True)[["wape", "skill_mae"]].mean() * 100
    horizons = horizon_order(g.index.get_level_values("horizon").astype(str))
    models = _models_in_order(g.index.get_level_values("source"))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    width = 0.8 / len(models)
    x = np.arange(len(horizons))
    for ax, col, label in ((axes[0], "wape", "WAPE [%]"), (axes[1], "skill_mae", "MAE skill vs seasonal naive daily [%]")):
        for i, model in enumerate(models):
            vals = [g[col].get((h, model), np.nan) for h in horizons]
            ax.bar(x + (i - (len(models) - 1) / 2) * width, vals, width, label=model, color=_color(model, i))
        ax.set_xticks(x, horizons)
        ax.set_xlabel("horizon (issue horizon)")
        ax.set_ylabel(label)
        ax.axhline(0, color="k", lw=0.6)
        ax.grid(axis="y", alpha=0.3)
    n = m["sensor"].nunique()
    axes[1].legend(fontsize=8, loc="best")
    fig.suptitle(title or (f"forecast accuracy of {sensor}" if sensor else f"forecast accuracy, mean over {n} series"))
    fig.tight_layout()
    return fig


def forecast_vs_actual_figure(frame: pd.DataFrame, *, tz: str | None = None, title: str | None = None):
    """Forecasts of each model against the actual values over one day.

    Parameters
    ----------
    frame : pandas.DataFrame
        One column per model plus ``actual``, indexed by step start (UTC), as
        :func:`bvp_lib.forecasting.evaluation.day_ahead_vs_actual` returns;
        ``frame.attrs["unit"]`` (MW or EUR/MWh) labels the axis.
    tz : str
        Timezone of the time axis.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    tz = market_timezone(tz)
    unit = frame.attrs.get("unit", "MW")
    fig, ax = plt.subplots(figsize=(11, 3.8))
    idx = pd.DatetimeIndex(frame.index).tz_convert(tz)
    cols = _models_in_order([c for c in frame.columns if c != "actual"])
    if "actual" in frame.columns:
        ax.step(idx, frame["actual"].to_numpy(), where="post", color=_color("actual", 0), lw=2.0, label="actual")
    for i, c in enumerate(cols):
        ax.step(idx, frame[c].to_numpy(), where="post", color=_color(c, i), lw=1.2, ls="--", label=c)
    ax.axhline(0, color="k", lw=0.5)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax.set_xlabel(f"time [{tz}]")
    what = "price" if unit == "EUR/MWh" else "power (production +, consumption −)"
    ax.set_ylabel(f"{what} [{unit}]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", ncol=2)
    ax.set_title(title or frame.attrs.get("title", "day-ahead forecasts against actual"))
    fig.tight_layout()
    return fig


def error_distribution_figure(errors: pd.DataFrame, *, bins: int = 40, skip_zero: bool = True, title: str | None = None):
    """Distribution of forecast errors (forecast − actual) per model, one panel per horizon.

    Parameters
    ----------
    errors : pandas.DataFrame
        Output of :func:`bvp_lib.forecasting.evaluation.forecast_errors` for series of one
        unit (``error``, ``source``, ``horizon``, ``asset_type``).
    bins : int
        Histogram bins (shared by all models of a panel).
    skip_zero : bool
        Leave out steps where the forecast and the actual are both 0 (solar at night, an
        idle station): they would hide the distribution behind a spike at 0.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Share of steps [%] per error bin [MW or EUR/MWh]; a positive error is too much
        production (or too little consumption), or too high a price.
    """
    if errors.empty:
        raise ForecastingError("no forecast errors to plot.")
    units = {unit_of(t) for t in errors["asset_type"].unique()}
    if len(units) > 1:
        raise ForecastingError(f"errors in several units {sorted(units)}; plot prices and power apart.")
    unit = units.pop()
    if skip_zero:
        errors = errors[(errors["forecast"] != 0) | (errors["actual"] != 0)]
        if errors.empty:
            raise ForecastingError("every forecast and actual is 0; nothing to plot (pass skip_zero=False).")
    horizons = horizon_order(errors["horizon"].astype(str).unique())
    models = _models_in_order(errors["source"].unique())
    ncol = min(3, len(horizons))
    nrow = int(np.ceil(len(horizons) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.0 * ncol, 3.2 * nrow), squeeze=False, sharey=True)
    lim = float(np.nanquantile(errors["error"].abs(), 0.995)) or 1.0
    edges = np.linspace(-lim, lim, bins + 1)
    for ax, h in zip(axes.ravel(), horizons):
        sub = errors[errors["horizon"].astype(str) == h]
        for i, model in enumerate(models):
            e = sub.loc[sub["source"] == model, "error"].to_numpy()
            if len(e):
                w = np.full(len(e), 100.0 / len(e))
                ax.hist(np.clip(e, -lim, lim), bins=edges, weights=w, histtype="step", lw=1.4,
                        color=_color(model, i), label=model)  # fmt: skip
        ax.axvline(0, color="k", lw=0.6)
        ax.set_title(f"horizon {h}")
        ax.set_xlabel(f"error: forecast − actual [{unit}]")
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("share of steps [%]")
    for ax in axes.ravel()[len(horizons):]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7, loc="upper left")
    sensors = errors["sensor"].unique()
    fig.suptitle(title or f"forecast errors of {', '.join(map(str, sensors[:3]))}{' ...' if len(sensors) > 3 else ''}")
    fig.tight_layout()
    return fig


def forecast_error_figure(forecast: pd.Series, actual: pd.Series, metrics: dict[str, float], *, unit: str,
                          title: str = "", tz: str | None = None):  # fmt: skip
    """Forecast against actual with the error shaded, and the error over time with a ±RMSE band.

    Top panel: actual and forecast [unit], the area between them shaded (the error).
    Bottom panel: error ε = forecast − actual [unit] per step, the band ±RMSE and the bias.
    """
    tz = market_timezone(tz)
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    idx = forecast.index.tz_convert(tz)
    f, y = forecast.to_numpy(float), actual.reindex(forecast.index).to_numpy(float)
    ax.plot(idx, y, color=COLORS["actual"], lw=1.2, label="actual")
    ax.plot(idx, f, color=COLORS["forecast"], lw=1.2, label="forecast")
    ax.fill_between(idx, f, y, color=COLORS["forecast"], alpha=0.25, label="error")
    ax.set_ylabel(f"{'price' if unit == 'EUR/MWh' else 'power'} [{unit}]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    m = metrics
    ax.set_title(f"{title}\nMAE {m['mae']:.3g} {unit}, RMSE {m['rmse']:.3g} {unit}, WAPE {m['wape']:.1%}, "
                 f"bias {m['bias']:+.3g} {unit}", fontsize=9)  # fmt: skip
    err = f - y
    ax2.bar(idx, err, width=(forecast.index[1] - forecast.index[0]) if len(forecast) > 1 else pd.Timedelta("15min"),
            align="edge", color=COLORS["forecast"], alpha=0.7, label="error (forecast − actual)")  # fmt: skip
    if np.isfinite(m["rmse"]):
        ax2.axhspan(-m["rmse"], m["rmse"], color="#9aa5b1", alpha=0.25, label="±RMSE")
        ax2.axhline(m["bias"], color="k", lw=0.8, ls="--", label="bias")
    ax2.axhline(0, color="k", lw=0.5)
    ax2.set_ylabel(f"error [{unit}]")
    ax2.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax2.set_xlabel(f"time [{tz}]")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=7, loc="best", ncol=3)
    fig.tight_layout()
    return fig
