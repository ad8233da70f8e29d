"""Day-ahead "vendor" forecasts of Germany's system fundamentals, made at bundle time.

The measured fundamentals (:func:`bvp_lib.data.generate_entsoe.system_fundamentals`:
load proxy, wind, solar, residual load [MW], hourly) become forecasts as a price
forecaster would buy them: **one issue per delivery day D, at 09:00 local time on D-1**
(:data:`ISSUE_TIME`), covering the 23, 24 or 25 hours of D. 09:00 is three hours before
the day-ahead gate closure (12:00 D-1): a vendor's morning run on the 00 UTC weather
models, and before the TSOs' own day-ahead load forecast is due (two hours before gate
closure, Regulation (EU) 543/2013 art. 6(2)(b)); the TSOs' wind and solar day-ahead
forecasts (art. 14(1)(d), due by 18:00 D-1) come too late for the auction.

Error model (per quantity :math:`q`, issue :math:`i`, event hour :math:`t` with horizon
:math:`h` = event end - issue time, 16 h to 40 h)

.. math::

    \\hat y_q(t) = y_q(t) + C_q(t)\\,s_q(h)\\,e_q(t)\\,x_{q,i}(t)     \\quad\\text{(wind, solar: share of installed capacity)}

    \\hat y_L(t) = y_L(t)\\,(1 + s_L(h)\\,x_{L,i}(t))                  \\quad\\text{(load proxy: relative)}

    \\hat y_{res} = \\hat y_L - \\hat y_{wind} - \\hat y_{solar}

    s_q(h) = s_{q,\\infty} \\sqrt{1 - e^{-h/\\tau}}

* :math:`x_{q,i}` is a unit-variance AR(1) path **along the hours of one issue**,
  :math:`x(t) = \\varphi x(t - 1\\,h) + \\sqrt{1-\\varphi^2}\\,\\varepsilon_t`,
  :math:`\\varphi = e^{-1\\,h/T_q}`: errors of consecutive hours of one issue are
  correlated (a weather model's front comes early or late for hours), each issue draws
  a new path from ``default_rng([seed, crc32(quantity), issue day ordinal])``, so a day's
  forecast does not depend on which other days are generated.
* :math:`C_q(t)` is the installed capacity (wind: onshore + offshore) and
  :math:`e_q(t)` an envelope: 1 for wind; for solar the cosine of the sun's zenith at
  the centre of Germany (51.16 N, 10.45 E; 0 at night), so the night stays exactly zero.
* :math:`s_{q,\\infty}` is calibrated on the year's issues so that the error's expected
  RMS (wind, solar: over all hours, in % of installed capacity) or mean absolute
  percentage error (load, :math:`\\mathrm{MAPE} = \\sqrt{2/\\pi}\\,\\overline{s(h)}`)
  equals the target in :data:`ERROR_TARGETS`, which comes from published verification
  figures (``data/README.md``). Forecasts are clipped to ``[0, C_q]`` (wind, solar).

Because :math:`s(h)` grows with the horizon, the last hours of day D (about 40 h ahead)
are forecast worse than its first hours (16 h ahead).
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from bvp_lib.config import DEFAULTS
from bvp_lib.data import SOURCE_TIMEZONE

LOCAL_TIMEZONE = SOURCE_TIMEZONE
#: local time on D-1 at which the forecasts of day D are issued
ISSUE_TIME = dt.time(9, 0)
#: gate closure of the day-ahead auction, local time on D-1 (the market clock's default rule,
#: recorded in the manifest; the stored forecasts are known at their issue time, before it)
GATE_CLOSURE = dt.time.fromisoformat(DEFAULTS["gate_closure"])
#: centre of Germany: the solar envelope's sun position
CENTRE = (51.16, 10.45)


@dataclass(frozen=True)
class ErrorTarget:
    """The error of one fundamental's day-ahead forecast.

    Attributes
    ----------
    metric : {"nrmse", "mape"}
        What ``value`` measures: RMSE in share of installed capacity, or mean absolute
        percentage error.
    value : float
        The target [-] (0.034 = 3.4 %).
    tau : str
        Horizon scale of :math:`s(h)` (Timedelta string).
    correlation_time : str
        :math:`T` of the AR(1) path along an issue (Timedelta string).
    source : str
        Where ``value`` comes from.
    """

    metric: str
    value: float
    tau: str
    correlation_time: str
    source: str

    @property
    def phi(self) -> float:
        """Correlation of the errors of consecutive hours of one issue [-]."""
        return float(np.exp(-(pd.Timedelta("1h") / pd.Timedelta(self.correlation_time))))

    def ratio(self, horizon: np.ndarray) -> np.ndarray:
        """:math:`s(h)/s_\\infty = \\sqrt{1 - e^{-h/\\tau}}` for horizons [Timedelta array]."""
        r = pd.to_timedelta(horizon) / pd.Timedelta(self.tau)
        return np.sqrt(1.0 - np.exp(-np.asarray(r, float)))


ERROR_TARGETS: dict[str, ErrorTarget] = {
    "wind": ErrorTarget("nrmse", 0.034, "24h", "12h",
                        "ZSW (Zentrum für Sonnenenergie- und Wasserstoff-Forschung), WindSage project: nRMSE of "
                        "ZSW's operational wind power forecast for Germany 2014 = 3.4 % of installed capacity"),
    "solar": ErrorTarget("nrmse", 0.029, "24h", "6h",
                         "ZSW, WindSage project page: nRMSE of ZSW's 2014 PV power forecast for Germany = 2.9 % of "
                         "installed capacity"),
    "load_proxy": ErrorTarget("mape", 0.025, "24h", "12h",
                              "assumption, below the 2.8 % MAPE of a weather- and calendar-driven model of German load "
                              "without recent load (Behm, Nolting, Praktiknjo 2020, Applied Energy 277, 115564)"),
}  # fmt: skip


def issue_times(event_start: pd.DatetimeIndex, tz: str = LOCAL_TIMEZONE, issue: dt.time = ISSUE_TIME) -> pd.DatetimeIndex:
    """The issue time of each event's forecast: ``issue`` local time on the day before the event's local day (UTC)."""
    local_day = event_start.tz_convert(tz).tz_localize(None).normalize()
    issued = (local_day - pd.Timedelta("1D") + pd.Timedelta(hours=issue.hour, minutes=issue.minute)).tz_localize(tz)
    return pd.DatetimeIndex(issued).tz_convert("UTC")


def solar_envelope(event_start: pd.DatetimeIndex, resolution: pd.Timedelta = pd.Timedelta("1h")) -> np.ndarray:
    """Cosine of the sun's zenith at the centre of Germany at each step's middle [-], 0 at night."""
    import pvlib

    mid = event_start + resolution / 2
    pos = pvlib.solarposition.get_solarposition(mid, *CENTRE)
    return np.clip(np.cos(np.radians(pos["zenith"].to_numpy())), 0.0, None)


def issue_paths(issues: pd.DatetimeIndex, phi: float, name: str, seed: int) -> np.ndarray:
    """Unit-variance AR(1) values along the events of each issue (events sorted in time).

    Parameters
    ----------
    issues : pandas.DatetimeIndex
        Issue time of each event (consecutive events of one issue share it).
    phi : float
        Correlation of consecutive steps within an issue.
    name, seed : str, int
        Seed parts; each issue's path comes from
        ``default_rng([seed, crc32(name), days since 1970-01-01 of the issue])``.
    """
    out = np.empty(len(issues))
    codes, uniq = pd.factorize(issues, sort=False)
    for k, t in enumerate(uniq):
        pos = np.flatnonzero(codes == k)
        rng = np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8")), int(t.value // 86_400_000_000_000)])
        eps = rng.standard_normal(len(pos))
        x0 = rng.standard_normal()
        out[pos], _ = lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], eps, zi=[phi * x0])
    return out


def day_ahead_forecasts(
    measured: pd.DataFrame,
    capacity: dict[str, np.ndarray],
    *,
    seed: int = 2018,
    targets: dict[str, ErrorTarget] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Day-ahead forecasts of the fundamentals (module docstring).

    Parameters
    ----------
    measured : pandas.DataFrame
        Hourly ``load_proxy``, ``wind``, ``solar`` [MW] (UTC hour starts, whole local days).
    capacity : dict
        ``wind`` and ``solar``: installed capacity [MW] at each hour of ``measured``.
    seed : int
        Seed of the error paths.
    targets : dict, optional
        Error targets per quantity (default :data:`ERROR_TARGETS`).

    Returns
    -------
    forecasts : pandas.DataFrame
        Columns ``sensor`` (``load_proxy``, ``wind``, ``solar``, ``residual_load``),
        ``event_start`` (UTC), ``issued_at`` (UTC), ``value`` [MW].
    calibration : dict
        Per quantity: the target, :math:`s_\\infty`, :math:`\\varphi`, the horizons and
        the realised error (nRMSE or MAPE, bias, lag-1 correlation along issues).
    """
    targets = {**ERROR_TARGETS, **(targets or {})}
    index = pd.DatetimeIndex(measured.index)
    res = pd.Timedelta("1h")
    issued = issue_times(index)
    horizon = (index + res) - issued
    env = {"wind": np.ones(len(index)), "solar": solar_envelope(index, res), "load_proxy": np.ones(len(index))}
    values, calibration = {}, {}
    for q in ("load_proxy", "wind", "solar"):
        t = targets[q]
        ratio = t.ratio(horizon)
        x = issue_paths(issued, t.phi, q, seed)
        y = measured[q].to_numpy(float)
        if t.metric == "mape":
            s_inf = t.value / (np.sqrt(2.0 / np.pi) * float(np.mean(ratio)))
            scale = y * s_inf * ratio
            f = y + scale * x
            usable = np.ones(len(y), dtype=bool)
        else:
            s_inf = t.value / float(np.sqrt(np.mean((ratio * env[q]) ** 2)))
            cap = np.asarray(capacity[q], float)
            scale = cap * s_inf * ratio * env[q]
            f = np.clip(y + scale * x, 0.0, cap)
            usable = (f > 0) & (f < cap) & (env[q] > 0.1)  # not clipped, not near sunrise or sunset
        values[q] = f
        err = f - y
        z = np.where(usable, err / np.where(scale > 0, scale, 1.0), np.nan)  # the error in units of its own scale
        same = (issued[1:] == issued[:-1]) & usable[1:] & usable[:-1]
        calibration[q] = {
            **asdict(t), "phi": round(t.phi, 4), "s_inf": round(float(s_inf), 6),
            "horizons_h": [float(horizon.min() / res), float(horizon.max() / res)],
            "realised": {
                "nrmse_of_capacity": (round(float(np.sqrt(np.mean(err**2)) / np.mean(capacity[q])), 5)
                                      if q in capacity else None),
                "mape": round(float(np.mean(np.abs(err) / y)), 5) if q == "load_proxy" else None,
                "bias_mw": round(float(err.mean()), 2),
                "lag1_error_correlation_along_issues": round(float(np.corrcoef(z[1:][same], z[:-1][same])[0, 1]), 4),
            },
        }  # fmt: skip
    values["residual_load"] = values["load_proxy"] - values["wind"] - values["solar"]
    frames = [pd.DataFrame({"sensor": q, "event_start": index, "issued_at": issued, "value": values[q]})
              for q in ("load_proxy", "wind", "solar", "residual_load")]  # fmt: skip
    return pd.concat(frames, ignore_index=True), calibration
