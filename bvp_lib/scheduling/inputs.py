"""The inputs of one local day's schedule, read from the database.

This is the database side of :mod:`bvp_lib.scheduling`: it takes the assets and
connection points from the catalogue (:class:`bvp_lib.db.catalogue.Catalogue`), the
charging sessions of the day, and the forecasts or measurements and prices, and builds
the scheduling objects (:class:`~bvp_lib.scheduling.Battery`, ...) on the schedule's
steps (:class:`DayInputs`). :mod:`bvp_lib.scheduling.store` solves them and stores the
schedule as beliefs.

Sign convention everywhere: power in MW, **production positive, consumption negative**
(a charging battery or car and a building's load are negative). Energy in MWh, prices
in EUR/MWh, SoC in MWh. Energy of a step = power × Δt; revenue = Σ power × price × Δt.

Two modes
---------
``"forecast"``
    What BVP knows at gate closure on D-1 (the market's clock,
    :mod:`bvp_lib.market.clock`): the day-ahead forecasts of each asset's uncontrolled
    power and of the day-ahead price, stored by the forecaster and known by gate closure
    (:func:`bvp_lib.forecasting.day_ahead.load_day_ahead`; each sensor's primary model
    unless ``forecast_source`` names one). ``belief_time`` is gate closure.
``"perfect"``
    Perfect foresight: the realised power and the realised prices
    (:func:`bvp_lib.forecasting.day_ahead.load_actuals`), the upper bound of what
    flexibility could have earned; made after the fact (``belief_time`` None).

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
    :class:`~bvp_lib.scheduling.ChargingStation` with the sessions plugged in during
    the day; station limit ``max_charge_mw`` (else ``capacity_mw``). Forecast mode: the
    *expected sessions* forecast at gate closure from the sessions known then
    (:func:`bvp_lib.forecasting.session_feed.day_ahead_sessions`); ``ev_sessions="actual"``
    plans on the real sessions of D instead (look-ahead, kept for comparison). Perfect
    mode: the real sessions. See :func:`~bvp_lib.scheduling.ev.clip_sessions` for
    sessions that cross midnight. Baseline: each car charges at full power from arrival.

The day is the local calendar day of the market's clock (92, 96 or 100 quarter-hours).
Hourly prices are repeated on the schedule's steps. A forecast, series or price missing
for part of the day raises an error naming the sensor and the gap; nothing is ever
filled silently.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from bvp_lib.beliefs import to_grid
from bvp_lib.db.catalogue import Catalogue, CatalogueError
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.market.clock import market_clock
from bvp_lib.scheduling.assets import (
    BUILDING_TYPES,
    KNOWN_TYPES,
    SERIES_TYPES,
    STATION_TYPES,
    STORAGE_TYPES,
    Asset,
    Battery,
    Building,
    ChargingStation,
    ConnectionPoint,
    Curtailable,
)
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.ev import clip_sessions
from bvp_lib.scheduling.overrides import apply_overrides, connection_overrides
from bvp_lib.scheduling.build import build_problem
from bvp_lib.scheduling.problem import Problem
from bvp_lib.scheduling.timeseries import _runs, format_span
from bvp_lib.timing import as_date, day_bounds, day_index

Mode = Literal["forecast", "perfect"]
EvSessions = Literal["forecast", "actual"]
EV_SESSIONS = ("forecast", "actual")


Bind = Engine | Connection | None


INFO_COLUMNS = [
    "type", "owner", "connection_point", "market", "sensor", "scheduled", "capacity_mw", "max_power_mw",
    "capacity_mwh", "soc_start_mwh", "soc_min_mwh", "soc_max_mwh", "max_charge_mw", "max_discharge_mw",
    "charge_efficiency", "discharge_efficiency", "self_discharge_per_hour", "shiftable_share",
    "shift_window_hours", "sessions", "note",
]  # fmt: skip


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
    rows, sessions, points_table, soc_start, overrides
        What the objects were built from (the stored asset rows, the day's sessions, the
        connection points, the SoC at start and the overrides), for
        :meth:`with_overrides`.
    belief_time : pandas.Timestamp or None
        When the inputs were known: gate closure (UTC) in forecast mode, ``None`` in
        perfect mode (after the fact).
    forecast_source : str or None
        The forecaster data source asked for in forecast mode (``None``: each sensor's
        primary model, see :func:`bvp_lib.forecasting.day_ahead.load_day_ahead`).
    ev_sessions : {"forecast", "actual"}
        The charging sessions the stations were scheduled on: forecast at gate closure
        (forecast mode), or the real ones (perfect mode; forecast mode with look-ahead).
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
    rows: pd.DataFrame | None = None
    sessions: pd.DataFrame | None = None
    points_table: pd.DataFrame | None = None
    soc_start: dict | None = None
    overrides: dict | None = None
    ev_sessions: str = "actual"

    def with_overrides(self, overrides: dict | None) -> DayInputs:
        """The same day with a scenario's overrides of the stored parameters
        (:mod:`bvp_lib.scheduling.overrides`, one vocabulary for backtests, sweeps and
        the explorers), rebuilt from what was read: no database access. These inputs
        stay unchanged."""
        if self.rows is None:
            raise SchedulingInputError("these day inputs were not read by prepare_day: they cannot be rebuilt")
        rows = apply_overrides(self.rows, overrides)
        objs, points, info = build_portfolio(
            self.day, rows=rows, connection_points=connection_overrides(self.points_table, overrides),
            sessions=self.sessions, baseline=self.baseline, prices=self.prices, soc_start=self.soc_start,
            resolution=self.resolution,
        )  # fmt: skip
        return dataclasses.replace(self, assets=objs, connection_points=points, info=info, overrides=overrides or None)

    def at_resolution(self, resolution) -> DayInputs:
        """The same day on coarser steps (for example hourly, the delivery periods of the
        day-ahead auction): baseline power and prices as means over each new step, the
        assets rebuilt from what was read (no database access)."""
        res = pd.Timedelta(resolution)
        if res == self.resolution:
            return self
        if res < self.resolution or res % self.resolution:
            raise SchedulingInputError(f"{res} is not a whole multiple of the schedule's {self.resolution} steps")
        if self.rows is None:
            raise SchedulingInputError("these day inputs were not read by prepare_day: they cannot be rebuilt")
        grid = day_index(self.day, self.tz, res)
        k = int(res / self.resolution)
        b = self.baseline.to_numpy(float)
        if len(self.baseline) == k * len(grid) and self.baseline.index[0] == grid[0] and np.isfinite(b).all():
            # the day's steps split evenly into the new ones: each new step's mean at once
            baseline = pd.DataFrame(b.reshape(len(grid), k, -1).mean(axis=1), index=grid, columns=self.baseline.columns)
        else:
            baseline = pd.DataFrame({c: to_grid(self.baseline[c], res, grid, own=self.resolution)
                                     for c in self.baseline}, index=grid)  # fmt: skip
        prices = to_grid(self.prices, res, grid, own=self.resolution).rename("price")
        objs, points, info = build_portfolio(
            self.day, rows=apply_overrides(self.rows, self.overrides),
            connection_points=connection_overrides(self.points_table, self.overrides), sessions=self.sessions,
            baseline=baseline, prices=prices, soc_start=self.soc_start, resolution=res,
        )  # fmt: skip
        return dataclasses.replace(self, resolution=res, prices=prices, baseline=baseline, assets=objs,
                                   connection_points=points, info=info)

    def build(self, **kwargs) -> Problem:
        """The scheduling problem of these inputs (:func:`~bvp_lib.scheduling.build_problem`).

        Keyword arguments go to ``build_problem`` (``tie_break``, ``complementarity``).
        Add own constraints to the returned problem's ``model`` before solving.
        """
        return build_problem(self.assets, self.prices, self.connection_points, resolution=self.resolution, **kwargs)


def asset_rows(catalogue: Catalogue, assets: Sequence[str] | None = None, overrides: dict | None = None) -> pd.DataFrame:
    """The catalogue's rows of the assets to schedule (index = name; type, owner,
    connection point, market, power sensor and flexibility columns), with a scenario's
    ``overrides`` applied (:mod:`bvp_lib.scheduling.overrides`).

    Raises
    ------
    SchedulingInputError
        No assets stored, unknown names (with "did you mean"), or a type the scheduler
        does not know; nothing is read from the database here.
    """
    try:
        df = catalogue.rows(assets)
    except CatalogueError as e:
        raise SchedulingInputError(str(e)) from None
    bad = df[~df["type"].isin(KNOWN_TYPES)]
    if len(bad):
        raise SchedulingInputError(
            f"asset {bad.index[0]} has type {bad['type'].iloc[0]!r}, which the scheduler does not know "
            f"({', '.join(KNOWN_TYPES)}); leave it out with assets=[...]",
            asset=bad.index[0],
        )
    if overrides:
        df = apply_overrides(df, overrides)
    return df


def _num(v, default: float | None = None) -> float | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return default
    return float(v)


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
    catalogue: Catalogue | None = None,
    rows: pd.DataFrame | None = None,
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
        Where the day's charging sessions are read.
    catalogue : Catalogue, optional
        The portfolio as the caller read it (default: read it).
    rows : pandas.DataFrame, optional
        The asset rows (:func:`asset_rows`) the caller has already selected, overrides
        applied.

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
    start, end = day_bounds(day)
    with transaction(bind) as conn:
        cat = read_catalogue(conn, catalogue)
        rows = asset_rows(cat, assets, overrides) if rows is None else rows
        stations = [n for n in rows.index if rows.loc[n, "type"] in STATION_TYPES]
        sess = cat.sessions(stations, start, end, bind=conn)
    return build_portfolio(day, rows=rows, connection_points=connection_overrides(cat.connection_points, overrides),
                           sessions=sess, baseline=baseline, prices=prices, soc_start=soc_start,
                           resolution=resolution)  # fmt: skip


def build_portfolio(
    day,
    *,
    rows: pd.DataFrame,
    connection_points: pd.DataFrame,
    sessions: pd.DataFrame,
    baseline: pd.DataFrame,
    prices: pd.Series,
    soc_start: dict[str, float] | None = None,
    resolution: str | pd.Timedelta = "15min",
) -> tuple[list[Asset], list[ConnectionPoint], pd.DataFrame]:
    """The scheduling objects of one local day from what :func:`portfolio_from_db` read
    (pure: no database), so a scenario or an explorer can rebuild them with other
    parameters (``rows`` through :func:`~bvp_lib.scheduling.overrides.apply_overrides`).

    Parameters
    ----------
    rows : pandas.DataFrame
        Asset rows (:func:`asset_rows`).
    connection_points : pandas.DataFrame
        Index = name: ``import_capacity_mw``, ``export_capacity_mw`` [MW].
    sessions : pandas.DataFrame
        The stations' sessions plugged in during the day (``asset`` names the station).
    baseline, prices, soc_start, resolution
        As :func:`portfolio_from_db`.

    Returns
    -------
    As :func:`portfolio_from_db`.
    """
    start, end = day_bounds(day)
    res = pd.Timedelta(resolution)
    if len(prices) > 1 and (np.diff(prices.index.asi8) != res.value).any():
        raise SchedulingInputError(f"the prices are not on regular steps of {res} (the schedule's resolution)")
    soc_start = dict(soc_start or {})
    cps, sess = connection_points, sessions
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
                degradation_cost=_num(r.get("degradation_cost_eur_mwh"), 0.0),
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
            own = sess[sess["asset"] == name]
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
    catalogue: Catalogue | None = None,
    ev_sessions: EvSessions = "forecast",
) -> DayInputs:
    """Read everything a day's schedule needs from the database (see
    :func:`bvp_lib.scheduling.store.schedule_day` for the parameters).

    ``ev_sessions`` (forecast mode): ``"forecast"`` schedules the charging stations on
    the expected sessions forecast at gate closure; ``"actual"`` on the real sessions of
    the day (look-ahead: what was done before session forecasts existed, for comparison).

    ``catalogue`` is the portfolio as the caller read it (a day run reads it once for
    its forecasts and both schedules); default: read it here.

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
    from bvp_lib.forecasting.day_ahead import load_actuals, load_day_ahead
    from bvp_lib.forecasting.errors import ForecastingError

    if mode not in ("forecast", "perfect"):
        raise ValueError(f"mode must be 'forecast' or 'perfect', got {mode!r}")
    if ev_sessions not in EV_SESSIONS:
        raise ValueError(f"ev_sessions must be 'forecast' or 'actual', got {ev_sessions!r}")
    forecast_sessions = mode == "forecast" and ev_sessions == "forecast"
    clock = market_clock()
    tz = clock.timezone
    d = as_date(day)
    res = pd.Timedelta(resolution)
    if res <= pd.Timedelta(0) or pd.Timedelta("1h") % res:
        raise SchedulingInputError(f"resolution {resolution} must divide an hour (for example 15min, 30min or 1h)")
    grid = day_index(d, tz, res)
    with transaction(bind) as conn:
        cat = read_catalogue(conn, catalogue)
        rows = asset_rows(cat, assets, overrides)
        try:
            price_sensor = cat.price_sensor(rows.index)
        except CatalogueError as e:
            raise SchedulingInputError(str(e)) from None
        need = rows[rows["type"].isin(SERIES_TYPES)]
        no_sensor = need.index[need["sensor"].isna()]
        if len(no_sensor):
            raise SchedulingInputError(f"asset {no_sensor[0]} has no power sensor", asset=no_sensor[0])
        sensors = list(need["sensor"])
        sensor_res = {s: pd.Timedelta(seconds=float(x)) for s, x in zip(need["sensor"], need["sensor_res_s"])}
        sensor_res[price_sensor] = cat.resolution(price_sensor)
        order = [price_sensor] + sensors  # a missing price forecast is named first
        try:
            if mode == "forecast":
                bt = clock.gate_closure_of(d)
                hint = (
                    f" (forecast mode uses day-ahead forecasts known by gate closure, "
                    f"{bt.tz_convert(tz):%Y-%m-%d %H:%M} {tz}; or schedule with perfect foresight: mode='perfect', "
                    "bvp schedule --perfect-foresight)"
                )
                wide = load_day_ahead(d, order, source_name=forecast_source, bind=conn, catalogue=cat)
                of = f" of source {forecast_source!r}" if forecast_source else ""
                what, price_what = f"day-ahead forecast{of}", f"day-ahead price forecast{of}"
            else:
                bt, hint = None, ""
                wide = load_actuals(d, order, bind=conn)
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
        start, end = day_bounds(d, tz)
        stations = [n for n in rows.index if rows.loc[n, "type"] in STATION_TYPES]
        if forecast_sessions and stations:
            from bvp_lib.forecasting.session_feed import day_ahead_sessions

            try:
                sessions = day_ahead_sessions(d, stations, bind=conn, catalogue=cat)
            except ForecastingError as e:
                raise SchedulingInputError(f"{str(e).rstrip('.')}; or plan on the real sessions (look-ahead): "
                                           "ev_sessions='actual'", asset=stations[0]) from e  # fmt: skip
        else:
            sessions = cat.sessions(stations, start, end, bind=conn)
    stored_rows = cat.rows(list(rows.index))  # before overrides, for with_overrides()
    points_table = cat.connection_points
    objs, points, info = build_portfolio(d, rows=rows, connection_points=connection_overrides(points_table, overrides),
                                         sessions=sessions, baseline=baseline, prices=prices, soc_start=soc_start,
                                         resolution=res)  # fmt: skip
    return DayInputs(day=d, mode=mode, tz=tz, resolution=res, prices=prices, baseline=baseline, assets=objs,
                     connection_points=points, info=info, belief_time=bt,
                     forecast_source=forecast_source if mode == "forecast" else None, rows=stored_rows,
                     sessions=sessions, points_table=points_table, soc_start=dict(soc_start or {}),
                     overrides=overrides or None, ev_sessions="forecast" if forecast_sessions else "actual")  # fmt: skip
