"""Shared style of every figure and tile: colours, the local time axis, headline tiles.

Times are shown in the market's local timezone (:mod:`bvp_lib.market.clock`); power in
MW (production positive, consumption negative), prices in EUR/MWh, energy and SoC in
MWh, money in EUR.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import pandas as pd

COLORS = {"baseline": "#9aa5b1", "schedule": "#1f77b4", "perfect": "#2ca02c", "forecast": "#ff7f0e",
          "actual": "#333333", "price": "#6a3d9a"}  # fmt: skip


def local_index(index: pd.DatetimeIndex, tz: str) -> pd.DatetimeIndex:
    return index.tz_convert(tz)


def time_axis(ax, tz: str) -> None:
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax.set_xlabel(f"time [{tz}]")
    ax.grid(alpha=0.3)


def headline_html(headline: dict) -> str:
    """The headline numbers as HTML tiles (for IPython.display.HTML)."""
    import html as _html

    tiles = "".join(
        f"<div>{_html.escape(str(k))}<b>{_html.escape(_fmt(v, k))}</b></div>" for k, v in headline.items()
    )
    return f"<div class='bvp-headline'>{tiles}</div>"


def _fmt(v, key: str = "") -> str:
    """A tile's number, rounded for its unit (the ``[unit]`` of its key)."""
    from bvp_lib.reporting.tables import decimals_for, format_value, unit_of_label

    if v is None:
        return "n/a"
    if isinstance(v, float):
        return format_value(v, decimals_for([v], unit_of_label(key)))
    return str(v)
