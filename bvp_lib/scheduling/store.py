"""Schedule one local day of the portfolio in the database, and store the schedule as beliefs.

This is the database side of :mod:`bvp_lib.scheduling`: it reads assets, connection
points, charging sessions, forecasts and prices, builds the scheduling objects
(:class:`~bvp_lib.scheduling.Battery`, ...), solves, and saves each asset's scheduled
power as beliefs on the asset's power sensor.

Sign convention everywhere: power in MW, **production positive, consumption negative**
(a charging battery or car and a building's load are negative). Energy in MWh, prices
in EUR/MWh, SoC in MWh. Energy of a step = power × Δt; revenue = Σ power × price × Δt.

Two modes
---------
``"forecast"``
    What BVP does at gate closure (12:00 local time on D-1): the day-ahead forecasts
    of each asset's uncontrolled power and of the day-ahead price, stored by the
    forecaster and known by gate closure, are the inputs
    (:func:`bvp_lib.forecasting.store.load_day_ahead`; each sensor's primary model
    unless ``forecast_source`` names one). The schedule is stored with
    the horizon ``event end − gate closure`` (it was known then) and the source
    ``"bvp scheduler"``.
``"perfect"``
    Perfect foresight: the realised power and the realised prices are the inputs
    (:func:`bvp_lib.forecasting.store.load_actuals`). This
    is the upper bound of what flexibility could have earned; it is made after the fact,
    so it is stored with horizon 0 and the source ``"bvp scheduler (perfect foresight)"``.

Both modes record the solver as the source's ``model`` and ``bvp_lib.__version__`` as
its ``version``. Storing is one transaction that first removes the schedule beliefs of
the same source, sensors and day, so re-running replaces and never duplicates. Nothing
is stored when building or solving fails.

Inputs per asset type
---------------------
battery
    Its columns (``energy_capacity_mwh``, ``min/max_soc_mwh``, ``max_charge_mw``,
    ``max_discharge_mw``, efficiencies, ``self_discharge_per_hour``); the SoC at the
    start of the day from ``soc_start=`` or ``soc_at_start_mwh``. The SoC at the end of
    the day must be at least the SoC at the start (so a schedule cannot earn money by
    emptying the battery). Baseline: idle.
solar, wind (``curtailable``)
    :class:`~bvp_lib.scheduling.Curtailable` on the forecast (or realised) production.
    A producer that is *not* curtailable is not scheduled; its production is taken off
    its connection point's export capacity (and added to its import capacity) instead.
building
    :class:`~bvp_lib.scheduling.Building` with the forecast (or realised) load as
    baseline, ``shiftable_share`` (none stored: 0, inflexible) within
    ``shift_window_hours``. ``capacity_mw`` (the rated peak load) caps the shifted
    consumption; on a day whose baseline exceeds it, the baseline's peak is the cap
    (``info["max_power_mw"]`` says which was used).
charging station (``charging_station``, ``bidirectional_charging_station``)
    :class:`~bvp_lib.scheduling.ChargingStation` with every session plugged in during
    the day; station limit ``max_charge_mw`` (else ``capacity_mw``). Sessions are taken
    as known at gate closure (no session forecast exists). See
    :func:`clip_sessions` for sessions that cross midnight. Baseline: each car charges
    at full power from arrival.

The day is the local calendar day in ``BVP_TIMEZONE`` (Europe/Berlin): 92, 96 or 100
quarter-hours. Hourly prices are repeated on the schedule's steps. A forecast, series
or price missing for part of the day raises an error naming the sensor and the gap;
nothing is ever filled silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bvp_lib.beliefs import SourceSpec, get_or_create_source, save_beliefs
from bvp_lib.db.engine import transaction
from bvp_lib.scheduling.assets import Asset, Battery, Building, ChargingStation, ConnectionPoint, Curtailable
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.problem import Problem, build_problem
from bvp_lib.scheduling.result import ScheduleResult
from bvp_lib.scheduling.timeseries import _runs, format_span
from bvp_lib.timing import as_date, day_bounds, day_index

Mode = Literal["forecast", "perfect"]
Bind = Engine | Connection | None

SCHEDULER_SOURCE = "bvp scheduler"
PERFECT_SOURCE = "bvp scheduler (perfect foresight)"
DEFAULT_PRICE_SENSOR = "epex_da"

STORAGE_TYPES = ("battery",)
STATION_TYPES = ("charging_station", "bidirectional_charging_station")
PRODUCER_TYPES = ("solar", "wind")
BUILDING_TYPES = ("building",)
KNOWN_TYPES = STORAGE_TYPES + STATION_TYPES + PRODUCER_TYPES + BUILDING_TYPES
#: types whose uncontrolled power comes from a series (forecast or measurement)
SERIES_TYPES = PRODUCER_TYPES + BUILDING_TYPES

INFO_COLUMNS = [
    "type", "owner", "connection_point", "market", "sensor", "scheduled", "capacity_mw", "max_power_mw",
    "capacity_mwh", "soc_start_mwh", "soc_min_mwh", "soc_max_mwh", "max_charge_mw", "max_discharge_mw",
    "charge_efficiency", "discharge_efficiency", "self_discharge_per_hour", "shiftable_share",
    "shift_window_hours", "sessions", "note",
]  # fmt: skip


# ---------------------------------------------------------------------------------------
# results


@dataclass
class DayInputs:
    """Everything a day's schedule is built from (read from the database, on the schedule's steps).

    Attributes
    ----------
    day : datetime.date
        The local delivery day.
    mode : {"forecast", "perfect"}
    tz : str
        Timezone of the day.
    resolution : pandas.Timedelta
        Step length Δt of the schedule.
    prices : pandas.Series
        Day-ahead prices used [EUR/MWh] on the step starts (UTC): the forecast in
        forecast mode, realised prices in perfect mode; hourly prices repeated.
    baseline : pandas.DataFrame
        Uncontrolled power used [MW] (production positive) per asset with a series
        (solar, wind, buildings), columns = asset names.
    assets : list
        The scheduling objects (:class:`~bvp_lib.scheduling.Battery`, ...).
    connection_points : list of ConnectionPoint
    info : pandas.DataFrame
        One row per asset (see :func:`portfolio_from_db`).
    belief_time : pandas.Timestamp or None
        When the inputs were known: gate closure (UTC) in forecast mode, ``None`` in
        perfect mode (after the fact).
    forecast_source : str or None
        The forecaster data source asked for in forecast mode (``None``: each sensor's
        primary model, see :func:`bvp_lib.forecasting.store.load_day_ahead`).
    """

    day: dt.date
    mode: str
    tz: str
    resolution: pd.Timedelta
    prices: pd.Series
    baseline: pd.DataFrame
    assets: list[Asset]
    connection_points: list[ConnectionPoint]
    info: pd.DataFrame
    belief_time: pd.Timestamp | None
    forecast_source: str | None = None

    def build(self, **kwargs) -> Problem:
        """The scheduling problem of these inputs (:func:`~bvp_lib.scheduling.build_problem`).

        Keyword arguments go to ``build_problem`` (``tie_break``, ``complementarity``).
        Add own constraints to the returned problem's ``model`` before solving.
        """
        return build_problem(self.assets, self.prices, self.connection_points, resolution=self.resolution, **kwargs)


@dataclass
class DaySchedule:
    """A solved (and possibly stored) schedule of one day.

    Attributes
    ----------
    result : ScheduleResult
        Schedule, SoC, baseline, actions, objective and solver statistics.
    inputs : DayInputs
        The prices, baseline series, assets and info the schedule was made from.
    source : SourceSpec or None
        The data source the schedule was stored under (``None`` when not stored).
    saved_rows : int
        Beliefs written (0 when not stored).
    """

    result: ScheduleResult
    inputs: DayInputs
    source: SourceSpec | None = None
    saved_rows: int = 0

    @property
    def day(self) -> dt.date:
        return self.inputs.day

    @property
    def mode(self) -> str:
        return self.inputs.mode

    @property
    def info(self) -> pd.DataFrame:
        return self.inputs.info

    @property
    def prices(self) -> pd.Series:
        """Prices used [EUR/MWh]."""
        return self.inputs.prices

    @property
    def baseline(self) -> pd.DataFrame:
        """Baseline power per asset [MW] (idle batteries, full-power EV charging, forecast load and production)."""
        return self.result.baseline

    @property
    def schedule(self) -> pd.DataFrame:
        """Scheduled power per asset [MW], production positive."""
        return self.result.schedule

    @property
    def soc(self) -> pd.DataFrame:
        """SoC per battery [MWh] at the start and every step end (not stored in the database)."""
        return self.result.soc

    def summary(self) -> pd.DataFrame:
        """Per asset and in total: energy of baseline and schedule, action energy, value (see :func:`summarise`)."""
        return summarise(self.result, self.info)

    def storage(self) -> pd.DataFrame:
        """Per battery: ``soc_start``, ``soc_end`` [MWh], ``capacity_mwh``, efficiencies (for valuation)."""
        soc = self.result.soc
        bats = [a for a in soc.columns]
        info = self.info.reindex(bats)
        return pd.DataFrame(
            {
                "soc_start": soc.iloc[0].reindex(bats) if len(soc) else np.nan,
                "soc_end": soc.iloc[-1].reindex(bats) if len(soc) else np.nan,
                "capacity_mwh": info["capacity_mwh"],
                "charge_efficiency": info["charge_efficiency"],
                "discharge_efficiency": info["discharge_efficiency"],
            },
            index=pd.Index(bats, name="asset"),
        )


def summarise(result: ScheduleResult, info: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per asset: type, energy of baseline and schedule, action energy and value; a total row.

    Parameters
    ----------
    result : ScheduleResult
    info : pandas.DataFrame, optional
        Asset info with a ``type`` column (from :func:`portfolio_from_db`).

    Returns
    -------
    pandas.DataFrame
        Indexed by asset plus ``"total"``: ``type``, ``baseline_mwh`` = Σ baseline × Δt,
        ``schedule_mwh`` = Σ schedule × Δt (net energy, production positive),
        ``action_mwh`` = Σ |schedule − baseline| × Δt (energy moved, ≥ 0),
        ``value_eur`` = Σ (schedule − baseline) × price × Δt [EUR].
    """
    h = result.resolution / pd.Timedelta("1h")
    rev = result.revenue_by_asset
    out = pd.DataFrame(
        {
            "type": (info["type"].reindex(result.schedule.columns) if info is not None else ""),
            "baseline_mwh": result.baseline.sum() * h,
            "schedule_mwh": result.schedule.sum() * h,
            "action_mwh": result.actions.abs().sum() * h,
            "value_eur": rev["value"],
        }
    )
    total = out.drop(columns="type").sum()
    out.loc["total"] = ["", *total.to_numpy()]
    out.index.name = "asset"
    return out


def compare(results: dict[str, ScheduleResult]) -> pd.DataFrame:
    """Several schedules of the same day side by side (for example with and without an own constraint).

    Returns
    -------
    pandas.DataFrame
        One row per label: ``status``, ``revenue_eur`` (objective), ``baseline_revenue_eur``,
        ``value_eur`` (revenue − baseline revenue), ``value_change_eur`` against the first
        row, ``solve_time_s``.
    """
    rows = {
        label: {
            "status": r.status,
            "revenue_eur": r.objective,
            "baseline_revenue_eur": r.baseline_revenue,
            "value_eur": r.value,
            "solve_time_s": r.stats.solve_time,
        }
        for label, r in results.items()
    }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.insert(4, "value_change_eur", out["value_eur"] - out["value_eur"].iloc[0])
    return out


# ---------------------------------------------------------------------------------------
# database look-ups


def _asset_rows(conn: Connection, assets: Sequence[str] | None, overrides: dict | None = None) -> pd.DataFrame:
    """Assets with type, owner, connection point, market, power sensor and flexibility columns,
    with a scenario's ``overrides`` applied (:mod:`bvp_lib.scheduling.overrides`)."""
    q = sa.text(
        "SELECT a.id, a.name, a.asset_type_name AS type, o.name AS owner, cp.name AS connection_point, "
        "m.name AS market, a.capacity_mw, a.energy_capacity_mwh, a.min_soc_mwh, a.max_soc_mwh, "
        "a.soc_at_start_mwh, a.max_charge_mw, a.max_discharge_mw, a.charging_efficiency, "
        "a.discharging_efficiency, a.self_discharge_per_hour, a.shiftable_share, a.shift_window_hours, "
        "a.curtailable, "
        "(SELECT s.name FROM sensors s WHERE s.asset_id = a.id AND s.quantity = 'power' "
        " ORDER BY (s.name = a.name) DESC, s.id LIMIT 1) AS sensor, "
        "(SELECT extract(epoch FROM s.event_resolution) FROM sensors s WHERE s.asset_id = a.id "
        " AND s.quantity = 'power' ORDER BY (s.name = a.name) DESC, s.id LIMIT 1) AS sensor_res_s "
        "FROM assets a JOIN owners o ON o.id = a.owner_id "
        "LEFT JOIN connection_points cp ON cp.id = a.connection_point_id "
        "LEFT JOIN markets m ON m.id = a.market_id ORDER BY a.name"
    )
    df = pd.DataFrame(conn.execute(q).mappings().all())
    if df.empty:
        raise SchedulingInputError(
            "the database holds no assets: load them first (`bvp db populate --small`, or `bvp data import`)"
        )
    df = df.set_index("name")
    if assets is not None:
        wanted = list(dict.fromkeys(assets))
        if not wanted:
            raise SchedulingInputError("no assets to schedule (an empty asset list was given)")
        unknown = [a for a in wanted if a not in df.index]
        if unknown:
            raise SchedulingInputError(
                f"unknown asset(s) {', '.join(unknown)}; the database has {', '.join(df.index[:20])}"
                + (f" and {len(df) - 20} more" if len(df) > 20 else "")
            )
        df = df.loc[wanted]
    bad = df[~df["type"].isin(KNOWN_TYPES)]
    if len(bad):
        raise SchedulingInputError(
            f"asset {bad.index[0]} has type {bad['type'].iloc[0]!r}, which the scheduler does not know "
            f"({', '.join(KNOWN_TYPES)}); leave it out with assets=[...]",
            asset=bad.index[0],
        )
    if overrides:
        from bvp_lib.scheduling.overrides import apply_overrides

        df = apply_overrides(df, overrides)
    return df


def _connection_rows(conn: Connection) -> pd.DataFrame:
    rows = conn.execute(sa.text("SELECT name, import_capacity_mw, export_capacity_mw FROM connection_points")).all()
    return pd.DataFrame(rows, columns=["name", "import_capacity_mw", "export_capacity_mw"]).set_index("name")


def _session_rows(conn: Connection, asset_ids: list[int], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Sessions plugged in during [start, end): arrival < end and departure > start."""
    cols = ["asset_id", "session_key", "arrival", "departure", "energy_mwh", "max_power_mw",
            "battery_capacity_mwh", "soc_at_arrival_mwh"]  # fmt: skip
    if not asset_ids:
        return pd.DataFrame(columns=cols)
    rows = conn.execute(
        sa.text(
            f"SELECT {', '.join(cols)} FROM charging_sessions WHERE asset_id = ANY(:ids) "
            "AND arrival < :end AND departure > :start ORDER BY asset_id, arrival, session_key"
        ),
        {"ids": asset_ids, "start": start.to_pydatetime(), "end": end.to_pydatetime()},
    ).all()
    df = pd.DataFrame(rows, columns=cols)
    for c in ("arrival", "departure"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return df


def _num(v, default: float | None = None) -> float | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return default
    return float(v)


# ---------------------------------------------------------------------------------------
# sessions


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


# ---------------------------------------------------------------------------------------
# the portfolio


def portfolio_from_db(
    day,
    *,
    baseline: pd.DataFrame,
    prices: pd.Series,
    assets: list[str] | None = None,
    soc_start: dict[str, float] | None = None,
    resolution: str | pd.Timedelta = "15min",
    overrides: dict | None = None,
    bind: Bind = None,
    _rows: pd.DataFrame | None = None,
) -> tuple[list[Asset], list[ConnectionPoint], pd.DataFrame]:
    """The scheduling objects of the assets in the database, for one local day.

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        Local delivery day (timezone ``BVP_TIMEZONE``).
    baseline : pandas.DataFrame
        Uncontrolled power [MW] (production positive, consumption negative) of every
        solar, wind and building asset scheduled, columns = asset names, on the step
        starts of the day (UTC): forecasts or measurements.
    prices : pandas.Series
        Prices [EUR/MWh] on the step starts of the day (their index is the horizon).
    assets : list of str, optional
        Asset names; default every asset in the database.
    soc_start : dict, optional
        Battery → SoC at the start of the day [MWh]; default the asset's
        ``soc_at_start_mwh``.
    resolution : str or pandas.Timedelta
        Step length of the schedule.
    overrides : dict, optional
        A scenario's changes to the stored asset parameters, ``target -> {attribute:
        value}`` (:mod:`bvp_lib.scheduling.overrides`); nothing stored changes.
    bind : Engine or Connection, optional

    Returns
    -------
    assets : list of Battery, ChargingStation, Building, Curtailable
    connection_points : list of ConnectionPoint
        The connection points of the scheduled assets with their import and export
        capacities [MW] (non-curtailable producers' production taken off, see the
        module docstring).
    info : pandas.DataFrame
        One row per asset (index = name): ``type``, ``owner``, ``connection_point``,
        ``market``, ``sensor`` (power sensor), ``scheduled`` (False for producers that
        cannot be curtailed), ``capacity_mw`` (rated power), ``max_power_mw`` (power limit
        used: batteries' charge power, stations' limit, buildings' consumption cap),
        ``capacity_mwh``, ``soc_start_mwh``, ``soc_min_mwh``, ``soc_max_mwh`` [MWh],
        ``max_charge_mw``, ``max_discharge_mw`` [MW], ``charge_efficiency``,
        ``discharge_efficiency`` [-], ``self_discharge_per_hour`` [1/h],
        ``shiftable_share`` [-], ``shift_window_hours`` [h], ``sessions`` (number in the
        day), ``note``.

    Raises
    ------
    SchedulingInputError
        Unknown assets, a battery without a SoC at start or energy capacity, a series
        missing from ``baseline``; the message names the asset.
    """
    from bvp_lib.config import get_settings

    tz = get_settings().timezone
    start, end = day_bounds(day, tz)
    res = pd.Timedelta(resolution)
    if len(prices) > 1 and (np.diff(prices.index.asi8) != res.value).any():
        raise SchedulingInputError(f"the prices are not on regular steps of {res} (the schedule's resolution)")
    soc_start = dict(soc_start or {})
    with transaction(bind) as conn:
        # _rows: the asset rows the caller (prepare_day) has just read, overrides applied
        rows = _asset_rows(conn, assets, overrides) if _rows is None else _rows
        cps = _connection_rows(conn)
        st_ids = [int(rows.loc[n, "id"]) for n in rows.index if rows.loc[n, "type"] in STATION_TYPES]
        sess = _session_rows(conn, st_ids, start, end)
    unknown_soc = sorted(set(soc_start) - set(rows.index[rows["type"].isin(STORAGE_TYPES)]))
    if unknown_soc:
        raise SchedulingInputError(f"soc_start names asset(s) that are not batteries in the portfolio: {unknown_soc}")
    objs: list[Asset] = []
    info: dict[str, dict] = {}
    fixed: dict[str, pd.Series] = {}  # connection point → non-curtailable production [MW]
    for name, r in rows.iterrows():
        kind = r["type"]
        rec = {c: np.nan for c in INFO_COLUMNS}
        rec.update(type=kind, owner=r["owner"], connection_point=r["connection_point"], market=r["market"],
                   sensor=r["sensor"], scheduled=True, capacity_mw=_num(r["capacity_mw"]), sessions=0, note="")  # fmt: skip
        if kind in STORAGE_TYPES:
            cap = _num(r["energy_capacity_mwh"])
            if cap is None:
                raise SchedulingInputError(f"battery {name} has no energy_capacity_mwh in the database", asset=name,
                                           family="soc_limits")  # fmt: skip
            s0 = soc_start.get(name, _num(r["soc_at_start_mwh"]))
            if s0 is None:
                raise SchedulingInputError(
                    f"battery {name}: no SoC at the start of {as_date(day)}: pass soc_start={{'{name}': ...}} [MWh] "
                    "or store soc_at_start_mwh",
                    asset=name, family="soc_limits",
                )
            pc = _num(r["max_charge_mw"], _num(r["capacity_mw"]))
            pdis = _num(r["max_discharge_mw"], pc)
            b = Battery(
                name, capacity=cap, charge_power=pc, discharge_power=pdis, soc_start=float(s0),
                soc_min=_num(r["min_soc_mwh"], 0.0), soc_max=_num(r["max_soc_mwh"], cap),
                charge_efficiency=_num(r["charging_efficiency"], 1.0),
                discharge_efficiency=_num(r["discharging_efficiency"], 1.0),
                self_discharge=_num(r["self_discharge_per_hour"], 0.0),
            )  # fmt: skip
            objs.append(b)
            rec.update(max_power_mw=pc, capacity_mwh=cap, soc_start_mwh=b.soc_start, soc_min_mwh=b.soc_min,
                       soc_max_mwh=b.soc_max, max_charge_mw=pc, max_discharge_mw=pdis,
                       charge_efficiency=b.charge_efficiency, discharge_efficiency=b.discharge_efficiency,
                       self_discharge_per_hour=b.self_discharge)  # fmt: skip
        elif kind in STATION_TYPES:
            bidi = kind == "bidirectional_charging_station"
            eta_c = _num(r["charging_efficiency"], 1.0)
            eta_d = _num(r["discharging_efficiency"], eta_c) if bidi else 1.0
            own = sess[sess["asset_id"] == int(r["id"])]
            clipped = clip_sessions(own, start, end, charge_efficiency=eta_c, bidirectional=bidi)
            limit = _num(r["max_charge_mw"], _num(r["capacity_mw"]))
            cols = ["arrival", "departure", "energy", "max_power"] + (["capacity", "soc_at_arrival"] if bidi else [])
            objs.append(ChargingStation(name, sessions=clipped[cols], bidirectional=bidi, max_power=limit,
                                        charge_efficiency=eta_c, discharge_efficiency=eta_d))  # fmt: skip
            crossing = int(((clipped["arrival_orig"] < start) | (clipped["departure_orig"] > end)).sum())
            rec.update(max_power_mw=limit, max_charge_mw=limit,
                       max_discharge_mw=_num(r["max_discharge_mw"]) if bidi else 0.0,
                       charge_efficiency=eta_c, discharge_efficiency=eta_d if bidi else np.nan,
                       sessions=len(clipped),
                       note=f"{crossing} session(s) cross midnight: clipped" if crossing else "")  # fmt: skip
        else:
            if name not in baseline.columns:
                raise SchedulingInputError(f"no power series for {kind} {name} in the baseline", asset=name)
            series = baseline[name]
            if kind in BUILDING_TYPES:
                share = _num(r["shiftable_share"], 0.0)
                window = _num(r["shift_window_hours"], 0.0)
                rated = _num(r["capacity_mw"])
                peak = float(-series.min()) if len(series) else 0.0
                cap = None if rated is None else max(rated, peak)
                objs.append(Building(name, baseline=series, flexible_share=share, shift_window=pd.Timedelta(hours=window),
                                     max_power=cap))  # fmt: skip
                rec.update(max_power_mw=cap, shiftable_share=share, shift_window_hours=window,
                           note=f"baseline peak {peak:.3f} MW above rated {rated:.3f} MW: cap = peak"
                           if rated is not None and peak > rated + 1e-9 else "")  # fmt: skip
                if pd.isna(r["shiftable_share"]):
                    rec["note"] = "no shiftable_share stored: inflexible"
            elif bool(r["curtailable"]):
                objs.append(Curtailable(name, forecast=series, technology=kind))
                rec.update(max_power_mw=_num(r["capacity_mw"]))
            else:
                rec.update(scheduled=False, note="not curtailable: production taken off the connection point")
                if r["connection_point"] is not None:
                    cpn = r["connection_point"]
                    fixed[cpn] = fixed.get(cpn, 0) + series.reindex(prices.index)
        info[name] = rec
    points = []
    members = {n: info[n]["connection_point"] for n in info if info[n]["scheduled"]}
    for cpn in dict.fromkeys(v for v in members.values() if v is not None):
        imp, exp = float(cps.loc[cpn, "import_capacity_mw"]), float(cps.loc[cpn, "export_capacity_mw"])
        if cpn in fixed:
            imp, exp = imp + fixed[cpn], exp - fixed[cpn]
        points.append(ConnectionPoint(cpn, assets=tuple(n for n, c in members.items() if c == cpn),
                                      import_capacity=imp, export_capacity=exp))  # fmt: skip
    info_df = pd.DataFrame.from_dict(info, orient="index")[INFO_COLUMNS]
    info_df.index.name = "asset"
    return objs, points, info_df


# ---------------------------------------------------------------------------------------
# series on the schedule's grid


def gate_closure(day) -> pd.Timestamp:
    """Gate closure of the day-ahead auction for local day ``day``: 12:00 local on D-1, in UTC.

    The forecasting parameters (``parameters/forecasting.yaml``: timezone, gate closure)
    decide, so stored schedules and day-ahead forecasts share one belief time.
    """
    from bvp_lib.forecasting.store import gate_closure as _gate_closure

    return _gate_closure(day)


def to_grid(series: pd.Series, resolution: pd.Timedelta, grid: pd.DatetimeIndex, *, own: pd.Timedelta) -> pd.Series:
    """A power or price series on the schedule's steps.

    Coarser data (hourly prices on quarter-hours) is repeated; finer data is averaged
    over complete steps (a step with a missing sub-step stays missing). Power [MW] and
    prices [EUR/MWh] are rates, so both rules keep energy and cost.
    """
    s = series.dropna()
    if own == resolution:
        out = s
    elif own > resolution:
        if own % resolution:
            raise SchedulingInputError(f"{series.name}: steps of {own} cannot be split into {resolution}")
        n = own // resolution
        idx = (s.index.asi8[:, None] + np.arange(n)[None, :] * resolution.value).ravel()
        out = pd.Series(np.repeat(s.to_numpy(float), n), index=pd.DatetimeIndex(idx, tz="UTC"))
    else:
        if resolution % own:
            raise SchedulingInputError(f"{series.name}: steps of {own} cannot be averaged to {resolution}")
        g = s.resample(resolution, origin="epoch")
        out = g.mean()[g.count() == resolution // own]
    return out.reindex(grid)


def _require_complete(frame: pd.DataFrame, sensors: list[str], grid: pd.DatetimeIndex, step: pd.Timedelta,
                      what: str, hint: str) -> None:  # fmt: skip
    """Raise naming the sensor(s) and the first gap when a series does not cover every step."""
    absent = [s for s in sensors if s not in frame.columns or frame[s].isna().all()]
    if absent:
        raise SchedulingInputError(
            f"no {what} stored for {', '.join(absent)} on {format_span(grid[0], grid[-1] + step)}{hint}",
            asset=absent[0],
        )
    for s in sensors:
        miss = frame[s].isna().to_numpy()
        if miss.any():
            i, j = _runs(miss)[0]
            n = int(miss.sum())
            raise SchedulingInputError(
                f"{what} for {s} missing from {format_span(grid[i], grid[j - 1] + step)}"
                + (f" ({n} steps missing in all)" if n > j - i else "")
                + f"; nothing is filled in{hint}",
                asset=s,
            )


def prepare_day(
    day,
    *,
    mode: Mode = "forecast",
    assets: list[str] | None = None,
    resolution: str | pd.Timedelta = "15min",
    forecast_source: str | None = None,
    soc_start: dict[str, float] | None = None,
    overrides: dict | None = None,
    bind: Bind = None,
) -> DayInputs:
    """Read everything a day's schedule needs from the database (see :func:`schedule_day`).

    Returns
    -------
    DayInputs
        Prices, baseline series, scheduling objects, connection points and info; call
        ``.build()`` for the problem.

    Raises
    ------
    SchedulingInputError
        No (or partly missing) forecasts, measurements or prices for the day, naming
        the sensor and the gap; unknown assets; bad battery data.
    """
    from bvp_lib.config import get_settings
    from bvp_lib.forecasting import store as forecast_store
    from bvp_lib.forecasting.errors import ForecastingError

    if mode not in ("forecast", "perfect"):
        raise ValueError(f"mode must be 'forecast' or 'perfect', got {mode!r}")
    tz = get_settings().timezone
    d = as_date(day)
    res = pd.Timedelta(resolution)
    if res <= pd.Timedelta(0) or pd.Timedelta("1h") % res:
        raise SchedulingInputError(f"resolution {resolution} must divide an hour (for example 15min, 30min or 1h)")
    grid = day_index(d, tz, res)
    with transaction(bind) as conn:
        rows = _asset_rows(conn, assets, overrides)
        markets = sorted({m for m in rows["market"] if m is not None})
        if len(markets) > 1:
            raise SchedulingInputError(
                f"the assets trade on several markets ({', '.join(markets)}); schedule them one market at a time"
            )
        price_sensor = markets[0] if markets else DEFAULT_PRICE_SENSOR
        need = rows[rows["type"].isin(SERIES_TYPES)]
        no_sensor = need.index[need["sensor"].isna()]
        if len(no_sensor):
            raise SchedulingInputError(f"asset {no_sensor[0]} has no power sensor", asset=no_sensor[0])
        sensors = list(need["sensor"])
        sensor_res = {s: pd.Timedelta(seconds=float(x)) for s, x in zip(need["sensor"], need["sensor_res_s"])}
        sensor_res[price_sensor] = pd.Timedelta(
            seconds=float(conn.execute(sa.text("SELECT extract(epoch FROM event_resolution) FROM sensors WHERE name=:n"),
                                       {"n": price_sensor}).scalar_one_or_none() or 3600)  # fmt: skip
        )
        order = [price_sensor] + sensors  # a missing price forecast is named first
        try:
            if mode == "forecast":
                bt = gate_closure(d)
                hint = (
                    f" (forecast mode uses day-ahead forecasts known by gate closure, "
                    f"{bt.tz_convert(tz):%Y-%m-%d %H:%M} {tz}; or schedule with perfect foresight: mode='perfect', "
                    "bvp schedule --perfect-foresight)"
                )
                wide = forecast_store.load_day_ahead(d, order, source_name=forecast_source, bind=conn)
                of = f" of source {forecast_source!r}" if forecast_source else ""
                what, price_what = f"day-ahead forecast{of}", f"day-ahead price forecast{of}"
            else:
                bt, hint = None, ""
                wide = forecast_store.load_actuals(d, order, bind=conn)
                what, price_what = "measurements", "realised prices"
        except ForecastingError as e:
            msg = str(e).replace("say which with source_name=...", "say which with forecast_source=... (--forecast-source)")
            msg = msg.rstrip(".")
            raise SchedulingInputError(msg + hint) from e
    on_grid = pd.DataFrame(
        {s: to_grid(wide[s], res, grid, own=sensor_res[s]) for s in wide.columns if s in sensor_res}, index=grid
    )
    _require_complete(on_grid, [price_sensor], grid, res, price_what, hint)
    _require_complete(on_grid, sensors, grid, res, what, hint)
    prices = on_grid[price_sensor].rename("price")
    by_sensor = dict(zip(need["sensor"], need.index))
    baseline = on_grid[sensors].rename(columns=by_sensor)
    objs, points, info = portfolio_from_db(d, baseline=baseline, prices=prices, assets=list(rows.index),
                                           soc_start=soc_start, resolution=res, overrides=overrides, bind=bind,
                                           _rows=rows)  # fmt: skip
    return DayInputs(day=d, mode=mode, tz=tz, resolution=res, prices=prices, baseline=baseline, assets=objs,
                     connection_points=points, info=info, belief_time=bt,
                     forecast_source=forecast_source if mode == "forecast" else None)  # fmt: skip


# ---------------------------------------------------------------------------------------
# storing


def schedule_beliefs(result: ScheduleResult, inputs: DayInputs, sensor_resolution: dict[str, pd.Timedelta]) -> pd.DataFrame:
    """The scheduled power of every scheduled asset as tidy beliefs on its power sensor.

    Power [MW], production positive, on the sensor's resolution (repeated from coarser
    schedules, averaged from finer ones). Horizon: ``event_start + sensor resolution −
    gate closure`` in forecast mode, 0 in perfect-foresight mode.
    """
    parts = []
    info = inputs.info
    for a in result.schedule.columns:
        sensor = info.loc[a, "sensor"]
        if not isinstance(sensor, str) or not info.loc[a, "scheduled"]:
            continue
        own = sensor_resolution[sensor]
        grid = pd.date_range(inputs.prices.index[0], inputs.prices.index[-1] + inputs.resolution, freq=own,
                             inclusive="left")  # fmt: skip
        s = to_grid(result.schedule[a].rename(sensor), own, grid, own=inputs.resolution)
        if s.isna().any():
            raise SchedulingInputError(f"the schedule of {a} does not fit the {own} steps of sensor {sensor}", asset=a)
        start = s.index
        horizon = (start + own - inputs.belief_time) if inputs.belief_time is not None else pd.TimedeltaIndex(
            np.zeros(len(s), "timedelta64[ns]"))  # fmt: skip
        parts.append(pd.DataFrame({"sensor": sensor, "event_start": start, "belief_horizon": horizon,
                                   "value": s.to_numpy(float)}))  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=["sensor", "event_start", "belief_horizon", "value"])
    return pd.concat(parts, ignore_index=True)


def scheduler_source(mode: Mode, solver: str) -> SourceSpec:
    """The data source of stored schedules: name by mode, the solver as model, bvp_lib's version."""
    import bvp_lib

    return SourceSpec(PERFECT_SOURCE if mode == "perfect" else SCHEDULER_SOURCE, "scheduler", model=str(solver),
                      version=bvp_lib.__version__)  # fmt: skip


def save_schedule(result: ScheduleResult, inputs: DayInputs, *, bind: Bind = None) -> tuple[SourceSpec, int]:
    """Store a day's schedule as beliefs, replacing the same source's schedule of that day.

    One transaction: the beliefs of the scheduler source (name by mode, solver, version)
    on the scheduled assets' sensors in the day are deleted, then the new ones written.

    Returns
    -------
    source : SourceSpec
    rows : int
        Beliefs written.
    """
    source = scheduler_source(inputs.mode, result.stats.solver)
    sensors = [s for s, ok in zip(inputs.info["sensor"], inputs.info["scheduled"]) if isinstance(s, str) and ok]
    start, end = day_bounds(inputs.day, inputs.tz)
    with _begin(bind) as conn:
        from bvp_lib.beliefs import sensor_table

        st = sensor_table(conn, sensors)
        df = schedule_beliefs(result, inputs, dict(zip(st.index, st["resolution"])))
        sid = get_or_create_source(conn, source.name, source.type, source.model, source.version)
        conn.execute(
            sa.text(
                "DELETE FROM timed_beliefs WHERE source_id = :src AND sensor_id = ANY(:ids) "
                "AND event_start >= :start AND event_start < :end"
            ),
            {"src": sid, "ids": [int(x) for x in st["id"]], "start": start.to_pydatetime(), "end": end.to_pydatetime()},
        )
        rows = save_beliefs(df, source=sid, bind=conn)
    return source, rows


class _begin:
    """A transaction on an engine (or the caller's connection and transaction, as is)."""

    def __init__(self, bind: Bind):
        self.bind = bind
        self._ctx = None

    def __enter__(self) -> Connection:
        if isinstance(self.bind, Connection):
            return self.bind
        eng = self.bind
        if eng is None:
            from bvp_lib.db.engine import get_engine

            eng = get_engine()
        self._ctx = eng.begin()
        return self._ctx.__enter__()

    def __exit__(self, *exc):
        if self._ctx is not None:
            return self._ctx.__exit__(*exc)
        return None


# ---------------------------------------------------------------------------------------
# the orchestrator


def schedule_day(
    day,
    *,
    mode: Mode = "forecast",
    assets: list[str] | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    resolution: str | pd.Timedelta = "15min",
    forecast_source: str | None = None,
    soc_start: dict[str, float] | None = None,
    overrides: dict | None = None,
    save: bool = True,
    bind: Bind = None,
) -> DaySchedule:
    """Schedule one local day of the portfolio in the database and store the schedule.

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        Local delivery day (``BVP_TIMEZONE``, Europe/Berlin): 92, 96 or 100 quarter-hours.
    mode : {"forecast", "perfect"}
        ``"forecast"``: day-ahead forecasts of power and prices known at gate closure
        (12:00 local on D-1). ``"perfect"``: realised power and prices (upper bound).
    assets : list of str, optional
        Asset names; default every asset in the database.
    solver : {"cbc", "highs"}, optional
        Default ``BVP_LP_SOLVER``.
    time_limit : float, optional
        Seconds per solver call.
    mip_gap : float, optional
        Relative MIP gap (when binaries are needed).
    resolution : str or pandas.Timedelta
        Step length Δt of the schedule; must divide an hour. Hourly prices are
        repeated on finer steps.
    forecast_source : str, optional
        Name of the forecaster's data source to use (forecast mode), required when
        several forecasters stored day-ahead forecasts.
    soc_start : dict, optional
        Battery → SoC at the start of the day [MWh]; default ``soc_at_start_mwh``.
    overrides : dict, optional
        A scenario's changes to the stored asset parameters (``{"battery": {"power_mw":
        2.0}}``, see :mod:`bvp_lib.scheduling.overrides`); nothing stored changes.
    save : bool
        Store the schedule as beliefs (one transaction, replacing this source's
        schedule of the day).
    bind : Engine or Connection, optional

    Returns
    -------
    DaySchedule
        ``.result`` (schedule [MW], SoC [MWh], baseline, actions, objective [EUR],
        stats), ``.inputs`` (prices, baseline series, info), ``.source``,
        ``.saved_rows``; ``.summary()`` per asset.

    Raises
    ------
    SchedulingInputError
        Missing forecasts or prices (naming sensor and gap), unknown assets, bad asset
        data — before the solver runs.
    InfeasibleScheduleError
        Naming the asset(s) and constraint family that cannot hold.
    SolverError, UnboundedScheduleError
        Nothing is stored in any of these cases.

    Examples
    --------
    >>> ds = schedule_day("2015-04-12", mode="perfect", solver="cbc")  # doctest: +SKIP
    >>> ds.summary()  # doctest: +SKIP
    """
    inputs = prepare_day(day, mode=mode, assets=assets, resolution=resolution, forecast_source=forecast_source,
                         soc_start=soc_start, overrides=overrides, bind=bind)  # fmt: skip
    result = inputs.build().solve(solver, time_limit, mip_gap)
    out = DaySchedule(result=result, inputs=inputs)
    if save:
        out.source, out.saved_rows = save_schedule(result, inputs, bind=bind)
    return out
