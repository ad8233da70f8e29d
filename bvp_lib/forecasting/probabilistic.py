"""Probabilistic day-ahead price forecasts: joint scenarios of the day's prices, and quantiles.

At gate closure on D-1 (the market clock) the point forecast of day D's prices (the
primary price model's, stored by :func:`~bvp_lib.forecasting.day_ahead.forecast_day_ahead`)
is dressed with the model's *own historical errors*: for each of the last
``history_days`` days ``d`` whose day-ahead forecast and prices are known by gate closure,
the error vector ``e_d = price_d − forecast_d`` over the local hours of ``d``. A scenario
is ``forecast_D + e_d``, one per past day: joint across the hours of the day (a
whole day's error, so the spread between hours, which is what a battery earns on, keeps
its real correlation), conditioned on the hour (each hour takes its own hour's error)
and on the season (only recent days). To keep regimes the forecast misses (a windy,
sunny holiday with negative prices) in view, a share ``climatology_share`` of the
probability goes to *climatological* scenarios: the realised prices of the most recent
days themselves.

In the first weeks of the data, where fewer than seven days of the model's own errors are
known, the recent days' deviations from their mean price profile stand in for the
missing ones (the errors of a forecast that knew only that profile: wider than a fitted
model's, so the scenarios err on the side of spread); ``info["own_error_days"]`` says
how many of a day's error scenarios are the model's own.

Every input was known at gate closure: past forecasts were issued at their own gate
closure (missing ones are made now, as a rolling-origin forecast of those days, each
with only what was known at its own issue time), past prices were published on the day
before their delivery.

Stored as beliefs on the price sensor, known at gate closure, one data source per
scenario (``"<model> scenario 07"``) and per quantile (``"<model> q0.90"``), type
``forecaster``. Scored with the pinball loss (quantiles), the CRPS (scenarios) and the
coverage of central intervals, against the climatological benchmark (:func:`evaluate_scenarios`).

Prices in EUR/MWh; days are local days of the market clock (23, 24 or 25 hours).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bvp_lib.beliefs import SourceSpec, load_beliefs, load_measurements, save_beliefs
from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.forecasting.base import FORECASTING_VERSION
from bvp_lib.forecasting.errors import ForecastingError
from bvp_lib.forecasting.targets import PRICE_TYPE, primary_model
from bvp_lib.market.clock import market_clock
from bvp_lib.timing import as_date, day_bounds, days_between

QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
DEFAULT_SCENARIOS = 20
DEFAULT_HISTORY_DAYS = 42
DEFAULT_CLIMATOLOGY_SHARE = 0.2
DEFAULT_CLIMATOLOGY_DAYS = 7
MIN_ERROR_DAYS = 7


@dataclass
class PriceScenarios:
    """Joint price scenarios of one local day.

    Attributes
    ----------
    day : datetime.date
    prices : pandas.DataFrame
        One row per scenario (index ``scenario``: ``e<day>`` for forecast-error
        scenarios, ``c<day>`` for climatological ones), one column per price step (UTC
        start) [EUR/MWh].
    weights : pandas.Series
        Probability of each scenario (sum 1).
    point : pandas.Series
        The point forecast the error scenarios are built on [EUR/MWh].
    belief_time : pandas.Timestamp
        Gate closure (UTC): when the scenarios were made.
    model : str
        The price model whose errors were used.
    sensor : str
        The price sensor.
    resolution : pandas.Timedelta
        Price step.
    """

    day: dt.date
    prices: pd.DataFrame
    weights: pd.Series
    point: pd.Series
    belief_time: pd.Timestamp
    model: str
    sensor: str
    resolution: pd.Timedelta = pd.Timedelta("1h")
    info: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.prices)

    def quantiles(self, qs: Sequence[float] = QUANTILES) -> pd.DataFrame:
        """Weighted quantiles per step [EUR/MWh]: one row per ``q``."""
        return pd.DataFrame({t: weighted_quantiles(self.prices[t].to_numpy(), self.weights.to_numpy(), qs)
                             for t in self.prices.columns}, index=pd.Index(list(qs), name="q"))  # fmt: skip

    def on_steps(self, index: pd.DatetimeIndex) -> np.ndarray:
        """The scenario prices repeated on finer steps ``index`` (S × len(index)) [EUR/MWh]."""
        starts = self.prices.columns.asi8
        pos = np.searchsorted(starts, index.asi8, side="right") - 1
        if (pos < 0).any() or (index.asi8 >= starts[-1] + self.resolution.value).any():
            raise ForecastingError(f"the price scenarios of {self.day} do not cover the schedule's steps.")
        return self.prices.to_numpy()[:, pos]


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles ``qs`` of a weighted sample (the inverse of the weighted empirical CDF, with
    each sample at the middle of its probability mass)."""
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(qs, cdf, v)


def _local_hours(index: pd.DatetimeIndex, tz: str) -> np.ndarray:
    """Hour of the local day of each step start, 0..23 (the repeated autumn hour counts once:
    its second occurrence is numbered 24 so it can fall back to hour 2's value)."""
    local = index.tz_convert(tz)
    h = local.hour.to_numpy().copy()
    seen = pd.Series(h).duplicated().to_numpy()
    h[seen] = 24
    return h


def _by_local_hour(series: pd.Series, tz: str) -> np.ndarray:
    """A day's hourly values as a 25-vector by local hour (the autumn repeat at 24; a
    missing spring hour filled from its neighbour)."""
    out = np.full(25, np.nan)
    h = _local_hours(series.index, tz)
    out[h] = series.to_numpy(float)
    if np.isnan(out[2]) and not np.isnan(out[1]):  # spring: 02:00 does not exist
        out[2] = out[1]
    if np.isnan(out[24]):
        out[24] = out[2]
    return out


def _hourly(values: pd.Series, resolution: pd.Timedelta) -> pd.Series:
    """Hourly means of a price series (prices are hourly in the bundled data)."""
    if resolution == pd.Timedelta("1h"):
        return values
    return values.resample("1h", origin="epoch").mean()


def price_scenarios(
    day,
    *,
    model: str | None = None,
    n_scenarios: int = DEFAULT_SCENARIOS,
    history_days: int = DEFAULT_HISTORY_DAYS,
    climatology_share: float = DEFAULT_CLIMATOLOGY_SHARE,
    climatology_days: int = DEFAULT_CLIMATOLOGY_DAYS,
    backfill: bool = True,
    save: bool = True,
    bind=None,
    catalogue: Catalogue | None = None,
    parameters=None,
) -> PriceScenarios:
    """Joint price scenarios of local day ``day`` made at gate closure (module docstring).

    Parameters
    ----------
    day : date or str
        Delivery day D.
    model : str, optional
        The price model whose point forecast and errors are used (default the primary
        price model of ``parameters/forecasting.yaml``). Its day-ahead forecast of D must
        be stored (the day run's forecast step stores it).
    n_scenarios : int
        Forecast-error scenarios (the most recent days with an error).
    history_days : int
        How far back errors are looked for [days].
    climatology_share : float
        Probability given to the climatological scenarios, in [0, 1).
    climatology_days : int
        Climatological scenarios: the realised prices of the most recent days.
    backfill : bool
        Make the missing past day-ahead forecasts (each at its own gate closure) and
        store them; otherwise only stored ones count.
    save : bool
        Store the scenarios and quantiles as beliefs (idempotent).

    Raises
    ------
    ForecastingError
        No point forecast of D stored, fewer than 7 past days with published prices,
        bad parameters. (With fewer than 7 days of the model's own errors, the first
        weeks of the data, the recent days' deviations from their mean price profile
        complete them; ``info["own_error_days"]`` says how many are the model's own.)
    """
    from bvp_lib.forecasting.config import parameters_of

    if n_scenarios < 1:
        raise ForecastingError(f"n_scenarios must be at least 1, not {n_scenarios}.")
    if not 0.0 <= climatology_share < 1.0:
        raise ForecastingError(f"climatology_share must be in [0, 1), not {climatology_share}.")
    p = parameters_of(parameters)
    clock = market_clock()
    tz = clock.timezone
    d = as_date(day)
    b = clock.gate_closure_of(d)
    model = model or primary_model(PRICE_TYPE, p)
    with transaction(bind) as conn:
        cat = read_catalogue(conn, catalogue)
        sensor = cat.price_sensor([])
        res = cat.resolution(sensor)
        start, end = day_bounds(d, tz)
        point = _day_ahead(sensor, model, d, res, bind=conn)
        if point is None:
            raise ForecastingError(
                f"no day-ahead forecast of {sensor!r} by {model!r} for {d} is stored: make it first "
                f"(`bvp forecast day-ahead --date {d}`, or the day run's forecast step)."
            )
        past = [d - dt.timedelta(days=k) for k in range(1, history_days + 1)]
        actual = _past_prices(sensor, past, tz, b, res, bind=conn)  # read once: errors, proxies, climatology
        errors = _past_errors(sensor, model, past, res, tz, b, bind=conn, actual=actual)
        if backfill and len(errors) < min(n_scenarios, len(past)):
            made = _backfill(sensor, model, [x for x in past if x not in errors], p, bind=conn, catalogue=cat)
            if made:
                errors = _past_errors(sensor, model, past, res, tz, b, bind=conn, actual=actual)
        own_errors = len(errors)
        if own_errors < MIN_ERROR_DAYS:
            errors = _proxy_errors(errors, actual)
        if len(errors) < MIN_ERROR_DAYS:
            raise ForecastingError(
                f"price scenarios of {d} need at least {MIN_ERROR_DAYS} past days with published prices (and, at "
                f"best, a stored day-ahead forecast by {model!r}); {len(errors)} found in the {history_days} days "
                "before. Start the orders strategy later in the data, or use strategy 'schedule' on the first days."
            )  # fmt: skip
        days_used = sorted(errors, reverse=True)[:n_scenarios]
        hours = _local_hours(point.index, tz)
        rows, names = [], []
        for x in days_used:
            rows.append(point.to_numpy(float) + errors[x][hours])
            names.append(f"e{x:%Y%m%d}")
        clim = ({x: actual[x] for x in past[: max(climatology_days, 0)] if x in actual}
                if climatology_share > 0 else {})  # fmt: skip
        for x in sorted(clim, reverse=True):
            rows.append(clim[x][hours])
            names.append(f"c{x:%Y%m%d}")
        n_e, n_c = len(days_used), len(rows) - len(days_used)
        share = climatology_share if n_c else 0.0
        w = np.r_[np.full(n_e, (1 - share) / n_e), np.full(n_c, share / n_c) if n_c else []]
        prices = pd.DataFrame(np.vstack(rows), index=pd.Index(names, name="scenario"), columns=point.index)
        out = PriceScenarios(d, prices, pd.Series(w, index=prices.index, name="weight"), point, b, model, sensor, res,
                             {"error_days": n_e, "climatology_days": n_c, "climatology_share": share,
                              "history_days": history_days, "own_error_days": min(own_errors, n_e)})  # fmt: skip
        if save:
            save_scenarios(out, bind=conn)
    return out


def _day_ahead(sensor: str, model: str, d: dt.date, res: pd.Timedelta, *, bind) -> pd.Series | None:
    """The stored day-ahead forecast of day ``d`` (issued at its gate closure), or None."""
    return _day_aheads(sensor, model, [d], res, bind=bind).get(d)


def _day_aheads(sensor: str, model: str, days, res: pd.Timedelta, *, bind) -> dict[dt.date, pd.Series]:
    """The stored day-ahead forecasts of ``days`` (each issued by its own gate closure), in
    one read: per day, per event the most recent belief known at that day's gate closure,
    of the model's most recent data source; days without a complete one are left out.
    ``res`` is the sensor's event resolution (belief time = event end − horizon)."""
    days = sorted(set(days))
    if not days:
        return {}
    clock = market_clock()
    closes = {x: clock.gate_closure_of(x) for x in days}
    start, _ = day_bounds(days[0])
    _, end = day_bounds(days[-1])
    f = load_beliefs(sensor, start, end, sources=[model], source_types=["forecaster"], known_before=max(closes.values()),
                     bind=bind)  # fmt: skip
    if f.empty:
        return {}
    # rows are sorted by event start, source and horizon (load_beliefs)
    ev = f["event_start"].to_numpy("datetime64[ns]").view(np.int64)
    known = ev + (res - f["belief_horizon"]).to_numpy("timedelta64[ns]").view(np.int64)
    src = f["source_id"].to_numpy(np.int64)
    val = f["value"].to_numpy(float)
    out = {}
    for x in days:
        a, e = day_bounds(x)
        lo, hi = np.searchsorted(ev, [a.value, e.value])
        i = lo + np.flatnonzero(known[lo:hi] <= closes[x].value)
        if not len(i):
            continue
        i = i[src[i] == src[i].max()]  # the model's most recent data source
        # the most recent belief per event: the first row of each event (smallest horizon)
        i = i[np.r_[True, ev[i][1:] != ev[i][:-1]]]
        if len(i) >= int(round((e - a) / pd.Timedelta("1h"))):
            out[x] = pd.Series(val[i], index=pd.DatetimeIndex(ev[i], tz="UTC"))
    return out


def _past_errors(sensor, model, days, res, tz, b, *, bind, actual=None) -> dict[dt.date, np.ndarray]:
    """Per past day: realised − forecast price by local hour (25-vector), both known by ``b``
    (``actual``: the days' realised prices from :func:`_past_prices`, if read already)."""
    actual = _past_prices(sensor, days, tz, b, res, bind=bind) if actual is None else actual
    clock = market_clock()
    known = [x for x in days if x in actual and clock.gate_closure_of(x) <= b]
    forecasts = _day_aheads(sensor, model, known, res, bind=bind)
    out = {x: actual[x] - _by_local_hour(_hourly(forecasts[x], res), tz) for x in known if x in forecasts}
    return {k: v for k, v in out.items() if np.isfinite(v).all()}


def _proxy_errors(errors: dict, prices: dict) -> dict:
    """The model's own past errors, completed (where fewer than :data:`MIN_ERROR_DAYS` are
    known, in the first weeks of the data) by the deviations of the recent days' realised
    prices from their mean profile by local hour: the errors of a forecast that knew only
    that profile, a wider spread than a fitted model's, and known at gate closure."""
    if not prices:
        return errors
    days = sorted(prices)
    with np.errstate(all="ignore"):
        profile = np.nanmean(np.vstack([prices[x] for x in days]), axis=0)
    out = {x: prices[x] - profile for x in days if np.isfinite(prices[x] - profile).all()}
    out.update(errors)
    return out


def _past_prices(sensor, days, tz, b, res, *, bind) -> dict[dt.date, np.ndarray]:
    """Realised prices of the complete past days known by ``b``, by local hour (25-vector)."""
    if not days:
        return {}
    start, _ = day_bounds(min(days), tz)
    _, end = day_bounds(max(days), tz)
    s = load_measurements([sensor], start, end, known_before=b, bind=bind)[sensor]
    out = {}
    for x in days:
        a, e = day_bounds(x, tz)
        part = s[(s.index >= a) & (s.index < e)]
        if len(part) == int((e - a) / res):
            v = _by_local_hour(_hourly(part, res), tz)
            if np.isfinite(v).all():
                out[x] = v
    return out


def _backfill(sensor, model, days, parameters, *, bind, catalogue) -> int:
    """Make and store the missing past day-ahead forecasts of the price (rolling origin),
    day by day range; days the model cannot forecast (too little history) are left out."""
    from bvp_lib.forecasting.rolling import forecast_range

    if not days:
        return 0
    made = 0
    for first, last in _ranges(sorted(days)):
        try:
            f = forecast_range(first, last, assets=[sensor], models=[model], horizons=["day-ahead"], save=True,
                               bind=bind, progress=False, parameters=parameters, catalogue=catalogue)  # fmt: skip
            made += len(f)
        except ForecastingError:
            # too little history at the start of the data: try the later part alone
            for x in days_between(first, last):
                try:
                    made += len(forecast_range(x, x, assets=[sensor], models=[model], horizons=["day-ahead"], save=True,
                                               bind=bind, progress=False, parameters=parameters, catalogue=catalogue))
                except ForecastingError:
                    continue
    return made


def _ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    out, first, prev = [], None, None
    for x in days:
        if first is None:
            first = prev = x
        elif (x - prev).days == 1:
            prev = x
        else:
            out.append((first, prev))
            first = prev = x
    if first is not None:
        out.append((first, prev))
    return out


# ---------------------------------------------------------------------------------------
# storing


def scenario_source(model: str, name: str) -> SourceSpec:
    """Data source of one scenario (``"linear scenario e20150411"``) or quantile (``"linear q0.90"``)."""
    return SourceSpec(f"{model} {name}", "forecaster", "bvp_lib.forecasting.probabilistic", FORECASTING_VERSION)


def save_scenarios(sc: PriceScenarios, *, bind=None) -> int:
    """Store the scenarios (in order: ``scenario 01`` .. so a day's sources are the same
    names every day) and their quantiles as beliefs known at gate closure."""
    starts = sc.prices.columns
    horizon = starts + sc.resolution - sc.belief_time
    n = 0
    with transaction(bind) as conn:
        for k, name in enumerate(sc.prices.index, 1):
            df = pd.DataFrame({"sensor": sc.sensor, "event_start": starts, "belief_horizon": horizon,
                               "value": sc.prices.loc[name].to_numpy(float)})  # fmt: skip
            n += save_beliefs(df, source=scenario_source(sc.model, f"scenario {k:02d}"), bind=conn)
        for q, row in sc.quantiles().iterrows():
            df = pd.DataFrame({"sensor": sc.sensor, "event_start": starts, "belief_horizon": horizon,
                               "value": row.to_numpy(float)})  # fmt: skip
            n += save_beliefs(df, source=scenario_source(sc.model, f"q{q:.2f}"), bind=conn)
    return n


# ---------------------------------------------------------------------------------------
# scores


def pinball(q: float, forecast: np.ndarray, actual: np.ndarray) -> float:
    """Mean pinball loss of quantile ``q`` [EUR/MWh]: ``mean(max(q (y − f), (q − 1)(y − f)))``."""
    d = np.asarray(actual, float) - np.asarray(forecast, float)
    return float(np.mean(np.maximum(q * d, (q - 1) * d)))


def crps(scenarios: np.ndarray, weights: np.ndarray, actual: np.ndarray) -> float:
    """Mean CRPS of weighted ensemble forecasts [EUR/MWh], per step
    ``Σ_i w_i |x_i − y| − ½ Σ_ij w_i w_j |x_i − x_j|`` (the energy form), averaged over steps.

    ``scenarios`` is S × T, ``actual`` T."""
    x = np.asarray(scenarios, float)
    w = np.asarray(weights, float)[:, None]
    y = np.asarray(actual, float)[None, :]
    first = (w * np.abs(x - y)).sum(axis=0)
    second = 0.5 * (w[:, None, :] * w[None, :, :] * np.abs(x[:, None, :] - x[None, :, :])).sum(axis=(0, 1))
    return float(np.mean(first - second))


def coverage(lower: np.ndarray, upper: np.ndarray, actual: np.ndarray) -> float:
    """Share of steps whose actual lies in ``[lower, upper]``."""
    a = np.asarray(actual, float)
    return float(np.mean((a >= lower) & (a <= upper)))


def score_day(sc: PriceScenarios, actual: pd.Series) -> dict:
    """Scores of one day's scenarios against the realised prices: CRPS, pinball per quantile
    (and their mean), coverage of the central 50 % and 80 % intervals, MAE of the median."""
    a = actual.reindex(sc.prices.columns).to_numpy(float)
    if np.isnan(a).any():
        raise ForecastingError(f"realised prices of {sc.day} are incomplete: cannot score its scenarios.")
    qs = sc.quantiles()
    out = {"crps": crps(sc.prices.to_numpy(), sc.weights.to_numpy(), a)}
    for q in qs.index:
        out[f"pinball_{q:.2f}"] = pinball(q, qs.loc[q].to_numpy(), a)
    out["pinball_mean"] = float(np.mean([out[f"pinball_{q:.2f}"] for q in qs.index]))
    out["coverage_50"] = coverage(qs.loc[0.25].to_numpy(), qs.loc[0.75].to_numpy(), a)
    out["coverage_80"] = coverage(qs.loc[0.1].to_numpy(), qs.loc[0.9].to_numpy(), a)
    out["mae_median"] = float(np.mean(np.abs(qs.loc[0.5].to_numpy() - a)))
    out["mae_point"] = float(np.mean(np.abs(sc.point.reindex(sc.prices.columns).to_numpy(float) - a)))
    return out


def climatology(day, *, days: int = DEFAULT_HISTORY_DAYS, bind=None, catalogue: Catalogue | None = None) -> PriceScenarios:
    """The climatological benchmark: the realised prices of the last ``days`` days (known by
    gate closure), equally weighted, as scenarios of day ``day``."""
    clock = market_clock()
    tz = clock.timezone
    d = as_date(day)
    b = clock.gate_closure_of(d)
    with transaction(bind) as conn:
        cat = read_catalogue(conn, catalogue)
        sensor = cat.price_sensor([])
        res = cat.resolution(sensor)
        past = _past_prices(sensor, [d - dt.timedelta(days=k) for k in range(1, days + 1)], tz, b, res, bind=conn)
    if not past:
        raise ForecastingError(f"no realised prices in the {days} days before {d}: no climatology.")
    start, end = day_bounds(d, tz)
    idx = pd.date_range(start, end, freq=res, inclusive="left")
    hours = _local_hours(idx, tz)
    names = [f"c{x:%Y%m%d}" for x in sorted(past, reverse=True)]
    rows = [past[x][hours] for x in sorted(past, reverse=True)]
    prices = pd.DataFrame(np.vstack(rows), index=pd.Index(names, name="scenario"), columns=idx)
    w = pd.Series(1.0 / len(rows), index=prices.index, name="weight")
    return PriceScenarios(d, prices, w, prices.mean(), b, "climatology", sensor, res, {"climatology_days": len(rows)})


def evaluate_scenarios(first_day, last_day, *, model: str | None = None, bind=None, **kwargs) -> pd.DataFrame:
    """Scores of the price scenarios of every day in ``[first_day, last_day]`` beside the
    climatological benchmark's (one row per day and method; made without storing).

    Returns
    -------
    pandas.DataFrame
        Index (``day``, ``method`` in {``scenarios``, ``climatology``}); columns of
        :func:`score_day` [EUR/MWh; coverage in -].
    """
    rows = []
    with transaction(bind) as conn:
        cat = Catalogue.read(conn)
        sensor = cat.price_sensor([])
        for d in days_between(first_day, last_day):
            start, end = day_bounds(d)
            actual = load_measurements([sensor], start, end, bind=conn)[sensor]
            try:
                sc = price_scenarios(d, model=model, save=False, bind=conn, catalogue=cat, **kwargs)
                rows.append({"day": d, "method": "scenarios", **score_day(sc, actual)})
                cl = climatology(d, days=sc.info["history_days"], bind=conn, catalogue=cat)
                rows.append({"day": d, "method": "climatology", **score_day(cl, actual)})
            except ForecastingError:
                continue
    if not rows:
        raise ForecastingError(f"no day between {first_day} and {last_day} could be scored (stored forecasts missing?).")
    return pd.DataFrame(rows).set_index(["day", "method"])
