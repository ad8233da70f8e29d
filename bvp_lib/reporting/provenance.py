"""Provenance of a report: the parameters, code version, data sources, models, solver,
status and run time that made it (no secrets: database URLs are masked).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from bvp_lib.config import get_settings, git_commit, mask_url
from bvp_lib.environment import lock_summary
from bvp_lib.market.bounds import SCREEN_GAP
from bvp_lib.market.clock import market_clock
from bvp_lib.redact import mask_text


def provenance(ctx, parameters: dict) -> pd.DataFrame:
    """Parameters, code version, the market clock, data sources, models, solver, status and
    run time of a day run (a :class:`bvp_lib.runs.day.DayRun`), no secrets.

    One row per item (index ``item``, column ``value``); parameter values are kept as
    given (``''``, ``[]``, ``True``): show the table with
    :func:`bvp_lib.reporting.tables.field_table`, which writes them as ``–``, ``none``, ``yes``."""
    import bvp_lib

    s = get_settings()
    rows = [("bvp_lib version", bvp_lib.__version__), ("git commit", git_commit()),
            ("environment", s.env), ("package lock", lock_summary()), ("market clock", market_clock().describe()),
            ("database", "embedded PostgreSQL" if s.uses_embedded_server else mask_url(s.database_url))]  # fmt: skip
    # values as they are (not their Python repr): the report's table formatter writes them for people
    rows += [(f"parameter {k}", v) for k, v in sorted(parameters.items()) if k != "report_dir"]
    if ctx.forecasts is not None and len(ctx.forecasts):
        for src in sorted(ctx.forecasts["source"].astype(str).unique()):
            rows.append(("forecast model", src))
    for label, sched in (("planned schedule", ctx.planned), ("perfect foresight", ctx.perfect)):
        if sched is not None:
            st = sched.result.stats
            get = (lambda k: st.get(k)) if isinstance(st, dict) else (lambda k: getattr(st, k, None))
            rows.append((f"{label} solver", f"{get('solver')} via {get('backend')}, status {get('status')}"
                         f"{_proof(get)}, {get('n_variables')} variables, {get('n_integer')} integer, "
                         f"{get('n_constraints')} constraints, solve {get('solve_time') or 0:.2f} s"))  # fmt: skip
    sc = getattr(ctx, "scenarios", None)
    if sc is not None:
        i = sc.info
        rows.append(("price scenarios", f"{sc.n} made at {sc.belief_time:%Y-%m-%d %H:%M %Z} on {sc.model!r}: "
                     f"{i.get('error_days')} from past errors ({i.get('own_error_days', i.get('error_days'))} the "
                     f"model's own), {i.get('climatology_days')} climatological at "
                     f"{100 * float(i.get('climatology_share') or 0):.0f} % of the weight"))  # fmt: skip
    offer = getattr(ctx, "offer", None) or (getattr(ctx, "compared", {}).get("orders") or {}).get("offer")
    if offer is not None:
        d = offer.delivery
        n_orders = len(offer.book.orders)
        made_of = "" if offer.bid.components is None else \
            f" (the portfolio's curve, of {len(offer.bid.components.orders)} component orders)"  # fmt: skip
        rows.append(("order book", f"{n_orders} order{'s' if n_orders != 1 else ''}{made_of}, {len(offer.book.rows)} "
                     "points; delivery "
                     f"imbalance {d.info.get('imbalance_mwh', 0.0):.2f} MWh; bidding {offer.timings.get('bid', 0):.2f} s, "
                     f"delivery {offer.timings.get('deliver', 0):.2f} s"))  # fmt: skip
        pr = offer.bid.programs()
        if len(pr):
            sc_ = pr[pr["program"] == "screened"]
            text = (f"{(pr['program'] == 'solved').sum()} solved, {len(sc_)} screened: the flat bid of the mean-price "
                    f"plan, as no curve could add more than {SCREEN_GAP:g} EUR to it "
                    f"({(sc_['wait_and_see_eur'] - sc_['mean_plan_eur']).sum():.2f} EUR at most in all)")  # fmt: skip
            rows.append(("bidding programs", text))
    rows.append(("data sources", "SMARD day-ahead prices (CC BY 4.0); bundled 2015 data set (data/README.md)"))
    for k, v in ctx.timings.items():
        rows.append((f"time {k} [s]", f"{v:.2f}"))
    rows.append(("run time [s]", f"{time.perf_counter() - ctx.started:.1f}"))
    rows = [(k, mask_text(str(v))) for k, v in rows]  # no credential in any form reaches a report
    return pd.DataFrame(rows, columns=["item", "value"]).set_index("item")


def write_timings(ctx, folder) -> Path:
    """Seconds per stage and in all, as ``timings.json`` in ``folder`` (read by benchmarks)."""
    import json

    p = Path(folder) / "timings.json"
    p.write_text(json.dumps({**ctx.timings, "run": time.perf_counter() - ctx.started}, indent=2))
    return p


def _proof(get) -> str:
    """What "optimal" means for a schedule with binaries: the gap the solver proved
    between the schedule and the best possible one, and the gap it was allowed to stop at."""
    if not get("n_integer"):
        return ""
    gap, allowed = get("proven_gap"), get("mip_gap")
    proved = "no bound proven" if gap is None else f"proven within {gap:.1e} of the optimum"
    return f" ({proved}; the run allows a MIP gap of {allowed:g})" if allowed is not None else f" ({proved})"
