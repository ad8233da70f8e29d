"""Regressors as beliefs: the latest forecast of each weather quantity known at a belief time.

Regressors (weather forecasts) come as a beliefs DataFrame with columns ``sensor``,
``event_start`` (tz-aware), ``belief_horizon`` (timedelta) and ``value``; an optional
``source`` column must hold one source per sensor. Only beliefs with a positive horizon
(forecasts) are used: a measurement is known after its event, so it can never serve a
forecast of that event. Where the data hold only measured weather, derive forecasts with
:func:`bvp_lib.forecasting.weather.derive_weather_forecasts` first.

For a forecast pair (belief time ``b``, event start ``e``) the regressor value is taken
from the weather step containing ``e`` (start ``w``, resolution ``r_w``), from the belief
with the **smallest horizon** ``h_w >= w + r_w - b``: the most recent forecast that was
already known at ``b`` (its belief time ``w + r_w - h_w <= b``). Where that belief is
missing, the next longer horizon (an older forecast, also known at ``b``) stands in;
where none is left, :class:`~bvp_lib.forecasting.errors.RegressorError` is raised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bvp_lib.forecasting.errors import RegressorError
from bvp_lib.forecasting.series import fmt_td, fmt_ts, require_aware

REGRESSOR_COLUMNS = ("sensor", "event_start", "belief_horizon", "value")
DAY_NS = 86_400 * 10**9


@dataclass(frozen=True, eq=False)
class RegressorCube:
    """Forecasts of one regressor on a (horizon x event step) grid.

    Attributes
    ----------
    name : str
        The regressor's sensor.
    t0, res : int
        Start of step 0 and resolution of the event grid [ns UTC, ns].
    horizons : numpy.ndarray
        Sorted positive belief horizons [ns].
    values : numpy.ndarray
        Shape (n horizons, n steps) [regressor unit]; a missing belief holds the value of
        the next longer horizon (NaN when there is none).
    """

    name: str
    t0: int
    res: int
    horizons: np.ndarray
    values: np.ndarray

    @property
    def end(self) -> int:
        return self.t0 + self.values.shape[1] * self.res

    def lookup(self, e_ns: np.ndarray, b_ns: np.ndarray) -> np.ndarray:
        """Latest forecast known at ``b`` for the step containing ``e`` [regressor unit]."""
        e_ns = np.asarray(e_ns, dtype=np.int64)
        b_ns = np.broadcast_to(np.asarray(b_ns, dtype=np.int64), e_ns.shape)
        t = (e_ns - self.t0) // self.res
        outside = (t < 0) | (t >= self.values.shape[1])
        if outside.any():
            bad = int(e_ns[outside][0])
            raise RegressorError(
                f"regressor {self.name!r} covers {fmt_ts(self.t0)} to {fmt_ts(self.end)}, but a "
                f"forecast for the event at {fmt_ts(bad)} needs it; pass weather forecasts that "
                "cover every forecast event (and the training window)."
            )
        need = self.t0 + (t + 1) * self.res - b_ns
        k = np.searchsorted(self.horizons, need, side="left")
        if np.any(k >= len(self.horizons)):
            worst = pd.Timedelta(int(need.max()), unit="ns")
            raise RegressorError(
                f"regressor {self.name!r}: a forecast needs a belief with horizon >= {fmt_td(worst)}, "
                f"but the longest is {fmt_td(pd.Timedelta(int(self.horizons[-1]), unit='ns'))}; derive "
                "or load weather forecasts with longer horizons."
            )
        out = self.values[k, t]
        if np.isnan(out).any():
            i = int(np.flatnonzero(np.isnan(out))[0])
            raise RegressorError(
                f"regressor {self.name!r} has no forecast for the step at {fmt_ts(self.t0 + t[i] * self.res)} "
                f"known at {fmt_ts(int(b_ns[i]))} (not at "
                "any horizon); fill the weather data's gaps before deriving forecasts."
            )
        return out

    def known(self, e_ns: np.ndarray, b_ns: np.ndarray) -> np.ndarray:
        """As :meth:`lookup`, NaN where no forecast of the step is known at ``b`` (or the
        step lies outside the cube) [regressor unit]."""
        e_ns = np.asarray(e_ns, dtype=np.int64)
        b_ns = np.broadcast_to(np.asarray(b_ns, dtype=np.int64), e_ns.shape)
        t = (e_ns - self.t0) // self.res
        out = np.full(len(e_ns), np.nan)
        inside = (t >= 0) & (t < self.values.shape[1])
        need = self.t0 + (t + 1) * self.res - b_ns
        k = np.searchsorted(self.horizons, need, side="left")
        ok = inside & (k < len(self.horizons))
        out[ok] = self.values[k[ok], t[ok]]
        return out

    def lookup_latest_day(self, e_ns: np.ndarray, b_ns: np.ndarray, max_days_back: int = 3) -> np.ndarray:
        """The forecast known at ``b`` for the step containing ``e``; where none is, the one
        known at ``b`` for the same step 1, 2, .. ``max_days_back`` days (24 h) earlier
        [regressor unit].

        For forecasts issued once a day (the system fundamentals: 09:00 on D-1 for day D),
        a belief time before the issue of ``e``'s day still finds the forecast of the day
        before (what a forecaster would reuse), so every horizon can be served, and
        nothing unknown at ``b`` is read.

        Raises
        ------
        RegressorError
            Where no forecast is known at ``b`` within ``max_days_back`` days.
        """
        e_ns = np.asarray(e_ns, dtype=np.int64)
        b_ns = np.broadcast_to(np.asarray(b_ns, dtype=np.int64), e_ns.shape)
        out = self.known(e_ns, b_ns)
        for k in range(1, max_days_back + 1):  # a few days back, each vectorised
            miss = np.isnan(out)
            if not miss.any():
                break
            out[miss] = self.known(e_ns[miss] - k * DAY_NS, b_ns[miss])
        if np.isnan(out).any():
            i = int(np.flatnonzero(np.isnan(out))[0])
            raise RegressorError(
                f"regressor {self.name!r}: no forecast of the step at {fmt_ts(int(e_ns[i]))} (nor of the same step up to "
                f"{max_days_back} days earlier) is known at {fmt_ts(int(b_ns[i]))}; load its forecasts for the period "
                f"(covered: {fmt_ts(self.t0)} to {fmt_ts(self.end)})."
            )
        return out


def _cube(name: str, ev: np.ndarray, hz: np.ndarray, v: np.ndarray) -> RegressorCube:
    keep = hz > 0
    ev, hz, v = ev[keep], hz[keep], v[keep]
    if not len(ev):
        raise RegressorError(
            f"regressor {name!r} holds no forecasts (no belief with a positive horizon); measured "
            "weather must first become forecasts: use derive_weather_forecasts(measured, ...)."
        )
    steps = np.unique(ev)
    res = int(np.diff(steps).min()) if len(steps) > 1 else 3_600 * 10**9
    t0 = int(steps[0])
    if np.any((steps - t0) % res):
        raise RegressorError(f"regressor {name!r}: event starts are not on one regular grid; resample it first.")
    horizons, h_idx = np.unique(hz, return_inverse=True)
    t_idx = (ev - t0) // res
    n_t = int(t_idx.max()) + 1
    flat = h_idx * n_t + t_idx
    if len(np.unique(flat)) != len(flat):
        raise RegressorError(
            f"regressor {name!r} holds duplicate beliefs (same event start and horizon); keep one source per regressor."
        )
    values = np.full((len(horizons), n_t), np.nan)
    values[h_idx, t_idx] = v
    values = pd.DataFrame(values).bfill(axis=0).to_numpy()  # missing: the next older forecast
    return RegressorCube(name=name, t0=t0, res=res, horizons=horizons.astype(np.int64), values=values)


def prepare_regressors(regressors) -> dict[str, RegressorCube] | None:
    """Regressor beliefs as one :class:`RegressorCube` per sensor.

    Parameters
    ----------
    regressors : pandas.DataFrame or dict or None
        Beliefs (see module docstring), or an already prepared dict, or None.

    Returns
    -------
    dict of str to RegressorCube, or None
    """
    if regressors is None or isinstance(regressors, dict):
        return regressors
    if not isinstance(regressors, pd.DataFrame):
        raise RegressorError(f"regressors must be a beliefs DataFrame, got {type(regressors).__name__}.")
    missing = [c for c in REGRESSOR_COLUMNS if c not in regressors.columns]
    if missing:
        raise RegressorError(
            f"regressors lack the column(s) {missing}: pass beliefs with columns "
            f"{list(REGRESSOR_COLUMNS)}; for measured weather, derive forecasts with "
            "derive_weather_forecasts(measured, ...) so each value says when it was known."
        )
    starts = require_aware(pd.DatetimeIndex(regressors["event_start"]), "regressors' event_start")
    if "source" in regressors.columns:
        n_src = regressors.groupby("sensor", observed=True)["source"].nunique()
        if (n_src > 1).any():
            raise RegressorError(
                f"regressor(s) {list(n_src[n_src > 1].index)} come from several sources; select one "
                "source per regressor before forecasting."
            )
    ev = starts.asi8
    hz = pd.to_timedelta(regressors["belief_horizon"]).to_numpy().astype("timedelta64[ns]").astype(np.int64)
    v = regressors["value"].to_numpy(dtype=float)
    codes, names = pd.factorize(regressors["sensor"].astype(str), sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    out = {}
    for i, name in enumerate(names):  # one per regressor sensor (a handful), not per step
        sel = order[bounds[i] : bounds[i + 1]]
        out[str(name)] = _cube(str(name), ev[sel], hz[sel], v[sel])
    return out
