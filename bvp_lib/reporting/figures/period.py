"""Figures over a period of days: a period of daily runs, a stored backtest run.

Values in EUR; days are local days of the market's clock.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from bvp_lib.reporting.backtest import cumulative, value_by_month_and_type, value_lost

def period_figure(period):
    """Cumulative realised and perfect-foresight value [EUR] over the days, and daily
    captured share, of a :class:`bvp_lib.runs.day.PeriodValue`."""
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


def _day_axis(ax, x: pd.DatetimeIndex) -> None:
    """Whole local days on the x axis, never overlapping: every day up to 10 days, else a
    concise date locator; labels rotated."""
    import matplotlib.dates as mdates

    if len(x) <= 10:
        ax.set_xticks(x, [d.strftime("%d %b") for d in x])
    else:
        loc = mdates.AutoDateLocator(maxticks=10)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    for lab in ax.get_xticklabels():
        lab.set_rotation(30)
        lab.set_horizontalalignment("right")


def cumulative_figure(days: pd.DataFrame):
    """Cumulative value over time [EUR]: realised against perfect foresight."""
    c = cumulative(days)
    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    if len(c):
        x = pd.to_datetime(pd.Index(c.index))
        ax.plot(x, c["perfect_foresight_value_eur"], marker="o", color="#2ca02c", label="perfect foresight")
        ax.plot(x, c["realised_value_eur"], marker="o", color="#1f77b4", label="realised")
        ax.fill_between(x, c["realised_value_eur"], c["perfect_foresight_value_eur"], color="#2ca02c", alpha=0.15,
                        label="value lost")  # fmt: skip
        ax.legend(loc="upper left")
        _day_axis(ax, x)
    else:
        ax.text(0.5, 0.5, "no days done", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel(f"local day [{_year(c)}]")
    ax.set_ylabel("cumulative value [EUR]")
    ax.set_title("Cumulative value of flexibility")
    ax.yaxis.set_major_formatter(_thousands())
    ax.grid(alpha=0.3)
    return fig


def _year(frame) -> str:
    years = sorted({pd.Timestamp(d).year for d in frame.index}) if len(frame) else []
    return "–".join(map(str, dict.fromkeys([years[0], years[-1]]))) if years else "date"


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:,.0f}")


def month_type_figure(assets: pd.DataFrame):
    """Horizontal bars of realised and perfect-foresight value [EUR] per asset type and
    month (one bar pair per row, so no label overlaps another)."""
    import numpy as np

    t = value_by_month_and_type(assets)
    n = len(t)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.42 * max(n, 1)), layout="constrained")
    if n:
        y = np.arange(n)
        ax.barh(y - 0.2, t["realised_value_eur"], height=0.4, color="#1f77b4", label="realised")
        ax.barh(y + 0.2, t["perfect_foresight_value_eur"], height=0.4, color="#2ca02c", label="perfect foresight")
        ax.set_yticks(y, [f"{k} ({m})" for m, k in t.index])
        ax.invert_yaxis()
        ax.legend(loc="lower right", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no asset days", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel("asset type (month)")
    ax.set_xlabel("value of flexibility [EUR]")
    ax.xaxis.set_major_formatter(_thousands())
    ax.set_title("Value by asset type and month")
    ax.axvline(0, color="black", lw=0.5)
    ax.grid(axis="x", alpha=0.3)
    return fig


def _annotate_largest(ax, frame: pd.DataFrame, x: str, y: str, n: int = 3) -> None:
    """Label the ``n`` days with the largest ``y`` (more labels would overlap)."""
    ax.margins(x=0.12, y=0.1)  # room for the labels inside the axes
    for d, r in frame.nlargest(n, y).iterrows():
        ax.annotate(pd.Timestamp(d).strftime("%d %b"), (r[x], r[y]), fontsize=8, xytext=(4, 3),
                    textcoords="offset points")  # fmt: skip


def value_lost_figure(days: pd.DataFrame):
    """Scatter of value lost [EUR] against the day's perfect-foresight value [EUR], one point per day.

    The perfect-foresight value stands for how much a day offered, and the distance from
    zero for what imperfect forecasts cost. The three days with the largest loss are labelled.
    """
    v = value_lost(days)
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    if len(v):
        ax.scatter(v["perfect_foresight_value_eur"], v["value_lost_eur"])
        _annotate_largest(ax, v, "perfect_foresight_value_eur", "value_lost_eur")
    else:
        ax.text(0.5, 0.5, "no days done", ha="center", va="center", transform=ax.transAxes)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("perfect-foresight value of the day [EUR]")
    ax.set_ylabel("value lost (perfect − realised) [EUR]")
    ax.set_title("Value lost to imperfect forecasts, per day")
    ax.grid(alpha=0.3)
    return fig


def price_error_figure(table: pd.DataFrame):
    """Scatter of value lost [EUR] against the day's price forecast MAE [EUR/MWh] (from
    :func:`forecast_error_vs_value_lost`); the three days with the largest loss are labelled."""
    t = table.dropna(subset=["price_forecast_mae_eur_mwh"]) if len(table) else table
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    if len(t):
        ax.scatter(t["price_forecast_mae_eur_mwh"], t["value_lost_eur"])
        _annotate_largest(ax, t, "price_forecast_mae_eur_mwh", "value_lost_eur")
    else:
        ax.text(0.5, 0.5, "no stored price forecasts", ha="center", va="center", transform=ax.transAxes)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("mean absolute price forecast error [EUR/MWh]")
    ax.set_ylabel("value lost (perfect − realised) [EUR]")
    ax.set_title("Forecast error against value lost, per day")
    ax.grid(alpha=0.3)
    return fig
