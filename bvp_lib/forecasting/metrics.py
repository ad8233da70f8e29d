"""Forecast accuracy per sensor, model and horizon: MAE, RMSE, WAPE, bias and skill.

With errors :math:`\\varepsilon_i = \\hat y_i - y_i` over the :math:`n` events of a group:

* MAE :math:`= \\frac1n \\sum |\\varepsilon_i|` [series unit: MW or EUR/MWh]
* RMSE :math:`= \\sqrt{\\frac1n \\sum \\varepsilon_i^2}` [series unit]
* WAPE :math:`= \\sum |\\varepsilon_i| / \\sum |y_i|` [-] (MAE relative to the mean
  absolute value; NaN when every actual is 0)
* bias :math:`= \\frac1n \\sum \\varepsilon_i` [series unit]; positive means the forecast
  is too high: too much production, or (consumption being negative) too little demand
* skill :math:`= 1 - \\mathrm{MAE}/\\mathrm{MAE}_{ref}` (``skill_mae``) and
  :math:`1 - \\mathrm{RMSE}/\\mathrm{RMSE}_{ref}` (``skill_rmse``) against the reference
  model (seasonal naive) **on the same events**: 0 is no better than the reference,
  1 is perfect, negative is worse.

Why not MAPE: MAPE averages :math:`|\\varepsilon_i| / |y_i|` per step, which explodes as
:math:`y_i \\to 0` and is undefined at 0. Solar production is 0 every night and near 0 at
dawn and dusk, wind often idles and a charging station often draws nothing, so a few
near-zero steps would dominate the score (a 0.01 MW error on a 0.001 MW step is 1000 %)
and the night would have to be dropped arbitrarily. WAPE divides the *sum* of errors by
the *sum* of actuals: it stays defined, weighs steps by their energy, and reads as MAE
relative to typical output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bvp_lib.forecasting.errors import ForecastingError
from bvp_lib.forecasting.series import fmt_td, require_aware

METRIC_COLUMNS = ["n", "mae", "rmse", "wape", "bias"]
KEY = ["sensor", "source", "horizon"]


def mae(forecast, actual) -> float:
    """Mean absolute error [unit]."""
    return float(np.mean(np.abs(np.asarray(forecast, float) - np.asarray(actual, float))))


def rmse(forecast, actual) -> float:
    """Root mean squared error [unit]."""
    return float(np.sqrt(np.mean((np.asarray(forecast, float) - np.asarray(actual, float)) ** 2)))


def wape(forecast, actual) -> float:
    """Weighted absolute percentage error as a fraction [-]: sum |error| / sum |actual|."""
    actual = np.asarray(actual, float)
    denom = np.sum(np.abs(actual))
    return float(np.sum(np.abs(np.asarray(forecast, float) - actual)) / denom) if denom else float("nan")


def bias(forecast, actual) -> float:
    """Mean error, forecast minus actual [unit]."""
    return float(np.mean(np.asarray(forecast, float) - np.asarray(actual, float)))


def actuals_long(actuals) -> pd.DataFrame:
    """Actuals as rows (``sensor``, ``event_start`` UTC, ``actual``).

    Accepts a named Series (tz-aware index), a wide DataFrame (tz-aware index, one column
    per sensor), or beliefs (``sensor``, ``event_start``, ``value`` and optionally
    ``belief_horizon``, of which only measurements, horizon <= 0, are used).
    """
    if isinstance(actuals, pd.Series):
        if actuals.name is None:
            raise ForecastingError("the actuals Series has no name; name it after its sensor.")
        actuals = actuals.to_frame()
    if not isinstance(actuals, pd.DataFrame):
        raise ForecastingError(f"actuals must be a Series or DataFrame, got {type(actuals).__name__}.")
    if {"sensor", "event_start", "value"} <= set(actuals.columns):
        a = actuals
        if "belief_horizon" in a.columns:
            a = a[pd.to_timedelta(a["belief_horizon"]) <= pd.Timedelta(0)]
        out = pd.DataFrame(
            {
                "sensor": a["sensor"].astype(str).to_numpy(),
                "event_start": require_aware(pd.DatetimeIndex(a["event_start"]), "actuals' event_start"),
                "actual": a["value"].to_numpy(dtype=float),
            }
        )
    else:
        idx = require_aware(pd.DatetimeIndex(actuals.index), "actuals")
        wide = actuals.set_axis(idx, axis=0)
        wide.index.name = "event_start"
        out = wide.melt(ignore_index=False, var_name="sensor", value_name="actual").reset_index()
        out["sensor"] = out["sensor"].astype(str)
    out = out.dropna(subset=["actual"])
    if out.duplicated(["sensor", "event_start"]).any():
        raise ForecastingError("actuals hold several values for one sensor and event start; keep one.")
    return out


def horizon_order(labels) -> list[str]:
    """Horizon labels ordered by duration, non-durations (``"day-ahead"``) last."""

    def key(label: str):
        try:
            return (0, pd.Timedelta(label).value, label)
        except (TypeError, ValueError):
            return (1, 0, label)

    return sorted({str(x) for x in labels}, key=key)


def _group_metrics(df: pd.DataFrame, by: list[str], err: str, actual: str) -> pd.DataFrame:
    g = df.assign(_abs=df[err].abs(), _sq=df[err] ** 2, _absy=df[actual].abs()).groupby(by, observed=True, sort=True)
    s = g.agg(n=(err, "size"), _abs=("_abs", "sum"), _sq=("_sq", "sum"), _err=(err, "sum"), _absy=("_absy", "sum"))
    out = pd.DataFrame(index=s.index)
    out["n"] = s["n"].astype(int)
    out["mae"] = s["_abs"] / s["n"]
    out["rmse"] = np.sqrt(s["_sq"] / s["n"])
    out["wape"] = (s["_abs"] / s["_absy"]).where(s["_absy"] > 0)
    out["bias"] = s["_err"] / s["n"]
    return out


def evaluate(
    forecasts: pd.DataFrame,
    actuals,
    *,
    reference_model: str | None = "seasonal_naive_daily",
) -> pd.DataFrame:
    """Accuracy of forecasts per sensor, model (source) and horizon.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        Beliefs (``sensor``, ``event_start``, ``belief_horizon``, ``source``, ``value``),
        optionally with ``horizon`` (schedule label, as :func:`rolling_backtest` returns);
        without it, each belief horizon is its own group.
    actuals : pandas.Series or pandas.DataFrame
        Measured values (:func:`actuals_long`) [same unit as the forecasts].
    reference_model : str or None
        Source of the skill reference (must be among the forecasts); None for no skill.

    Returns
    -------
    pandas.DataFrame
        One row per (sensor, source, horizon) with ``n`` (events with an actual), ``mae``,
        ``rmse``, ``bias`` [unit], ``wape`` [-] and, with a reference, ``skill_mae`` and
        ``skill_rmse`` [-] (module docstring).
    """
    need = {"sensor", "event_start", "source", "value"}
    if not need <= set(forecasts.columns):
        raise ForecastingError(f"forecasts lack the column(s) {sorted(need - set(forecasts.columns))}.")
    f = forecasts.copy()
    f["sensor"] = f["sensor"].astype(str)
    f["source"] = f["source"].astype(str)
    f["event_start"] = require_aware(pd.DatetimeIndex(f["event_start"]), "forecasts' event_start")
    if "horizon" not in f.columns:
        f["horizon"] = [fmt_td(h) for h in pd.to_timedelta(f["belief_horizon"])]
    f["horizon"] = pd.Categorical(f["horizon"].astype(str), categories=horizon_order(f["horizon"].astype(str).unique()))
    if f.duplicated(KEY + ["event_start"]).any():
        raise ForecastingError(
            "forecasts hold several values per sensor, source, horizon and event start; evaluate "
            "one backtest at a time or drop duplicates."
        )
    if reference_model is not None and reference_model not in set(f["source"]):
        raise ForecastingError(
            f"reference model {reference_model!r} is not among the forecasts' sources "
            f"{sorted(set(f['source']))}; include it in the backtest or pass reference_model=None."
        )
    df = f.merge(actuals_long(actuals), on=["sensor", "event_start"], how="inner")
    if df.empty:
        raise ForecastingError("no forecast has an actual (check sensor names and the period).")
    df["err"] = df["value"] - df["actual"]
    out = _group_metrics(df, KEY, "err", "actual")
    if reference_model is not None:
        ref = df.loc[df["source"] == reference_model, ["sensor", "horizon", "event_start", "err"]]
        paired = df.merge(ref.rename(columns={"err": "ref_err"}), on=["sensor", "horizon", "event_start"], how="inner")
        m = _group_metrics(paired, KEY, "err", "actual")
        r = _group_metrics(paired, KEY, "ref_err", "actual")
        out["skill_mae"] = (1.0 - m["mae"] / r["mae"]).where(r["mae"] > 0)
        out["skill_rmse"] = (1.0 - m["rmse"] / r["rmse"]).where(r["rmse"] > 0)
    return out.reset_index()


DAY_TYPE_NAMES = ("workday", "Saturday", "Sunday", "holiday")


def day_type_labels(event_starts, tz: str, country: str = "DE", subdivision: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per event start: its day type for scoring (``workday``, ``Saturday``, ``Sunday``,
    ``holiday``: a public holiday of ``country`` and ``subdivision`` on any weekday) and the
    holiday's name (``""`` on other days), on the local calendar of ``tz``."""
    import holidays

    idx = require_aware(pd.DatetimeIndex(event_starts), "event_starts").tz_convert(tz)
    dates = idx.tz_localize(None).normalize()
    years = sorted(set(dates.year))
    cal = holidays.country_holidays(country, subdiv=subdivision, years=years, language="en_US")
    days = pd.Index(dates.unique())
    names_of = pd.Series([cal.get(d.date(), "") for d in days], index=days)
    names = names_of.reindex(dates).to_numpy(dtype=object)
    wd = idx.dayofweek.to_numpy()
    kind = np.where(names != "", "holiday", np.where(wd == 5, "Saturday", np.where(wd == 6, "Sunday", "workday")))
    return kind.astype(object), names


def wape_by_day_type(forecast: pd.Series, actual: pd.Series, tz: str, country: str = "DE",
                     subdivision: str | None = None, holidays_by_name: bool = False) -> pd.Series:  # fmt: skip
    """WAPE [-] per day type (:func:`day_type_labels`) of one sensor's forecast.

    Parameters
    ----------
    forecast, actual : pandas.Series
        Values indexed by tz-aware event start [series unit]; actual is aligned to the
        forecast's events.
    tz, country, subdivision : str
        Local calendar and holidays.
    holidays_by_name : bool
        Also one entry per holiday (``"holiday: Good Friday"``).

    Returns
    -------
    pandas.Series
        WAPE per day type (and holiday), :data:`DAY_TYPE_NAMES` first.
    """
    a = actual.reindex(forecast.index)
    kind, names = day_type_labels(forecast.index, tz, country, subdivision)
    df = pd.DataFrame({"ae": np.abs(forecast.to_numpy() - a.to_numpy()), "a": np.abs(a.to_numpy()), "k": kind, "n": names})
    df = df[np.isfinite(df["ae"])]
    out = df.groupby("k")[["ae", "a"]].sum()
    res = (out["ae"] / out["a"]).reindex([k for k in DAY_TYPE_NAMES if k in out.index])
    if holidays_by_name:
        h = df[df["n"] != ""].groupby("n")[["ae", "a"]].sum()
        res = pd.concat([res, (h["ae"] / h["a"]).rename(lambda x: f"holiday: {x}")])
    return res


def negative_hours(forecast: pd.Series, actual: pd.Series) -> dict[str, float]:
    """How a price forecast catches the hours with a negative price.

    Returns
    -------
    dict
        ``negative`` (hours with an actual price < 0), ``hits`` (of those, forecast < 0),
        ``hit_rate`` (hits / negative), ``false_alarms`` (forecast < 0, actual >= 0) and
        ``precision`` (hits / all hours forecast < 0) [counts, -].
    """
    a = actual.reindex(forecast.index)
    ok = a.notna() & forecast.notna()
    f, a = forecast[ok], a[ok]
    neg, fneg = a < 0, f < 0
    hits, alarms = int((neg & fneg).sum()), int((~neg & fneg).sum())
    n = int(neg.sum())
    return {"negative": n, "hits": hits, "hit_rate": hits / n if n else float("nan"), "false_alarms": alarms,
            "precision": hits / (hits + alarms) if hits + alarms else float("nan")}  # fmt: skip
