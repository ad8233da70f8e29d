"""Figures over a period of days: a period of daily runs, a stored backtest run.

Values in EUR; days are local days of the market's clock.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from bvp_lib.reporting.backtest import VALUE_COLUMNS, cumulative, value_by_month_and_type, value_lost

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


def cumulative_figure(days: pd.DataFrame):
    """Cumulative value over time [EUR]: realised against perfect foresight."""
    c = cumulative(days)
    fig, ax = plt.subplots(figsize=(9, 4))
    if len(c):
        x = pd.to_datetime(pd.Index(c.index))
        ax.plot(x, c["perfect_foresight_value_eur"], marker="o", label="perfect foresight")
        ax.plot(x, c["realised_value_eur"], marker="o", label="realised")
        ax.fill_between(x, c["realised_value_eur"], c["perfect_foresight_value_eur"], alpha=0.2,
                        label="value lost")  # fmt: skip
        ax.legend()
        fig.autofmt_xdate()
    else:
        ax.text(0.5, 0.5, "no days done", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("local day [date]")
    ax.set_ylabel("cumulative value [EUR]")
    ax.set_title("Cumulative value of flexibility")
    ax.grid(alpha=0.3)
    return fig


def month_type_figure(assets: pd.DataFrame):
    """Bars of realised and perfect-foresight value [EUR] by month and asset type."""
    t = value_by_month_and_type(assets)
    fig, ax = plt.subplots(figsize=(9, 4))
    if len(t):
        t[VALUE_COLUMNS].rename(columns={"realised_value_eur": "realised",
                                         "perfect_foresight_value_eur": "perfect foresight"}).plot.bar(ax=ax)  # fmt: skip
        ax.set_xticklabels([f"{m}\n{k}" for m, k in t.index], rotation=0)
    else:
        ax.text(0.5, 0.5, "no asset days", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("month / asset type")
    ax.set_ylabel("value [EUR]")
    ax.set_title("Value by month and asset type")
    ax.axhline(0, color="black", lw=0.5)
    return fig


def value_lost_figure(days: pd.DataFrame):
    """Scatter of value lost [EUR] against the day's perfect-foresight value [EUR], one point per day.

    The perfect-foresight value stands for how much a day offered, and the distance from
    zero for what imperfect forecasts cost.
    """
    v = value_lost(days)
    fig, ax = plt.subplots(figsize=(6, 4))
    if len(v):
        ax.scatter(v["perfect_foresight_value_eur"], v["value_lost_eur"])
        for d, r in v.iterrows():
            ax.annotate(str(d), (r["perfect_foresight_value_eur"], r["value_lost_eur"]), fontsize=8,
                        xytext=(3, 3), textcoords="offset points")  # fmt: skip
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
    :func:`forecast_error_vs_value_lost`)."""
    t = table.dropna(subset=["price_forecast_mae_eur_mwh"]) if len(table) else table
    fig, ax = plt.subplots(figsize=(6, 4))
    if len(t):
        ax.scatter(t["price_forecast_mae_eur_mwh"], t["value_lost_eur"])
        for d, r in t.iterrows():
            ax.annotate(str(d), (r["price_forecast_mae_eur_mwh"], r["value_lost_eur"]), fontsize=8,
                        xytext=(3, 3), textcoords="offset points")  # fmt: skip
    else:
        ax.text(0.5, 0.5, "no stored price forecasts", ha="center", va="center", transform=ax.transAxes)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("mean absolute price forecast error [EUR/MWh]")
    ax.set_ylabel("value lost (perfect − realised) [EUR]")
    ax.set_title("Forecast error against value lost, per day")
    ax.grid(alpha=0.3)
    return fig
