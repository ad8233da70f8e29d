"""Day-ahead forecasts at gate closure: made, stored, and read back by the scheduler.

:func:`forecast_day_ahead` is the daily path: at gate closure on D-1 (the market's
clock, :mod:`bvp_lib.market.clock`; 12:00 local by default) forecast every step of local
day D (92, 96 or 100 quarter-hours; 23, 24 or 25 hourly prices) for every asset with a
power series and the market price, one fit per model on the training window. Every
value it reads comes from the database *as it was known at gate closure*: measured
series with ``known_before=gate closure`` (a measurement is known when its step ends, a
price when the auction published it), weather forecasts known by then
(:mod:`bvp_lib.forecasting.weather_feed`).

:func:`load_day_ahead` and :func:`load_actuals` are what the scheduler reads: the stored
day-ahead forecasts known at gate closure, and the measurements of the day, as wide
frames (one column per sensor).

Every call that writes does so in **one transaction**: on any error nothing is stored.
Writes are idempotent (upserts on sensor, event start, horizon and data source). A
forecast's data source is the model's identity (:meth:`BaseForecaster.source`): name
(``linear``), type ``forecaster``, model class and a hash of its parameters, version.

Power in MW, production positive and consumption negative; prices in EUR/MWh.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bvp_lib.beliefs import SourceSpec, load_beliefs, load_known_measurements, load_measurements, save_beliefs, wide
from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.forecasting.base import beliefs_frame
from bvp_lib.forecasting.config import backtest_settings, lags_known, parameters_of
from bvp_lib.forecasting.errors import ForecastingError
from bvp_lib.forecasting.horizons import DayAhead
from bvp_lib.forecasting.profiling import single_threaded_blas
from bvp_lib.forecasting.series import fmt_td, prepare_series, recent_history
from bvp_lib.forecasting.targets import PRICE_TYPE, check_history, fmt_local, forecast_targets, primary_model, target_models
from bvp_lib.forecasting.system_feed import system_cubes
from bvp_lib.forecasting.weather_feed import regressor_slack, weather_cubes, weather_subset
from bvp_lib.market.clock import market_clock
from bvp_lib.timing import as_date, day_bounds

def save_forecasts(conn, frames: Sequence[tuple[pd.DataFrame, SourceSpec]]) -> int:
    n = 0
    for frame, spec in frames:
        if len(frame):
            n += save_beliefs(frame[["sensor", "event_start", "belief_horizon", "value"]], source=spec, bind=conn)
    return n


def _by_history_start(plan, b: pd.Timestamp, window: pd.Timedelta, look: pd.Timedelta, learns: bool):
    """The plan grouped by the start of the history its models read: ``train_window`` plus
    the lags before gate closure (a longer ``max_train_window`` reads further back; no
    window when no model learns), earliest last."""
    groups: dict[pd.Timestamp, list] = {}
    for t, ms in plan:
        w = max([window] + [m.history_window(window) for m in ms if m.learns]) if learns else pd.Timedelta(0)
        groups.setdefault(b - w - look, []).append((t, ms))
    return sorted(groups.items(), reverse=True)


def forecast_day_ahead(
    day,
    *,
    assets: list[str] | None = None,
    include_price: bool = True,
    models: list[str] | None = None,
    train_window="30D",
    save: bool = True,
    bind=None,
    progress: bool = False,
    parameters: dict | str | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """Day-ahead forecasts of local day ``day`` as believed at gate closure on D-1.

    For every asset with a power series (batteries have none) and the market price: read
    the measurements known at gate closure (``known_before``) over the training window
    plus the models' lags, the weather forecasts known then (derived from measured weather
    and stored first where missing: :func:`ensure_weather_forecasts`), fit each model once
    on the day-ahead pairs of the window, and forecast every step of D: 92, 96 or 100
    quarter-hours (23, 24 or 25 hourly prices).

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        The delivery day D (local day in the market's timezone).
    assets : list of str, optional
        Asset (or market) names; None: every asset.
    include_price : bool
        Also forecast the price of the assets' market [EUR/MWh].
    models : list of str, optional
        Models to run (``linear``, ``lightgbm``, ``seasonal_naive_daily``, ...); default
        the primary model of each asset type (``primary_models`` in the parameters).
    train_window : str or pandas.Timedelta
        Training events: those ending in ``[gate closure - train_window, gate closure]``.
    save : bool
        Store the forecasts (idempotent), source = the model's identity; False is a dry
        run that leaves the database as it was (the weather forecasts derived on the way
        are not kept either).
    bind : Engine or Connection, optional
        The database; an Engine runs the call in one transaction.
    progress : bool
        Show a progress bar over the series.
    parameters : dict or path, optional
        Forecasting parameters (default ``parameters/forecasting.yaml``).
    catalogue : Catalogue, optional
        The portfolio as the caller read it (default: read it).

    Returns
    -------
    pandas.DataFrame
        Beliefs ``sensor``, ``event_start`` (UTC), ``belief_horizon`` (``event_start +
        resolution - gate closure``, 12 h 15 min .. 37 h), ``source`` (model name),
        ``value`` [MW, production positive and consumption negative; EUR/MWh for prices].
        ``attrs["belief_time"]`` is gate closure (UTC).

    Raises
    ------
    ForecastingError
        Unknown assets or models; too little history (naming the sensor, the period needed
        and what is stored), gaps longer than ``max_gap``, no measurements up to gate
        closure, no weather for the day. Nothing is stored then.
    """
    p = parameters_of(parameters)
    bs = backtest_settings(p)
    clock = market_clock()
    tz = clock.timezone
    d = as_date(day)
    spec = DayAhead(gate_closure=clock.gate_closure, tz=tz)
    b = clock.gate_closure_of(d)
    day_start, day_end = day_bounds(d, tz)
    window = pd.Timedelta(train_window)
    with transaction(bind, keep=save, savepoint=True) as conn, single_threaded_blas():
        cat = read_catalogue(conn, catalogue)
        targets = forecast_targets(assets, include_price=include_price, parameters=p, catalogue=cat)
        if not targets:
            raise ForecastingError("nothing to forecast: no asset with a power series and no market selected.")
        plan = [(t, target_models(t, models, default="primary", parameters=p)) for t in targets]
        look = max(m.lookback(spec.max_horizon) for _, ms in plan for m in ms)
        learns = any(m.learns for _, ms in plan for m in ms)
        hist_start = b - (window if learns else pd.Timedelta(0)) - look  # what the run needs at least
        # weather forecasts known at gate closure; day-ahead pairs need horizons of 12 h .. 37 h, plus one weather
        # step and the age of the latest issue (its `every`)
        slack = regressor_slack(p)
        max_h = None if slack is None else spec.max_horizon + slack + pd.Timedelta("1h")
        groups = _by_history_start(plan, b, window, look, learns)  # a model's own, longer window reads longer
        known: dict[str, pd.DataFrame] = {}
        for load_start, group in groups:
            known.update(load_known_measurements([t.sensor for t, _ in group], load_start, day_start, known_before=b,
                                                 bind=conn))  # fmt: skip
        history = {s: recent_history(f["value"].rename(s), hist_start, bs["max_gap"]) for s, f in known.items()}
        what = f"a day-ahead forecast of {d} (train_window {fmt_td(window)} plus {fmt_td(look)} of lags before gate closure)"
        for t in targets:
            check_history(t, history[t.sensor], hist_start, b, tz, what, "pass a shorter train_window")
        cubes: dict = {}
        for load_start, group in groups:
            start_w = max(load_start, min(history[t.sensor].index.min() for t, _ in group))  # as far as the history goes
            cubes.update(weather_cubes(conn, group, start_w, day_end, p, known_before=b, catalogue=cat,
                                       min_horizon=day_start - b, max_horizon=max_h))  # fmt: skip
            cubes.update(system_cubes(conn, group, start_w, day_end, p, known_before=b, catalogue=cat))
        frames: list[tuple[pd.DataFrame, SourceSpec]] = []
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(plan), desc=f"day-ahead {d}", unit="series")
        for t, ms in plan:
            by_belief = lags_known(t.asset_type, p) == "belief_time"
            grid = prepare_series(history[t.sensor], max_gap=bs["max_gap"],
                                  known_at=known[t.sensor]["belief_time"] if by_belief else None)  # fmt: skip
            e = pd.date_range(day_start, day_end, freq=t.resolution, inclusive="left").asi8
            bb = np.full(len(e), b.value, dtype=np.int64)
            tc = weather_subset(cubes, ms)
            for m in ms:
                fitted = m.clone().fit_prepared(grid, tc, [spec], window, b.value)
                values = fitted.predict_pairs(grid, tc, bb, e)
                frames.append((beliefs_frame(t.sensor, m.name, bb, e, grid.res, values), fitted.source().to_source_spec()))
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        if save:
            save_forecasts(conn, frames)
    out = pd.concat([f for f, _ in frames], ignore_index=True)
    out.attrs["belief_time"] = b
    return out


def load_day_ahead(day, sensors: Sequence[str], *, source_name: str | None = None, bind=None,
                   parameters: dict | str | None = None, catalogue: Catalogue | None = None) -> pd.DataFrame:  # fmt: skip
    """The stored day-ahead forecasts of local day ``day`` known at gate closure on D-1.

    Per sensor and step the most recent forecast known at gate closure (normally the one
    issued then by :func:`forecast_day_ahead` or a day-ahead backtest).

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        The delivery day D (local).
    sensors : sequence of str
        Asset power sensors and/or price sensors.
    source_name : str, optional
        The model (data source name) to read, e.g. ``"linear"``. None: per sensor the
        primary model of its asset type if stored, else the only model stored.
    bind : Engine or Connection, optional
    parameters : dict or path, optional
        Forecasting parameters (primary models).
    catalogue : Catalogue, optional
        The portfolio (the asset type of each sensor picks its primary model).

    Returns
    -------
    pandas.DataFrame
        One column per sensor [MW, production positive and consumption negative; EUR/MWh],
        indexed by step start (UTC). Each column keeps its sensor's resolution: with
        quarter-hourly power and hourly prices together the index holds the quarter-hours
        and a price column is NaN between its hours. When one data source name has
        several versions (changed parameters), the newest is read.

    Raises
    ------
    ForecastingError
        A sensor without a stored forecast for the day, or (``source_name`` None) with
        forecasts of several models and none of them primary.
    """
    p = parameters_of(parameters)
    clock = market_clock()
    tz = clock.timezone
    sensors = list(dict.fromkeys(sensors))
    d = as_date(day)
    start, end = day_bounds(d, tz)
    b = clock.gate_closure_of(d)
    with transaction(bind) as conn:
        df = load_beliefs(sensors, start, end, source_types=["forecaster"], known_before=b, most_recent=True,
                          sources=[source_name] if source_name else None, bind=conn)  # fmt: skip
        cat = read_catalogue(conn, catalogue) if source_name is None else None
    types = {s: cat.asset_type_of(s, PRICE_TYPE) for s in sensors} if cat is not None else {}
    parts = []
    for s in sensors:
        g = df[df["sensor"] == s]
        if g.empty:
            raise ForecastingError(
                f"no day-ahead forecast of {s!r} for {d}"
                + (f" from model {source_name!r}" if source_name else "")
                + f" known by gate closure ({fmt_local(b, tz)}); make it with `bvp forecast day-ahead --date {d}` "
                "(forecast_day_ahead)."
            )
        names = sorted(g["source"].unique())
        if source_name is None and len(names) > 1:
            prim = primary_model(types.get(s) or "", p)
            if prim not in names:
                raise ForecastingError(
                    f"day-ahead forecasts of {s!r} for {d} come from several models ({', '.join(names)}) and none is "
                    f"the primary one ({prim}); say which with source_name=..."
                )
            g = g[g["source"] == prim]
        g = g[g["source_id"] == g["source_id"].max()]  # newest version of that model
        parts.append(g)
    return wide(pd.concat(parts, ignore_index=True), sensors)


def load_actuals(day, sensors: Sequence[str], *, bind=None, parameters: dict | str | None = None) -> pd.DataFrame:
    """The actual values of local day ``day``: measurements (horizon <= 0) and published prices.

    Parameters
    ----------
    day : date or str (YYYY-MM-DD)
        The local day.
    sensors : sequence of str
        Asset power sensors and/or price sensors.
    bind : Engine or Connection, optional
    parameters : dict or path, optional
        Forecasting parameters.

    Returns
    -------
    pandas.DataFrame
        One column per sensor [MW, production positive and consumption negative;
        EUR/MWh], indexed by step start (UTC), each at its own resolution (as
        :func:`load_day_ahead`); missing steps are NaN.

    Raises
    ------
    ForecastingError
        A sensor with no actual value on the day.
    """
    sensors = list(dict.fromkeys(sensors))
    d = as_date(day)
    start, end = day_bounds(d)
    hist = load_measurements(sensors, start, end, bind=bind)
    empty = [s for s in sensors if hist[s].empty]
    if empty:
        raise ForecastingError(
            f"no measurements of {empty} on {d}; load them (`bvp db populate --data --from {d} --to {d}`)."
        )
    rows = pd.concat(
        [pd.DataFrame({"sensor": s, "event_start": hist[s].index, "value": hist[s].to_numpy()}) for s in sensors],
        ignore_index=True,
    )
    return wide(rows, sensors)
