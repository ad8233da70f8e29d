"""Figures of a stored scenario sweep: the value surface over the grid axes, and the
cumulative value of each scenario.

Values in EUR, shares in [-]; axis units come from the grid attributes' names
(:func:`bvp_lib.reporting.sweep.unit`).
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd

from bvp_lib.reporting.sweep import (
    NAMES,
    _check_table,
    _fmt_level,
    _is_numeric,
    _numeric_values,
    _value_format,
    axes_of,
    cumulative_values,
    label,
    levels,
    scenario_days,
    scenario_label,
    varying_axes,
)

def _choose_axes(table: pd.DataFrame, x: str | None, y: str | None) -> tuple[str, str | None]:
    axes = axes_of(table)
    for name, a in (("x", x), ("y", y)):
        if a is not None and a not in axes:
            raise ValueError(f"{name}={a!r} is not a grid axis of the sweep; its axes are {', '.join(axes)}.")
    if x is not None and x == y:
        raise ValueError(f"x and y are the same axis {x!r}.")
    varying = varying_axes(table)
    if x is None:
        candidates = [a for a in varying if a != y] or [a for a in axes if a != y]
        if not candidates:
            return y, None  # the only axis, given as y: the x of a 1-axis plot
        x = candidates[0]
    if y is None:
        y = next((a for a in varying if a != x), None)
    return x, y


def _wrap(title: str, fig) -> str:
    """``title`` wrapped to the figure's width (about 11 characters per inch at 10 pt)."""
    import textwrap

    width = max(30, int(fig.get_figwidth() * 11))
    return "\n".join(textwrap.fill(line, width) for line in title.splitlines())


def _grid(sub: pd.DataFrame, values: pd.Series, x: str, xlev: list, y: str | None, ylev: list) -> np.ndarray:
    """The values of ``sub`` as a matrix [len(ylev), len(xlev)] (NaN where no scenario)."""
    m = np.full((len(ylev) if y else 1, len(xlev)), np.nan)
    seen = set()
    for i, row in sub.iterrows():
        key = (ylev.index(row[y]) if y else 0, xlev.index(row[x]))
        if key in seen:
            raise ValueError(
                f"Several rows of the table share {x}={row[x]!r}" + (f", {y}={row[y]!r}" if y else "")
                + ": pass a table with one row per grid point, or choose the axes that tell them apart."
            )  # fmt: skip
        seen.add(key)
        m[key] = values.loc[i]
    return m


def value_surface(table: pd.DataFrame, value: str = "realised_value_eur", x: str | None = None,
                  y: str | None = None):  # fmt: skip
    """``value`` over two grid axes as annotated heatmaps, one panel per combination of the other axes.

    Parameters
    ----------
    table : pandas.DataFrame
        A comparison table (:func:`bvp_lib.runs.sweep.comparison`), ``attrs["axes"]`` naming
        its grid axes.
    value : str
        The column to show, e.g. ``realised_value_eur`` [EUR] or ``captured_share`` [-].
    x, y : str, optional
        Grid axes across and up the heatmap; default the first two axes with more than one
        value (in grid order). Numeric axes are sorted numerically, others keep grid order.

    Returns
    -------
    matplotlib.figure.Figure
        Heatmaps (one ``AxesImage`` per panel, cells annotated with their value, one
        colour scale shared by the panels and a colour bar with the unit); the axes not
        on x or y that vary give the panels, those with one value are named in the
        title. With a single varying axis (or ``y`` None and no other varying axis): a
        line over a numeric axis, bars over a categorical one; a sweep without a grid
        (one scenario, ``base``) gives one bar.

    Raises
    ------
    ValueError
        An empty table, ``x`` or ``y`` not a grid axis (or the same), ``value`` not a
        numeric column, several rows for one grid point.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib import colors

    if not _check_table(table):
        # a sweep without a grid: its one scenario, the base, as a single bar
        table = table.assign(scenario="base")
        table.attrs = {**table.attrs, "axes": ["scenario"]}  # a new dict: the caller's stays as it is
    axes = axes_of(table)
    values = _numeric_values(table, value)
    x, y = _choose_axes(table, x, y)
    rest = [a for a in axes if a not in (x, y)]
    panel_axes = [a for a in rest if len(levels(table[a])) > 1]
    fixed = [a for a in rest if a not in panel_axes]
    fixed_text = ", ".join(f"{a}={_fmt_level(table[a].iloc[0])}" for a in fixed)
    name = table.attrs.get("name")
    title = (f"Sweep {name}: " if name else "") + f"{NAMES.get(value, value)} by {x}" + (f" and {y}" if y else "")
    if fixed_text:
        title += f"\n({fixed_text})"
    xlev = levels(table[x])

    if y is None:
        if panel_axes:
            raise ValueError(f"Give y: the axes {', '.join(panel_axes)} vary besides x={x!r}.")
        m = _grid(table, values, x, xlev, None, [])[0]
        fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(xlev) + 2.5), 4), layout="constrained")
        if _is_numeric(table[x]):
            ax.plot(xlev, m, marker="o")
            ax.set_xticks(xlev, [_fmt_level(v) for v in xlev])
            points = zip(xlev, m)
        else:
            ax.bar(range(len(xlev)), np.nan_to_num(m), color="tab:blue")
            ax.set_xticks(range(len(xlev)), [_fmt_level(v) for v in xlev])
            points = zip(range(len(xlev)), m)
        fmt = _value_format(m, value)
        for px, py in points:
            ax.annotate(fmt(py), (px, 0 if np.isnan(py) else py), xytext=(0, 4),
                        textcoords="offset points", ha="center", fontsize=8)  # fmt: skip
        if np.nanmin(np.append(m, 0)) < 0:
            ax.axhline(0, color="black", lw=0.5)
        ax.margins(y=0.12)  # room for the annotations
        ax.set_xlabel(label(x))
        ax.set_ylabel(label(value))
        ax.set_title(_wrap(title, fig), fontsize=10)
        ax.grid(alpha=0.3)
        return fig

    ylev = levels(table[y])
    combos = list(itertools.product(*(levels(table[a]) for a in panel_axes))) or [()]
    grids = []
    for combo in combos:
        mask = np.ones(len(table), dtype=bool)
        for a, v in zip(panel_axes, combo):
            mask &= (table[a] == v).to_numpy()
        grids.append(_grid(table[mask], values[mask], x, xlev, y, ylev))
    finite = np.concatenate([g[np.isfinite(g)] for g in grids])
    vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if vmin == vmax:
        vmin, vmax = vmin - 0.5 * (abs(vmin) or 1), vmax + 0.5 * (abs(vmax) or 1)
    if vmin < 0 < vmax:
        cmap, norm = matplotlib.colormaps["RdYlGn"], colors.TwoSlopeNorm(0.0, vmin, vmax)
    else:
        cmap, norm = matplotlib.colormaps["viridis"], colors.Normalize(vmin, vmax)
    cmap = cmap.with_extremes(bad="#e0e0e0")  # cells without a scenario
    ncols = min(3, len(combos))
    nrows = math.ceil(len(combos) / ncols)
    w, h = max(3.6, 0.9 * len(xlev) + 2.0), max(3.0, 0.55 * len(ylev) + 2.0)
    fig, axs = plt.subplots(nrows, ncols, figsize=(w * ncols + 1.2, h * nrows + 0.6), squeeze=False,
                            layout="constrained")  # fmt: skip
    fmt = _value_format(np.concatenate([g.ravel() for g in grids]), value)
    used = []
    for ax, combo, g in zip(axs.flat, combos, grids):
        im = ax.imshow(np.ma.masked_invalid(g), cmap=cmap, norm=norm, origin="lower", aspect="auto")
        for (i, j), v in np.ndenumerate(g):
            r, gg, b, _ = cmap(norm(v)) if np.isfinite(v) else (1, 1, 1, 1)
            dark = 0.299 * r + 0.587 * gg + 0.114 * b < 0.5
            ax.text(j, i, fmt(v), ha="center", va="center", fontsize=9,
                    color="white" if dark else "black")  # fmt: skip
        ax.set_xticks(range(len(xlev)), [_fmt_level(v) for v in xlev])
        ax.set_yticks(range(len(ylev)), [_fmt_level(v) for v in ylev])
        ax.set_xlabel(label(x))
        ax.set_ylabel(label(y))
        if panel_axes:
            ax.set_title(", ".join(f"{a}={_fmt_level(v)}" for a, v in zip(panel_axes, combo)), fontsize=9)
        used.append(ax)
    for ax in list(axs.flat)[len(combos):]:
        ax.set_visible(False)
    fig.colorbar(im, ax=used, label=label(value), shrink=0.9)
    fig.suptitle(_wrap(title, fig), fontsize=11)
    return fig


def cumulative_by_scenario(name: str, *, bind=None):
    """Cumulative realised value [EUR] per scenario over the sweep's days, one line each.

    The legend names each scenario by the grid axes that vary (all of them when none
    does). Failed days add nothing (the line stays flat over them).

    Raises
    ------
    bvp_lib.runs.sweep.SweepError
        No sweep of that name is stored.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    import matplotlib.dates as mdates

    days = scenario_days(name, bind=bind)
    c = cumulative_values(days)
    # the legend names the axes that vary among the scenarios
    grid = days.drop_duplicates("position").set_index("scenario")["grid_values"]
    axes = days.attrs["axes"]
    vary = [a for a in axes if len({json.dumps(g.get(a), default=str) for g in grid}) > 1] or axes
    short = {s: scenario_label(g, vary) for s, g in grid.items()}
    n = len(c.columns)
    fig, ax = plt.subplots(figsize=(9 if n <= 8 else 11, 4.5), layout="constrained")
    if len(c):
        cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20" if n <= 20 else "viridis"]
        x = pd.to_datetime(pd.Index(c.index))
        for k, col in enumerate(c.columns):
            colour = cmap(k) if n <= 20 else cmap(k / max(n - 1, 1))
            ax.plot(x, c[col], marker="o" if len(c) <= 31 else None, color=colour, label=short.get(col, col),
                    ls=("-", "--", ":", "-.")[(k // 10) % 4] if n <= 20 else "-")  # fmt: skip
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=1 if n <= 16 else 2)
        if len(x) <= 14:
            ax.set_xticks(x, [d.strftime("%Y-%m-%d") for d in x])  # whole days, not hours in between
        else:
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        fig.autofmt_xdate()
    else:
        ax.text(0.5, 0.5, "no days done", ha="center", va="center", transform=ax.transAxes)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("local day [date]")
    ax.set_ylabel("cumulative realised value [EUR]")
    ax.set_title(f"Sweep {name}: cumulative realised value by scenario")
    ax.grid(alpha=0.3)
    return fig
