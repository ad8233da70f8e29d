"""Order books for the day-ahead auction: price-quantity curves per delivery period.

An order book holds, for one portfolio and one delivery day, one or more *orders* (the
workbench bids one, ``all``, the portfolio's curve; a book made elsewhere may name an
asset, ``flex:<connection point>``, ``limit:<connection point>@<price>``), each a curve
per delivery period: rows ``(order, period_start, period_end, price, volume)`` with
price [EUR/MWh] and volume [MW] (mean power over the period; **sold positive, bought
negative**). The rules a book must keep are the exchange's
(:mod:`bvp_lib.market.rules`); :meth:`OrderBook.validate` names the row and the rule
that is broken, and nothing is stored from a book that fails.

The CSV layout (:meth:`OrderBook.to_csv`, :func:`read_order_csv`) mirrors an exchange's
bid upload, one row per curve point::

    portfolio,order,period_start,period_end,price_eur_mwh,volume_mw
    bvp,solar-havel-01,2015-04-11T22:00:00+00:00,2015-04-11T23:00:00+00:00,-500.0,0.0
    bvp,solar-havel-01,2015-04-11T22:00:00+00:00,2015-04-11T23:00:00+00:00,0.0,0.0
    ...

``period_start``/``period_end`` are ISO 8601 instants with their offset (UTC written by
the workbench; any offset is read); points of one order and period are in rising price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bvp_lib.market.rules import EPEX_DAY_AHEAD, ExchangeRules

COLUMNS = ["portfolio", "order", "period_start", "period_end", "price_eur_mwh", "volume_mw"]
DEFAULT_PORTFOLIO = "bvp"
#: the name of the portfolio's one order per period (its curve: the sum of every asset's)
PORTFOLIO_ORDER = "all"


class OrderBookError(ValueError):
    """An order book that breaks the exchange's rules; the message names the row and the rule."""


def _where(book: pd.DataFrame, i, source: str | None) -> str:
    line = book.attrs.get("lines")
    if line is not None:
        return f"{source or 'order book'}, line {int(line[i])}"
    return f"{source or 'order book'}, row {int(i) + 1}"


@dataclass
class OrderBook:
    """An order book of one portfolio for one delivery day.

    Attributes
    ----------
    rows : pandas.DataFrame
        :data:`COLUMNS`; ``period_start``/``period_end`` tz-aware (UTC).
    periods : pandas.DatetimeIndex
        The delivery periods of the day (UTC starts) the book may bid for.
    rules : ExchangeRules
    portfolio : str
    source : str, optional
        Where the book came from (a file), for messages.
    """

    rows: pd.DataFrame
    periods: pd.DatetimeIndex
    rules: ExchangeRules = EPEX_DAY_AHEAD
    portfolio: str = DEFAULT_PORTFOLIO
    source: str | None = None
    meta: dict = field(default_factory=dict)

    # ----------------------------------------------------------------------------- rules
    def validate(self) -> OrderBook:
        """Check every rule; return the book.

        Raises
        ------
        OrderBookError
            The first broken rule, naming the row (file line), the order, the period and
            the rule: a price outside the limits or off the tick, a volume off the tick or
            not finite, a falling curve, too few or too many points, no point at a price
            limit, an unknown period or portfolio, a duplicate point.
        """
        b, r, src = self.rows, self.rules, self.source
        if b.empty:
            raise OrderBookError(f"{src or 'order book'}: holds no orders.")
        missing = [c for c in COLUMNS if c not in b.columns]
        if missing:
            raise OrderBookError(f"{src or 'order book'}: missing column(s) {missing}; the layout is {COLUMNS}.")
        price, vol = b["price_eur_mwh"].to_numpy(float), b["volume_mw"].to_numpy(float)
        for i in np.flatnonzero(~np.isfinite(price) | ~np.isfinite(vol)):
            raise OrderBookError(f"{_where(b, i, src)}: price and volume must be finite numbers.")
        for i in np.flatnonzero(b["portfolio"].astype(str).to_numpy() != self.portfolio):
            raise OrderBookError(f"{_where(b, i, src)}: portfolio {b['portfolio'].iloc[i]!r} is not this book's "
                                 f"({self.portfolio!r}).")  # fmt: skip
        for i in np.flatnonzero((price < r.min_price - 1e-9) | (price > r.max_price + 1e-9)):
            raise OrderBookError(f"{_where(b, i, src)}: price {price[i]:g} EUR/MWh is outside the exchange's limits "
                                 f"[{r.min_price:g}, {r.max_price:g}] ({r.name}).")  # fmt: skip
        for i in np.flatnonzero(~r.on_price_tick(price)):
            raise OrderBookError(f"{_where(b, i, src)}: price {float(price[i])!r} EUR/MWh is not on the {r.price_tick:g} "
                                 "EUR/MWh tick.")  # fmt: skip
        for i in np.flatnonzero(~r.on_volume_tick(vol)):
            raise OrderBookError(f"{_where(b, i, src)}: volume {float(vol[i])!r} MW is not on the {r.volume_tick:g} MW "
                                 "tick.")  # fmt: skip
        starts = pd.DatetimeIndex(b["period_start"])
        ends = pd.DatetimeIndex(b["period_end"])
        known = set(self.periods.asi8)
        for i in np.flatnonzero(~np.isin(starts.asi8, list(known))):
            raise OrderBookError(
                f"{_where(b, i, src)}: period {starts[i].isoformat()} is not a delivery period of the day "
                f"({self.periods[0].isoformat()} .. {self.periods[-1].isoformat()}, every {r.period})."
            )
        for i in np.flatnonzero((ends - starts) != r.period):
            raise OrderBookError(f"{_where(b, i, src)}: the period from {starts[i].isoformat()} to "
                                 f"{ends[i].isoformat()} is not one {r.period} delivery period.")  # fmt: skip
        pos = np.arange(len(b))
        for (order, start), g in b.assign(_pos=pos).groupby(["order", "period_start"], sort=False):
            idx = g["_pos"].to_numpy()
            p, v = price[idx], vol[idx]
            label = f"order {order!r}, period {pd.Timestamp(start).isoformat()}"
            if not (r.min_points <= len(idx) <= r.max_points):
                raise OrderBookError(f"{_where(b, idx[0], src)}: {label} has {len(idx)} points; the exchange takes "
                                     f"{r.min_points} to {r.max_points}.")  # fmt: skip
            order_p = np.argsort(p, kind="stable")
            if (order_p != np.arange(len(p))).any():
                j = idx[int(np.flatnonzero(np.diff(p) < 0)[0]) + 1]
                raise OrderBookError(f"{_where(b, j, src)}: {label}: points must come in rising price.")
            if abs(p[0] - r.min_price) > 1e-9 or abs(p[-1] - r.max_price) > 1e-9:
                j = idx[0] if abs(p[0] - r.min_price) > 1e-9 else idx[-1]
                raise OrderBookError(f"{_where(b, j, src)}: {label}: the curve must start at the minimum price "
                                     f"{r.min_price:g} and end at the maximum {r.max_price:g} EUR/MWh.")  # fmt: skip
            falls = np.flatnonzero(np.diff(v) < -1e-9)
            if len(falls):
                j = idx[int(falls[0]) + 1]
                raise OrderBookError(
                    f"{_where(b, j, src)}: {label}: the volume falls from {v[falls[0]]:g} to {v[falls[0] + 1]:g} MW "
                    "as the price rises; a curve must never sell less (or buy more) at a higher price."
                )
            same = np.flatnonzero((np.diff(p) == 0) & (np.diff(v) == 0))
            if len(same):
                raise OrderBookError(f"{_where(b, idx[int(same[0]) + 1], src)}: {label}: duplicate point.")
            if (np.bincount(np.searchsorted(np.unique(p), p)) > 2).any():
                raise OrderBookError(f"{_where(b, idx[0], src)}: {label}: more than two points at one price.")
        return self

    # -------------------------------------------------------------------------- reading
    @property
    def orders(self) -> list[str]:
        return list(dict.fromkeys(self.rows["order"].astype(str)))

    def curve(self, order: str, period_start) -> tuple[np.ndarray, np.ndarray]:
        """The (prices, volumes) of one order's curve in one period."""
        b = self.rows
        g = b[(b["order"] == order) & (pd.DatetimeIndex(b["period_start"]) == pd.Timestamp(period_start))]
        return g["price_eur_mwh"].to_numpy(float), g["volume_mw"].to_numpy(float)

    def aggregate(self) -> OrderBook:
        """The portfolio's one curve per period: the sum of its orders (the union of their
        price points, each order interpolated there, vertical steps kept; the sums rounded
        to the volume tick, so within half a tick of the exact sum)."""
        parts = []
        for start, g in self.rows.groupby("period_start", sort=True):
            prices, vols = sum_curves([(gg["price_eur_mwh"].to_numpy(float), gg["volume_mw"].to_numpy(float))
                                       for _, gg in g.groupby("order", sort=False)])  # fmt: skip
            vols = np.maximum.accumulate(self.rules.round_volume(vols))
            keep = np.r_[True, (np.diff(prices) != 0) | (np.abs(np.diff(vols)) > 1e-12)]  # steps the rounding closed
            end = pd.Timestamp(g["period_end"].iloc[0])
            parts.append(pd.DataFrame({"portfolio": self.portfolio, "order": PORTFOLIO_ORDER, "period_start": start,
                                       "period_end": end, "price_eur_mwh": prices[keep],
                                       "volume_mw": np.round(vols[keep], 6)}))  # fmt: skip
        rows = pd.concat(parts, ignore_index=True) if parts else self.rows.iloc[:0]
        return OrderBook(rows, self.periods, self.rules, self.portfolio, self.source, dict(self.meta))

    # -------------------------------------------------------------------------- writing
    def to_csv(self, path: str | Path) -> Path:
        """Write the book in the layout of the module docstring (replacing the file atomically)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        out = self.rows[COLUMNS].copy()
        for c in ("period_start", "period_end"):
            out[c] = pd.DatetimeIndex(out[c]).tz_convert("UTC").map(lambda t: t.isoformat())
        tmp = p.with_suffix(p.suffix + ".tmp")
        out.to_csv(tmp, index=False, float_format="%.6g")
        tmp.replace(p)
        return p


def volume_at(prices: np.ndarray, volumes: np.ndarray, at, *, side: str = "right") -> np.ndarray:
    """A curve's volume [MW] at prices ``at``: linear between points, flat beyond the ends.

    At a vertical step (two points at one price) ``side="right"`` gives the upper volume
    (what is sold when the price is exactly the step's: a limit order sells at its
    limit), ``side="left"`` the lower one.
    """
    at = np.atleast_1d(np.asarray(at, float))
    p, v = np.asarray(prices, float), np.asarray(volumes, float)
    j = np.searchsorted(p, at, side="right" if side == "right" else "left")
    out = np.empty(len(at))
    below, above = j == 0, j == len(p)
    out[below], out[above] = v[0], v[-1]
    mid = ~below & ~above
    k = j[mid]
    x0, x1, y0, y1 = p[k - 1], p[k], v[k - 1], v[k]
    out[mid] = y0 + (y1 - y0) * (at[mid] - x0) / (x1 - x0)
    return out


def sum_curves(curves) -> tuple[np.ndarray, np.ndarray]:
    """The exact sum of piecewise-linear order curves [(prices, volumes), ...]: on the union
    of their prices every curve is linear in between, so the sum is too; where any curve
    steps (two points at one price), the sum steps from the sum of the lower volumes to
    the sum of the upper ones. Returns the sum's points (a price twice where it steps)."""
    curves = [(np.asarray(p, float), np.asarray(v, float)) for p, v in curves if len(p)]
    if not curves:
        return np.zeros(0), np.zeros(0)
    grid = np.unique(np.concatenate([p for p, _ in curves]))
    lo = sum(volume_at(p, v, grid, side="left") for p, v in curves)
    hi = sum(volume_at(p, v, grid, side="right") for p, v in curves)
    steps = np.abs(hi - lo) > 1e-12
    prices = np.repeat(grid, np.where(steps, 2, 1))
    vols = np.column_stack([lo, hi]).ravel()[np.column_stack([steps, np.ones(len(grid), bool)]).ravel()]
    return prices, vols


def read_order_csv(path: str | Path, periods: pd.DatetimeIndex, *, rules: ExchangeRules = EPEX_DAY_AHEAD,
                   portfolio: str = DEFAULT_PORTFOLIO) -> OrderBook:  # fmt: skip
    """Read and check an order book CSV (layout of the module docstring).

    Raises
    ------
    OrderBookError
        A file that cannot be read, a missing column, an unreadable timestamp or number
        (naming the line as an editor shows it), or a broken rule (:meth:`OrderBook.validate`).
    """
    p = Path(path)
    if not p.exists() or p.is_dir():
        raise OrderBookError(f"{p}: no such order book file.")
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise OrderBookError(f"{p}: not a CSV order book ({e}).") from None
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise OrderBookError(f"{p}, line 1: missing column(s) {missing}; the layout is {','.join(COLUMNS)}.")
    lines = np.arange(len(raw)) + 2  # line 1 is the header
    out = raw[COLUMNS].copy()
    for c in ("period_start", "period_end"):
        parsed = pd.to_datetime(out[c], utc=True, errors="coerce", format="ISO8601")
        bad = parsed.isna() | ~out[c].str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise OrderBookError(f"{p}, line {lines[i]}: column {c}: {raw[c].iloc[i]!r} is not an ISO 8601 instant "
                                 "with its offset (e.g. 2015-04-11T22:00:00+00:00).")  # fmt: skip
        out[c] = parsed
    for c in ("price_eur_mwh", "volume_mw"):
        num = pd.to_numeric(out[c], errors="coerce")
        if num.isna().any():
            i = int(np.flatnonzero(num.isna().to_numpy())[0])
            raise OrderBookError(f"{p}, line {lines[i]}: column {c}: {raw[c].iloc[i]!r} is not a number.")
        out[c] = num.astype(float)
    out.attrs["lines"] = lines
    return OrderBook(out, periods, rules, portfolio, source=str(p)).validate()
