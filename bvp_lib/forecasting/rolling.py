"""Rolling-origin forecasts from database history, stored as beliefs (``bvp forecast``).

For each series every issue horizon spec (``1h``, ``24h``, ``day-ahead``) makes its
forecasts for the events of a period; the models are refitted every ``refit`` on the
preceding ``train_window`` (:func:`~bvp_lib.forecasting.backtest.rolling_backtest`: a
forecast only uses what was known at its belief time). Series run in parallel worker
processes when asked; storing overlaps with computing, all in one transaction.

Power in MW, production positive and consumption negative; prices in EUR/MWh.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import time
from collections.abc import Sequence

import pandas as pd

from bvp_lib.beliefs import load_known_measurements
from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.db.engine import transaction
from bvp_lib.forecasting import errors as fe
from bvp_lib.forecasting.backtest import FORECAST_COLUMNS, rolling_backtest, to_beliefs
from bvp_lib.forecasting.config import backtest_settings, lags_known, parameters_of
from bvp_lib.forecasting.day_ahead import save_forecasts
from bvp_lib.forecasting.errors import ForecastingError
from bvp_lib.forecasting.horizons import DEFAULT_HORIZONS, parse_horizons
from bvp_lib.forecasting.series import fmt_td, recent_history
from bvp_lib.forecasting.targets import check_history, fmt_local, forecast_targets, target_models
from bvp_lib.forecasting.system_feed import system_cubes
from bvp_lib.forecasting.weather_feed import weather_cubes, weather_subset
from bvp_lib.timing import as_date, day_bounds

def _backtest_task(series, models, cubes, kwargs, known_at=None):
    """One series' backtest (in a worker process); errors come back as (class name, message)."""
    try:
        out = rolling_backtest(series, models, regressors=cubes, progress=False, known_at=known_at, **kwargs)
        return out, None
    except ForecastingError as e:
        return None, (type(e).__name__, str(e))


def _raise_from(err: tuple[str, str]):
    cls = getattr(fe, err[0], ForecastingError)
    try:
        exc = cls(err[1])
    except TypeError:  # GapError takes more arguments
        exc = ForecastingError(err[1])
    raise exc


def forecast_range(
    start_day,
    end_day,
    *,
    assets: list[str] | None = None,
    models: list[str] | None = None,
    horizons: Sequence = DEFAULT_HORIZONS,
    train_window="30D",
    refit="7D",
    save: bool = True,
    bind=None,
    progress: bool = True,
    include_price: bool = True,
    workers: int = 1,
    parameters: dict | str | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest from database history, stored as beliefs.

    For each series (:func:`forecast_targets`) every issue horizon in ``horizons`` makes
    its forecasts for the events of local days ``start_day`` .. ``end_day``; the models
    are refitted every ``refit`` on the preceding ``train_window``
    (:func:`~bvp_lib.forecasting.backtest.rolling_backtest`: a forecast only uses what
    was known at its belief time). Weather forecasts come from the stored feed
    (:func:`ensure_weather_forecasts`).

    Parameters
    ----------
    start_day, end_day : date or str (YYYY-MM-DD)
        First and last local day of the forecast events (inclusive).
    assets : list of str, optional
        Asset (or market) names; None: every asset with a power series.
    models : list of str, optional
        Model names; None: the benchmarks and every configured model.
    horizons : sequence
        Issue horizons: durations (``"1h"``, ``"24h"``) and/or ``"day-ahead"``.
    train_window, refit : str or pandas.Timedelta
        Training window of each fit and time between fits.
    save : bool
        Store the forecasts (idempotent; one transaction for the whole call); False is a
        dry run that leaves the database as it was.
    bind : Engine or Connection, optional
    progress : bool
        Progress bar over the series.
    include_price : bool
        Also backtest the market price.
    workers : int
        Processes to spread the series over (1: in this process).
    parameters : dict or path, optional
        Forecasting parameters.

    Returns
    -------
    pandas.DataFrame
        Beliefs plus ``horizon`` (schedule label), as ``rolling_backtest`` returns, for all
        series. ``attrs["timings"]``: per sensor and model the seconds spent fitting and
        predicting and the number of fits; ``attrs["stages"]``: wall-clock seconds of
        loading (with the weather feed), the backtests and storing (overlapped with them).

    Raises
    ------
    ForecastingError
        Unknown assets or models, too little history, gaps, missing weather. Nothing is
        stored then.
    """
    p = parameters_of(parameters)
    bs = backtest_settings(p)
    tz = bs["tz"]
    d0, d1 = as_date(start_day), as_date(end_day)
    if d1 < d0:
        raise ForecastingError(f"--to {d1} is before --from {d0}.")
    start, _ = day_bounds(d0, tz)
    _, end = day_bounds(d1, tz)
    specs = parse_horizons(horizons, tz=tz, gate_closure=bs["gate_closure"])
    max_h = max(s.max_horizon for s in specs)
    window = pd.Timedelta(train_window)
    kwargs = dict(start=d0, end=d1 + dt.timedelta(days=1), horizons=specs, train_window=window, refit=refit, tz=tz,
                  gate_closure=bs["gate_closure"], max_gap=bs["max_gap"])  # fmt: skip
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    with transaction(bind, keep=save, savepoint=True) as conn:
        cat = read_catalogue(conn, catalogue)
        targets = forecast_targets(assets, include_price=include_price, parameters=p, catalogue=cat)
        if not targets:
            raise ForecastingError("nothing to forecast: no asset with a power series and no market selected.")
        plan = [(t, target_models(t, models, default="all", parameters=p)) for t in targets]
        look = max(m.lookback(max_h) for _, ms in plan for m in ms)
        first_b = start - max_h
        anchor = pd.Timestamp(first_b.tz_convert(tz).date()).tz_localize(tz).tz_convert("UTC")
        longest = max(m.history_window(window) for _, ms in plan for m in ms)
        hist_start = anchor - longest - look
        known = load_known_measurements([t.sensor for t in targets], hist_start, end, bind=conn)
        need_from = anchor - window - look  # a model's own, longer window reaches back only as far as unbroken
        history = {s: recent_history(f["value"].rename(s), need_from, bs["max_gap"]) for s, f in known.items()}
        known_at = {t.sensor: (known[t.sensor]["belief_time"] if lags_known(t.asset_type, p) == "belief_time" else None)
                    for t in targets}  # fmt: skip
        what = (f"a backtest of {d0} .. {d1} (train_window {fmt_td(window)} plus {fmt_td(look)} of lags before the "
                f"first fit at {fmt_local(anchor, tz)})")  # fmt: skip
        for t in targets:  # how much history is enough is rolling_backtest's to say, per model
            if history[t.sensor].empty:
                check_history(t, history[t.sensor], hist_start, end, tz, what, "start the backtest later")
        start_w = max(hist_start, min(h.index.min() for h in history.values() if len(h)))  # as far as the history goes
        cubes = weather_cubes(conn, plan, start_w, end, p, catalogue=cat)
        cubes.update(system_cubes(conn, plan, start_w, end, p, catalogue=cat))
        tasks = [(t, history[t.sensor], ms, weather_subset(cubes, ms)) for t, ms in plan]
        models_of = {t.sensor: ms for t, ms in plan}
        stages["load and weather feed"] = time.perf_counter() - t0
        results: dict[str, pd.DataFrame] = {}
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(tasks), desc=f"forecast {d0} .. {d1}", unit="series")

        def done(sensor: str, res) -> None:
            """Keep a series' forecasts and store them (in this call's transaction) while others compute."""
            out, err = res
            if err is not None:
                _raise_from(err)
            results[sensor] = out
            if save:
                t = time.perf_counter()
                b = to_beliefs(out)
                save_forecasts(conn, [(b[b["source"] == m.name], m.source().to_source_spec()) for m in models_of[sensor]])
                stages["store"] = stages.get("store", 0.0) + time.perf_counter() - t
            if bar is not None:
                bar.update(1)

        t0 = time.perf_counter()
        if workers > 1 and len(tasks) > 1:
            import multiprocessing as mp

            with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
                futs = {pool.submit(_backtest_task, s, ms, c, kwargs, known_at[t.sensor]): t.sensor
                        for t, s, ms, c in tasks}  # fmt: skip
                try:
                    for fut in cf.as_completed(futs):
                        done(futs[fut], fut.result())
                except BaseException:
                    for f in futs:
                        f.cancel()
                    raise
        else:
            for t, s, ms, c in tasks:
                done(t.sensor, _backtest_task(s, ms, c, kwargs, known_at[t.sensor]))
        if bar is not None:
            bar.close()
        stages["backtests (and store, overlapped)"] = time.perf_counter() - t0
    out = pd.concat([results[t.sensor] for t, _ in plan], ignore_index=True)
    labels = [s.label for s in specs]
    out["horizon"] = pd.Categorical(out["horizon"].astype(str), categories=labels)
    out = out[FORECAST_COLUMNS]
    out.attrs["timings"] = {t.sensor: results[t.sensor].attrs.get("timings", {}) for t, _ in plan}
    out.attrs["asset_types"] = {t.sensor: t.asset_type for t in targets}
    out.attrs["stages"] = stages
    return out
