"""Explore what the database holds: the portfolio, data coverage, typical days, prices.

Functions return DataFrames or matplotlib Figures; ``notebooks/01-explore-data.ipynb``
calls them. Power [MW] production positive, consumption negative; prices [EUR/MWh];
"days" are local days in the market's timezone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bvp_lib.beliefs import load_beliefs
from bvp_lib.db.engine import transaction
from bvp_lib.market.clock import market_timezone

SEASONS = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring",
           6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}  # fmt: skip


def portfolio(bind=None) -> pd.DataFrame:
    """One row per asset: name, type, owner, connection point, capacity [MW], location,
    energy capacity [MWh], shiftable share."""
    with transaction(bind) as c:
        rows = c.execute(sa.text(
            "SELECT a.name AS asset, a.asset_type_name AS type, o.name AS owner, cp.name AS connection_point, "
            "a.capacity_mw, a.latitude, a.longitude, a.energy_capacity_mwh, a.shiftable_share "
            "FROM assets a JOIN owners o ON o.id = a.owner_id LEFT JOIN connection_points cp "
            "ON cp.id = a.connection_point_id ORDER BY a.asset_type_name, a.name")).all()  # fmt: skip
    return pd.DataFrame(rows, columns=["asset", "type", "owner", "connection_point", "capacity_mw", "latitude",
                                       "longitude", "energy_capacity_mwh", "shiftable_share"])  # fmt: skip


def portfolio_summary(assets: pd.DataFrame) -> pd.DataFrame:
    """Assets and capacity [MW] per type and owner."""
    return assets.pivot_table(index="type", columns="owner", values="capacity_mw", aggfunc=["count", "sum"],
                              fill_value=0).round(2)  # fmt: skip


def coverage(start, end, *, tz: str | None = None, bind=None) -> pd.DataFrame:
    """Share of expected steps with data per sensor (rows) and local day (columns), 0..1."""
    tz = market_timezone(tz)
    with transaction(bind) as c:
        rows = c.execute(sa.text(
            "SELECT s.name, date_trunc('day', b.event_start AT TIME ZONE :tz) AS day, count(DISTINCT b.event_start) AS n, "
            "extract(epoch FROM s.event_resolution) AS res FROM timed_beliefs b JOIN sensors s ON s.id = b.sensor_id "
            "JOIN data_sources d ON d.id = b.source_id WHERE d.type NOT IN ('forecaster', 'scheduler') "
            "AND b.event_start >= :a AND b.event_start < :b GROUP BY 1, 2, 4"),
            {"tz": tz, "a": pd.Timestamp(start).tz_convert("UTC"), "b": pd.Timestamp(end).tz_convert("UTC")}).all()  # fmt: skip
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows, columns=["sensor", "day", "n", "res"])
    days = pd.to_datetime(df["day"]).dt.date
    hours = [(pd.Timestamp(d + pd.Timedelta(days=1)).tz_localize(tz) - pd.Timestamp(d).tz_localize(tz)).total_seconds()
             for d in days]  # fmt: skip
    df["share"] = df["n"] / (np.array(hours) / df["res"].astype(float))
    df["day"] = days
    return df.pivot_table(index="sensor", columns="day", values="share", fill_value=0.0)


def gaps(cov: pd.DataFrame, threshold: float = 0.999) -> pd.DataFrame:
    """Days with incomplete data per sensor."""
    s = cov.stack()
    s = s[s < threshold]
    return s.rename("share").reset_index()


def typical_days(sensor: str, start, end, *, tz: str | None = None, bind=None) -> pd.DataFrame:
    """Mean daily profile [sensor unit] by season and weekday/weekend: index hour of the local day."""
    tz = market_timezone(tz)
    df = load_beliefs(sensor, start, end, source_types=["measurement", "user import"], most_recent=True, bind=bind)
    if df.empty:
        raise ValueError(f"No data for {sensor} between {start} and {end}.")
    t = df["event_start"].dt.tz_convert(tz)
    key = pd.DataFrame({
        "hour": t.dt.hour + t.dt.minute / 60,
        "profile": t.dt.month.map(SEASONS) + np.where(t.dt.weekday >= 5, " weekend", " weekday"),
        "value": df["value"].to_numpy(),
    })  # fmt: skip
    return key.pivot_table(index="hour", columns="profile", values="value", aggfunc="mean")


def prices(market: str, start, end, *, bind=None) -> pd.Series:
    """Realised day-ahead prices [EUR/MWh] of ``market`` (measurements, not forecasts)."""
    from bvp_lib.beliefs import load_series

    return load_series(market, start, end, source_types=["measurement", "user import"], bind=bind)


def price_statistics(prices: pd.Series, tz: str | None = None) -> dict:
    """Mean, min, max [EUR/MWh], negative hours [h] and mean daily spread (max − min) [EUR/MWh]."""
    tz = market_timezone(tz)
    h = (prices.index[1] - prices.index[0]) / pd.Timedelta("1h") if len(prices) > 1 else 1.0
    daily = prices.groupby(prices.index.tz_convert(tz).date)
    return {
        "mean [EUR/MWh]": round(float(prices.mean()), 2),
        "min [EUR/MWh]": round(float(prices.min()), 2),
        "max [EUR/MWh]": round(float(prices.max()), 2),
        "negative hours [h]": float((prices < 0).sum() * h),
        "mean daily spread [EUR/MWh]": round(float((daily.max() - daily.min()).mean()), 2),
    }
