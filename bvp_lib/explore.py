"""Explore what the database holds: the portfolio, data coverage, typical days, prices.

Functions return DataFrames or matplotlib Figures; ``notebooks/01-explore-data.ipynb``
calls them. Power [MW] production positive, consumption negative; prices [EUR/MWh];
"days" are local days in the market's timezone.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sqlalchemy as sa

from bvp_lib.beliefs import load_beliefs
from bvp_lib.db.engine import transaction

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


def map_figure(assets: pd.DataFrame):
    """Asset locations (longitude, latitude), marker area ∝ capacity, colour by type."""
    fig, ax = plt.subplots(figsize=(6, 6))
    for t, g in assets.groupby("type"):
        ax.scatter(g["longitude"], g["latitude"], s=30 + 40 * g["capacity_mw"].clip(upper=10), alpha=0.7, label=t)
    ax.set_xlabel("longitude [°E]")
    ax.set_ylabel("latitude [°N]")
    ax.set_aspect(1 / np.cos(np.deg2rad(assets["latitude"].mean() if len(assets) else 51)))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("asset locations (marker size: capacity)")
    fig.tight_layout()
    return fig


def coverage(start, end, *, tz: str = "Europe/Berlin", bind=None) -> pd.DataFrame:
    """Share of expected steps with data per sensor (rows) and local day (columns), 0..1."""
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


def coverage_figure(cov: pd.DataFrame):
    """Heat map of data coverage: which sensor has data when (1 = complete day)."""
    fig, ax = plt.subplots(figsize=(11, 0.25 * max(len(cov), 4) + 1.5))
    im = ax.imshow(cov.to_numpy(), aspect="auto", interpolation="nearest", cmap="viridis", vmin=0, vmax=1)
    ax.set_yticks(range(len(cov)), cov.index, fontsize=7)
    step = max(1, len(cov.columns) // 12)
    ax.set_xticks(range(0, len(cov.columns), step), [str(d) for d in cov.columns[::step]], rotation=45, fontsize=7)
    ax.set_xlabel("local day [date]")
    ax.set_ylabel("sensor [-]")
    fig.colorbar(im, ax=ax, label="share of steps with data [-]")
    fig.tight_layout()
    return fig


def gaps(cov: pd.DataFrame, threshold: float = 0.999) -> pd.DataFrame:
    """Days with incomplete data per sensor."""
    s = cov.stack()
    s = s[s < threshold]
    return s.rename("share").reset_index()


def typical_days(sensor: str, start, end, *, tz: str = "Europe/Berlin", bind=None) -> pd.DataFrame:
    """Mean daily profile [sensor unit] by season and weekday/weekend: index hour of the local day."""
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


def typical_days_figure(profiles: pd.DataFrame, sensor: str, unit: str = "MW"):
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for c in profiles.columns:
        ax.plot(profiles.index, profiles[c], label=c, ls="--" if "weekend" in c else "-")
    ax.set_xlabel("hour of the local day [h]")
    ax.set_ylabel(f"{sensor} [{unit}]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def prices(market: str, start, end, *, bind=None) -> pd.Series:
    """Realised day-ahead prices [EUR/MWh] of ``market`` (measurements, not forecasts)."""
    from bvp_lib.beliefs import load_series

    return load_series(market, start, end, source_types=["measurement", "user import"], bind=bind)


def price_statistics(prices: pd.Series, tz: str = "Europe/Berlin") -> dict:
    """Mean, min, max [EUR/MWh], negative hours [h] and mean daily spread (max − min) [EUR/MWh]."""
    h = (prices.index[1] - prices.index[0]) / pd.Timedelta("1h") if len(prices) > 1 else 1.0
    daily = prices.groupby(prices.index.tz_convert(tz).date)
    return {
        "mean [EUR/MWh]": round(float(prices.mean()), 2),
        "min [EUR/MWh]": round(float(prices.min()), 2),
        "max [EUR/MWh]": round(float(prices.max()), 2),
        "negative hours [h]": float((prices < 0).sum() * h),
        "mean daily spread [EUR/MWh]": round(float((daily.max() - daily.min()).mean()), 2),
    }


def price_figure(prices: pd.Series, tz: str = "Europe/Berlin"):
    """Price distribution and daily spread."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.5))
    a.hist(prices.to_numpy(), bins=60, color="#6a3d9a")
    a.axvline(0, color="k", lw=0.6)
    a.set_xlabel("day-ahead price [EUR/MWh]")
    a.set_ylabel("hours [h]")
    daily = prices.groupby(prices.index.tz_convert(tz).date)
    spread = daily.max() - daily.min()
    b.plot(pd.to_datetime(spread.index), spread.to_numpy(), color="#6a3d9a")
    b.set_xlabel("local day [date]")
    b.set_ylabel("daily spread max − min [EUR/MWh]")
    b.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
