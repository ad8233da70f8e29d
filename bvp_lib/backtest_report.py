"""Summaries and figures of a stored backtest run (notebook ``05-backtest``).

Everything is read back from ``backtest_runs``, ``backtest_days`` and
``backtest_asset_days`` (see :mod:`bvp_lib.backtest`). Values in EUR, energy in MWh.

"What was lost" is shown per day as value lost (perfect foresight − realised) [EUR]
against the mean absolute error of the day-ahead price forecast [EUR/MWh] (the stored
forecast known at gate closure against the published prices), and against the day's
perfect-foresight value [EUR] (how much there was to earn).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

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
    from bvp_lib.db.engine import transaction

    with transaction(bind) as c:
        r = c.execute(sa.text("SELECT id, name, parameters, code_version, git_commit, data_sources, created_at "
                              "FROM backtest_runs WHERE name = :n"), {"n": name}).mappings().first()  # fmt: skip
    if r is None:
        return None
    return RunInfo(int(r["id"]), r["name"], dict(r["parameters"] or {}), r["code_version"] or "",
                   r["git_commit"] or "", r["data_sources"] or "", r["created_at"])  # fmt: skip


def asset_types(*, bind=None) -> dict[str, str]:
    """Asset name → asset type, from the ``assets`` table."""
    from bvp_lib.db.engine import transaction

    with transaction(bind) as c:
        return {n: t for n, t in c.execute(sa.text("SELECT name, asset_type_name FROM assets")).all()}


def load_run(name: str, *, bind=None) -> tuple[pd.DataFrame, pd.DataFrame, RunInfo | None]:
    """A run's per-day results, per-asset-day results (with the asset ``type``) and run info.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, RunInfo or None)
        Days (index ``day``; empty when the run has none), asset days, and the run
        (None when no run of that name exists).
    """
    from bvp_lib.backtest import load_days

    info = run_info(name, bind=bind)
    if info is None:
        return pd.DataFrame(), pd.DataFrame(), None
    days, assets = load_days(info.id, bind=bind)
    if len(assets):
        types = asset_types(bind=bind)
        assets["type"] = assets["asset"].map(types).fillna("unknown")
    return days, assets, info


def ensure_run_days(name: str, first_day, last_day, *, solver: str = "highs", run_if_missing: bool = True,
                    bind=None):
    """Run the backtest for the period when the named run has no days yet (and ``run_if_missing``).

    Returns the :class:`bvp_lib.backtest.BacktestSummary` when it ran, else None.
    """
    from bvp_lib.backtest import run_backtest

    days, _, _ = load_run(name, bind=bind)
    if len(days) or not run_if_missing:
        return None
    return run_backtest(name, first_day, last_day, parameters={"solver": solver}, progress=False, bind=bind)


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


def cumulative_figure(days: pd.DataFrame):
    """Cumulative value over time [EUR]: realised against perfect foresight."""
    import matplotlib.pyplot as plt

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


def value_by_month_and_type(assets: pd.DataFrame) -> pd.DataFrame:
    """Realised and perfect-foresight value [EUR] by month and asset type, with the captured share."""
    cols = ["month", "type", *VALUE_COLUMNS, "captured_share"]
    if not len(assets):
        return pd.DataFrame(columns=cols).set_index(["month", "type"])
    a = assets.copy()
    a["month"] = pd.to_datetime(a["day"]).dt.strftime("%Y-%m")
    return value_by(a, ["month", "type"], VALUE_COLUMNS)


def month_type_figure(assets: pd.DataFrame):
    """Bars of realised and perfect-foresight value [EUR] by month and asset type."""
    import matplotlib.pyplot as plt

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


def value_lost_figure(days: pd.DataFrame):
    """Scatter of value lost [EUR] against the day's perfect-foresight value [EUR], one point per day.

    The perfect-foresight value stands for how much a day offered, and the distance from
    zero for what imperfect forecasts cost.
    """
    import matplotlib.pyplot as plt

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


def failed_days(days: pd.DataFrame) -> pd.DataFrame:
    """The failed days with their error."""
    if not len(days):
        return pd.DataFrame(columns=["error"])
    return days.loc[days["status"] == "failed", ["error"]]


def price_sensor(*, bind=None) -> str:
    """The day-ahead price sensor the portfolio trades on (its single market, else the default)."""
    from bvp_lib.db.engine import transaction
    from bvp_lib.scheduling.store import DEFAULT_PRICE_SENSOR

    with transaction(bind) as c:
        markets = [m for (m,) in c.execute(sa.text(
            "SELECT DISTINCT m.name FROM assets a JOIN markets m ON m.id = a.market_id")).all()]  # fmt: skip
    return markets[0] if len(markets) == 1 else DEFAULT_PRICE_SENSOR


def price_forecast_error(days: pd.DataFrame, *, sensor: str | None = None, bind=None) -> pd.Series:
    """Per done day the mean absolute error of the stored day-ahead price forecast [EUR/MWh].

    Compares the forecast known at gate closure with the published prices; NaN for a day
    whose forecast or prices cannot be read (none stored, or several models and none primary).
    """
    from bvp_lib.forecasting.store import load_actuals, load_day_ahead

    d = _done(days)
    sensor = sensor or price_sensor(bind=bind)
    out = {}
    for day in d.index:
        try:
            f = load_day_ahead(day, [sensor], bind=bind)[sensor]
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


def forecast_error_figure(table: pd.DataFrame):
    """Scatter of value lost [EUR] against the day's price forecast MAE [EUR/MWh] (from
    :func:`forecast_error_vs_value_lost`)."""
    import matplotlib.pyplot as plt

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
