"""Tables of a stored scenario sweep (notebook ``07-sweep``; its figures are in
:mod:`bvp_lib.reporting.figures.sweep`).

Everything is read from the comparison table of :func:`bvp_lib.runs.sweep.comparison` (one
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

import math
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bvp_lib.db.engine import transaction
from bvp_lib.reporting import tables
from bvp_lib.runs.sweep.store import comparison, stored_sweep, sweep_axes

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
# ---------------------------------------------------------------------------------------
# names, units, labels


def unit(name: str) -> str | None:
    """The unit of a column or grid axis, from the attribute's name (None when it has none).

    Examples
    --------
    >>> unit("battery.power_mw"), unit("building.shiftable_share"), unit("realised_value_eur"), unit("models")
    ('MW', '-', 'EUR', None)
    """
    u = tables.unit(name)
    return "-" if u == "%" else u  # the sweep's figures plot shares as fractions


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
    from bvp_lib.reporting.figures.common import headline_html as tiles

    return tiles(headline(table))


# ---------------------------------------------------------------------------------------
# the value surface


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
    bvp_lib.runs.sweep.SweepError
        No sweep of that name is stored.
    """
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


def failed_days(name: str, *, bind=None) -> pd.DataFrame:
    """The failed days of a sweep's scenarios: ``scenario``, ``day``, ``error`` (grid order, then day)."""
    d = scenario_days(name, bind=bind)
    return d.loc[d["status"] == "failed", ["scenario", "day", "error"]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# running the sweep and the report


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
                        sweep_file: str | Path | None = None, workers: int = 1, steps=None):  # fmt: skip
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
        Local Dask workers when the notebook runs the sweep; when the sweep already ran
        (``bvp sweep``), the workers that ran it, so ``parameters.json`` records them.
    steps : callable, optional
        Receives one progress line per notebook step.

    Returns
    -------
    bvp_lib.reporting.runner.RunResult

    Raises
    ------
    bvp_lib.runs.sweep.SweepError
        No sweep of that name is stored and no sweep file is given.
    bvp_lib.reporting.runner.ReportError
        The notebook failed (the executed notebook is kept next to the folder).
    """
    from bvp_lib.reporting.index import build_index
    from bvp_lib.reporting.runner import run_notebook

    dest = report_folder(name, reports_dir)
    if not sweep_file:
        comparison(name, bind=bind)  # fails here, with the stored sweeps named, rather than in the notebook
    params = {"sweep_name": name, "sweep_file": str(Path(sweep_file).resolve()) if sweep_file else "",
              "workers": int(workers)}  # fmt: skip
    result = run_notebook(notebook_path(), dest, params, title=f"BVP sweep {name}", steps=steps,
                          nav=[("all reports", "../../index.html")])  # fmt: skip
    build_index(dest.parent.parent, bind=bind)
    return result
