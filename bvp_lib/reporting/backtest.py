"""Summaries of a stored backtest run (notebook ``05-backtest``; its figures are in
:mod:`bvp_lib.reporting.figures.period`).

Everything is read back from ``backtest_runs``, ``backtest_days`` and
``backtest_asset_days`` (see :mod:`bvp_lib.runs.backtest`). Values in EUR, energy in MWh.

"What was lost" is shown per day as value lost (perfect foresight − realised) [EUR]
against the mean absolute error of the day-ahead price forecast [EUR/MWh] (the stored
forecast known at gate closure against the published prices), and against the day's
perfect-foresight value [EUR] (how much there was to earn).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.runs.backtest import load_days
from bvp_lib.valuation import captured_share, value_by

VALUE_COLUMNS = ["realised_value_eur", "perfect_foresight_value_eur"]


@dataclass
class RunInfo:
    """A backtest run's row in ``backtest_runs``."""

    id: int
    name: str
    parameters: dict
    code_version: str
    git_commit: str
    data_sources: str
    created_at: dt.datetime | None = None

    def to_frame(self) -> pd.DataFrame:
        """The run as a two-column table (field, value) for display."""
        rows = [("id", self.id), ("name", self.name), ("code version", self.code_version),
                ("git commit", self.git_commit), ("data sources", self.data_sources),
                ("created at", self.created_at)]  # fmt: skip
        rows += [(f"parameter {k}", v) for k, v in sorted(self.parameters.items())]
        return pd.DataFrame(rows, columns=["field", "value"]).set_index("field")


def run_info(name: str, *, bind=None) -> RunInfo | None:
    """The named run, or None when there is no such run."""
    with transaction(bind) as c:
        r = c.execute(sa.text("SELECT id, name, parameters, code_version, git_commit, data_sources, created_at "
                              "FROM backtest_runs WHERE name = :n"), {"n": name}).mappings().first()  # fmt: skip
    if r is None:
        return None
    return RunInfo(int(r["id"]), r["name"], dict(r["parameters"] or {}), r["code_version"] or "",
                   r["git_commit"] or "", r["data_sources"] or "", r["created_at"])  # fmt: skip


def asset_types(*, bind=None, catalogue: Catalogue | None = None) -> dict[str, str]:
    """Asset name → asset type, from the catalogue."""
    return read_catalogue(bind, catalogue).assets["type"].to_dict()


def load_run(name: str, *, bind=None) -> tuple[pd.DataFrame, pd.DataFrame, RunInfo | None]:
    """A run's per-day results, per-asset-day results (with the asset ``type``) and run info.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, RunInfo or None)
        Days (index ``day``; empty when the run has none), asset days, and the run
        (None when no run of that name exists).
    """
    info = run_info(name, bind=bind)
    if info is None:
        return pd.DataFrame(), pd.DataFrame(), None
    days, assets = load_days(info.id, bind=bind)
    if len(assets):
        types = asset_types(bind=bind)
        assets["type"] = assets["asset"].map(types).fillna("unknown")
    return days, assets, info


def _done(days: pd.DataFrame) -> pd.DataFrame:
    if not len(days):
        return pd.DataFrame(columns=[*VALUE_COLUMNS, "captured_share"])
    return days[days["status"] == "done"]


def summary(days: pd.DataFrame) -> pd.DataFrame:
    """Days done and failed, realised and perfect-foresight value [EUR] and the captured share."""
    d = _done(days)
    r, p = float(d["realised_value_eur"].sum()), float(d["perfect_foresight_value_eur"].sum())
    return pd.DataFrame({"value": {
        "days": len(days), "days done": len(d), "days failed": len(days) - len(d),
        "realised value [EUR]": r, "perfect-foresight value [EUR]": p,
        "value lost [EUR]": p - r, "captured share": captured_share(r, p)}})  # fmt: skip


def cumulative(days: pd.DataFrame) -> pd.DataFrame:
    """Cumulative realised and perfect-foresight value [EUR] over the done days."""
    d = _done(days)
    return d[VALUE_COLUMNS].astype(float).cumsum()


def value_by_month_and_type(assets: pd.DataFrame) -> pd.DataFrame:
    """Realised and perfect-foresight value [EUR] by month and asset type, with the captured share."""
    cols = ["month", "type", *VALUE_COLUMNS, "captured_share"]
    if not len(assets):
        return pd.DataFrame(columns=cols).set_index(["month", "type"])
    a = assets.copy()
    a["month"] = pd.to_datetime(a["day"]).dt.strftime("%Y-%m")
    return value_by(a, ["month", "type"], VALUE_COLUMNS)


def best_and_worst_days(days: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The ``n`` best and ``n`` worst done days by realised value [EUR], with the value lost."""
    d = _done(days)
    cols = [*VALUE_COLUMNS, "captured_share"]
    if not len(d):
        return pd.DataFrame(columns=["rank", *cols, "value_lost_eur"])
    d = d[cols].astype(float).assign(value_lost_eur=lambda x: x["perfect_foresight_value_eur"] - x["realised_value_eur"])
    d = d.sort_values("realised_value_eur", ascending=False)
    best = d.head(n).assign(rank="best")
    worst = d.tail(n).iloc[::-1].assign(rank="worst")
    worst = worst[~worst.index.isin(best.index)]
    return pd.concat([best, worst])[["rank", *cols, "value_lost_eur"]]


def value_lost(days: pd.DataFrame) -> pd.DataFrame:
    """Per done day: perfect-foresight value, value lost (perfect − realised) [EUR] and captured share."""
    d = _done(days)
    if not len(d):
        return pd.DataFrame(columns=["perfect_foresight_value_eur", "value_lost_eur", "captured_share"])
    d = d[[*VALUE_COLUMNS, "captured_share"]].astype(float)
    return pd.DataFrame({"perfect_foresight_value_eur": d["perfect_foresight_value_eur"],
                         "value_lost_eur": d["perfect_foresight_value_eur"] - d["realised_value_eur"],
                         "captured_share": d["captured_share"]})  # fmt: skip


def failed_days(days: pd.DataFrame) -> pd.DataFrame:
    """The failed days with their error."""
    if not len(days):
        return pd.DataFrame(columns=["error"])
    return days.loc[days["status"] == "failed", ["error"]]


def price_sensor(*, bind=None, catalogue: Catalogue | None = None) -> str:
    """The day-ahead price sensor the portfolio trades on (its single market, else the default)."""
    cat = read_catalogue(bind, catalogue)
    try:
        return cat.price_sensor()
    except ValueError:  # several markets: the default market's
        return cat.price_sensor([])


def price_forecast_error(days: pd.DataFrame, *, sensor: str | None = None, bind=None) -> pd.Series:
    """Per done day the mean absolute error of the stored day-ahead price forecast [EUR/MWh].

    Compares the forecast known at gate closure with the published prices; NaN for a day
    whose forecast or prices cannot be read (none stored, or several models and none primary).
    """
    from bvp_lib.forecasting.day_ahead import load_actuals, load_day_ahead

    d = _done(days)
    cat = read_catalogue(bind)
    sensor = sensor or price_sensor(catalogue=cat)
    out = {}
    for day in d.index:
        try:
            f = load_day_ahead(day, [sensor], bind=bind, catalogue=cat)[sensor]
            a = load_actuals(day, [sensor], bind=bind)[sensor]
            out[day] = float((f - a.reindex(f.index)).abs().mean())
        except Exception:  # noqa: BLE001 - shown as missing, the report goes on
            out[day] = float("nan")
    return pd.Series(out, name="price_forecast_mae_eur_mwh", dtype=float)


def forecast_error_vs_value_lost(days: pd.DataFrame, *, bind=None) -> pd.DataFrame:
    """Per done day: price forecast MAE [EUR/MWh], value lost [EUR] and captured share."""
    v = value_lost(days)
    v.insert(0, "price_forecast_mae_eur_mwh", price_forecast_error(days, bind=bind).reindex(v.index))
    return v


# ---------------------------------------------------------------------------------------
# for the page


def summary_items(days: pd.DataFrame) -> list[tuple[str, object]]:
    """The run's totals as (field, value) pairs for :func:`bvp_lib.reporting.tables.field_table`:
    day counts as whole numbers, money to the euro, the captured share in percent."""
    s = summary(days)["value"]
    share = s["captured share"]
    return [("days in the run", int(s["days"])), ("days done", int(s["days done"])),
            ("days failed", int(s["days failed"])),
            ("value realised [EUR]", f"{s['realised value [EUR]']:,.0f}"),
            ("value with perfect foresight [EUR]", f"{s['perfect-foresight value [EUR]']:,.0f}"),
            ("value lost [EUR]", f"{s['value lost [EUR]']:,.0f}"),
            ("captured share [%]", "n/a" if share is None or pd.isna(share) else f"{100 * float(share):.1f}")]  # fmt: skip


def headline(days: pd.DataFrame, info: RunInfo | None) -> dict:
    """The run's headline for ``reports/index.html``: period, days, values [EUR], captured share [%]."""
    d = _done(days)
    r, p = float(d["realised_value_eur"].sum()), float(d["perfect_foresight_value_eur"].sum())
    share = captured_share(r, p)
    first = min(days.index).isoformat() if len(days) else None
    last = max(days.index).isoformat() if len(days) else None
    return {"name": info.name if info else None, "period": f"{first} to {last}" if first else "no days",
            "days done": len(d), "days failed": len(days) - len(d), "value realised [EUR]": round(r, 2),
            "value with perfect foresight [EUR]": round(p, 2),
            "captured share [%]": None if share is None else round(100 * share, 1)}  # fmt: skip


def run_items(info: RunInfo) -> list[tuple[str, object]]:
    """The run's provenance as (field, value) pairs (parameters written for people)."""
    return list(info.to_frame()["value"].items())


def report_folder(name: str, reports_dir: str | Path | None = None) -> Path:
    """``<reports dir>/backtests/<name>``; the reports dir defaults to the settings' (``reports/``)."""
    from bvp_lib.config import get_settings

    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"Backtest run name {name!r} cannot name a report folder.")
    base = Path(reports_dir) if reports_dir else get_settings().reports_path
    return base / "backtests" / name


def render_backtest_report(name: str, reports_dir: str | Path | None = None, *, bind=None, steps=None):
    """Run ``notebooks/05-backtest.ipynb`` for a stored run into ``<reports dir>/backtests/<name>/``
    (``index.html``, the executed notebook, ``tables/`` as CSV and Parquet), replaced
    atomically, and refresh ``reports/index.html``. Reporting starts no run: the run must
    be stored (``bvp backtest --from … --to … --name NAME``).

    Raises
    ------
    ValueError
        No run of that name is stored (the stored runs are named, with "did you mean").
    bvp_lib.reporting.runner.ReportError
        The notebook failed (the executed notebook is kept next to the folder).
    """
    from bvp_lib.db.catalogue import unknown_names
    from bvp_lib.reporting.index import build_index
    from bvp_lib.reporting.runner import run_notebook

    dest = report_folder(name, reports_dir)
    if run_info(name, bind=bind) is None:
        with transaction(bind) as c:
            known = [r[0] for r in c.execute(sa.text(
                "SELECT name FROM backtest_runs WHERE id NOT IN (SELECT run_id FROM sweep_scenarios) ORDER BY name"))]
        if not known:
            raise ValueError(f"No backtest run is stored (asked for {name!r}): run one first with "
                             "`bvp backtest --from D1 --to D2 --name NAME`.")
        msg = unknown_names("backtest run", [name], known, "; `bvp backtest --from D1 --to D2 --name NAME` stores one.")
        raise ValueError(msg[0].upper() + msg[1:])
    from bvp_lib.config import get_settings

    nb = get_settings().root / "notebooks" / "05-backtest.ipynb"
    params = {"run_name": name, "run_if_missing": False}
    result = run_notebook(nb, dest, params, title=f"BVP backtest {name}", steps=steps,
                          nav=[("all reports", "../../index.html")])  # fmt: skip
    build_index(dest.parent.parent, bind=bind)
    return result


def value_per_asset(assets: pd.DataFrame) -> pd.DataFrame:
    """Realised and perfect-foresight value [EUR] of each asset summed over the run's done
    days, with its type, the value lost and the captured share [-] (index ``asset``)."""
    cols = ["type", *VALUE_COLUMNS, "value_lost_eur", "captured_share"]
    if not len(assets):
        return pd.DataFrame(columns=cols, index=pd.Index([], name="asset"))
    v = value_by(assets, ["asset", "type"], VALUE_COLUMNS).reset_index(level="type")
    v["value_lost_eur"] = v["perfect_foresight_value_eur"] - v["realised_value_eur"]
    return v[cols]


def with_value_lost(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a ``value_lost_eur`` column (perfect foresight − realised) [EUR]."""
    out = table.copy()
    out["value_lost_eur"] = out["perfect_foresight_value_eur"] - out["realised_value_eur"]
    return out
