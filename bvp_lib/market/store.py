"""Order books in the database: ``order_books``, their curve points and what was accepted.

One book per (local delivery day, portfolio); storing it again replaces it and its
accepted quantities, in the caller's transaction (a day run's), so a re-run never
duplicates and a failed run leaves the stored book as it was.
"""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import sqlalchemy as sa

from bvp_lib.db.engine import transaction
from bvp_lib.market.orders import DEFAULT_PORTFOLIO, OrderBook
from bvp_lib.market.rules import EPEX_DAY_AHEAD, ExchangeRules
from bvp_lib.timing import as_date, day_index


def _rules_json(rules: ExchangeRules) -> str:
    d = dataclasses.asdict(rules)
    d["period"] = str(pd.Timedelta(rules.period))
    return json.dumps(d)


def save_order_book(day, book: OrderBook, accepted: pd.DataFrame | None = None,
                    imbalance: pd.DataFrame | None = None, *, bind=None) -> int:  # fmt: skip
    """Store a day's order book (and, when given, the accepted quantities [MW] and the
    imbalance [MW] per order and period), replacing the stored one. Returns the book id."""
    d = as_date(day)
    rows = book.rows.copy()
    rows["point"] = rows.groupby(["order", "period_start"], sort=False).cumcount()
    with transaction(bind) as c:
        c.execute(sa.text("DELETE FROM order_books WHERE day = :d AND portfolio = :p"), {"d": d, "p": book.portfolio})
        bid = c.execute(sa.text(
            "INSERT INTO order_books (day, portfolio, rules, meta) VALUES (:d, :p, CAST(:r AS jsonb), CAST(:m AS jsonb)) "
            "RETURNING id"), {"d": d, "p": book.portfolio, "r": _rules_json(book.rules),
                              "m": json.dumps(book.meta, default=str)}).scalar_one()  # fmt: skip
        c.execute(sa.text(
            "INSERT INTO order_points (book_id, order_name, period_start, point, price_eur_mwh, volume_mw) "
            "VALUES (:b, :o, :t, :k, :p, :v)"),
            [{"b": bid, "o": str(r.order), "t": pd.Timestamp(r.period_start).to_pydatetime(), "k": int(r.point),
              "p": float(r.price_eur_mwh), "v": float(r.volume_mw)} for r in rows.itertuples()])  # fmt: skip
        if accepted is not None:
            recs = []
            for t, r in accepted.iterrows():
                for o in book.orders:
                    imb = None
                    if imbalance is not None and o in imbalance.columns and t in imbalance.index:
                        imb = float(imbalance.at[t, o])
                    recs.append({"b": bid, "o": o, "t": pd.Timestamp(t).to_pydatetime(), "p": float(r["price"]),
                                 "v": float(r.get(o, 0.0)), "i": imb})  # fmt: skip
            if recs:
                c.execute(sa.text(
                    "INSERT INTO order_accepted (book_id, order_name, period_start, clearing_price_eur_mwh, volume_mw, "
                    "imbalance_mw) VALUES (:b, :o, :t, :p, :v, :i)"), recs)  # fmt: skip
    return int(bid)


def load_order_book(day, *, portfolio: str = DEFAULT_PORTFOLIO, bind=None) -> tuple[OrderBook, pd.DataFrame] | None:
    """A stored book and its accepted quantities (``order``, ``period_start``,
    ``clearing_price_eur_mwh``, ``volume_mw``, ``imbalance_mw``), or None."""
    d = as_date(day)
    with transaction(bind) as c:
        b = c.execute(sa.text("SELECT id, rules, meta FROM order_books WHERE day = :d AND portfolio = :p"),
                      {"d": d, "p": portfolio}).first()  # fmt: skip
        if b is None:
            return None
        pts = pd.DataFrame(c.execute(sa.text(
            "SELECT order_name AS order, period_start, price_eur_mwh, volume_mw FROM order_points WHERE book_id = :b "
            "ORDER BY order_name, period_start, point"), {"b": b.id}).mappings().all())  # fmt: skip
        acc = pd.DataFrame(c.execute(sa.text(
            "SELECT order_name AS order, period_start, clearing_price_eur_mwh, volume_mw, imbalance_mw "
            "FROM order_accepted WHERE book_id = :b ORDER BY period_start, order_name"), {"b": b.id}).mappings().all())
    r = dict(b.rules or {})
    rules = ExchangeRules(**{**dataclasses.asdict(EPEX_DAY_AHEAD), **{k: v for k, v in r.items() if k != "period"},
                             "period": pd.Timedelta(r.get("period", "1h"))})  # fmt: skip
    pts["period_start"] = pd.to_datetime(pts["period_start"], utc=True)
    pts["period_end"] = pts["period_start"] + rules.period
    pts.insert(0, "portfolio", portfolio)
    book = OrderBook(pts[["portfolio", "order", "period_start", "period_end", "price_eur_mwh", "volume_mw"]],
                     day_index(d, None, rules.period), rules, portfolio, meta=dict(b.meta or {}))  # fmt: skip
    if len(acc):
        acc["period_start"] = pd.to_datetime(acc["period_start"], utc=True)
    return book, acc


__all__ = ["load_order_book", "save_order_book"]
