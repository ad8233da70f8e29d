"""Figures and tables of a stored scenario sweep (notebook ``07-sweep``).

Everything is read from the comparison table of :func:`bvp_lib.sweep.comparison` (one
row per scenario: its grid values and results summed over the sweep's done days) or
from ``backtest_days`` of the sweep's runs (``sweeps`` → ``sweep_scenarios`` →
``backtest_runs`` → ``backtest_days``). Values in EUR, energy in MWh, shares in [-].

A grid *axis* is a column of the comparison table named as in the sweep file
(``battery.power_mw``, ``models``); its unit comes from the attribute's name
(``_mw`` → MW, ``_mwh`` → MWh, ``share`` → -, see :func:`unit`).

The report itself is ``notebooks/07-sweep.ipynb`` run by :func:`render_sweep_report`
into ``<reports dir>/sweeps/<sweep name>/index.html``.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

NOTEBOOK = "07-sweep.ipynb"
#: result columns of the comparison table (everything else but the axes)
RESULT_COLUMNS = ("run", "days_done", "days_failed", "realised_value_eur", "perfect_foresight_value_eur",
                  "planned_value_eur", "energy_shifted_mwh", "seconds_per_day", "captured_share")  # fmt: skip
#: display names of the result columns
NAMES = {
    "realised_value_eur": "realised value", "perfect_foresight_value_eur": "perfect-foresight value",
    "planned_value_eur": "planned value", "value_lost_eur": "value lost", "energy_shifted_mwh": "energy shifted",
    "seconds_per_day": "time per day", "captured_share": "captured share", "days_done": "days done",
    "days_failed": "days failed",
}  # fmt: skip
#: units of attribute names that do not end in one
UNITS = {"seconds_per_day": "s", "time_limit": "s", "mip_gap": "-", "spread": "EUR/MWh"}
#: name suffix → unit, the longest suffix first
SUFFIXES = (("_eur_mwh", "EUR/MWh"), ("_per_hour", "1/h"), ("_hours", "h"), ("_eur", "EUR"), ("_mwh", "MWh"),
            ("_mw", "MW"), ("share", "-"), ("efficiency", "-"))  # fmt: skip


# ---------------------------------------------------------------------------------------
# names, units, labels


def unit(name: str) -> str | None:
    """The unit of a column or grid axis, from the attribute's name (None when it has none).

    Examples
    --------
    >>> unit("battery.power_mw"), unit("building.shiftable_share"), unit("realised_value_eur"), unit("models")
    ('MW', '-', 'EUR', None)
    """
    attr = name.rsplit(".", 1)[-1]
    if attr in UNITS:
        return UNITS[attr]
    for suffix, u in SUFFIXES:
        if attr.endswith(suffix):
            return u
    return None


def label(name: str) -> str:
    """An axis label: the display name of a result column, or the grid axis as written,
    with the unit in brackets (``battery.power_mw [MW]``, ``realised value [EUR]``)."""
    u = unit(name)
    text = NAMES.get(name, name)
    return f"{text} [{u}]" if u else text


def _fmt_level(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _value_format(values, name: str):
    """A formatter of cell annotations for ``values`` of column ``name``: shares with two
    decimals, money and energy with as many decimals as the largest magnitude needs."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    top = float(np.abs(finite).max()) if len(finite) else 0.0
    spec = ".2f" if unit(name) == "-" else ",.0f" if top >= 100 else ".1f" if top >= 1 else ".3g"

    def fmt(v) -> str:
        return "–" if v is None or not np.isfinite(v) else format(v, spec)

    return fmt


def scenario_label(values: dict, axes: list[str] | None = None) -> str:
    """``axis=value, ...`` of a scenario's grid values, in the order of ``axes`` (default: as given)."""
    axes = list(values) if axes is None else axes

    def fmt(v):
        return ",".join(map(str, v)) if isinstance(v, list) else _fmt_level(v)

    return ", ".join(f"{a}={fmt(values.get(a))}" for a in axes) or "base"


# ---------------------------------------------------------------------------------------
# the comparison table


def axes_of(table: pd.DataFrame) -> list[str]:
    """The grid axes of a comparison table (``table.attrs["axes"]``, else every column
    that is not a result column)."""
    axes = table.attrs.get("axes")
    if axes is None:
        axes = [c for c in table.columns if c not in RESULT_COLUMNS]
    return [a for a in axes if a in table.columns]


def _is_numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def levels(col: pd.Series) -> list:
    """The distinct values of a grid axis: sorted when numeric, else in grid order."""
    vals = [v for v in dict.fromkeys(col.tolist()) if not (isinstance(v, float) and math.isnan(v))]
    return sorted(vals) if _is_numeric(col) else vals


def varying_axes(table: pd.DataFrame) -> list[str]:
    """The grid axes with more than one value in ``table``, in grid order."""
    return [a for a in axes_of(table) if len(levels(table[a])) > 1]


def _numeric_values(table: pd.DataFrame, value: str) -> pd.Series:
    if value not in table.columns:
        raise ValueError(f"{value!r} is not a column of the comparison table; it has {', '.join(table.columns)}.")
    v = pd.to_numeric(table[value], errors="coerce").astype(float)
    if v.isna().sum() > table[value].isna().sum():
        raise ValueError(f"Column {value!r} is not numeric: it cannot be shown as a value.")
    return v


def _check_table(table: pd.DataFrame) -> list[str]:
    if table is None or not len(table):
        raise ValueError("The comparison table is empty: the sweep has no scenarios (run it with `bvp sweep -f ...`).")
    return axes_of(table)


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table for display: grid axes first, then days and results with units
    in the headers, rounded (EUR to 2 decimals, shares to 3); value lost = perfect − realised."""
    axes = axes_of(table)
    cols = {"days_done": "days done", "days_failed": "days failed"}
    out = table[axes].copy() if len(table) else pd.DataFrame(columns=axes)
    for c, name in cols.items():
        out[name] = table[c] if len(table) else []
    for c in ("realised_value_eur", "perfect_foresight_value_eur", "value_lost_eur", "captured_share",
              "energy_shifted_mwh", "seconds_per_day"):  # fmt: skip
        if c == "value_lost_eur":
            v = (_numeric_values(table, "perfect_foresight_value_eur") - _numeric_values(table, "realised_value_eur")
                 if len(table) else [])  # fmt: skip
        else:
            v = _numeric_values(table, c) if len(table) else []
        out[label(c)] = np.round(v, 3 if c in ("captured_share", "energy_shifted_mwh", "seconds_per_day") else 2)
    return out


def best_scenarios(table: pd.DataFrame, n: int | None = 5) -> pd.DataFrame:
    """The ``n`` scenarios with the highest realised value [EUR] (all when ``n`` is None),
    best first, formatted for display (:func:`format_table`); index ``rank`` from 1.

    Scenarios without a done day (no realised value) come last.
    """
    if n is not None and n < 1:
        raise ValueError(f"n must be at least 1, not {n}.")
    out = format_table(table)
    if len(out):
        order = _numeric_values(table, "realised_value_eur").sort_values(ascending=False, na_position="last").index
        out = out.loc[order]
        out = out if n is None else out.head(n)
    out.index = pd.RangeIndex(1, len(out) + 1, name="rank")
    return out


def headline(table: pd.DataFrame) -> dict:
    """The best scenario by realised value, its realised value [EUR], captured share [-],
    the spread of realised value over the scenarios [EUR], and the counts."""
    _check_table(table)
    axes = axes_of(table)
    r = _numeric_values(table, "realised_value_eur")
    if r.notna().any():
        best = table.loc[r.idxmax()]
        share = pd.to_numeric(pd.Series([best["captured_share"]]), errors="coerce").iloc[0]
        head = {"best scenario": scenario_label(best[axes].to_dict(), axes),
                "realised value [EUR]": float(r.max()),
                "captured share": None if pd.isna(share) else float(share),
                "best − worst scenario [EUR]": float(r.max() - r.min())}  # fmt: skip
    else:
        head = {"best scenario": "no days done", "realised value [EUR]": None, "captured share": None}
    days = (table.attrs["last_day"] - table.attrs["first_day"]).days + 1 if "first_day" in table.attrs else None
    head.update({"scenarios": len(table), "days": days, "days failed": int(table["days_failed"].sum())})
    return head


def headline_html(table: pd.DataFrame) -> str:
    """The :func:`headline` as HTML tiles (for ``IPython.display.HTML``)."""
    from bvp_lib.reporting.figures import headline_html as tiles

    return tiles(headline(table))


# ---------------------------------------------------------------------------------------
# the value surface


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
        A comparison table (:func:`bvp_lib.sweep.comparison`), ``attrs["axes"]`` naming
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


# ---------------------------------------------------------------------------------------
# per-day results of the sweep's runs


def scenario_days(name: str, *, bind=None) -> pd.DataFrame:
    """Every stored day of a sweep's scenarios within the sweep's period.

    Returns
    -------
    pandas.DataFrame
        Columns ``position``, ``scenario`` (grid values as ``axis=value, ...``),
        ``grid_values`` (dict), ``run``, ``day``, ``status``, ``error``,
        ``realised_value_eur``, ``perfect_foresight_value_eur`` [EUR]; one row with
        ``day`` None for a scenario without days; in grid order, then by day. ``attrs``:
        ``axes`` (grid order), ``first_day``, ``last_day``, ``name``.

    Raises
    ------
    bvp_lib.sweep.SweepError
        No sweep of that name is stored.
    """
    from bvp_lib.db.engine import transaction
    from bvp_lib.sweep import stored_sweep, sweep_axes

    with transaction(bind) as c:
        sw = stored_sweep(c, name)
        rows = c.execute(sa.text(
            "SELECT s.position, s.grid_values, r.name AS run, d.day, d.status, d.error, d.realised_value_eur, "
            "d.perfect_foresight_value_eur FROM sweep_scenarios s JOIN backtest_runs r ON r.id = s.run_id "
            "LEFT JOIN backtest_days d ON d.run_id = r.id AND d.day BETWEEN :f AND :l "
            "WHERE s.sweep_id = :s ORDER BY s.position, d.day"),
            {"s": sw.id, "f": sw.first_day, "l": sw.last_day}).mappings().all()  # fmt: skip
    axes = sweep_axes(sw.spec)
    cols = ["position", "scenario", "grid_values", "run", "day", "status", "error", "realised_value_eur",
            "perfect_foresight_value_eur"]  # fmt: skip
    recs = [{**{k: r[k] for k in cols if k != "scenario"}, "scenario": scenario_label(r["grid_values"] or {}, axes)}
            for r in rows]  # fmt: skip
    df = pd.DataFrame(recs, columns=cols)
    for c in ("realised_value_eur", "perfect_foresight_value_eur"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    df.attrs.update(axes=axes, first_day=sw.first_day, last_day=sw.last_day, name=name)
    return df


def cumulative_values(days: pd.DataFrame) -> pd.DataFrame:
    """Cumulative realised value [EUR] over the done days, one column per scenario (in grid
    order), index the local day; from :func:`scenario_days`."""
    done = days[days["status"] == "done"]
    order = list(dict.fromkeys(days.sort_values("position")["scenario"]))
    if not len(done):
        return pd.DataFrame(columns=order, dtype=float)
    wide = done.pivot(index="day", columns="scenario", values="realised_value_eur").reindex(columns=order)
    # a failed or missing day adds nothing: the line stays flat over it
    return wide.fillna(0.0).cumsum()


def cumulative_by_scenario(name: str, *, bind=None):
    """Cumulative realised value [EUR] per scenario over the sweep's days, one line each.

    The legend names each scenario by the grid axes that vary (all of them when none
    does). Failed days add nothing (the line stays flat over them).

    Raises
    ------
    bvp_lib.sweep.SweepError
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


def failed_days(name: str, *, bind=None) -> pd.DataFrame:
    """The failed days of a sweep's scenarios: ``scenario``, ``day``, ``error`` (grid order, then day)."""
    d = scenario_days(name, bind=bind)
    return d.loc[d["status"] == "failed", ["scenario", "day", "error"]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# running the sweep and the report


def _canonical(spec_json: dict) -> dict:
    return json.loads(json.dumps(spec_json, sort_keys=True, default=str))


def is_complete(spec, *, bind=None) -> bool:
    """Whether ``spec`` (a :class:`bvp_lib.sweep.SweepSpec`) is stored as it is and every
    scenario has every day of the period attempted (done or failed)."""
    from bvp_lib.db.engine import transaction
    from bvp_lib.sweep import comparison

    with transaction(bind) as c:
        stored = c.execute(sa.text("SELECT spec FROM sweeps WHERE name = :n"), {"n": spec.name}).scalar()
    if stored is None or _canonical(stored) != _canonical(spec.as_json()):
        return False
    t = comparison(spec.name, bind=bind)
    return len(t) == len(spec.scenarios) and bool(((t["days_done"] + t["days_failed"]) >= len(spec.days)).all())


def ensure_sweep(name: str, sweep_file: str | Path = "", *, workers: int = 1, bind=None):
    """Run the sweep file when the sweep ``name`` is not stored, stored with another
    spec, or has days not yet attempted (failed days are not retried here).

    Parameters
    ----------
    name : str
        The sweep's name; the file must describe the sweep of that name.
    sweep_file : str or Path
        A sweep file (YAML, see ``parameters/sweep.yaml``); ``""`` runs nothing.
    workers : int
        Local Dask worker processes.

    Returns
    -------
    bvp_lib.sweep.SweepResult or None
        None when nothing ran.

    Raises
    ------
    bvp_lib.sweep.SweepError
        A bad sweep file, or one that names another sweep.
    """
    from bvp_lib.sweep import SweepError, load_sweep, run_sweep

    if not sweep_file:
        return None
    spec = load_sweep(sweep_file)
    if spec.name != name:
        raise SweepError(f"Sweep file {sweep_file} describes the sweep {spec.name!r}, not {name!r}.")
    if is_complete(spec, bind=bind):
        return None
    return run_sweep(spec, workers=workers, progress=False, bind=bind)


def notebook_path() -> Path:
    from bvp_lib.config import get_settings

    return get_settings().root / "notebooks" / NOTEBOOK


def report_folder(name: str, reports_dir: str | Path | None = None) -> Path:
    """``<reports dir>/sweeps/<name>``; the reports dir defaults to the settings' (``reports/``)."""
    from bvp_lib.config import get_settings

    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"Sweep name {name!r} cannot name a report folder.")
    base = Path(reports_dir) if reports_dir else get_settings().reports_path
    return base / "sweeps" / name


def render_sweep_report(name: str, reports_dir: str | Path | None = None, bind=None, *,
                        sweep_file: str | Path | None = None, workers: int = 1):  # fmt: skip
    """Run ``notebooks/07-sweep.ipynb`` for a sweep into ``<reports dir>/sweeps/<name>/``
    (executed notebook and ``index.html``, replaced atomically).

    Parameters
    ----------
    name : str
        A stored sweep (or the one ``sweep_file`` describes).
    reports_dir : str or Path, optional
        Default the settings' reports dir.
    bind : Engine, optional
        Used to check that the sweep is stored before the notebook starts; the notebook
        itself reads the database of the settings (``BVP_DATABASE_URL``), like every report.
    sweep_file : str or Path, optional
        Passed to the notebook, which runs the sweep first when it is missing or incomplete.
    workers : int
        Local Dask workers when the notebook runs the sweep.

    Returns
    -------
    bvp_lib.reporting.runner.RunResult

    Raises
    ------
    bvp_lib.sweep.SweepError
        No sweep of that name is stored and no sweep file is given.
    bvp_lib.reporting.runner.ReportError
        The notebook failed (the executed notebook is kept next to the folder).
    """
    from bvp_lib.reporting.runner import run_notebook
    from bvp_lib.sweep import comparison

    dest = report_folder(name, reports_dir)
    if not sweep_file:
        comparison(name, bind=bind)  # fails here, with the stored sweeps named, rather than in the notebook
    params = {"sweep_name": name, "sweep_file": str(Path(sweep_file).resolve()) if sweep_file else "",
              "workers": int(workers)}  # fmt: skip
    return run_notebook(notebook_path(), dest, params, title=f"BVP sweep {name}")
