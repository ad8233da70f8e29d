"""EV charging station constraint families, vectorised over all sessions of all stations.

Notation: session k (of station a) is plugged in from arrival to departure; it covers
the steps j ∈ W_k that overlap [arrival, departure), and f[k, j] ∈ (0, 1] is the share
of step j during which the car is present (sessions may start or end mid-step).

* ch[k, j] ≥ 0 grid-side charging power, averaged over the step [MW];
* dis[k, j] ≥ 0 discharging power (bidirectional stations only) [MW];
* the station's net power is ``P[a, t] = Σ_k (dis[k, t] − ch[k, t])`` (charging
  negative);
* e[k, j] car SoC at the end of step j (bidirectional only) [MWh].

Power in a partial step is an average over the whole step: a car present for a share
f of the step at P^max can draw at most f · P^max on average.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from bvp_lib.scheduling.assets import ChargingStation
from bvp_lib.scheduling.complementarity import StoragePairs
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.lp import INF, LinearProgram
from bvp_lib.scheduling.timeseries import TimeGrid

REQUIRED = ("arrival", "departure", "energy", "max_power")


@dataclass(frozen=True)
class SessionArrays:
    """K sessions of all stations, and M (session, step) entries.

    Session-level arrays have shape (K,), entry-level ones (M,); entries of a session
    are contiguous and in step order (``first[k]`` … ``first[k] + count[k] − 1``).
    """

    station_names: list[str]
    session_ids: list
    station: np.ndarray  # asset index per session
    station_pos: np.ndarray  # position of the station among the stations
    energy: np.ndarray  # [MWh]
    energy_max: np.ndarray  # [MWh] most energy that may be delivered (unidirectional)
    max_power: np.ndarray  # [MW]
    capacity: np.ndarray  # [MWh] (NaN if unknown)
    soc_arrival: np.ndarray  # [MWh] (NaN if unknown)
    soc_min: np.ndarray  # [MWh]
    bidirectional: np.ndarray  # bool
    eta_c: np.ndarray
    eta_d: np.ndarray
    breach_price: np.ndarray  # [EUR/MWh] per session, NaN = strict
    first: np.ndarray
    count: np.ndarray
    entry_session: np.ndarray
    entry_step: np.ndarray
    entry_fraction: np.ndarray
    arrival: pd.DatetimeIndex
    departure: pd.DatetimeIndex

    @property
    def n(self) -> int:
        return len(self.station)


def _kwh(x: float) -> str:
    return f"{x * 1000:.6g}"


def _times(col: pd.Series, station: str, what: str) -> pd.DatetimeIndex:
    try:
        idx = pd.DatetimeIndex(col)
    except (TypeError, ValueError):
        raise SchedulingInputError(
            f"station {station}: session column {what!r} must hold timestamps", asset=station
        ) from None
    if idx.tz is None:
        raise SchedulingInputError(
            f"station {station}: session {what} times are naive; localise them (for example to UTC)",
            asset=station,
        )
    if idx.isna().any():
        k = col.index[np.flatnonzero(idx.isna())[0]]
        raise SchedulingInputError(f"session {k} at station {station} has no {what} time", asset=station)
    return idx.tz_convert("UTC")


def session_arrays(
    stations: Sequence[ChargingStation], asset_index: Sequence[int], grid: TimeGrid
) -> SessionArrays:
    """Check the sessions of all stations and lay them out on the grid.

    Raises
    ------
    SchedulingInputError
        Missing columns, sessions outside the horizon, or energy that cannot be
        delivered, e.g. ``"session 17 at station cs-03 needs 42 kWh between
        2015-04-12 18:00 and 18:30 UTC but can draw at most 11 kW (5.5 kWh in that
        time)"``.
    """
    parts = []
    for pos, (st, a) in enumerate(zip(stations, asset_index)):
        name = st.name
        df = st.sessions
        if not isinstance(df, pd.DataFrame):
            raise SchedulingInputError(f"station {name}: sessions must be a DataFrame", asset=name)
        missing = [c for c in REQUIRED if c not in df.columns]
        if missing:
            raise SchedulingInputError(
                f"station {name}: sessions need the column(s) {', '.join(missing)} "
                f"(have {', '.join(map(str, df.columns))})",
                asset=name,
            )
        eta_c, eta_d = float(st.charge_efficiency), float(st.discharge_efficiency)
        if not (0 < eta_c <= 1 and 0 < eta_d <= 1):
            raise SchedulingInputError(f"station {name}: efficiencies must be in (0, 1]", asset=name)
        if st.max_power is not None and not float(st.max_power) >= 0:
            raise SchedulingInputError(f"station {name}: max_power must be ≥ 0 MW", asset=name)
        if len(df) == 0:
            continue
        if df.index.has_duplicates:
            raise SchedulingInputError(f"station {name}: session ids (the index) must be unique", asset=name)
        arr = _times(df["arrival"], name, "arrival")
        dep = _times(df["departure"], name, "departure")
        num = {}
        for c in ("energy", "max_power", "capacity", "soc_at_arrival", "soc_min"):
            if c in df.columns:
                num[c] = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
            else:
                num[c] = np.full(len(df), np.nan)
        for c in ("energy", "max_power"):
            bad = np.flatnonzero(~np.isfinite(num[c]))
            if bad.size:
                raise SchedulingInputError(
                    f"session {df.index[bad[0]]} at station {name} has no valid {c}", asset=name, family="session_energy"
                )
        soc_min = np.where(np.isfinite(num["soc_min"]), num["soc_min"], 0.0)
        for i, k in enumerate(df.index):
            where = f"session {k} at station {name}"
            if dep[i] <= arr[i]:
                raise SchedulingInputError(
                    f"{where} departs ({dep[i]:%Y-%m-%d %H:%M} UTC) before it arrives ({arr[i]:%Y-%m-%d %H:%M} UTC)",
                    asset=name, family="session_energy",
                )
            if arr[i] < grid.start or dep[i] > grid.end:
                raise SchedulingInputError(
                    f"{where} ({arr[i]:%Y-%m-%d %H:%M} to {dep[i]:%Y-%m-%d %H:%M} UTC) lies partly outside the "
                    f"horizon {grid.start:%Y-%m-%d %H:%M} to {grid.end:%Y-%m-%d %H:%M} UTC; clip or drop it",
                    asset=name, family="session_energy",
                )
            e, pmax = num["energy"][i], num["max_power"][i]
            if e < 0 or pmax < 0:
                raise SchedulingInputError(
                    f"{where}: energy and max_power must be ≥ 0, got {e:g} MWh and {pmax:g} MW",
                    asset=name, family="session_energy",
                )
            hours = (dep[i] - arr[i]) / pd.Timedelta("1h")
            deliverable = eta_c * pmax * hours
            if e > deliverable * (1 + 1e-9) + 1e-12 and st.energy_breach_price is None:
                eff = "" if eta_c == 1 else f" at {eta_c:.0%} efficiency"
                raise SchedulingInputError(
                    f"{where} needs {_kwh(e)} kWh between {arr[i]:%Y-%m-%d %H:%M} and "
                    f"{dep[i]:%H:%M} UTC but can draw at most {_kwh(pmax)} kW "
                    f"({_kwh(deliverable)} kWh in that time{eff})",
                    asset=name, family="session_energy",
                )
            cap, s_arr = num["capacity"][i], num["soc_at_arrival"][i]
            if st.bidirectional and not (np.isfinite(cap) and np.isfinite(s_arr)):
                raise SchedulingInputError(
                    f"{where}: a bidirectional station needs the car's capacity and soc_at_arrival [MWh]",
                    asset=name, family="car_soc",
                )
            if np.isfinite(cap) and np.isfinite(s_arr):
                if s_arr < 0 or s_arr > cap:
                    raise SchedulingInputError(
                        f"{where}: SoC at arrival {_kwh(s_arr)} kWh outside the car battery capacity 0 to {_kwh(cap)} kWh",
                        asset=name, family="car_soc",
                    )
                if s_arr + e > cap * (1 + 1e-9) + 1e-12:
                    raise SchedulingInputError(
                        f"{where}: SoC at arrival {_kwh(s_arr)} kWh plus the {_kwh(e)} kWh needed exceeds the car "
                        f"battery capacity {_kwh(cap)} kWh",
                        asset=name, family="session_energy",
                    )
                if st.bidirectional and soc_min[i] > s_arr:
                    raise SchedulingInputError(
                        f"{where}: soc_min {_kwh(soc_min[i])} kWh above the SoC at arrival {_kwh(s_arr)} kWh",
                        asset=name, family="car_soc",
                    )
        has_room = np.isfinite(num["capacity"]) & np.isfinite(num["soc_at_arrival"])
        e_max = np.where(has_room, num["capacity"] - num["soc_at_arrival"], num["energy"])
        parts.append(
            dict(
                name=name,
                ids=list(df.index),
                station=np.full(len(df), a, np.int64),
                station_pos=np.full(len(df), pos, np.int64),
                energy=num["energy"],
                energy_max=np.maximum(e_max, num["energy"]),
                max_power=num["max_power"],
                capacity=num["capacity"],
                soc_arrival=num["soc_at_arrival"],
                soc_min=soc_min,
                bidirectional=np.full(len(df), bool(st.bidirectional)),
                eta_c=np.full(len(df), eta_c),
                eta_d=np.full(len(df), eta_d),
                breach_price=np.full(len(df), np.nan if st.energy_breach_price is None else float(st.energy_breach_price)),
                arrival=arr.asi8,
                departure=dep.asi8,
            )
        )
    cat = {
        key: (np.concatenate([p[key] for p in parts]) if parts else np.zeros(0))
        for key in ("station", "station_pos", "energy", "energy_max", "max_power", "capacity", "soc_arrival",
                    "soc_min", "bidirectional", "eta_c", "eta_d", "breach_price", "arrival", "departure")
    }
    station = cat["station"].astype(np.int64)
    arrival = cat["arrival"].astype(np.int64)
    departure = cat["departure"].astype(np.int64)
    # steps overlapping [arrival, departure): first = floor, last = ceil − 1
    t0, dt = grid.start.value, grid.resolution.value
    i0 = (arrival - t0) // dt
    i1 = -((t0 - departure) // dt) - 1
    count = (i1 - i0 + 1).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64) if count.size else np.zeros(0, np.int64)
    entry_session = np.repeat(np.arange(len(count)), count)
    entry_step = i0[entry_session] + (np.arange(entry_session.size) - first[entry_session])
    step_start = t0 + entry_step * dt
    overlap = np.minimum(departure[entry_session], step_start + dt) - np.maximum(arrival[entry_session], step_start)
    fraction = overlap / dt
    return SessionArrays(
        station_names=[p["name"] for p in parts for _ in p["ids"]],
        session_ids=[k for p in parts for k in p["ids"]],
        station=station,
        station_pos=cat["station_pos"].astype(np.int64),
        energy=cat["energy"],
        energy_max=cat["energy_max"],
        max_power=cat["max_power"],
        capacity=cat["capacity"],
        soc_arrival=cat["soc_arrival"],
        soc_min=cat["soc_min"],
        bidirectional=cat["bidirectional"].astype(bool),
        eta_c=cat["eta_c"],
        eta_d=cat["eta_d"],
        breach_price=cat["breach_price"],
        first=first,
        count=count,
        entry_session=entry_session.astype(np.int64),
        entry_step=entry_step.astype(np.int64),
        entry_fraction=fraction,
        arrival=pd.DatetimeIndex(arrival, tz="UTC"),
        departure=pd.DatetimeIndex(departure, tz="UTC"),
    )


def add_session_power(lp: LinearProgram, s: SessionArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Charging (and discharging) power per session and step (family ``session_power``).

    .. math::
        0 ≤ ch[k, j] ≤ f[k, j]\\, P^{max}_k, \\qquad
        0 ≤ dis[k, j] ≤ f[k, j]\\, P^{max}_k \\ \\text{(bidirectional only)} \\quad [MW]

    .. math::
        P[a, t] \\mathrel{+}= dis[k, t] − ch[k, t]

    Returns the indices of ch (one per entry), of dis and the entries they belong to.
    """
    sess, step = s.entry_session, s.entry_step
    ub = s.entry_fraction * s.max_power[sess]
    ch = lp.add_variables(
        "charge", s.station[sess], step, 0.0, ub, family="session_power", relaxed_ub=INF, session=sess
    )
    lp.add_power(s.station[sess], step, ch, -1.0)
    bi = np.flatnonzero(s.bidirectional[sess])
    dis = lp.add_variables(
        "discharge", s.station[sess[bi]], step[bi], 0.0, ub[bi], family="session_power", relaxed_ub=INF,
        session=sess[bi],
    )
    lp.add_power(s.station[sess[bi]], step[bi], dis, 1.0)
    return ch, dis, bi


def add_session_energy(lp: LinearProgram, s: SessionArrays, ch: np.ndarray, hours: float) -> None:
    """Energy by departure for unidirectional sessions (family ``session_energy``).

    .. math::
        E_k ≤ \\sum_{j ∈ W_k} η_c\\, Δt\\, ch[k, j] ≤ E^{max}_k \\quad [MWh]

    with E^max = capacity − SoC at arrival when both are known, else E^max = E (the
    car is full once it has its energy). At a station with an ``energy_breach_price``
    π^b the lower side becomes ``… + m_k ≥ E_k`` with a miss m_k ≥ 0 [MWh] costing
    π^b · m_k [EUR] (term ``breach``, itemised).
    """
    uni = np.flatnonzero(~s.bidirectional)
    if uni.size == 0:
        return
    entries = np.flatnonzero(~s.bidirectional[s.entry_session])
    row_of = np.full(s.n, -1)
    row_of[uni] = np.arange(uni.size)
    sess = s.entry_session[entries]
    rows, cols, vals = [row_of[sess]], [ch[entries]], [s.eta_c[sess] * hours]
    soft = uni[np.isfinite(s.breach_price[uni])]
    if soft.size:  # E ≤ Σ + m ≤ E^max: at the optimum m = max(0, E − Σ), and Σ ≤ E^max still holds
        rows.append(row_of[soft])
        cols.append(_session_miss(lp, s, soft))
        vals.append(np.ones(soft.size))
    lp.add_constraints(
        "session_energy",
        s.station[uni],
        -1,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        s.energy[uni],
        s.energy_max[uni],
    )


def _session_miss(lp: LinearProgram, s: SessionArrays, sessions: np.ndarray) -> np.ndarray:
    """Miss variables [MWh] of soft sessions, priced and recorded for the result."""
    last_step = s.entry_step[s.first[sessions] + s.count[sessions] - 1]
    m = lp.add_variables("energy_miss", s.station[sessions], last_step, 0.0, s.energy[sessions], session=sessions)
    lp.add_cost("breach", m, s.breach_price[sessions])
    lp.add_breach("session_energy", s.station[sessions], last_step, m, s.breach_price[sessions], "MWh")
    return m


def add_session_soc(
    lp: LinearProgram, s: SessionArrays, ch: np.ndarray, dis: np.ndarray, bi: np.ndarray, hours: float
) -> np.ndarray:
    """Car SoC of bidirectional sessions: balance (``car_soc_balance``), limits
    (``car_soc``) and energy by departure (``session_energy``).

    .. math::
        e[k, j] = e[k, j−1] + η_c Δt\\, ch[k, j] − \\frac{Δt}{η_d}\\, dis[k, j], \\qquad
        e[k, \\text{arrival}] = e^{arr}_k

    .. math::
        e^{min}_k ≤ e[k, j] ≤ \\text{capacity}_k, \\qquad
        e[k, \\text{last}] ≥ e^{arr}_k + E_k \\quad [MWh]

    ``bi`` are the entries of bidirectional sessions (aligned with ``dis``). Returns
    the SoC variable indices (aligned with ``bi``).
    """
    if bi.size == 0:
        return np.zeros(0, np.int64)
    sess = s.entry_session[bi]
    e = lp.add_variables(
        "car_soc", s.station[sess], s.entry_step[bi], s.soc_min[sess], s.capacity[sess], family="car_soc",
        relaxed_lb=-INF, relaxed_ub=INF, session=sess,
    )
    n = bi.size
    is_first = np.r_[True, sess[1:] != sess[:-1]]
    r = np.arange(n)
    prev = np.flatnonzero(~is_first)
    rhs = np.where(is_first, s.soc_arrival[sess], 0.0)
    lp.add_constraints(
        "car_soc_balance",
        s.station[sess],
        s.entry_step[bi],
        np.concatenate([r, prev, r, r]),
        np.concatenate([e, e[prev - 1], ch[bi], dis]),
        np.concatenate([np.ones(n), -np.ones(prev.size), -s.eta_c[sess] * hours, hours / s.eta_d[sess]]),
        rhs,
        rhs,
        relaxable=False,
    )
    is_last = np.r_[sess[1:] != sess[:-1], True]
    last = np.flatnonzero(is_last)
    ks = sess[last]
    rows, cols, vals = [np.arange(last.size)], [e[last]], [np.ones(last.size)]
    soft = np.flatnonzero(np.isfinite(s.breach_price[ks]))
    if soft.size:
        m = _session_miss(lp, s, ks[soft])
        rows.append(soft)
        cols.append(m)
        vals.append(np.ones(soft.size))
    lp.add_constraints(
        "session_energy",
        s.station[ks],
        s.entry_step[bi][last],
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        s.soc_arrival[ks] + s.energy[ks],
        INF,
    )
    return e


def add_station_power(
    lp: LinearProgram, s: SessionArrays, ch: np.ndarray, dis: np.ndarray, bi: np.ndarray, station_max: np.ndarray
) -> None:
    """Station power limit (family ``station_power``), per station and step.

    .. math::
        \\sum_k ch[k, t] ≤ P^{station}_a, \\qquad \\sum_k dis[k, t] ≤ P^{station}_a \\quad [MW]

    ``station_max`` is indexed by station position (``inf`` = no limit).
    """
    for var, entries in ((ch, np.arange(ch.size)), (dis, bi)):
        if entries.size == 0:
            continue
        pos = s.station_pos[s.entry_session[entries]]
        limited = np.isfinite(station_max[pos])
        if not limited.any():
            continue
        entries, var, pos = entries[limited], var[limited], pos[limited]
        key = pos * lp.n_steps + s.entry_step[entries]
        uniq, row = np.unique(key, return_inverse=True)
        u_pos, u_step = uniq // lp.n_steps, uniq % lp.n_steps
        station_asset = np.zeros(station_max.size, np.int64)
        station_asset[s.station_pos] = s.station
        lp.add_constraints(
            "station_power", station_asset[u_pos], u_step, row, var, 1.0, -INF, station_max[u_pos]
        )


def session_pairs(s: SessionArrays, ch: np.ndarray, dis: np.ndarray, bi: np.ndarray) -> StoragePairs:
    """Charge/discharge pairs of bidirectional sessions (for ``no_simultaneous``)."""
    if bi.size == 0:
        return StoragePairs.empty()
    sess = s.entry_session[bi]
    ub = s.entry_fraction[bi] * s.max_power[sess]
    lossy = s.eta_c[sess] * s.eta_d[sess] < 1.0
    return StoragePairs(
        charge=ch[bi], discharge=dis, charge_ub=ub, discharge_ub=ub.copy(), asset=s.station[sess],
        step=s.entry_step[bi], unit=sess, lossy=lossy, has_binary=np.zeros(bi.size, bool),
    )


def session_baseline(s: SessionArrays, hours: float) -> np.ndarray:
    """Baseline charging power per entry: full power from arrival until the car has its energy [MW ≥ 0].

    Per session, the energy available in entry j is ``a_j = η_c f_j P^max Δt``; the
    baseline takes ``min(a_j, max(0, E − Σ_{i<j} a_i))`` and converts it back to power.
    """
    if s.entry_session.size == 0:
        return np.zeros(0)
    sess = s.entry_session
    avail = s.eta_c[sess] * s.entry_fraction * s.max_power[sess] * hours
    cum = np.cumsum(avail)
    before = cum - avail - (cum - avail)[s.first[sess]]
    take = np.minimum(avail, np.maximum(0.0, s.energy[sess] - before))
    return take / (s.eta_c[sess] * hours)


# ---------------------------------------------------------------------------------------
# sessions of one day


def clip_sessions(
    sessions: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    charge_efficiency: float = 1.0,
    bidirectional: bool = False,
) -> pd.DataFrame:
    """Sessions of one station cut to the horizon ``[start, end)``.

    The rule keeps consecutive days consistent without carrying state from one day's
    schedule to the next: across midnight, every schedule delivers exactly what the
    baseline (full power from arrival) would have delivered by then.

    * A car that arrived before ``start`` enters at ``start`` with the energy the
      baseline gave it before then already in: ``E' = E − min(E, η P Δ)``, with
      ``Δ = start − arrival`` [h], η the charging efficiency and P the session's
      maximum power [MW]; its SoC at arrival rises by the same amount. It is dropped
      when nothing is left to charge (unless the station is bidirectional: the car can
      still discharge and recharge).
    * A car that leaves after ``end`` leaves at ``end`` and needs only what it can get
      by then at full power: ``min(E', η P (end − arrival'))`` [MWh]. The rest is
      charged on the next day, whose schedule sees the car as arrived before its start
      (rule above). When the car needs more than that, it charges at full power until
      midnight: the same as the baseline, no flexibility is claimed that the next day
      could not honour.

    Parameters
    ----------
    sessions : pandas.DataFrame
        Rows of ``charging_sessions``: ``session_key``, ``arrival``, ``departure``
        (tz-aware), ``energy_mwh`` (energy into the car [MWh]), ``max_power_mw`` [MW],
        ``battery_capacity_mwh``, ``soc_at_arrival_mwh`` [MWh] (may be missing).
    start, end : pandas.Timestamp
        The horizon (tz-aware).
    charge_efficiency : float
        η between grid and car battery [-].
    bidirectional : bool
        Whether the station can discharge cars (keeps cars that need no more energy).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``session_key``, with the columns of
        :class:`~bvp_lib.scheduling.ChargingStation`: ``arrival``, ``departure``,
        ``energy``, ``max_power``, ``capacity``, ``soc_at_arrival``, plus the original
        ``arrival_orig``, ``departure_orig`` and ``energy_orig``.
    """
    s = sessions
    arr = pd.DatetimeIndex(s["arrival"]).tz_convert("UTC")
    dep = pd.DatetimeIndex(s["departure"]).tz_convert("UTC")
    e = s["energy_mwh"].to_numpy(float)
    p = s["max_power_mw"].to_numpy(float)
    cap = pd.to_numeric(s.get("battery_capacity_mwh", pd.Series(np.nan, index=s.index)), errors="coerce").to_numpy(float)
    soc0 = pd.to_numeric(s.get("soc_at_arrival_mwh", pd.Series(np.nan, index=s.index)), errors="coerce").to_numpy(float)
    eta = float(charge_efficiency)
    hour = pd.Timedelta("1h")
    before_h = np.clip(((start - arr) / hour).to_numpy(float), 0.0, None)
    given = np.minimum(e, eta * p * before_h)
    e1 = e - given
    arr1 = arr.where(arr >= start, start)
    dep1 = dep.where(dep <= end, end)
    avail_h = np.clip(((dep1 - arr1) / hour).to_numpy(float), 0.0, None)
    need = np.where(dep > end, np.minimum(e1, eta * p * avail_h), e1)
    out = pd.DataFrame(
        {
            "arrival": arr1,
            "departure": dep1,
            "energy": need,
            "max_power": p,
            "capacity": cap,
            "soc_at_arrival": soc0 + given,
            "arrival_orig": arr,
            "departure_orig": dep,
            "energy_orig": e,
        },
        index=pd.Index(s["session_key"].astype(str).to_numpy(), name="session"),
    )
    keep = (dep1 > arr1) & ((e1 > 1e-12) | bool(bidirectional))
    return out[np.asarray(keep)]
