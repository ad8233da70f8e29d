"""Figures and tables of the daily report (matplotlib; units on every axis).

See :mod:`bvp_lib.reporting.figures` for the other reports' figures.

Every function takes pandas objects and returns a matplotlib Figure (or a DataFrame),
so notebooks, widgets and tests call the same code. Times are shown in the market's
local timezone; power in MW (production positive, consumption negative), prices in
EUR/MWh, energy in MWh, SoC in MWh, money in EUR.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from bvp_lib.market.clock import market_timezone
from bvp_lib.reporting.figures.common import COLORS, local_index, time_axis
from bvp_lib.reporting.tables import format_quantity

def largest_actions(actions: pd.DataFrame, n: int = 3) -> list[tuple[pd.Timestamp, pd.Timestamp, float]]:
    """The ``n`` contiguous periods with the largest total |balancing action| [MW]:
    (start, end, summed |action| per step)."""
    total = actions.abs().sum(axis=1)
    if total.max() <= 1e-9:
        return []
    active = total > 0.05 * total.max()
    runs, start = [], None
    for t, a in zip(total.index, active):
        if a and start is None:
            start = t
        if not a and start is not None:
            runs.append((start, t))
            start = None
    if start is not None:
        runs.append((start, total.index[-1] + (total.index[1] - total.index[0])))
    scored = [(a, b, float(total[(total.index >= a) & (total.index < b)].sum())) for a, b in runs]
    return sorted(scored, key=lambda r: -r[2])[:n]


def price_figure(price: pd.Series, actions: pd.DataFrame | None = None, *, tz: str | None = None,
                 forecast: pd.Series | None = None):
    """Day-ahead price [EUR/MWh] with the periods of largest balancing action shaded."""
    tz = market_timezone(tz)
    fig, ax = plt.subplots(figsize=(10, 3.2))
    idx = local_index(price.index, tz)
    ax.step(idx, price.to_numpy(), where="post", color=COLORS["price"], label="day-ahead price (realised)")
    if forecast is not None:
        ax.step(local_index(forecast.index, tz), forecast.to_numpy(), where="post", color=COLORS["forecast"],
                ls="--", label="price forecast")  # fmt: skip
    if actions is not None:
        for i, (a, b, _) in enumerate(largest_actions(actions)):
            ax.axvspan(a.tz_convert(tz), b.tz_convert(tz), color="#fdd49e", alpha=0.6,
                       label="largest balancing actions" if i == 0 else None)  # fmt: skip
    ax.axhline(0, color="k", lw=0.6)
    ax.set_ylabel("price [EUR/MWh]")
    time_axis(ax, tz)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


#: asset types in the order panels show them, with the name a panel carries
TYPE_NAMES = {"solar": "solar parks", "wind": "wind turbines", "battery": "batteries", "building": "buildings",
              "charging_station": "EV charging stations", "bidirectional_charging_station": "bidirectional EV charging"}
POWER_LABEL = "power [MW]\n(production +)"


def energy_moved(planned: pd.DataFrame, baseline: pd.DataFrame, perfect: pd.DataFrame | None = None) -> pd.Series:
    """Per asset the energy of its balancing actions [MWh], planned plus perfect foresight:
    ``Σ_t (|P_plan − P_base| + |P_pf − P_base|) · Δt``, largest first."""
    h = (planned.index[1] - planned.index[0]) / pd.Timedelta("1h") if len(planned) > 1 else 1.0
    moved = (planned - baseline[planned.columns]).abs().sum() * h
    if perfect is not None:
        moved = moved + (perfect[planned.columns] - baseline[planned.columns]).abs().sum() * h
    return moved.sort_values(ascending=False, kind="stable")


def _legend_below(fig, axes) -> None:
    handles, labels = [], []
    for ax in np.ravel(axes):
        for hd, lb in zip(*ax.get_legend_handles_labels()):
            if lb not in labels:
                handles.append(hd)
                labels.append(lb)
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8, frameon=False)


def schedules_figure(planned: pd.DataFrame, baseline: pd.DataFrame, *, perfect: pd.DataFrame | None = None,
                     realised: pd.DataFrame | None = None, tz: str | None = None, max_assets: int = 8):
    """One panel per asset: baseline, plan, realised and perfect-foresight power [MW].

    Shows the ``max_assets`` assets with the largest balancing actions
    (:func:`energy_moved`), largest first; :func:`others_html` lists the rest. Power in
    MW, production positive, consumption negative.
    """
    tz = market_timezone(tz)
    moved = energy_moved(planned, baseline, perfect)
    cols = list(moved.index)[:max_assets]
    n = len(cols)
    ncol = 2 if n > 1 else 1
    nrow = int(np.ceil(n / ncol)) or 1
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.4 * nrow + 0.6), sharex=True, squeeze=False,
                             layout="constrained")  # fmt: skip
    idx = local_index(planned.index, tz)
    for ax, a in zip(axes.ravel(), cols):
        ax.step(idx, baseline[a].to_numpy(), where="post", color=COLORS["baseline"], lw=2, label="baseline")
        ax.step(idx, planned[a].to_numpy(), where="post", color=COLORS["schedule"], label="plan")
        if realised is not None and a in realised:
            ax.step(idx, realised[a].to_numpy(), where="post", color=COLORS["actual"], lw=0.9, ls="-.",
                    label="realised")  # fmt: skip
        if perfect is not None and a in perfect:
            ax.step(idx, perfect[a].to_numpy(), where="post", color=COLORS["perfect"], ls=":", label="perfect foresight")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(f"{a} (actions {moved[a]:,.2f} MWh)", fontsize=9)
        ax.set_ylabel(POWER_LABEL, fontsize=8)
        time_axis(ax, tz)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    _legend_below(fig, axes)
    return fig


def others_html(planned: pd.DataFrame, baseline: pd.DataFrame, perfect: pd.DataFrame | None = None,
                kinds: dict | None = None, max_assets: int = 8) -> str:
    """The assets :func:`schedules_figure` does not draw, with their type and energy moved."""
    import html

    moved = energy_moved(planned, baseline, perfect)
    rest = moved.iloc[max_assets:]
    shown = ", ".join(moved.index[:max_assets])
    if not len(rest):
        return f"<p>Every asset of this report is drawn above ({html.escape(shown)}).</p>"
    items = ", ".join(f"{html.escape(a)} ({html.escape(TYPE_NAMES.get((kinds or {}).get(a, ''), (kinds or {}).get(a, '')) or '')}"
                      f"{', ' if kinds else ''}{m:,.2f} MWh)" for a, m in rest.items())  # fmt: skip
    return (f"<p>Drawn above: the {min(max_assets, len(moved))} assets with the largest balancing actions (energy "
            f"moved by the plan and by perfect foresight, largest first). The other {len(rest)} asset(s), with the "
            f"energy they moved: {items}. Every asset's value is in the table \u201cValue per asset\u201d and its "
            "type in \u201cPower by asset type\u201d.</p>")  # fmt: skip


def types_figure(planned: pd.DataFrame, baseline: pd.DataFrame, *, kinds: dict, perfect: pd.DataFrame | None = None,
                 realised: pd.DataFrame | None = None, tz: str | None = None):
    """Small multiples by asset type: the summed baseline, plan, realised and
    perfect-foresight power of every asset of the type [MW], so every asset is in one panel.

    Panel titles name the type and how many assets it sums. Power in MW, production
    positive, consumption negative.
    """
    tz = market_timezone(tz)
    types = [t for t in TYPE_NAMES if t in set(kinds.get(a) for a in planned.columns)]
    types += sorted({kinds.get(a, "other") for a in planned.columns} - set(types))
    n = len(types)
    ncol = 2 if n > 1 else 1
    nrow = int(np.ceil(n / ncol)) or 1
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.4 * nrow + 0.6), sharex=True, squeeze=False,
                             layout="constrained")  # fmt: skip
    idx = local_index(planned.index, tz)
    for ax, t in zip(axes.ravel(), types):
        cols = [a for a in planned.columns if kinds.get(a, "other") == t]
        ax.step(idx, baseline[cols].sum(axis=1).to_numpy(), where="post", color=COLORS["baseline"], lw=2,
                label="baseline")  # fmt: skip
        ax.step(idx, planned[cols].sum(axis=1).to_numpy(), where="post", color=COLORS["schedule"], label="plan")
        if realised is not None:
            ax.step(idx, realised[cols].sum(axis=1).to_numpy(), where="post", color=COLORS["actual"], lw=0.9,
                    ls="-.", label="realised")  # fmt: skip
        if perfect is not None:
            ax.step(idx, perfect[cols].sum(axis=1).to_numpy(), where="post", color=COLORS["perfect"], ls=":",
                    label="perfect foresight")  # fmt: skip
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(f"{TYPE_NAMES.get(t, t)}: {len(cols)} asset(s) summed", fontsize=9)
        ax.set_ylabel(POWER_LABEL, fontsize=8)
        time_axis(ax, tz)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    _legend_below(fig, axes)
    return fig


def soc_figure(soc: pd.DataFrame, *, capacity: pd.Series | None = None, tz: str | None = None):
    """State of charge per storage [MWh] at step ends (and the start)."""
    tz = market_timezone(tz)
    fig, ax = plt.subplots(figsize=(10, 3.2))
    if soc.empty:
        ax.text(0.5, 0.5, "no storage in this portfolio", ha="center", va="center", transform=ax.transAxes)
    for a in soc.columns:
        line = ax.plot(local_index(soc.index, tz), soc[a].to_numpy(), label=a)[0]
        if capacity is not None and a in capacity.index:
            ax.axhline(capacity[a], color=line.get_color(), ls=":", lw=0.8)
    ax.set_ylabel("state of charge [MWh]")
    time_axis(ax, tz)
    if len(soc.columns):
        ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def forecast_figure(forecast: pd.DataFrame, actual: pd.DataFrame, *, tz: str | None = None, max_assets: int = 6,
                    unit: str = "MW"):
    """Forecast against actual per series, with the error shaded (the largest series first)."""
    tz = market_timezone(tz)
    both = [c for c in forecast.columns if c in actual.columns]
    size = actual[both].abs().mean().sort_values(ascending=False, kind="stable") if both else pd.Series(dtype=float)
    cols = list(size.index)[:max_assets]
    n = max(len(cols), 1)
    ncol = 2 if n > 1 else 1
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.3 * nrow + 0.6), sharex=True, squeeze=False,
                             layout="constrained")  # fmt: skip
    idx = local_index(forecast.index, tz)
    for ax, a in zip(axes.ravel(), cols):
        f, y = forecast[a].to_numpy(), actual[a].reindex(forecast.index).to_numpy()
        ax.plot(idx, y, color=COLORS["actual"], lw=1.2, label="actual")
        ax.plot(idx, f, color=COLORS["forecast"], lw=1.2, label="day-ahead forecast")
        ax.fill_between(idx, f, y, color=COLORS["forecast"], alpha=0.2, label="error")
        mae = float(np.nanmean(np.abs(f - y)))
        ax.set_title(f"{a}  (mean absolute error {format_quantity(mae, unit)})", fontsize=9)
        ax.set_ylabel(f"{'price' if unit == 'EUR/MWh' else 'power'} [{unit}]")
        time_axis(ax, tz)
    for ax in axes.ravel()[len(cols):]:
        ax.set_visible(False)
    _legend_below(fig, axes)
    return fig


def forecast_errors(forecast: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    """Per asset with a forecast: mean actual power, mean absolute error and bias
    (forecast − actual) of the day-ahead forecast [MW], index ``asset``."""
    both = [c for c in forecast.columns if c in actual.columns]
    rows = {}
    for a in both:
        f, y = forecast[a], actual[a].reindex(forecast.index)
        rows[a] = {"mean_actual_mw": float(y.mean()), "mean_absolute_error_mw": float((f - y).abs().mean()),
                   "bias_mw": float((f - y).mean())}  # fmt: skip
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["mean_actual_mw", "mean_absolute_error_mw", "bias_mw"])
    out.index.name = "asset"
    return out


def owner_value_figure(owners: pd.DataFrame):
    """Realised and perfect-foresight value per owner [EUR]."""
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.5 * max(len(owners), 1)))
    y = np.arange(len(owners))
    ax.barh(y - 0.2, owners["realised_value_eur"], height=0.4, color=COLORS["schedule"], label="realised")
    ax.barh(y + 0.2, owners["perfect_foresight_value_eur"], height=0.4, color=COLORS["perfect"], label="perfect foresight")
    ax.set_yticks(y, owners.index)
    ax.set_ylabel("owner [-]")
    ax.axvline(0, color="k", lw=0.6)
    ax.set_xlabel("value of flexibility [EUR]")
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def actions_table(actions: pd.DataFrame, price: pd.Series, *, tz: str | None = None, min_mw: float = 1e-3) -> pd.DataFrame:
    """Balancing actions as contiguous periods per asset with constant direction.

    Columns: asset, start, end (local), mean MW (+ more production / less consumption),
    energy MWh, value EUR at the day-ahead price (``Σ action × price × Δt``).
    """
    tz = market_timezone(tz)
    h = (actions.index[1] - actions.index[0]) / pd.Timedelta("1h") if len(actions) > 1 else 1.0
    rows = []
    for a in actions.columns:
        x = actions[a].to_numpy()
        sign = np.where(x > min_mw, 1, np.where(x < -min_mw, -1, 0))
        i = 0
        while i < len(x):
            if sign[i] == 0:
                i += 1
                continue
            j = i
            while j + 1 < len(x) and sign[j + 1] == sign[i]:
                j += 1
            seg = slice(i, j + 1)
            rows.append({
                "asset": a,
                "start": actions.index[i].tz_convert(tz).strftime("%H:%M"),
                "end": (actions.index[j] + pd.Timedelta(hours=h)).tz_convert(tz).strftime("%H:%M"),
                "MW": round(float(x[seg].mean()), 3),
                "MWh": round(float(x[seg].sum() * h), 3),
                "value EUR": round(float((x[seg] * price.to_numpy()[seg]).sum() * h), 2),
            })  # fmt: skip
            i = j + 1
    return pd.DataFrame(rows, columns=["asset", "start", "end", "MW", "MWh", "value EUR"])
