"""EV session forecasts from the database: fitted at gate closure on the sessions known then.

The database side of :mod:`bvp_lib.forecasting.sessions`. For local delivery day D, the
issue time is gate closure on D-1 (the market's clock, :mod:`bvp_lib.market.clock`);
the stations' sessions are read with ``known_before`` = gate closure (a session is known
once it has ended, ``departure <= gate closure``: :meth:`Catalogue.sessions`), so nothing
stored about later sessions (their arrival, departure or energy) can reach the forecast.

* :func:`day_ahead_sessions`: the expected-sessions day of every station (the planned
  schedule's sessions, :func:`bvp_lib.scheduling.inputs.prepare_day`);
* :func:`session_scenarios`: ``n`` seeded session scenarios of the day (for offers made
  on scenarios);
* :func:`evaluate_sessions`: CRPS and pinball loss of the energy arriving per hour and
  per day over a period, against the sessions of the same day a week before
  (``bvp forecast evaluate``).

The forecast is a deterministic function of the sessions known at gate closure and the
``sessions:`` parameters (``parameters/forecasting.yaml``), so it is made when a plan
needs it and not stored: re-making it gives the same sessions.

Per station: its holidays are those of ``attributes.holidays_subdivision`` (a German
state, e.g. ``"BB"``; else national), its charge points ``attributes.charge_points``
(else capacity / session power), its charging efficiency ``charging_efficiency``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.forecasting.config import parameters_of
from bvp_lib.forecasting.errors import ForecastingError, InsufficientHistoryError
from bvp_lib.forecasting.session_scores import crps_ensemble, quantile_scores
from bvp_lib.forecasting.sessions import (
    SessionModel,
    SessionSettings,
    arrivals_by_hour,
    empty_sessions,
    fit_sessions,
    known_sessions,
)
from bvp_lib.market.clock import market_clock
from bvp_lib.timing import as_date, day_bounds, days_between

STATION_TYPES = ("charging_station", "bidirectional_charging_station")
DEFAULT_SEED = 2015
DEFAULT_SAMPLES = 200
DEFAULT_QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class StationFacts:
    """What the session forecast needs to know about a station."""

    name: str
    subdivision: str | None
    charge_efficiency: float
    points: int | None


def session_parameters(parameters=None) -> tuple[SessionSettings, dict]:
    """The :class:`SessionSettings` and the rest of the ``sessions:`` section (``seed``,
    ``samples``, ``quantiles``) of the forecasting parameters, and the calendar country."""
    p = parameters_of(parameters)
    section = dict(p.get("sessions") or {})
    try:
        settings = SessionSettings.from_parameters(section)
    except (ValueError, TypeError) as e:
        raise ForecastingError(f"parameters 'sessions': {e}") from None
    extra = {
        "seed": int(section.get("seed", DEFAULT_SEED)),
        "samples": int(section.get("samples", DEFAULT_SAMPLES)),
        "quantiles": tuple(float(q) for q in section.get("quantiles", DEFAULT_QUANTILES)),
        "country": (p.get("calendar") or {}).get("country", "DE"),
    }
    return settings, extra


def stations_of(cat: Catalogue, assets: Sequence[str] | None = None) -> list[str]:
    """The charging stations among ``assets`` (default: all assets; other names, such as a
    market's, are passed over), by name."""
    rows = cat.assets if not assets else cat.assets.loc[[a for a in assets if a in cat.assets.index]]
    return sorted(n for n in rows.index if rows.loc[n, "type"] in STATION_TYPES)


def station_facts(cat: Catalogue, stations: Sequence[str]) -> dict[str, StationFacts]:
    """Holiday state, charging efficiency and number of charge points per station."""
    out = {}
    for name in stations:
        r = cat.assets.loc[name]
        attrs = r["attributes"] if isinstance(r["attributes"], dict) else {}
        eta = r["charging_efficiency"]
        points = attrs.get("charge_points")
        out[name] = StationFacts(name, attrs.get("holidays_subdivision") or None,
                                 float(eta) if eta is not None else 1.0, int(points) if points else None)  # fmt: skip
    return out


def _history_start(day: dt.date, settings: SessionSettings, tz: str) -> pd.Timestamp:
    first = day - dt.timedelta(days=1 + int(settings.window / pd.Timedelta("1D")))
    return day_bounds(first, tz)[0]


def fit_station_models(
    day,
    stations: Sequence[str],
    *,
    bind=None,
    catalogue: Catalogue | None = None,
    parameters=None,
) -> dict[str, SessionModel]:
    """Each station's session forecast for local day ``day``, fitted at gate closure on D-1
    on the sessions known then (read with ``known_before`` = gate closure).

    Raises
    ------
    InsufficientHistoryError
        A station with too few days of known sessions (naming it and the days needed).
    """
    settings, extra = session_parameters(parameters)
    clock = market_clock()
    d = as_date(day)
    b = clock.gate_closure_of(d)
    with transaction(bind) as conn:
        cat = read_catalogue(conn, catalogue)
        facts = station_facts(cat, stations)
        hist = cat.sessions(list(stations), _history_start(d, settings, clock.timezone), b, known_before=b, bind=conn)
        firsts = cat.first_arrivals(list(stations), known_before=b, bind=conn)
    out = {}
    for name in stations:
        f = facts[name]
        first = firsts.get(name)
        out[name] = fit_sessions(
            hist[hist["asset"] == name], b, station=name, tz=clock.timezone, country=extra["country"],
            subdivision=f.subdivision, settings=settings, charge_efficiency=f.charge_efficiency,
            first_day=first.tz_convert(clock.timezone).date() if first is not None else None,
        )  # fmt: skip
    return out


def day_ahead_sessions(day, stations: Sequence[str], *, bind=None, catalogue: Catalogue | None = None,
                       parameters=None) -> pd.DataFrame:  # fmt: skip
    """The expected-sessions day of local day ``day`` for every station, as known at gate
    closure on D-1 (:meth:`~bvp_lib.forecasting.sessions.SessionModel.expected_sessions`).

    Returns
    -------
    pandas.DataFrame
        Columns of ``charging_sessions`` (``asset``, ``session_key``, ``arrival``,
        ``departure`` UTC, ``energy_mwh`` [MWh], ``max_power_mw`` [MW],
        ``battery_capacity_mwh``, ``soc_at_arrival_mwh`` [MWh]) plus ``weight`` (cars
        per representative); arrivals on D-1 and D (cut to D by the scheduler).
        ``attrs["belief_time"]`` is gate closure (UTC).
    """
    models = fit_station_models(day, stations, bind=bind, catalogue=catalogue, parameters=parameters)
    parts = [m.expected_sessions(as_date(day)) for m in models.values()]
    full = [p for p in parts if len(p)]
    out = pd.concat(full, ignore_index=True) if full else (parts[0] if parts else empty_sessions(["weight"]))
    out.attrs["belief_time"] = market_clock().gate_closure_of(day)
    return out


def session_scenarios(day, stations: Sequence[str], n: int, *, seed: int | None = None, bind=None,
                      catalogue: Catalogue | None = None, parameters=None) -> list[pd.DataFrame]:  # fmt: skip
    """``n`` seeded session scenarios of local day ``day`` for the stations, as known at
    gate closure on D-1: scenario i is one table of every station's sessions (columns as
    :func:`day_ahead_sessions`, no ``weight``; one car per charge point).
    ``seed`` default: ``sessions.seed`` of the parameters."""
    _, extra = session_parameters(parameters)
    seed = extra["seed"] if seed is None else int(seed)
    with transaction(bind) as conn:
        cat = read_catalogue(conn, catalogue)
        facts = station_facts(cat, stations)
        models = fit_station_models(day, stations, bind=conn, catalogue=cat, parameters=parameters)
    per = {name: m.scenarios(as_date(day), n, seed, points=facts[name].points) for name, m in models.items()}
    out = []
    for i in range(n):
        parts = [per[name][i] for name in stations]
        full = [p for p in parts if len(p)]
        t = pd.concat(full, ignore_index=True) if full else (parts[0] if parts else empty_sessions())
        t.attrs["scenario"] = i
        out.append(t)
    return out


# ---------------------------------------------------------------------------------------
# scores over a period

SCORE_COLUMNS = [
    "station", "days", "actual_mwh_per_day", "forecast_mwh_per_day", "crps_hour_mwh", "crps_day_mwh",
    "crps_day_relative", "pinball_day_mwh", "coverage_day", "reference_crps_hour_mwh", "reference_crps_day_mwh",
    "skill_hour", "skill_day", "skipped_days",
]  # fmt: skip


def evaluate_sessions(start_day, end_day, *, assets: Sequence[str] | None = None, samples: int | None = None,
                      seed: int | None = None, bind=None, parameters=None,
                      catalogue: Catalogue | None = None) -> pd.DataFrame:  # fmt: skip
    """Scores of the day-ahead session forecasts of local days ``start_day`` .. ``end_day``.

    For every day D and station: the forecast made at gate closure on D-1 (the sessions
    known then) gives ``samples`` seeded samples of the energy arriving in each local hour
    of D (:meth:`~bvp_lib.forecasting.sessions.SessionModel.energy_samples`), scored
    against the energy of the sessions that really arrived then
    (:mod:`bvp_lib.forecasting.session_scores`):

    * ``crps_hour_mwh``: CRPS per arrival window (hour), mean over days and hours [MWh];
    * ``crps_day_mwh``: CRPS of the day's energy, mean over days [MWh]; relative to the
      mean actual energy per day in ``crps_day_relative`` [-];
    * ``pinball_day_mwh``: the day's pinball loss, mean over the ``quantiles``
      (default 10, 50, 90 %) [MWh]; ``coverage_day``: the share of days inside the
      10–90 % interval [-];
    * ``reference_*``: the reference forecast, the sessions of D-7 (a point forecast:
      its CRPS is its absolute error); ``skill_* = 1 − CRPS / CRPS_reference``.

    A day without enough known history for a station is skipped (``skipped_days``).

    Returns
    -------
    pandas.DataFrame
        One row per station, :data:`SCORE_COLUMNS`; empty when no station is selected.
    """
    settings, extra = session_parameters(parameters)
    samples = extra["samples"] if samples is None else int(samples)
    seed = extra["seed"] if seed is None else int(seed)
    taus = extra["quantiles"]
    clock = market_clock()
    tz = clock.timezone
    days = days_between(start_day, end_day)
    with transaction(bind) as conn:
        cat = read_catalogue(conn, catalogue)
        stations = stations_of(cat, assets)
        if not stations:
            return pd.DataFrame(columns=SCORE_COLUMNS)
        facts = station_facts(cat, stations)
        start = min(_history_start(days[0], settings, tz), day_bounds(days[0] - dt.timedelta(days=7), tz)[0])
        hist = cat.sessions(stations, start, day_bounds(days[-1], tz)[1], bind=conn)
    rows = []
    for name in stations:
        own = hist[hist["asset"] == name]
        f = facts[name]
        fc_h, act_h, ref_h, skipped = [], [], [], 0
        for d in days:
            b = clock.gate_closure_of(d)
            try:
                m = fit_sessions(own, b, station=name, tz=tz, country=extra["country"], subdivision=f.subdivision,
                                 settings=settings, charge_efficiency=f.charge_efficiency)  # fmt: skip
            except InsufficientHistoryError:
                skipped += 1
                continue
            fc_h.append(m.energy_samples(d, samples, seed))
            act_h.append(arrivals_by_hour(own, d, tz).to_numpy())
            ref_h.append(arrivals_by_hour(known_sessions(own, b), d - dt.timedelta(days=7), tz).to_numpy())
        if not fc_h:
            rows.append({"station": name, "days": 0, "skipped_days": skipped})
            continue
        fc, act, ref = np.stack(fc_h, axis=1), np.stack(act_h), np.stack(ref_h)  # (samples, days, 24), (days, 24)
        fc_h_t = np.moveaxis(fc, 0, -1)  # (days, 24, samples)
        fc_day = fc.sum(axis=-1).T  # (days, samples)
        act_day, ref_day = act.sum(axis=1), ref.sum(axis=1)
        crps_h = float(crps_ensemble(fc_h_t, act).mean())
        crps_d = float(crps_ensemble(fc_day, act_day).mean())
        ref_hr, ref_d = float(np.abs(ref - act).mean()), float(np.abs(ref_day - act_day).mean())
        q = quantile_scores(fc_day, act_day, taus)
        mean_act = float(act_day.mean())
        rows.append({
            "station": name, "days": int(len(act_day)), "actual_mwh_per_day": mean_act,
            "forecast_mwh_per_day": float(fc_day.mean()), "crps_hour_mwh": crps_h, "crps_day_mwh": crps_d,
            "crps_day_relative": crps_d / mean_act if mean_act > 0 else np.nan, "pinball_day_mwh": q["pinball"],
            "coverage_day": q["coverage"], "reference_crps_hour_mwh": ref_hr, "reference_crps_day_mwh": ref_d,
            "skill_hour": 1 - crps_h / ref_hr if ref_hr > 0 else np.nan,
            "skill_day": 1 - crps_d / ref_d if ref_d > 0 else np.nan, "skipped_days": skipped,
        })  # fmt: skip
    return pd.DataFrame(rows).reindex(columns=SCORE_COLUMNS)
