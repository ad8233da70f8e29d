"""Synthetic but realistic series for tests, examples and benchmarks (seeded, deterministic).

Weather is hourly (like the DWD test reference year); assets are 15-minute, prices hourly.
Signs follow the platform: production positive, consumption negative [MW].

* weather: temperature [°C] (annual and daily cycle + AR(1) anomaly), wind speed [m s-1]
  at 10 m (log-AR(1), Weibull-like), GHI [W m-2] (pvlib clear sky x an AR(1) cloud factor);
* solar [MW]: capacity x GHI / 1000 W m-2 x temperature derating, zero at night;
* wind [MW]: a turbine power curve of the hub-height wind speed, scaled to capacity;
* building [MW, negative]: base load + office hours on workdays + heating below 15 °C;
* charging station [MW, negative]: random sessions, more by day and on workdays;
* price [EUR/MWh]: daily/weekly shape, lower with wind and sun, AR(1) noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from bvp_lib.forecasting.calendar import day_type, local_parts
from bvp_lib.forecasting.physical import clearsky_ghi, power_curve_feature, solar_geometry
from bvp_lib.market.clock import market_timezone


def _ar1(n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    path, _ = lfilter([np.sqrt(1 - phi**2)], [1.0, -phi], rng.standard_normal(n), zi=[phi * rng.standard_normal()])
    return path


def _index(start, end, freq: str, tz: str | None = None) -> pd.DatetimeIndex:
    tz = market_timezone(tz)
    s = pd.Timestamp(start).tz_localize(tz) if pd.Timestamp(start).tz is None else pd.Timestamp(start)
    e = pd.Timestamp(end).tz_localize(tz) if pd.Timestamp(end).tz is None else pd.Timestamp(end)
    return pd.date_range(s.tz_convert("UTC"), e.tz_convert("UTC"), freq=freq, inclusive="left")


def synthetic_weather(
    start="2015-01-01", end="2016-01-01", seed: int = 0, latitude: float = 52.5, longitude: float = 13.4
) -> pd.DataFrame:
    """Hourly measured weather: columns ``temperature`` [°C], ``wind_speed`` [m s-1, 10 m],
    ``ghi`` [W m-2]; tz-aware UTC index of event starts."""
    idx = _index(start, end, "1h")
    n = len(idx)
    rng = np.random.default_rng([seed, 1])
    doy = idx.dayofyear.to_numpy()
    hour = idx.hour.to_numpy() + 1  # ~ local solar time in Germany
    season = -np.cos(2 * np.pi * (doy - 15) / 365.25)
    temperature = 9 + 9 * season + 4 * np.sin(2 * np.pi * (hour - 9) / 24) + 3.5 * _ar1(n, 0.97, rng)
    wind = np.exp(np.log(4.0) - 0.1 * season + 0.55 * _ar1(n, 0.96, rng))
    zen, _ = solar_geometry(idx.asi8 + 1_800 * 10**9, latitude, longitude)
    cloud = np.clip(0.65 + 0.3 * _ar1(n, 0.9, rng), 0.05, 1.0)
    ghi = clearsky_ghi(zen) * cloud
    return pd.DataFrame({"temperature": temperature, "wind_speed": wind, "ghi": ghi}, index=idx)


def _to_15min(hourly: pd.Series, idx: pd.DatetimeIndex) -> np.ndarray:
    return hourly.reindex(hourly.index.union(idx)).interpolate("time").reindex(idx).ffill().bfill().to_numpy()


def synthetic_solar(weather: pd.DataFrame, capacity_mw: float = 5.0, seed: int = 0, name: str = "solar") -> pd.Series:
    """15-minute PV production [MW, >= 0] from hourly weather."""
    idx = _index(weather.index[0], weather.index[-1] + pd.Timedelta("1h"), "15min")
    rng = np.random.default_rng([seed, 2])
    ghi = _to_15min(weather["ghi"], idx)
    temp = _to_15min(weather["temperature"], idx)
    p = capacity_mw * ghi / 1000.0 * (1 - 0.004 * (temp + 0.03 * ghi - 25))
    p = p * (1 + 0.03 * rng.standard_normal(len(idx)))
    return pd.Series(np.clip(np.where(ghi > 0, p, 0.0), 0.0, capacity_mw), index=idx, name=name)


def synthetic_wind(weather: pd.DataFrame, capacity_mw: float = 3.05, seed: int = 0, name: str = "wind") -> pd.Series:
    """15-minute wind production [MW, >= 0]: power curve of hub-height wind speed."""
    idx = _index(weather.index[0], weather.index[-1] + pd.Timedelta("1h"), "15min")
    rng = np.random.default_rng([seed, 3])
    ws = np.clip(_to_15min(weather["wind_speed"], idx) * (1 + 0.05 * _ar1(len(idx), 0.8, rng)), 0, None)
    p = capacity_mw * power_curve_feature(ws, {})
    return pd.Series(np.clip(p, 0.0, capacity_mw), index=idx, name=name)


def synthetic_building(
    weather: pd.DataFrame, peak_mw: float = 0.5, seed: int = 0, name: str = "building", tz: str | None = None
) -> pd.Series:
    """15-minute building load [MW, negative: consumption] with a weekly pattern."""
    tz = market_timezone(tz)
    idx = _index(weather.index[0], weather.index[-1] + pd.Timedelta("1h"), "15min")
    rng = np.random.default_rng([seed, 4])
    parts = local_parts(idx.asi8, tz)
    dtype = day_type(idx.asi8, tz, "DE")
    h = parts["hour"]
    office = np.clip(np.sin(np.pi * (h - 7) / 11), 0, None) * np.where(
        dtype == 0, 1.0, np.where(dtype == 1, 0.25, 0.05)
    )
    heating = np.clip(15 - _to_15min(weather["temperature"], idx), 0, None) / 25
    load = peak_mw * (0.25 + 0.55 * office + 0.2 * heating) * (1 + 0.04 * _ar1(len(idx), 0.7, rng))
    return pd.Series(-np.clip(load, 0.0, None), index=idx, name=name)


def synthetic_charging(
    start="2015-01-01", end="2016-01-01", seed: int = 0, name: str = "charging", tz: str | None = None,
    max_power_mw: float = 0.022,
) -> pd.Series:  # fmt: skip
    """15-minute charging demand [MW, negative] of random sessions (by day, mostly workdays)."""
    tz = market_timezone(tz)
    idx = _index(start, end, "15min")
    n = len(idx)
    rng = np.random.default_rng([seed, 5])
    parts = local_parts(idx.asi8, tz)
    rate = 0.08 * np.exp(-0.5 * ((parts["hour"] - 9) / 2.5) ** 2) + 0.05 * np.exp(
        -0.5 * ((parts["hour"] - 17) / 2) ** 2
    )
    rate = rate * np.where(day_type(idx.asi8, tz, "DE") == 0, 1.0, 0.4)
    arrivals = np.flatnonzero(rng.random(n) < rate)
    durations = rng.integers(4, 16, len(arrivals))  # 1 h to 4 h
    power = rng.uniform(0.4, 1.0, len(arrivals)) * max_power_mw
    demand = np.zeros(n + 20)
    for k in range(16):  # at most 16 steps per session: vectorised over sessions
        on = durations > k
        np.add.at(demand, arrivals[on] + k, power[on])
    return pd.Series(-demand[:n], index=idx, name=name)


def synthetic_prices(weather: pd.DataFrame, seed: int = 0, name: str = "price", tz: str | None = None) -> pd.Series:
    """Hourly day-ahead prices [EUR/MWh]: daily and weekly shape, lower with wind and sun."""
    tz = market_timezone(tz)
    idx = weather.index
    rng = np.random.default_rng([seed, 6])
    parts = local_parts(idx.asi8, tz)
    dtype = day_type(idx.asi8, tz, "DE")
    h = parts["hour"]
    shape = 8 * np.exp(-0.5 * ((h - 8.5) / 1.5) ** 2) + 10 * np.exp(-0.5 * ((h - 19) / 2) ** 2) - 6 * (h < 5)
    level = np.where(dtype == 0, 38.0, np.where(dtype == 1, 32.0, 27.0))
    price = level + shape - 2.2 * (weather["wind_speed"].to_numpy() - 4) - 0.012 * weather["ghi"].to_numpy()
    price = price + 5 * _ar1(len(idx), 0.9, rng)
    return pd.Series(price, index=idx, name=name)
