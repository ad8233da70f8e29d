"""EV charging stations: charging sessions calibrated on SimBench charging profiles.

SimBench ships 15-minute active-power profiles of single charge points for 2016:
``HLS_*`` (home charging, "Heimladestation") and ``APLS_*`` (workplace charging,
"Arbeitsplatzladestation"), named by their rated power in kW and normalised to their
maximum. :func:`detect_sessions` cuts each profile into charging runs (consecutive
quarter-hours with power > 0.1 % of the maximum); :func:`calibrate` pools the runs of a
station kind into

* the clock times at which charging starts, separately for working days and for
  Saturdays, Sundays and public holidays,
* the number of sessions per charge point and day of either kind,
* the energy charged per session [kWh] (profile energy x rated power).

The profiles show when cars charge, not when they leave. Dwell times are stated
assumptions per kind (see :data:`DWELL`); a dwell is lengthened where needed so that
every session is feasible: ``energy <= 0.9 * max_power * dwell``. Public stations have
no SimBench profile: they use the home runs that start between 07:00 and 21:00, twice
the home session rate, and the pooled home and workplace energies (an assumption).

:func:`sample_sessions` draws sessions per charge point with a seeded
:class:`numpy.random.Generator`; the sessions of one point never overlap.
:func:`baseline_power` is the demand without flexibility: each car charges at its
maximum power from arrival until its energy is delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from bvp_lib.data import SOURCE_TIMEZONE

LOCAL_TIMEZONE = SOURCE_TIMEZONE
FEASIBILITY_MARGIN = 0.9  # energy <= margin * max_power * dwell
QUARTER = pd.Timedelta(minutes=15)

#: SimBench profiles per station kind, with their rated power [kW].
KIND_PROFILES = {
    "home": {"HLS_A_3.7": 3.7, "HLS_B_3.7": 3.7, "HLS_C_3.7": 3.7, "HLS_A_11.0": 11.0, "HLS_B_11.0": 11.0, "HLS_A_22.0": 22.0},
    "workplace": {"APLS_A_3.7": 3.7, "APLS_B_3.7": 3.7, "APLS_A_11.0": 11.0, "APLS_B_11.0": 11.0, "APLS_A_22.0": 22.0, "APLS_A_50.0": 50.0},
}  # fmt: skip

#: Dwell-time assumptions per kind (hours unless stated).
DWELL = {
    "home": {"overnight_from_hour": 15, "leave_next_day_between": (6.0, 8.5), "short_dwell": (1.5, 5.0)},
    "workplace": {"working_day": (7.5, 9.5), "other_day": (2.0, 5.0)},
    "public": {"median": 1.5, "sigma": 0.5, "bounds": (0.5, 4.0)},
}

#: Car batteries of bidirectional stations [kWh] and their shares.
BATTERY_KWH = (np.array([40.0, 50.0, 64.0, 77.0]), np.array([0.3, 0.3, 0.25, 0.15]))
SOC_AT_ARRIVAL = (0.2, 0.5)  # share of battery capacity, uniform
MIN_SESSION_KWH = 1.0


@dataclass(frozen=True)
class EvCalibration:
    """Session statistics of one station kind.

    Attributes
    ----------
    kind : str
        ``"home"``, ``"workplace"`` or ``"public"``.
    start_minutes : dict
        ``{"working": array, "other": array}``: clock minute of the day [min] at which
        sessions start, on working days and on other days (weekends, holidays).
    sessions_per_day : dict
        ``{"working": float, "other": float}``: sessions per charge point and day [1/d].
    energy_kwh : numpy.ndarray
        Energy charged per session [kWh].
    """

    kind: str
    start_minutes: dict
    sessions_per_day: dict
    energy_kwh: np.ndarray

    def summary(self) -> dict:
        """Plain numbers for the manifest and data/README.md."""
        q = np.quantile(self.energy_kwh, [0.1, 0.5, 0.9])
        return {
            "kind": self.kind,
            "sessions_per_point_day_working": round(float(self.sessions_per_day["working"]), 4),
            "sessions_per_point_day_other": round(float(self.sessions_per_day["other"]), 4),
            "energy_kwh_p10_p50_p90": [round(float(v), 3) for v in q],
            "median_start_hour_working": round(float(np.median(self.start_minutes["working"])) / 60, 2),
            "n_sessions_observed": int(len(self.energy_kwh)),
        }


def _is_working_day(local_dates: pd.DatetimeIndex, holidays: list) -> np.ndarray:
    return (local_dates.weekday < 5) & ~local_dates.isin(pd.to_datetime(holidays))


def detect_sessions(profile: pd.Series, rated_kw: float, threshold: float = 1e-3) -> pd.DataFrame:
    """Cut a normalised charge-point profile into charging runs.

    Parameters
    ----------
    profile : pandas.Series
        Quarter-hourly power [p.u. of ``rated_kw``], tz-aware index, consecutive.
    rated_kw : float
        Rated power of the charge point [kW].
    threshold : float
        Power above which the point counts as charging [p.u.].

    Returns
    -------
    pandas.DataFrame
        One row per run: ``start`` (tz-aware, local), ``duration_h`` [h],
        ``energy_kwh`` [kWh].
    """
    x = np.clip(profile.to_numpy(float), 0.0, None)
    on = x > threshold
    starts = np.flatnonzero(on & ~np.r_[False, on[:-1]])
    ends = np.flatnonzero(on & ~np.r_[on[1:], False]) + 1
    cumulative = np.r_[0.0, np.cumsum(x)]
    energy = cumulative[ends] - cumulative[starts]
    return pd.DataFrame(
        {
            "start": profile.index[starts].tz_convert(LOCAL_TIMEZONE),
            "duration_h": (ends - starts) * 0.25,
            "energy_kwh": energy * 0.25 * rated_kw,
        }
    )


def calibrate(profiles: pd.DataFrame, kind: str, holidays: list) -> EvCalibration:
    """Session statistics of a station kind from SimBench charge-point profiles.

    Parameters
    ----------
    profiles : pandas.DataFrame
        SimBench profiles (tz-aware quarter-hourly index of one year) with the columns
        of :data:`KIND_PROFILES` (see
        :func:`bvp_lib.data.generate_buildings.read_simbench_profiles`).
    kind : str
        ``"home"``, ``"workplace"`` or ``"public"`` (derived from home and workplace).
    holidays : list of datetime.date
        Public holidays of the profiles' year.

    Returns
    -------
    EvCalibration
    """
    if kind == "public":
        home, work = calibrate(profiles, "home", holidays), calibrate(profiles, "workplace", holidays)
        daytime = {k: v[(v >= 7 * 60) & (v < 21 * 60)] for k, v in home.start_minutes.items()}
        rate = {k: 2.0 * v for k, v in home.sessions_per_day.items()}
        return EvCalibration("public", daytime, rate, np.concatenate([home.energy_kwh, work.energy_kwh]))
    if kind not in KIND_PROFILES:
        raise ValueError(f"Unknown station kind {kind!r}; use one of {sorted(KIND_PROFILES) + ['public']}.")
    runs = pd.concat(
        [detect_sessions(profiles[name], kw) for name, kw in KIND_PROFILES[kind].items()], ignore_index=True
    )
    local = pd.DatetimeIndex(runs["start"])
    working = _is_working_day(local.tz_localize(None).normalize(), holidays)
    minutes = (local.hour * 60 + local.minute).to_numpy(float)
    days = pd.DatetimeIndex(profiles.index.tz_convert(LOCAL_TIMEZONE).tz_localize(None).normalize().unique())
    n_working = int(_is_working_day(days, holidays).sum())
    n_points = len(KIND_PROFILES[kind])
    rate = {
        "working": working.sum() / (n_points * n_working),
        "other": (~working).sum() / (n_points * (len(days) - n_working)),
    }
    return EvCalibration(
        kind,
        {"working": minutes[working], "other": minutes[~working]},
        rate,
        runs["energy_kwh"].to_numpy(float),
    )


@dataclass(frozen=True)
class EvStation:
    """One charging-station asset.

    Attributes
    ----------
    name : str
        Asset name.
    kind : str
        ``"home"``, ``"workplace"`` or ``"public"``.
    n_points : int
        Charge points (one car at a time each).
    point_power_kw : float
        Maximum charging power of one point [kW].
    bidirectional : bool
        Cars can feed back (vehicle-to-grid); sessions then carry battery capacity and
        state of charge at arrival.
    subdivision : str or None
        German state for public holidays.
    """

    name: str
    kind: str
    n_points: int
    point_power_kw: float
    bidirectional: bool = False
    subdivision: str | None = None

    @property
    def capacity_mw(self) -> float:
        """All points at full power [MW]."""
        return self.n_points * self.point_power_kw / 1000.0


def _dwell_hours(kind: str, arrival_local: pd.DatetimeIndex, working: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(arrival_local)
    hour = (arrival_local.hour + arrival_local.minute / 60).to_numpy(float)
    if kind == "home":
        d = DWELL["home"]
        leave = rng.uniform(*d["leave_next_day_between"], n)
        short = rng.uniform(*d["short_dwell"], n)
        return np.where(hour >= d["overnight_from_hour"], 24.0 - hour + leave, short)
    if kind == "workplace":
        d = DWELL["workplace"]
        return np.where(working, rng.uniform(*d["working_day"], n), rng.uniform(*d["other_day"], n))
    d = DWELL["public"]
    return np.clip(d["median"] * np.exp(d["sigma"] * rng.standard_normal(n)), *d["bounds"])


def sample_sessions(
    station: EvStation,
    calibration: EvCalibration,
    start: pd.Timestamp,
    end: pd.Timestamp,
    holidays: list,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Draw a station's charging sessions between ``start`` and ``end``.

    Parameters
    ----------
    station : EvStation
        The station.
    calibration : EvCalibration
        Statistics of the station's kind (see :func:`calibrate`).
    start, end : pandas.Timestamp
        Period (tz-aware); sessions arrive at or after ``start`` and leave by ``end``.
    holidays : list of datetime.date
        Public holidays at the station within the period.
    rng : numpy.random.Generator
        Random numbers (seeded by the caller).

    Returns
    -------
    pandas.DataFrame
        Columns ``asset``, ``session_key``, ``arrival``, ``departure`` (UTC, on
        quarter-hours), ``energy_mwh`` [MWh], ``max_power_mw`` [MW],
        ``battery_capacity_mwh`` and ``soc_at_arrival_mwh`` [MWh] (NaN unless
        bidirectional), sorted by arrival. Every session satisfies
        ``energy_mwh <= 0.9 * max_power_mw * dwell_h`` and, if bidirectional,
        ``soc_at_arrival_mwh + energy_mwh <= battery_capacity_mwh``.
    """
    days = pd.date_range(start.tz_convert(LOCAL_TIMEZONE).tz_localize(None).normalize(),
                         end.tz_convert(LOCAL_TIMEZONE).tz_localize(None).normalize(), freq="D", inclusive="left")  # fmt: skip
    working = _is_working_day(days, holidays)
    rate = np.where(working, calibration.sessions_per_day["working"], calibration.sessions_per_day["other"])
    counts = rng.poisson(np.tile(rate, station.n_points))
    point = np.repeat(np.repeat(np.arange(station.n_points), len(days)), counts)
    day_idx = np.repeat(np.tile(np.arange(len(days)), station.n_points), counts)
    is_working = working[day_idx]
    n = len(point)
    minute = np.where(
        is_working,
        rng.choice(calibration.start_minutes["working"], n),
        rng.choice(calibration.start_minutes["other"], n),
    ) + rng.uniform(-7.5, 7.5, n)
    minute = np.clip(minute, 0, 24 * 60 - 1)
    wall = days[day_idx] + pd.to_timedelta(minute, unit="min")
    arrival_local = wall.tz_localize(LOCAL_TIMEZONE, ambiguous=np.ones(n, dtype=bool), nonexistent="shift_forward")
    arrival = arrival_local.tz_convert("UTC").floor("15min")
    dwell = _dwell_hours(station.kind, arrival_local, is_working, rng)
    energy_kwh = np.maximum(rng.choice(calibration.energy_kwh, n), MIN_SESSION_KWH)
    battery = soc = np.full(n, np.nan)
    if station.bidirectional:
        battery = rng.choice(BATTERY_KWH[0], n, p=BATTERY_KWH[1])
        soc = rng.uniform(*SOC_AT_ARRIVAL, n) * battery
        energy_kwh = np.minimum(energy_kwh, 0.95 * battery - soc)
    power_kw = np.full(n, float(station.point_power_kw))
    need_h = energy_kwh / (FEASIBILITY_MARGIN * power_kw)
    departure = (arrival + pd.to_timedelta(np.maximum(dwell, need_h), unit="h")).ceil("15min")
    departure = departure.where(departure > arrival, arrival + QUARTER)

    # One car per point: drop a session that arrives before the point's previous car has left.
    order = np.lexsort((arrival.asi8, point))
    keep = np.zeros(n, dtype=bool)
    last_point, free_at = -1, np.iinfo(np.int64).min
    arr_ns, dep_ns = arrival.asi8, departure.asi8
    for i in order:
        if point[i] != last_point:
            last_point, free_at = point[i], np.iinfo(np.int64).min
        if arr_ns[i] >= free_at:
            keep[i] = True
            free_at = dep_ns[i]
    keep &= (arrival >= start) & (departure <= end)

    out = pd.DataFrame(
        {
            "asset": station.name,
            "arrival": arrival[keep],
            "departure": departure[keep],
            "energy_mwh": np.round(energy_kwh[keep] / 1000.0, 6),
            "max_power_mw": power_kw[keep] / 1000.0,
            "battery_capacity_mwh": battery[keep] / 1000.0,
            "soc_at_arrival_mwh": np.round(soc[keep] / 1000.0, 6),
            "_point": point[keep],
        }
    ).sort_values(["arrival", "_point"], kind="stable", ignore_index=True)
    out.insert(1, "session_key", [f"{station.name}-{i:05d}" for i in range(len(out))])
    return out.drop(columns="_point")


def baseline_power(sessions: pd.DataFrame, index: pd.DatetimeIndex) -> pd.Series:
    """Charging demand without flexibility: full power from arrival until the energy is in.

    Parameters
    ----------
    sessions : pandas.DataFrame
        ``arrival`` (on the quarter-hours of ``index``), ``energy_mwh`` [MWh],
        ``max_power_mw`` [MW].
    index : pandas.DatetimeIndex
        Quarter-hour starts (UTC) covering all sessions.

    Returns
    -------
    pandas.Series
        Power [MW], consumption negative. A session with energy :math:`E` and maximum
        power :math:`P` draws :math:`P` for :math:`\\lfloor E / (P \\Delta t) \\rfloor`
        quarter-hours and the remainder in the next one; the series' energy
        :math:`-\\sum P_t \\Delta t` equals :math:`\\sum E`.
    """
    n = len(index)
    pos = index.get_indexer(pd.DatetimeIndex(sessions["arrival"]))
    if (pos < 0).any():
        raise ValueError("A session arrives off the quarter-hour grid or outside the index.")
    e = sessions["energy_mwh"].to_numpy(float)
    p = sessions["max_power_mw"].to_numpy(float)
    full = np.floor(e / (p * 0.25) + 1e-9).astype(int)
    rest = np.clip(e - full * p * 0.25, 0.0, None) / 0.25
    step = np.zeros(n + 1)
    np.add.at(step, pos, p)
    np.add.at(step, pos + full, -p)
    np.add.at(step, pos + full, rest)
    np.add.at(step, np.minimum(pos + full + 1, n), -rest)
    return pd.Series(-np.cumsum(step)[:n], index=index, name="power")
