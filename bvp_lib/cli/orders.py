"""``bvp orders``: the portfolio's day-ahead order book as a CSV, and clearing orders from a file.

A thin wrapper over :func:`bvp_lib.runs.day.run_day` with ``strategy="orders"``
(:mod:`bvp_lib.market`); the CSV layout is :mod:`bvp_lib.market.orders`'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from bvp_lib.cli.common import friendly, table


@friendly
def orders(
    date: str = typer.Option(..., "--date", "-d", help="Local delivery day D, YYYY-MM-DD: the book is made at gate closure on D-1."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the order book CSV (default reports/orders/<D>.csv)."),
    clear: Optional[Path] = typer.Option(None, "--clear", help="Clear and deliver the orders of this CSV (made elsewhere) instead of the workbench's own."),
    save: Optional[bool] = typer.Option(None, "--save/--no-save", help="Store forecasts, the book, what was accepted and the plan (default: yes for the own book, no with --clear)."),
    solver: str = typer.Option("highs", help="LP solver of the programs: highs or cbc."),
) -> None:
    """Make the day's order book at gate closure (price scenarios, bid curves), write it as CSV, and clear it at the day's realised prices.

    Rows: portfolio, order, period_start, period_end (ISO 8601 with offset), price_eur_mwh, volume_mw (sold positive, bought negative). With --clear the file is checked against the exchange's rules (monotone curves, price limits -500..3000 EUR/MWh on a 0.1 tick, 0.1 MW volumes, 2 to 256 points, the day's hourly periods): a broken rule names the line, and nothing is stored. Value in EUR against the baseline; perfect foresight is the upper bound.
    """
    from bvp_lib.config import get_settings
    from bvp_lib.market.orders import read_order_csv
    from bvp_lib.market.rules import EPEX_DAY_AHEAD
    from bvp_lib.runs.day import run_day
    from bvp_lib.timing import as_date, day_index

    day = as_date(date)
    book = None
    if clear is not None:
        book = read_order_csv(clear, day_index(day, None, EPEX_DAY_AHEAD.period))
    store = (clear is None) if save is None else save
    run = run_day(day, strategy="orders", book=book, solver=solver, save=store)
    o = run.offer
    if clear is None:
        path = out or get_settings().reports_path / "orders" / f"{day.isoformat()}.csv"
        o.book.to_csv(path)
        n = len(o.book.orders)
        typer.echo(f"order book: {path} ({n} order{'s' if n != 1 else ''}, {len(o.book.rows)} points)")
    acc, imb = o.accepted, o.delivery.imbalance
    rows = [{"order": c, "accepted MWh": f"{acc[c].sum():.1f}", "imbalance MWh": f"{imb[c].abs().sum():.2f}"
             if c in imb else ""} for c in o.book.orders]  # fmt: skip
    if o.bid.components is not None:  # the portfolio's order: what its component orders got
        book, _, acc, imb = o.components()
        rows += [{"order": f"  {c}", "accepted MWh": f"{acc[c].sum():.1f}", "imbalance MWh": f"{imb[c].abs().sum():.2f}"}
                 for c in book.orders]  # fmt: skip
    typer.echo(table(rows))
    p = run.valuation.portfolio
    share = "n/a" if p["captured_share"] is None else f"{p['captured_share']:.1%}"
    typer.echo(f"{day}: realised value {p['realised_value_eur']:,.2f} EUR, perfect foresight "
               f"{p['perfect_foresight_value_eur']:,.2f} EUR, captured share {share}"
               + ("" if store else " (nothing stored)"))  # fmt: skip
