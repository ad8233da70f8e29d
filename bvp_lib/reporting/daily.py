"""The daily report: papermill runs ``notebooks/daily-report.ipynb`` once per day and
scope, then refreshes ``reports/index.html``.

Scopes have their own folders, so no report replaces another's:

* the portfolio: ``reports/<day>/``;
* an owner: ``reports/<day>/owner-<owner>/``;
* a chosen set of assets: ``reports/<day>/assets-<asset>/`` (one asset) or
  ``reports/<day>/assets-<n>-<hash>/`` (several).

Each folder holds ``index.html``, the executed notebook, ``headline.json`` (labelled
with its scope), ``parameters.json`` and ``tables/`` (every table as CSV and Parquet).
A new portfolio report of a day keeps that day's owner and asset reports.

Before any notebook starts, the day is checked against the period the database covers
and the owner and asset names against the portfolio (with "did you mean"), so a wrong
date or name fails in a second with a message saying what the database holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from bvp_lib.db.catalogue import Catalogue, CatalogueError, data_period
from bvp_lib.reporting.index import build_index
from bvp_lib.reporting.runner import RunResult, read_parameters, run_notebook
from bvp_lib.timing import as_date, days_between

NOTEBOOK = "daily-report.ipynb"
#: strategies a daily report can show: name → what it is; a strategy that ran brings its
#: ``<name>_value_eur`` column into the valuation (:func:`bvp_lib.runs.day.value` and
#: :func:`~bvp_lib.runs.day.compare`)
STRATEGIES = {
    "orders": "Price-dependent orders: at gate closure the portfolio bids a curve per hour (parks a limit order at "
              "their limit price, flexible assets curves from a stochastic program over price scenarios); the "
              "auction's price picks the quantity sold, and the assets deliver it.",
    "schedule": "One fixed quantity per step: the schedule made at gate closure on the point forecast of the price, "
                "sold whatever the price turns out to be.",
}
#: entries of a day's folder that a new portfolio report keeps (the other scopes' reports)
SCOPE_PATTERNS = ("owner-*", "assets-*", "*.failed.ipynb")


@dataclass(frozen=True)
class Scope:
    """What a report covers: the portfolio, an owner's assets, or chosen assets."""

    kind: str  # "portfolio" | "owner" | "assets"
    owner: str = ""
    assets: tuple[str, ...] = ()

    @classmethod
    def of(cls, owner: str | None = None, assets=None) -> Scope:
        assets = tuple(str(a).strip() for a in (assets or []) if str(a).strip())
        if owner and assets:
            return cls("assets", str(owner), assets)
        if owner:
            return cls("owner", str(owner))
        if assets:
            return cls("assets", "", assets)
        return cls("portfolio")

    @property
    def label(self) -> str:
        """``portfolio``, ``owner agrar-inntal``, ``assets battery-havel-01, solar-havel-01``."""
        if self.kind == "portfolio":
            return "portfolio"
        if self.kind == "owner":
            return f"owner {self.owner}"
        shown = ", ".join(self.assets[:3]) + (f" and {len(self.assets) - 3} more" if len(self.assets) > 3 else "")
        return f"assets {shown}" + (f" of owner {self.owner}" if self.owner else "")

    def folder(self, day) -> str:
        """The report folder relative to the reports dir (``2015-04-12/owner-agrar-inntal``)."""
        d = as_date(day).isoformat()
        if self.kind == "portfolio":
            return d
        if self.kind == "owner":
            return f"{d}/owner-{_safe(self.owner)}"
        if len(self.assets) == 1 and not self.owner:
            return f"{d}/assets-{_safe(self.assets[0])}"
        digest = hashlib.sha1(("|".join([self.owner, *sorted(self.assets)])).encode()).hexdigest()[:8]
        return f"{d}/assets-{len(self.assets)}-{digest}"


def _safe(name: str) -> str:
    out = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip(".")
    if not out:
        raise ValueError(f"{name!r} cannot name a report folder.")
    return out


def notebook_path() -> Path:
    from bvp_lib.config import get_settings

    return get_settings().root / "notebooks" / NOTEBOOK


def check_days(days: list[dt.date], *, bind=None, first_name: str = "--date", last_name: str = "--to"
               ) -> tuple[dt.date, dt.date]:  # fmt: skip
    """Refuse days outside the period the database covers; returns that period (first and
    last complete local day).

    Raises
    ------
    ValueError
        No data at all, or a day outside the data: the message gives the period the
        database covers and the options to change.
    """
    period = data_period(bind)
    if period is None:
        raise ValueError("The database holds no asset or price data: load it first with "
                         "`bvp db populate --structure --data` (or `make setup`).")  # fmt: skip
    first, last = period
    outside = [d for d in days if not first <= d <= last]
    if outside:
        which = outside[0].isoformat() + (f" (and {len(outside) - 1} more day(s))" if len(outside) > 1 else "")
        options = first_name if len(days) == 1 else f"{first_name}/{last_name}"
        raise ValueError(
            f"{which} is outside the data: the database covers {first.isoformat()} to {last.isoformat()} "
            f"(every local day with complete prices and asset data, {_years(first, last)}). Pick {options} in that "
            "period (forecasts need about 38 days of history before a day), or load other data first "
            "(`bvp db show` lists what is stored)."
        )  # fmt: skip
    return period


def check_request(days: list[dt.date], scope: Scope, *, bind=None) -> tuple[dt.date, dt.date]:
    """Refuse, before any notebook runs, days outside the stored data (:func:`check_days`)
    and unknown owner or asset names (with "did you mean"); returns the period covered.

    Raises
    ------
    ValueError
        The message names the day or the name and what the database holds.
    """
    period = check_days(days, bind=bind)
    if scope.kind != "portfolio":
        try:
            Catalogue.read(bind).select(list(scope.assets) or None, scope.owner or None)
        except CatalogueError as e:
            raise ValueError(str(e)[0].upper() + str(e)[1:]) from None
    return period


def _years(first: dt.date, last: dt.date) -> str:
    return f"the year {first.year}" if first.year == last.year else f"the years {first.year} to {last.year}"


def run_reports(
    first=None,
    last=None,
    *,
    parameters_file: str | Path | None = None,
    overrides: dict | None = None,
    reports_dir: str | Path | None = None,
    progress: bool = True,
    echo=None,
) -> list[RunResult]:
    """Run the daily report for each local day in ``[first, last]`` (default: the last
    complete day) into its scope's folder (see the module docstring), and rebuild
    ``reports/index.html``.

    ``echo`` (default: print to stderr when ``progress``) receives one line per day and
    per notebook step.
    """
    from bvp_lib.config import get_settings
    from bvp_lib.db.catalogue import last_complete_day

    settings = get_settings()
    reports_dir = Path(reports_dir) if reports_dir else settings.reports_path
    params = read_parameters(parameters_file or settings.root / "parameters" / "daily-report.yaml")
    params.update(overrides or {})
    if echo is None:
        echo = (lambda line: print(line, file=sys.stderr, flush=True)) if progress else (lambda line: None)
    if first is None:
        first = params.get("day") or last_complete_day()
    days = days_between(first, last or first, first_name="--date")
    scope = Scope.of(params.get("owner"), params.get("assets"))
    check_request(days, scope)
    results = []
    for i, day in enumerate(days, 1):
        folder = scope.folder(day)
        dest = reports_dir / folder
        depth = folder.count("/") + 1
        nav = [("all reports", "../" * depth + "index.html")]
        if scope.kind != "portfolio":
            nav.append((f"portfolio report of {day.isoformat()}", "../index.html"))
        echo(f"daily report {day.isoformat()} ({scope.label}){f' [{i}/{len(days)}]' if len(days) > 1 else ''}")
        p = {**params, "day": day.isoformat()}
        results.append(run_notebook(
            notebook_path(), dest, p, title=f"BVP daily report {day.isoformat()}, {scope.label}", nav=nav,
            keep=SCOPE_PATTERNS if scope.kind == "portfolio" else (), steps=echo,
            lock=reports_dir / f".{day.isoformat()}.lock"))  # fmt: skip
        echo(f"  -> {results[-1].html} ({results[-1].seconds:.1f} s)")
    build_index(reports_dir)
    return results


# ---------------------------------------------------------------------------------------
# what the notebook shows


def headline(valuation, scope: Scope | None = None) -> dict:
    """The headline numbers of a day (keys ``name [unit]``, defined in
    :data:`bvp_lib.reporting.explain.DEFINITIONS`): value realised and with perfect
    foresight [EUR] (one value per strategy of :data:`STRATEGIES`), captured share [%],
    energy shifted, battery throughput and curtailed [MWh]."""
    p = valuation.portfolio
    a = valuation.assets
    out = {"value realised [EUR]": round(float(p["realised_value_eur"]), 2)}
    for name in others(valuation):
        out[f"value of the {name} strategy [EUR]"] = round(float(p[f"{name}_value_eur"]), 2)
    out["value with perfect foresight [EUR]"] = round(float(p["perfect_foresight_value_eur"]), 2)
    share = p.get("captured_share")
    out["captured share [%]"] = None if share is None else round(100 * float(share), 1)
    out["energy shifted [MWh]"] = round(float(p["energy_shifted_mwh"]), 3)
    out["battery throughput [MWh]"] = round(float(a.loc[a["type"] == "battery", "energy_cycled_mwh"].sum()), 3)
    out["curtailed [MWh]"] = round(float(p["energy_curtailed_mwh"]), 3)
    return out


def headline_record(day, valuation, scope: Scope, n_assets: int) -> dict:
    """What ``headline.json`` holds: the day, the scope and its label, the number of
    assets, then :func:`headline`."""
    return {"day": as_date(day).isoformat(), "scope": scope.kind, "scope label": scope.label,
            "assets": n_assets, **headline(valuation, scope)}  # fmt: skip


def others(valuation) -> list[str]:
    """The strategies besides the run's own whose value the valuation holds."""
    p = valuation.portfolio
    return [s for s in STRATEGIES if s != p.get("strategy") and f"{s}_value_eur" in p]


def strategy_text(valuation) -> dict[str, str]:
    """Definitions of the strategies compared with the report's own: ``the <name>
    strategy`` → what it is (the headline tile is ``value of the <name> strategy``)."""
    return {f"the {s} strategy": STRATEGIES[s] for s in others(valuation)}


def own_strategy(valuation) -> tuple[str, str] | None:
    """The report's own strategy and what it is (None for a valuation without one)."""
    s = valuation.portfolio.get("strategy")
    return (s, STRATEGIES[s]) if s in STRATEGIES else None


def title_html(day, scope: Scope, n_assets: int, n_owners: int) -> str:
    """The report's title with its scope label."""
    import html

    what = f"{n_assets} asset(s)" + (f" of {n_owners} owner(s)" if scope.kind == "portfolio" else "")
    return (f"<h1>BVP daily report {as_date(day).isoformat()} <span class='bvp-scope'>{html.escape(scope.label)}"
            f"</span></h1><p>Scope: {html.escape(scope.label)}, {what}.</p>")  # fmt: skip


def value_columns() -> list[str]:
    """The value table's columns: the value realised and that of any other strategy,
    then perfect foresight, value lost, captured share, the energies and the baseline
    revenue (columns a valuation lacks are left out)."""
    return ["realised_value_eur", *(f"{s}_value_eur" for s in STRATEGIES), "perfect_foresight_value_eur", "value_lost_eur",
            "captured_share", "energy_shifted_mwh", "energy_curtailed_mwh", "energy_cycled_mwh",
            "baseline_revenue_eur"]  # fmt: skip


def value_per_asset(assets):
    """Value per asset [EUR] with type and owner, value lost, captured share [-] and energies [MWh]."""
    a = assets.copy()
    a["value_lost_eur"] = a["perfect_foresight_value_eur"] - a["realised_value_eur"]
    cols = ["type", "owner", *[c for c in value_columns() if c in a.columns]]
    return a[cols]


def value_per_owner(owners):
    """Value per owner [EUR]: realised, perfect foresight, value lost, captured share, energies."""
    o = owners.copy()
    o["value_lost_eur"] = o["perfect_foresight_value_eur"] - o["realised_value_eur"]
    return o[[c for c in value_columns() if c in o.columns]]


def actions_periods(actions_table):
    """The balancing actions table (:func:`bvp_lib.reporting.figures.day.actions_table`)
    with units in its headers."""
    return actions_table.rename(columns={"start": "start (local)", "end": "end (local)", "MW": "mean power [MW]",
                                         "MWh": "energy [MWh]", "value EUR": "value at the day-ahead price [EUR]"})


def strategies_table(valuation) -> pd.DataFrame | None:
    """The strategies side by side, per asset type and for the portfolio: each
    strategy's value [EUR] and captured share [-], and the perfect-foresight value [EUR];
    None when only one strategy ran."""
    names = [valuation.portfolio.get("strategy"), *others(valuation)]
    if len(names) < 2:
        return None
    a = valuation.assets.copy()
    own = names[0]
    a[f"{own}_value_eur"] = a["realised_value_eur"]
    cols = [f"{s}_value_eur" for s in names]
    g = a.groupby("type")[[*cols, "perfect_foresight_value_eur"]].sum()
    g.loc["portfolio"] = [valuation.portfolio[c] for c in cols] + [valuation.portfolio["perfect_foresight_value_eur"]]
    from bvp_lib.valuation import captured_share

    for s in names:
        g[f"{s}_captured_share"] = [captured_share(v, p) for v, p in zip(g[f"{s}_value_eur"],
                                                                         g["perfect_foresight_value_eur"])]  # fmt: skip
    from bvp_lib.reporting.figures.day import TYPE_NAMES

    g.index = [TYPE_NAMES.get(t, t) for t in g.index]
    g.index.name = "asset type"
    return g.reset_index()


def offer_of(ctx):
    """The orders strategy's book, clearing and delivery of a day run (its own, or the
    compared one's), and the price scenarios; (None, None) when orders did not run."""
    if ctx.offer is not None:
        return ctx.offer, ctx.scenarios
    other = ctx.compared.get("orders")
    if other and other.get("offer") is not None:
        return other["offer"], ctx.scenarios
    return None, None
