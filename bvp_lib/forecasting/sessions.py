"""EV charging sessions forecast at gate closure: arrivals, energy and dwell per arrival window.

Pure pandas and numpy (the database side is :mod:`bvp_lib.forecasting.session_feed`).
Energy in MWh (delivered into the car), power in MW (a magnitude: what a car may draw),
dwell in hours, timestamps tz-aware (UTC out).

What is known at gate closure
-----------------------------
A session is **known once it has ended**: at issue time ``b`` (gate closure on D-1) a
session is used only if ``departure <= b`` (:func:`known_sessions`). Cars plugged in at
``b`` and every later session are unknown. The training days are the whole local days
``[D-1 - window, D-2]`` (D-1 itself is only half over at ``b``); a session of D-2 still
plugged in at ``b`` is not counted (in the bundled data none is: the longest dwell is
17.5 h, every car of D-2 has left by 08:30 on D-1). Days before a station's first known
session are not training days (no data, not zero arrivals).

The model (per station)
-----------------------
An *arrival window* is a local clock hour ``h`` (0..23) on a day of type ``j``: 0 working
day, 1 Saturday, 2 Sunday or public holiday (the station's German state through the
calendar helpers of :mod:`bvp_lib.forecasting.calendar`).

* Expected arrivals: ``λ[j, h] = n[j, h] / N_j`` [1/day], with ``n[j, h]`` the known
  sessions that arrived in hour h of the ``N_j`` training days of type j. When fewer than
  ``min_days_per_type`` days of type j lie in the window, all training days are used.
* Energy per session and dwell time: the empirical joint distribution (energy [MWh],
  dwell [h], maximum power [MW], car battery and SoC at arrival [MWh], minute of arrival
  within the hour) of the window's *pool*: the known sessions of type j that arrived in
  hour h, widened to ``h ± 1, h ± 2, ...`` (same day type, then any day type) until it
  holds ``min_pool`` sessions.

Expected sessions (the planned schedule's input)
------------------------------------------------
:meth:`SessionModel.expected_sessions` is deterministic: per arrival window with
``λ > 0`` the pool (n sessions) is sorted by dwell and cut into ``K = min(strata, n)``
strata of (nearly) equal size ``n_s``; each stratum ``s`` becomes one representative
session of weight ``w_s = λ n_s / n``, arriving at the hour's start plus the stratum's
mean minute, staying the stratum's mean dwell ``d̄_s``, with

    energy = w_s Ē_s,  max power = w_s P̄_s,  battery = w_s C̄_s,  SoC at arrival = w_s S̄_s

(a "fractional car": w_s cars in expectation). The energy arriving in hour h is then
``Σ_s w_s Ē_s = λ · Ē_pool`` exactly, the expectation; timing and the short/long dwell
split follow the pool. Each representative is feasible: its dwell is at least
``Ē_s / (η P̄_s)``. Cars arriving on D-1 (and earlier, if the pool holds dwells over a
day) are forecast the same way and cut to D by
:func:`bvp_lib.scheduling.ev.clip_sessions`.

Scenarios (for offers on scenarios)
-----------------------------------
:meth:`SessionModel.scenarios` draws ``n`` session tables, seeded: per arrival window a
Poisson(λ) number of cars, each a whole session drawn (with replacement) from the pool.
With ``points`` given, a car that would find every charge point taken is dropped (one
car per point).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bvp_lib.forecasting.calendar import is_holiday
from bvp_lib.forecasting.errors import InsufficientHistoryError, NaiveTimestampsError

#: names of the day types (codes 0, 1, 2 as :func:`bvp_lib.forecasting.calendar.day_type`)
DAY_TYPES = ("working day", "Saturday", "Sunday or holiday")
#: the columns of a session table (as ``charging_sessions``, plus the station's name)
SESSION_COLUMNS = ["asset", "session_key", "arrival", "departure", "energy_mwh", "max_power_mw",
                   "battery_capacity_mwh", "soc_at_arrival_mwh"]  # fmt: skip
_POOL_COLUMNS = ["energy_mwh", "dwell_h", "max_power_mw", "battery_capacity_mwh", "soc_at_arrival_mwh", "minute"]
HOURS = np.arange(24)


@dataclass(frozen=True)
class SessionSettings:
    """Settings of the session forecast (``sessions:`` in ``parameters/forecasting.yaml``).

    Attributes
    ----------
    window : pandas.Timedelta
        Training days: the local days ``[D-1 - window, D-2]``.
    min_days : int
        Fewest training days (else :class:`InsufficientHistoryError`).
    min_days_per_type : int
        Fewest training days of D's day type before all days are used for its rates.
    min_pool : int
        Sessions a window's pool must hold before it stops widening.
    strata : int
        Representative sessions per arrival window in the expected-sessions day.
    """

    window: pd.Timedelta = pd.Timedelta("56D")
    min_days: int = 14
    min_days_per_type: int = 2
    min_pool: int = 10
    strata: int = 2

    @classmethod
    def from_parameters(cls, section: dict | None) -> SessionSettings:
        """The settings of a ``sessions:`` mapping (missing keys keep their defaults)."""
        s = dict(section or {})
        unknown = sorted(set(s) - {f.name for f in dataclasses.fields(cls)} - {"seed", "samples", "quantiles"})
        if unknown:
            raise ValueError(f"unknown session forecast setting(s) {unknown} in the 'sessions' parameters")
        kw = {f.name: s[f.name] for f in dataclasses.fields(cls) if f.name in s}
        if "window" in kw:
            kw["window"] = pd.Timedelta(kw["window"])
        return cls(**kw)


def _utc(col, what: str) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(col)
    if len(idx) and idx.tz is None:
        raise NaiveTimestampsError(f"session {what} times are naive; localise them (for example to UTC)")
    return idx.tz_convert("UTC") if len(idx) else pd.DatetimeIndex([], tz="UTC")


def known_sessions(sessions: pd.DataFrame, issue_time: pd.Timestamp) -> pd.DataFrame:
    """The sessions known at ``issue_time``: those that have ended (``departure <= issue_time``)."""
    if issue_time.tzinfo is None:
        raise NaiveTimestampsError("the issue time is naive; give it a timezone")
    dep = _utc(sessions["departure"], "departure")
    return sessions[np.asarray(dep <= issue_time)]


def day_types(dates, country: str, subdivision: str | None = None) -> np.ndarray:
    """Day type of local dates: 0 working day, 1 Saturday, 2 Sunday or public holiday."""
    d = np.asarray(pd.DatetimeIndex(pd.to_datetime(list(dates))).to_numpy().astype("datetime64[D]"))
    if not len(d):
        return np.zeros(0, dtype=int)
    weekday = pd.DatetimeIndex(d).dayofweek.to_numpy()
    out = np.where(weekday == 5, 1, 0)
    return np.where((weekday == 6) | is_holiday(d, country, subdivision), 2, out)


def _local_date(issue_time: pd.Timestamp, tz: str) -> dt.date:
    return issue_time.tz_convert(tz).date()


@dataclass
class SessionModel:
    """The fitted session forecast of one station at one issue time.

    Attributes
    ----------
    station : str
    issue_time : pandas.Timestamp
        When it was made (gate closure on D-1, UTC).
    tz, country, subdivision : str
        The local clock and the holiday calendar of the station.
    days : pandas.DataFrame
        The training days (index: local date): ``day_type``, ``sessions``.
    counts : pandas.DataFrame
        Known sessions per training day (rows, as ``days``) and arrival hour (columns 0..23).
    pool : pandas.DataFrame
        The known sessions of the training days: ``day_type``, ``hour``, ``minute`` (of
        the arrival within its hour), ``energy_mwh``, ``dwell_h``, ``max_power_mw``,
        ``battery_capacity_mwh``, ``soc_at_arrival_mwh``.
    settings : SessionSettings
    charge_efficiency : float
        η between grid and car battery [-] (the representatives' feasibility).
    """

    station: str
    issue_time: pd.Timestamp
    tz: str
    country: str
    subdivision: str | None
    days: pd.DataFrame
    counts: pd.DataFrame
    pool: pd.DataFrame
    settings: SessionSettings
    charge_efficiency: float = 1.0

    # ------------------------------------------------------------------ the distribution

    def day_type(self, day) -> int:
        """0 working day, 1 Saturday, 2 Sunday or holiday."""
        return int(day_types([pd.Timestamp(day)], self.country, self.subdivision)[0])

    def arrival_rates(self, day) -> pd.Series:
        """Expected arrivals per local hour of ``day`` [1/day]: ``λ[j, h] = n[j, h] / N_j``
        over the training days of the day's type (all days when fewer than
        ``min_days_per_type``)."""
        j = self.day_type(day)
        same = self.days["day_type"].to_numpy() == j
        rows = self.counts[same] if same.sum() >= self.settings.min_days_per_type else self.counts
        return pd.Series(rows.mean(axis=0).to_numpy(float), index=pd.Index(HOURS, name="hour"), name="arrivals")

    def window_pool(self, day_type: int, hour: int) -> pd.DataFrame:
        """The sessions that describe the window (day type, hour): its own, widened to the
        nearest hours (same day type first, then any) until there are ``min_pool``."""
        return self.pool.iloc[self._pool_rows(day_type, hour)]

    def _pool_rows(self, day_type: int, hour: int) -> np.ndarray:
        key = (int(day_type), int(hour))
        cache = self.__dict__.setdefault("_rows", {})
        if key not in cache:
            p = self.pool
            rows = np.arange(len(p))
            if len(p):
                gap = np.abs(((p["hour"].to_numpy() - hour) + 12) % 24 - 12)  # clock distance in hours
                same = p["day_type"].to_numpy() == day_type
                found = None
                for mask in (same, np.ones(len(p), bool)):
                    for k in range(13):
                        sel = mask & (gap <= k)
                        if sel.sum() >= self.settings.min_pool:
                            found = np.flatnonzero(sel)
                            break
                    if found is not None:
                        break
                rows = found if found is not None else rows
            cache[key] = rows
        return cache[key]

    def expected_energy(self, day) -> pd.Series:
        """Expected energy of the sessions arriving in each local hour of ``day`` [MWh]:
        ``λ[j, h] · Ē_pool(j, h)``."""
        j = self.day_type(day)
        lam = self.arrival_rates(day)
        e = [lam[h] * float(self.window_pool(j, h)["energy_mwh"].mean()) if lam[h] > 0 else 0.0 for h in HOURS]
        return pd.Series(e, index=lam.index, name="energy_mwh")

    def arrival_days(self, day) -> list[dt.date]:
        """The local days whose arrivals may still be plugged in on ``day``: ``day`` and
        the days before it as far back as the longest dwell in the pool reaches."""
        longest = float(self.pool["dwell_h"].max()) if len(self.pool) else 0.0
        back = max(1, int(np.ceil(longest / 24.0)))
        d = pd.Timestamp(day).date()
        return [d - dt.timedelta(days=k) for k in range(back, -1, -1)]

    # ------------------------------------------------------------------ session tables

    def _hour_start(self, day: dt.date, hours: np.ndarray, minutes: np.ndarray) -> pd.DatetimeIndex:
        wall = pd.Timestamp(day) + pd.to_timedelta(hours, unit="h") + pd.to_timedelta(minutes, unit="min")
        local = pd.DatetimeIndex(wall).tz_localize(self.tz, ambiguous=np.ones(len(wall), bool), nonexistent="NaT")
        return local.tz_convert("UTC")

    def expected_sessions(self, day) -> pd.DataFrame:
        """The expected-sessions day: representative sessions arriving on :meth:`arrival_days`
        (see the module docstring), columns :data:`SESSION_COLUMNS` plus ``weight`` (cars
        each stands for), ``day_type`` and ``hour`` of arrival. An hour that does not exist
        on a spring DST day gets no arrivals."""
        rows = []
        values = self.pool[_POOL_COLUMNS].to_numpy(float)
        dwell, energy = values[:, 1], values[:, 0]
        for d in self.arrival_days(day):
            j = self.day_type(d)
            lam = self.arrival_rates(d).to_numpy(float)
            for h in HOURS[lam > 0]:
                idx = self._pool_rows(j, int(h))
                idx = idx[np.lexsort((energy[idx], dwell[idx]))]  # by dwell, then energy
                k = min(self.settings.strata, len(idx))
                for st, part in enumerate(np.array_split(idx, k)):
                    with warnings.catch_warnings():  # a column of NaN (no car battery known) stays NaN
                        warnings.simplefilter("ignore", RuntimeWarning)
                        m = np.nanmean(values[part], axis=0)  # energy, dwell, power, battery, SoC, minute
                    w = float(lam[h]) * len(part) / len(idx)
                    dw = max(m[1], m[0] / (self.charge_efficiency * m[2]))
                    rows.append((d, j, int(h), st, w, m[5], dw, w * m[0], w * m[2], w * m[3], w * m[4]))
        cols = ["date", "day_type", "hour", "stratum", "weight", "minute", "dwell_h", "energy_mwh", "max_power_mw",
                "battery_capacity_mwh", "soc_at_arrival_mwh"]  # fmt: skip
        r = pd.DataFrame(rows, columns=cols)
        return self._table(r, [f"{self.station}-expected-{d:%Y%m%d}-{h:02d}-{s}" for d, h, s in
                               zip(r["date"], r["hour"], r["stratum"])], extra=["weight", "day_type", "hour"])  # fmt: skip

    def _table(self, r: pd.DataFrame, keys: list[str], extra: list[str]) -> pd.DataFrame:
        if r.empty:
            return empty_sessions(extra)
        r = r.reset_index(drop=True)
        arrival = np.full(len(r), np.datetime64("NaT"), dtype="datetime64[ns]")
        for d, g in r.groupby("date", sort=False):
            t = self._hour_start(d, g["hour"].to_numpy(), np.round(g["minute"].to_numpy(float)))
            arrival[g.index.to_numpy()] = t.tz_localize(None).to_numpy()
        r = r.assign(arrival=pd.DatetimeIndex(arrival).tz_localize("UTC"), session_key=keys)
        r = r[r["arrival"].notna()].copy()
        r["departure"] = (r["arrival"] + pd.to_timedelta(r["dwell_h"].to_numpy(float) * 60, unit="min")).dt.ceil("1min")
        r["asset"] = self.station
        return r[SESSION_COLUMNS + extra].sort_values(["arrival", "session_key"], ignore_index=True)

    def scenarios(self, day, n: int, seed: int, *, points: int | None = None) -> list[pd.DataFrame]:
        """``n`` seeded session tables for ``day`` (arrivals on :meth:`arrival_days`):
        Poisson(λ) cars per arrival window, each a session of the window's pool drawn with
        replacement (energy, dwell, power, battery and minute together). ``points``: at
        most that many cars plugged in at once (a car finding them all taken is dropped).

        The same ``(day, seed)`` gives the same tables."""
        if n < 1:
            raise ValueError(f"the number of scenarios must be >= 1, not {n}")
        d0 = pd.Timestamp(day).date()
        rng = np.random.default_rng([int(seed), d0.toordinal(), zlib.crc32(self.station.encode())])
        parts = []  # (scenario, date, day type, hour, pool row) of every car drawn
        for d in self.arrival_days(day):
            j = self.day_type(d)
            counts = rng.poisson(self.arrival_rates(d).to_numpy(float), size=(n, 24))
            for h in np.flatnonzero(counts.sum(axis=0)):
                c = counts[:, h]
                rows = self._pool_rows(j, int(h))
                pick = rows[rng.integers(0, len(rows), int(c.sum()))]
                parts.append(pd.DataFrame({"scenario": np.repeat(np.arange(n), c), "date": d, "day_type": j,
                                           "hour": int(h), "row": pick}))  # fmt: skip
        if not parts:
            return [self._table(pd.DataFrame(columns=["date", "hour", "minute"]), [], ["day_type", "hour"])
                    for _ in range(n)]  # fmt: skip
        cars = pd.concat(parts, ignore_index=True).sort_values(["scenario", "date", "hour"], kind="stable")
        cars = pd.concat([cars.reset_index(drop=True),
                          self.pool.iloc[cars["row"].to_numpy()][_POOL_COLUMNS].reset_index(drop=True)], axis=1)
        number = cars.groupby("scenario").cumcount().to_numpy()
        keys = [f"{self.station}-scenario{i:03d}-{k:04d}" for i, k in zip(cars["scenario"], number)]
        table = self._table(cars, keys, extra=["day_type", "hour", "scenario"])
        table = table.sort_values("scenario", kind="stable", ignore_index=True)  # arrival order kept within each
        bounds = np.searchsorted(table.pop("scenario").to_numpy(), np.arange(n + 1))
        out = []
        for i in range(n):
            t = table.iloc[bounds[i] : bounds[i + 1]]
            if points is not None and len(t):
                t = _one_car_per_point(t, int(points))
            t = t.reset_index(drop=True)
            t.attrs["scenario"] = i
            out.append(t)
        return out

    def energy_samples(self, day, n: int, seed: int) -> np.ndarray:
        """Samples of the energy arriving in each local hour of ``day`` [MWh], shape
        ``(n, 24)``: compound Poisson, ``Σ_{i ≤ N} E_i`` with ``N ~ Poisson(λ[j, h])`` and
        ``E_i`` drawn from the window's pool. Seeded by ``(seed, day)``."""
        d0 = pd.Timestamp(day).date()
        rng = np.random.default_rng([int(seed), d0.toordinal(), zlib.crc32(self.station.encode()), 1])
        j = self.day_type(day)
        lam = self.arrival_rates(day).to_numpy(float)
        out = np.zeros((n, 24))
        counts = rng.poisson(lam, size=(n, 24))
        for h in HOURS:
            c = counts[:, h]
            total = int(c.sum())
            if total == 0:
                continue
            e = self.pool["energy_mwh"].to_numpy(float)[self._pool_rows(j, int(h))]
            drawn = e[rng.integers(0, len(e), total)]
            out[:, h] = np.bincount(np.repeat(np.arange(n), c), weights=drawn, minlength=n)
        return out


def empty_sessions(extra: list[str] | None = None) -> pd.DataFrame:
    """A session table without rows (typed columns of :data:`SESSION_COLUMNS`)."""
    t = pd.DataFrame({c: pd.Series(dtype=float) for c in SESSION_COLUMNS + list(extra or [])})
    t["asset"], t["session_key"] = t["asset"].astype(object), t["session_key"].astype(object)
    for c in ("arrival", "departure"):
        t[c] = pd.Series(dtype="datetime64[ns, UTC]")
    return t


def _one_car_per_point(t: pd.DataFrame, points: int) -> pd.DataFrame:
    """Drop, in arrival order, each car that arrives while ``points`` cars are plugged in."""
    arr, dep = t["arrival"].to_numpy("datetime64[ns]"), t["departure"].to_numpy("datetime64[ns]")
    keep = np.zeros(len(t), bool)
    plugged: list = []
    for i in np.argsort(arr, kind="stable"):
        plugged = [x for x in plugged if x > arr[i]]
        if len(plugged) < points:
            keep[i] = True
            plugged.append(dep[i])
    return t[keep]


def fit_sessions(
    sessions: pd.DataFrame,
    issue_time: pd.Timestamp,
    *,
    station: str,
    tz: str,
    country: str = "DE",
    subdivision: str | None = None,
    settings: SessionSettings | None = None,
    first_day: dt.date | None = None,
    charge_efficiency: float = 1.0,
) -> SessionModel:
    """Fit a station's session forecast on the sessions known at ``issue_time``.

    Parameters
    ----------
    sessions : pandas.DataFrame
        The station's sessions (``arrival``, ``departure`` tz-aware; ``energy_mwh``,
        ``max_power_mw``; ``battery_capacity_mwh``, ``soc_at_arrival_mwh`` may be NaN).
        Any session not known at ``issue_time`` is ignored here
        (:func:`known_sessions`), whatever the caller passes.
    issue_time : pandas.Timestamp
        Gate closure on D-1 (tz-aware).
    station : str
    tz : str
        The local clock of hours and days.
    country, subdivision : str
        Public holidays (``"DE"``, ``"BB"``).
    settings : SessionSettings, optional
    first_day : datetime.date, optional
        The first local day with data; default the day of the first known arrival.
    charge_efficiency : float
        η between grid and car [-].

    Raises
    ------
    InsufficientHistoryError
        Fewer than ``min_days`` training days, naming the station and the days needed.
    """
    st = settings or SessionSettings()
    if issue_time.tzinfo is None:
        raise NaiveTimestampsError("the issue time is naive; give it a timezone")
    known = known_sessions(sessions, issue_time)
    arr = _utc(known["arrival"], "arrival").tz_convert(tz)
    issue_day = _local_date(issue_time, tz)
    last = issue_day - dt.timedelta(days=1)
    first = issue_day - dt.timedelta(days=int(st.window / pd.Timedelta("1D")))
    if first_day is None:
        first_day = arr.min().date() if len(arr) else last + dt.timedelta(days=1)
    first = max(first, first_day)
    dates = pd.date_range(first, last, freq="D").date if first <= last else []
    if len(dates) < st.min_days:
        raise InsufficientHistoryError(
            f"station {station!r}: the session forecast at {issue_time.tz_convert(tz):%Y-%m-%d %H:%M} needs "
            f"{st.min_days} days of sessions known then (the local days up to {last}); it has {len(dates)}"
            + (f" (from {first})" if len(dates) else "")
            + f". Load sessions from {last - dt.timedelta(days=st.min_days - 1)} on (`bvp db populate --data --from ...`)."
        )
    wall = arr.tz_localize(None)
    on = np.asarray(wall.normalize().date)
    inside = (on >= first) & (on <= last)
    k = known[inside]
    wall = wall[inside]
    types = pd.Series(day_types(dates, country, subdivision), index=pd.Index(dates, name="date"))
    dep = _utc(k["departure"], "departure")
    pool = pd.DataFrame({
        "date": np.asarray(wall.normalize().date), "hour": wall.hour.to_numpy(),
        "minute": (wall.minute + wall.second / 60).to_numpy(float),
        "energy_mwh": pd.to_numeric(k["energy_mwh"]).to_numpy(float),
        "dwell_h": ((dep - _utc(k["arrival"], "arrival")) / pd.Timedelta("1h")).to_numpy(float),
        "max_power_mw": pd.to_numeric(k["max_power_mw"]).to_numpy(float),
        "battery_capacity_mwh": pd.to_numeric(k.get("battery_capacity_mwh", np.nan), errors="coerce"),
        "soc_at_arrival_mwh": pd.to_numeric(k.get("soc_at_arrival_mwh", np.nan), errors="coerce"),
    })  # fmt: skip
    pool["battery_capacity_mwh"] = np.asarray(pool["battery_capacity_mwh"], float)
    pool["soc_at_arrival_mwh"] = np.asarray(pool["soc_at_arrival_mwh"], float)
    pool.insert(1, "day_type", types.reindex(pool["date"]).to_numpy())
    grid = np.zeros((len(dates), 24))
    np.add.at(grid, (pd.Index(dates).get_indexer(pool["date"]), pool["hour"].to_numpy()), 1.0)
    counts = pd.DataFrame(grid, index=pd.Index(dates, name="date"), columns=pd.Index(HOURS, name="hour"))
    days = pd.DataFrame({"day_type": types.to_numpy(), "sessions": counts.sum(axis=1).to_numpy()}, index=types.index)
    return SessionModel(station=station, issue_time=issue_time.tz_convert("UTC"), tz=tz, country=country,
                        subdivision=subdivision, days=days, counts=counts.astype(float), pool=pool.reset_index(drop=True),
                        settings=st, charge_efficiency=float(charge_efficiency))  # fmt: skip


def arrivals_by_hour(sessions: pd.DataFrame, day, tz: str) -> pd.Series:
    """What happened: the energy of the sessions arriving in each local hour of ``day`` [MWh]."""
    arr = _utc(sessions["arrival"], "arrival").tz_convert(tz).tz_localize(None)
    d = pd.Timestamp(day).date()
    on = np.asarray(arr.normalize().date) == d
    e = pd.to_numeric(sessions["energy_mwh"]).to_numpy(float)[on]
    out = np.bincount(arr.hour.to_numpy()[on], weights=e, minlength=24)
    return pd.Series(out, index=pd.Index(HOURS, name="hour"), name="energy_mwh")
