"""Figures of the data and of the explorers: asset map, data coverage, typical days,
price distribution, a sensor over time, and the schedule explorer's redraw.

Times in the market's local timezone; power in MW (production positive, consumption
negative), prices in EUR/MWh, energy and SoC in MWh, money in EUR.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bvp_lib.market.clock import market_timezone
from bvp_lib.reporting.figures.common import COLORS

def map_figure(assets: pd.DataFrame):
    """Asset locations (longitude, latitude), marker area ∝ capacity, colour by type."""
    fig, ax = plt.subplots(figsize=(6, 6))
    for t, g in assets.groupby("type"):
        ax.scatter(g["longitude"], g["latitude"], s=30 + 40 * g["capacity_mw"].clip(upper=10), alpha=0.7, label=t)
    ax.set_xlabel("longitude [°E]")
    ax.set_ylabel("latitude [°N]")
    ax.set_aspect(1 / np.cos(np.deg2rad(assets["latitude"].mean() if len(assets) else 51)))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("asset locations (marker size: capacity)")
    fig.tight_layout()
    return fig


def coverage_figure(cov: pd.DataFrame):
    """Heat map of data coverage: which sensor has data when (1 = complete day)."""
    fig, ax = plt.subplots(figsize=(11, 0.25 * max(len(cov), 4) + 1.5))
    im = ax.imshow(cov.to_numpy(), aspect="auto", interpolation="nearest", cmap="viridis", vmin=0, vmax=1)
    ax.set_yticks(range(len(cov)), cov.index, fontsize=7)
    step = max(1, len(cov.columns) // 12)
    ax.set_xticks(range(0, len(cov.columns), step), [str(d) for d in cov.columns[::step]], rotation=45, fontsize=7)
    ax.set_xlabel("local day [date]")
    ax.set_ylabel("sensor [-]")
    fig.colorbar(im, ax=ax, label="share of steps with data [-]")
    fig.tight_layout()
    return fig


def typical_days_figure(profiles: pd.DataFrame, sensor: str, unit: str = "MW"):
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for c in profiles.columns:
        ax.plot(profiles.index, profiles[c], label=c, ls="--" if "weekend" in c else "-")
    ax.set_xlabel("hour of the local day [h]")
    ax.set_ylabel(f"{sensor} [{unit}]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def price_distribution_figure(prices: pd.Series, tz: str | None = None):
    """Price distribution and daily spread."""
    tz = market_timezone(tz)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.5))
    a.hist(prices.to_numpy(), bins=60, color="#6a3d9a")
    a.axvline(0, color="k", lw=0.6)
    a.set_xlabel("day-ahead price [EUR/MWh]")
    a.set_ylabel("hours [h]")
    daily = prices.groupby(prices.index.tz_convert(tz).date)
    spread = daily.max() - daily.min()
    b.plot(pd.to_datetime(spread.index), spread.to_numpy(), color="#6a3d9a")
    b.set_xlabel("local day [date]")
    b.set_ylabel("daily spread max − min [EUR/MWh]")
    b.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def series_figure(frame: pd.DataFrame, *, sensor: str, unit: str, tz: str | None = None):
    """The shown frame over time (local time), one line per data source."""
    tz = market_timezone(tz)
    fig, ax = plt.subplots(figsize=(10, 3.5))
    idx = frame.index.tz_convert(tz)
    for c in frame.columns:
        ax.step(idx, frame[c].to_numpy(float), where="post", lw=1.0, label=c)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_ylabel(f"{sensor} [{unit}]")
    loc = mdates.AutoDateLocator(tz=tz)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc, tz=tz))
    ax.set_xlabel(f"time [{tz}]")
    ax.grid(alpha=0.3)
    if len(frame.columns) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def explorer_figure(result, summary: pd.DataFrame, *, capacity: pd.Series | None = None, tz: str | None = None,
                    max_assets: int = 8, kinds: dict | None = None, max_bars: int = 12):  # fmt: skip
    """One figure of a solved schedule, laid out for a fast redraw on every change.

    Panels: one per asset, schedule against baseline [MW] (production positive,
    consumption negative) when the selection has at most ``max_assets`` assets, else one
    per asset type with the type's assets summed (every asset is in a panel, its name in
    the title's count); then the SoC per battery [MWh] (capacity dotted) and the value
    against the baseline [EUR] of the ``max_bars`` assets with the largest value
    (magnitude), the others summed in one bar. Same colours as the daily report, with a
    fixed layout (``tight_layout`` costs about 0.2 s per figure).

    Parameters
    ----------
    result : ScheduleResult
    summary : pandas.DataFrame
        Per asset (and ``"total"``) with ``value_eur`` (:func:`~bvp_lib.scheduling.result.summarise`).
    capacity : pandas.Series, optional
        Energy capacity per battery [MWh].
    tz : str
        Timezone of the time axis.
    max_assets : int
        Up to this many assets, one panel each; more: one panel per type (``kinds``).
    kinds : dict, optional
        Asset → type (needed for panels by type).
    max_bars : int
        Assets shown by name in the value chart.
    """
    tz = market_timezone(tz)
    all_cols = list(result.schedule.columns)
    if len(all_cols) <= max_assets or not kinds:
        groups = {a: [a] for a in all_cols[:max(max_assets, 1) if not kinds else len(all_cols)]}
    else:
        groups = {}
        for a in all_cols:
            groups.setdefault(kinds.get(a, "other"), []).append(a)
        groups = {f"{t}: {len(c)} asset(s) summed": c for t, c in groups.items()}
    rows = int(np.ceil(len(groups) / 2)) or 1
    per = summary.drop(index="total", errors="ignore")
    vals = per["value_eur"].astype(float)
    top = vals.reindex(vals.abs().sort_values(ascending=False, kind="stable").index)
    shown, rest = top.iloc[:max_bars], top.iloc[max_bars:]
    if len(rest):
        shown = pd.concat([shown, pd.Series({f"{len(rest)} other assets": float(rest.sum())})])
    bar_h = max(1.3, 0.22 * len(shown) + 0.6)
    fig = plt.figure(figsize=(11, 2.0 * rows + 0.9 + 2.2 * bar_h))
    gs = fig.add_gridspec(rows + 1, 2, height_ratios=[1.0] * rows + [bar_h], left=0.09, right=0.98, top=0.96,
                          bottom=0.07, hspace=0.6, wspace=0.42)  # fmt: skip
    idx = result.schedule.index.tz_convert(tz)
    fmt = mdates.DateFormatter("%H:%M", tz=tz)
    first = None
    for i, (title, cols) in enumerate(groups.items()):
        ax = fig.add_subplot(gs[i // 2, i % 2], sharex=first)
        first = first or ax
        ax.step(idx, result.baseline[cols].sum(axis=1).to_numpy(float), where="post", color=COLORS["baseline"],
                lw=2, label="baseline")  # fmt: skip
        ax.step(idx, result.schedule[cols].sum(axis=1).to_numpy(float), where="post", color=COLORS["schedule"],
                label="schedule")  # fmt: skip
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("power [MW]")
        ax.xaxis.set_major_formatter(fmt)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7, loc="best")
        if i >= len(groups) - 2:
            ax.set_xlabel(f"time [{tz}]")
    ax = fig.add_subplot(gs[rows, 0])
    soc = result.soc
    if soc.empty:
        ax.text(0.5, 0.5, "no storage in this selection", ha="center", va="center", transform=ax.transAxes)
    for b in soc.columns:
        line = ax.plot(soc.index.tz_convert(tz), soc[b].to_numpy(float), label=b)[0]
        if capacity is not None and b in capacity.index and np.isfinite(capacity[b]):
            ax.axhline(capacity[b], color=line.get_color(), ls=":", lw=0.8)
    ax.set_ylabel("state of charge [MWh]")
    ax.set_xlabel(f"time [{tz}]")
    ax.xaxis.set_major_formatter(fmt)
    ax.grid(alpha=0.3)
    if len(soc.columns):
        ax.legend(fontsize=7, loc="best", ncols=1 if len(soc.columns) <= 4 else 2)
    ax = fig.add_subplot(gs[rows, 1])
    y = np.arange(len(shown))
    ax.barh(y, shown.to_numpy(), color=[COLORS["schedule"] if v >= 0 else "#d62728" for v in shown.to_numpy()])
    ax.set_yticks(y, [str(n) for n in shown.index], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.6)
    ax.set_xlabel("value against the baseline [EUR]")
    ax.set_ylabel("asset [-]")
    total = float(summary.loc["total", "value_eur"]) if "total" in summary.index else float(vals.sum())
    ax.set_title(f"value of the day: {total:,.2f} EUR" + (" (largest first)" if len(rest) else ""), fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return fig
