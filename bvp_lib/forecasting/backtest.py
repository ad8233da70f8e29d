"""Rolling-origin backtest: forecasts issued as they would have been, with periodic refits.

For every issue horizon (fixed horizons, day-ahead) the backtest makes all forecast pairs
(belief time ``b``, event ``e``) for the events of the period. Models are refitted every
``refit`` from an anchor (local midnight of the earliest belief time); the model fitted
at ``T_k`` (on events ending in ``[T_k - train_window, T_k]``) makes every forecast with
``T_k <= b < T_k + refit``, all of one fit period in one vectorised call. Nothing a
forecast uses is known after its belief time: lags end at ``b``, regressor forecasts are
the latest known at ``b``, parameters come from data before ``T_k <= b``. The test suite
proves it by changing all data after a belief time and finding that forecast unchanged.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bvp_lib.forecasting.base import BELIEF_COLUMNS, BaseForecaster, beliefs_frame
from bvp_lib.forecasting.errors import ForecastingError, InsufficientHistoryError, NaiveTimestampsError
from bvp_lib.forecasting.horizons import DEFAULT_HORIZONS, forecast_pairs, parse_horizons
from bvp_lib.forecasting.profiling import single_threaded_blas
from bvp_lib.forecasting.regressors import prepare_regressors
from bvp_lib.forecasting.series import DEFAULT_MAX_GAP, fmt_td, fmt_ts, prepare_series
from bvp_lib.market.clock import market_timezone

FORECAST_COLUMNS = BELIEF_COLUMNS + ["horizon"]


def period_instant(x, tz: str | None = None) -> int:
    """A period bound [ns UTC]: a date (or ``YYYY-MM-DD``) is local midnight in ``tz``;
    a timestamp must be tz-aware."""
    tz = market_timezone(tz)
    if isinstance(x, dt.date) and not isinstance(x, dt.datetime):
        return pd.Timestamp(x).tz_localize(tz).value
    if isinstance(x, str) and len(x.strip()) == 10:
        return pd.Timestamp(x).tz_localize(tz).value
    ts = pd.Timestamp(x)
    if ts.tz is None:
        raise NaiveTimestampsError(
            f"period bound {x!r} is naive; pass a date ('2015-03-01', local midnight in {tz}) or a tz-aware timestamp."
        )
    return ts.value


def _local_midnight(ns: int, tz: str) -> int:
    local = pd.Timestamp(ns, tz="UTC").tz_convert(tz)
    return pd.Timestamp(local.date()).tz_localize(tz).value


def backtest_pairs(grid, specs, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of every schedule for events in ``[start, end)`` and the schedule index of each."""
    bs, es, ls = [], [], []
    for i, spec in enumerate(specs):
        b, e = forecast_pairs(spec, start, end, grid.t0, grid.res)
        bs.append(b)
        es.append(e)
        ls.append(np.full(len(b), i))
    return np.concatenate(bs), np.concatenate(es), np.concatenate(ls)


def rolling_backtest(
    series: pd.Series,
    model: BaseForecaster | Sequence[BaseForecaster],
    *,
    start,
    end,
    horizons=DEFAULT_HORIZONS,
    train_window="30D",
    refit="7D",
    regressors: pd.DataFrame | None = None,
    tz: str | None = None,
    gate_closure: str | None = None,
    max_gap=DEFAULT_MAX_GAP,
    progress: bool = True,
    known_at: pd.Series | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest of one or more models on one series.

    Parameters
    ----------
    series : pandas.Series
        Measured values indexed by tz-aware event start, named after the sensor [MW,
        production positive and consumption negative; or EUR/MWh]. It must start
        ``train_window`` + the models' lookback before the first belief time.
    model : forecaster or sequence of forecasters
        Models to backtest (each is cloned and refitted; the given objects stay unfitted).
    start, end : date, ``YYYY-MM-DD`` or tz-aware timestamp
        Events forecast: those starting at or after ``start`` and ending by ``end``
        (dates are local midnights in ``tz``); day-ahead takes whole local days.
    horizons : sequence
        Issue horizons: durations (``"1h"``) and/or ``"day-ahead"``.
    train_window : str or pandas.Timedelta
        Training events of each fit: those in ``[T - train_window, T)`` (default 30 days).
    refit : str or pandas.Timedelta
        Time between fits (default 7 days).
    regressors : pandas.DataFrame, optional
        Regressor forecasts as beliefs (weather; :func:`derive_weather_forecasts`).
    tz, gate_closure : str, optional
        Market timezone and day-ahead gate closure (local HH:MM on D-1); default the
        market's clock (:mod:`bvp_lib.market.clock`).
    max_gap : str or pandas.Timedelta or None
        Gap rule of the series (:func:`~bvp_lib.forecasting.series.prepare_series`).
    progress : bool
        Show a progress bar over fits.
    known_at : pandas.Series, optional
        The stored belief time of each value of ``series``: lags read every value known
        by the belief time (:func:`~bvp_lib.forecasting.series.prepare_series`). None:
        a value is known when its step ends.

    Returns
    -------
    pandas.DataFrame
        Beliefs (``sensor``, ``event_start``, ``belief_horizon``, ``source``, ``value``)
        plus ``horizon``, the label of the issue horizon (``"1h"``, ``"day-ahead"``).
        Drop it with :func:`to_beliefs` before storing. ``attrs["timings"]`` holds the
        seconds spent fitting and predicting per model.
    """
    tz = market_timezone(tz)
    models = [model] if isinstance(model, BaseForecaster) else list(model)
    if not models:
        raise ForecastingError("no models to backtest.")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ForecastingError(f"model names {names} repeat; give each model its own name (it is the source).")
    grid = prepare_series(series, max_gap=max_gap, known_at=known_at)
    cubes = prepare_regressors(regressors)
    specs = parse_horizons(horizons, tz=tz, gate_closure=gate_closure)
    s, e_ = period_instant(start, tz), period_instant(end, tz)
    if e_ <= s:
        raise ForecastingError(f"backtest end {fmt_ts(e_)} is not after its start {fmt_ts(s)}.")
    b, e, lab = backtest_pairs(grid, specs, s, e_)
    if not len(b):
        raise ForecastingError(
            f"series {grid.name!r}: no forecasts between {fmt_ts(s)} and {fmt_ts(e_)} (day-ahead needs "
            "whole local days); widen the period."
        )
    refit_ns, window = pd.Timedelta(refit).value, pd.Timedelta(train_window)
    if refit_ns <= 0:
        raise ForecastingError(f"refit must be positive, got {refit!r}.")
    anchor = _local_midnight(int(b.min()), tz)
    max_h = max(sp.max_horizon for sp in specs)
    learned = [m for m in models if m.learns]
    needs = []  # earliest data each kind of model reads
    if learned:
        look = max(m.lookback(max_h) for m in learned)
        needs.append((
            anchor - (window + look).value,
            f"with train_window {fmt_td(window)} needs history from {{need}} (the first fit at "
            f"{fmt_ts(anchor)}, minus the window, minus {fmt_td(look)} for lags)",
        ))  # fmt: skip
    if len(learned) < len(models):
        look_b = max(m.lookback(max_h) for m in models if not m.learns)
        needs.append((
            int(b.min()) - look_b.value,
            f"needs history from {{need}} (the first belief time minus {fmt_td(look_b)} for lags)",
        ))  # fmt: skip
    need, why = min(needs)
    if grid.start > need:
        raise InsufficientHistoryError(
            f"series {grid.name!r} starts at {fmt_ts(grid.start)}, but a backtest from {fmt_ts(s)} "
            f"{why.format(need=fmt_ts(need))}. Start the backtest at least "
            f"{fmt_td(pd.Timedelta(grid.start - need, unit='ns'))} later"
            + (" or shorten train_window." if learned else ".")
        )
    if b.max() > grid.end:
        raise InsufficientHistoryError(
            f"series {grid.name!r} ends at {fmt_ts(grid.end)}, but forecasts are believed up to "
            f"{fmt_ts(int(b.max()))}; end the backtest earlier or extend the series."
        )
    period = (b - anchor) // refit_ns
    order = np.lexsort((e, lab, period))
    b, e, lab, period = b[order], e[order], lab[order], period[order]
    bounds = np.flatnonzero(np.diff(period)) + 1
    chunks = np.split(np.arange(len(b)), bounds)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(models) * len(chunks), desc=f"backtest {grid.name}", leave=False)
    frames, timings = [], {}
    with single_threaded_blas():
        for m in models:
            frames.append(
                _backtest_model(m, grid, cubes, specs, window, anchor, refit_ns, b, e, period, chunks, bar, timings)
            )
    if bar is not None:
        bar.close()
    out = pd.concat(frames, ignore_index=True)
    labels = [sp.label for sp in specs]
    out["horizon"] = pd.Categorical.from_codes(np.tile(lab, len(models)), categories=labels)
    out = out.sort_values(["source", "horizon", "event_start"], kind="stable", ignore_index=True)
    out.attrs["timings"] = timings
    return out


def _backtest_model(
    m, grid, cubes, specs, window, anchor, refit_ns, b, e, period, chunks, bar, timings
) -> pd.DataFrame:
    """Forecasts of one model over all fit periods (see :func:`rolling_backtest`)."""
    t_fit = t_pred = 0.0
    values = np.empty(len(b))
    for rows in chunks:  # one fit per refit period, all its forecasts at once
        T = anchor + int(period[rows[0]]) * refit_ns
        t = time.perf_counter()
        fitted = m.clone().fit_prepared(grid, cubes, specs, window, T)
        t_fit += time.perf_counter() - t
        t = time.perf_counter()
        values[rows] = fitted.predict_pairs(grid, cubes, b[rows], e[rows])
        t_pred += time.perf_counter() - t
        if bar is not None:
            bar.update(1)
    timings[m.name] = {"fit_s": t_fit, "predict_s": t_pred, "fits": len(chunks)}
    return beliefs_frame(grid.name, m.name, b, e, grid.res, values)


def to_beliefs(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Forecasts as plain beliefs for storage: the five belief columns, one row per key.

    A fixed-horizon and a day-ahead forecast can be the same belief (same event, horizon
    and source; e.g. the 23:45 step of a day-ahead issue and its 24 h forecast); models
    depend only on (belief time, event), so such rows hold the same value and one is kept.
    """
    out = forecasts[BELIEF_COLUMNS]
    return out.drop_duplicates(["sensor", "event_start", "belief_horizon", "source"], ignore_index=True)
