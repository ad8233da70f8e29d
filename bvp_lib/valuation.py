"""The value of flexibility: what the schedules earned against a baseline that uses none.

Conventions: power [MW], production positive, consumption negative; prices [EUR/MWh];
a step's energy is ``P × Δt`` with ``Δt`` in hours; revenue is ``Σ P × price × Δt``
[EUR] (consumption costs money: negative revenue).

For a day and a portfolio there are four schedules per asset:

baseline
    no flexibility used: batteries idle, EVs charge at full power from arrival,
    buildings unshifted, no curtailment. Known in two versions: the *forecast* baseline
    (what the plan was made on) and the *actual* baseline (what happened).
planned
    the schedule made at gate closure on the day-ahead forecasts.
realised
    the planned balancing actions (planned − forecast baseline) applied to what
    happened: ``realised = actual baseline + action``, clipped to what the asset can do
    (a solar park cannot produce more than the sun gave, nor less than zero).
perfect foresight
    the schedule made on realised data: the upper bound of what flexibility could earn.

Settlement (stated assumption, as no real imbalance prices ship with the data)
    The planned net position is sold on the day-ahead market at the day-ahead price.
    Any deviation of the realised position from the plan is settled at an imbalance
    price of the day-ahead price ± ``spread``: a surplus is paid ``price − spread``,
    a shortage costs ``price + spread``. Hence
    ``settlement = Σ (dev × price − |dev| × spread) × Δt``.
    Per asset the deviation is settled on its own; the portfolio settles its netted
    deviation, and the difference is reported as the portfolio's netting benefit.

Value
    ``value = revenue(schedule) − revenue(baseline)`` per asset, in EUR, for the realised
    schedule (including settlement of both) and for perfect foresight (settled at the
    day-ahead price, no deviations). The captured share is realised value / perfect
    foresight value (undefined when the latter is ~0).

Charging stations planned on forecast sessions
    The planned schedule of a station is made on the sessions *forecast* at gate closure
    (:mod:`bvp_lib.forecasting.sessions`); the real cars differ. Its realised power
    follows the real cars (:func:`realise_station`): each real car, when it arrives
    (in order of arrival), takes the planned power no earlier car has taken, in the steps
    it is plugged in, from its arrival on, until it has its energy; what the plan leaves
    it short is charged as the baseline would, at full power from its arrival. On a
    bidirectional station a car also charges ahead for the plan's later discharges, and
    gives only what the plan's later charging puts back. Planned power no real car takes
    is not drawn. The deviation from the plan is settled as imbalance, like every asset's.
    A plan made on the real sessions themselves (look-ahead, ``ev_sessions="actual"``) is
    applied as planned.

    Since ``revenue(x) + settlement(y − x) = revenue(y) − spread Σ|y − x| Δt``, a station's
    realised value splits into a price part and an imbalance part:
    ``[revenue(realised) − revenue(actual baseline)] − spread Δt (Σ|realised − planned| −
    Σ|actual baseline − forecast baseline|)``. Perfect foresight earns only the price part
    (no forecast error), so where following the plan absorbs more of the session forecast's
    error than the baseline does, the realised value can exceed it.

End-of-day state of charge
    A schedule could earn money by emptying a battery. Each storage's SoC change over
    the day, ``ΔSoC = SoC_end − SoC_start`` [MWh], is valued at the day's mean
    day-ahead price: ``ΔSoC × mean price × η_discharge`` when positive (energy that can be
    sold later), ``ΔSoC × mean price / η_charge`` when negative (energy to buy back).
    This term is added to the schedule's revenue, so emptying a battery creates no value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bvp_lib.scheduling.assets import ChargingStation
from bvp_lib.scheduling.ev import session_arrays
from bvp_lib.scheduling.timeseries import TimeGrid
from bvp_lib.timing import step_hours


CAPTURED_SHARE_MIN_EUR = 0.01  # perfect-foresight value below this: captured share undefined


def revenue(power: pd.DataFrame | pd.Series, price: pd.Series) -> pd.Series | float:
    """Revenue ``Σ_t P_t × price_t × Δt`` [EUR] per column (or of a Series)."""
    h = step_hours(price.index)
    if isinstance(power, pd.Series):
        return float((power.to_numpy() * price.to_numpy()).sum() * h)
    return (power.mul(price.to_numpy(), axis=0) * h).sum()


def settlement(deviation: pd.DataFrame | pd.Series, price: pd.Series, spread: float):
    """Imbalance settlement ``Σ (dev × price − |dev| × spread) × Δt`` [EUR].

    ``deviation`` = realised − planned power [MW]; a surplus (dev > 0) is paid
    ``price − spread``, a shortage pays ``price + spread``.
    """
    if spread < 0:
        raise ValueError(f"The imbalance spread must be >= 0 EUR/MWh, not {spread}.")
    h = step_hours(price.index)
    p = price.to_numpy()
    if isinstance(deviation, pd.Series):
        d = deviation.to_numpy()
        return float(((d * p) - np.abs(d) * spread).sum() * h)
    d = deviation.to_numpy()
    return pd.Series(((d * p[:, None]) - np.abs(d) * spread).sum(axis=0) * h, index=deviation.columns)


def apply_actions(
    actions: pd.DataFrame, actual_baseline: pd.DataFrame, kinds: dict[str, str], *, planned: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Realised schedule: the actual baseline plus the planned action, within what each asset can do.

    ``kinds`` maps asset → type. Solar and wind: ``clip(actual + action, 0, actual)``
    (curtail down to zero, never produce more than available); where the plan
    (``planned``, when given) curtails the park to zero it is off: realised 0, however
    much the sun or wind gave (a park told to stop produces nothing). Buildings:
    ``min(actual + action, 0)`` (a building does not produce). Batteries and charging
    stations: the action is the schedule itself, applied as planned (storage is not
    weather dependent). A station planned on forecast sessions is realised on its real
    cars instead (:func:`realise_station`, through ``value_day(stations=...)``).
    """
    out = actual_baseline.reindex(columns=actions.columns).fillna(0.0) + actions
    for a in actions.columns:
        k = kinds.get(a, "")
        if k in ("solar", "wind"):
            out[a] = np.clip(out[a].to_numpy(), 0.0, np.maximum(actual_baseline[a].to_numpy(), 0.0))
            if planned is not None and a in planned.columns:  # curtailed to zero: off
                off = (planned[a].to_numpy() <= 1e-9) & (actions[a].to_numpy() < -1e-9)
                out.loc[off, a] = 0.0
        elif k == "building":
            out[a] = np.minimum(out[a].to_numpy(), 0.0)
    return out


def realise_station(planned: pd.Series, station: ChargingStation, resolution: pd.Timedelta | str | None = None) -> pd.Series:
    """Realised power of a charging station [MW, charging negative] whose plan was made on
    forecast sessions, following the real cars of ``station`` (their sessions cut to the
    day, as :func:`bvp_lib.scheduling.ev.clip_sessions` does).

    Notation: step t of length Δt [h]; the planned power ``P_t`` gives the charging
    left to take ``c_t = max(−P_t, 0)`` and (bidirectional) the discharging left
    ``d_t = max(P_t, 0)`` [MW]. Real car k needs ``E_k`` [MWh] into its battery by
    departure, draws at most ``a_kt = f_kt P^max_k`` in step t (f: the share of the step it
    is plugged in), with efficiencies η_c, η_d; its SoC ``S`` starts at its SoC at arrival
    ``S_0`` and must reach ``T = S_0 + E_k`` by departure, within ``[S^min, C]`` (the car's
    battery; unidirectional cars: no limit is needed).

    The cars are taken in order of arrival (ties by session id). Car k walks its steps
    from its arrival:

    1. where ``c_t > 0``: it takes ``x = min(c_t, a_kt, (min(C, T + D_t) − S) / (η_c Δt))``,
       with ``D_t = Δt / η_d Σ_{i>t} min(d_i, a_ki)`` what the plan's later discharging
       could take out of it (0 for a unidirectional car: it charges only what it needs);
       ``c_t −= x``, ``S += η_c Δt x``;
    2. where ``d_t > 0`` (bidirectional): it gives
       ``y = min(d_t, a_kt, (S − S^min) η_d / Δt, (S + η_c Δt Σ_{i>t} min(c_i, a_ki) − T) η_d / Δt)``:
       never more than the plan's charging left in its later steps puts back;
       ``d_t −= y``, ``S −= y Δt / η_d``;
    3. what it still lacks, ``T − S``, is charged as the baseline would: at full power
       (what the step has left, ``a_kt − x_kt``) from its arrival, until it has it (after
       a discharge rule 2 leaves nothing to lack).

    Realised power ``Σ_k (y_kt − x_kt − z_kt)`` with ``z`` the charging of rule 3. Every
    car leaves with at least its energy (unidirectional: exactly); a plan of zero gives
    the real cars' baseline (full power from arrival), and planned power that no real car
    takes is not drawn.

    Parameters
    ----------
    planned : pandas.Series
        The planned power of the station [MW] on the day's steps (UTC).
    station : ChargingStation
        The station with its real sessions (``arrival``, ``departure``, ``energy``,
        ``max_power``; ``capacity``, ``soc_at_arrival``, ``soc_min`` when bidirectional).
    resolution : pandas.Timedelta, optional
        Δt (default: from the index).
    """
    res = pd.Timedelta(resolution) if resolution is not None else pd.Timedelta(planned.index[1] - planned.index[0])
    grid = TimeGrid(pd.DatetimeIndex(planned.index), res)
    h = grid.hours
    s = session_arrays([station], [0], grid)
    p = planned.to_numpy(float)
    c_left = np.clip(-p, 0.0, None)
    d_left = np.clip(p, 0.0, None) if station.bidirectional else np.zeros_like(p)
    out = np.zeros_like(p)
    if s.n == 0:
        return pd.Series(out, index=planned.index, name=planned.name)
    tol = 1e-12
    order = sorted(range(s.n), key=lambda k: (s.arrival[k].value, str(s.session_ids[k])))
    for k in order:
        ent = np.arange(s.first[k], s.first[k] + s.count[k])
        steps = s.entry_step[ent]
        cap = s.entry_fraction[ent] * s.max_power[k]
        eta_c, eta_d = s.eta_c[k], s.eta_d[k]
        soc = float(s.soc_arrival[k]) if np.isfinite(s.soc_arrival[k]) else 0.0
        target = soc + float(s.energy[k])
        battery = float(s.capacity[k]) if np.isfinite(s.capacity[k]) else np.inf
        x, y, z = np.zeros(ent.size), np.zeros(ent.size), np.zeros(ent.size)
        for j, t in enumerate(steps):
            if c_left[t] > tol:
                later_out = (np.minimum(d_left[steps[j + 1 :]], cap[j + 1 :]).sum() * h / eta_d) if s.bidirectional[k] else 0.0
                x[j] = max(0.0, min(c_left[t], cap[j], (min(battery, target + later_out) - soc) / (eta_c * h)))
                c_left[t] -= x[j]
                soc += eta_c * h * x[j]
            elif d_left[t] > tol:
                later_in = np.minimum(c_left[steps[j + 1 :]], cap[j + 1 :]).sum() * eta_c * h  # plan charging left later
                y[j] = max(0.0, min(d_left[t], cap[j], (soc - s.soc_min[k]) * eta_d / h, (soc + later_in - target) * eta_d / h))
                d_left[t] -= y[j]
                soc -= y[j] * h / eta_d
        for j in range(ent.size):
            if target - soc <= tol:
                break
            if y[j] > tol:
                continue
            z[j] = min(cap[j] - x[j], (target - soc) / (eta_c * h))
            soc += eta_c * h * z[j]
        np.add.at(out, steps, y - x - z)
    return pd.Series(out, index=planned.index, name=planned.name)


def soc_adjustment(
    soc_start: pd.Series, soc_end: pd.Series, price: pd.Series,
    charge_efficiency: pd.Series, discharge_efficiency: pd.Series,
) -> pd.Series:
    """Value of each storage's SoC change over the day [EUR] (see module docstring)."""
    mean_price = float(price.mean())
    delta = (soc_end - soc_start).astype(float)
    eta_d = discharge_efficiency.reindex(delta.index).fillna(1.0)
    eta_c = charge_efficiency.reindex(delta.index).fillna(1.0)
    return pd.Series(np.where(delta >= 0, delta * mean_price * eta_d, delta * mean_price / eta_c), index=delta.index)


@dataclass
class DayValue:
    """Valuation of one day: per-asset table, per-owner and portfolio sums, and the schedules."""

    assets: pd.DataFrame
    owners: pd.DataFrame
    portfolio: dict
    realised: pd.DataFrame
    actions: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def headline(self) -> dict:
        p = self.portfolio
        return {
            "portfolio value [EUR]": round(p["realised_value_eur"], 2),
            "perfect foresight [EUR]": round(p["perfect_foresight_value_eur"], 2),
            "captured share": None if p["captured_share"] is None else round(p["captured_share"], 3),
            "energy shifted [MWh]": round(p["energy_shifted_mwh"], 3),
            "curtailed [MWh]": round(p["energy_curtailed_mwh"], 3),
        }


def value_day(
    *,
    price: pd.Series,
    forecast_price: pd.Series | None,
    planned: pd.DataFrame,
    forecast_baseline: pd.DataFrame,
    actual_baseline: pd.DataFrame,
    perfect: pd.DataFrame,
    kinds: dict[str, str],
    owners: dict[str, str],
    storage: pd.DataFrame | None = None,
    spread: float = 10.0,
    stations: dict[str, ChargingStation] | None = None,
    position: pd.DataFrame | None = None,
) -> DayValue:
    """Value one day of a portfolio.

    Parameters
    ----------
    price : Series
        Realised day-ahead price [EUR/MWh] on the schedule's steps.
    forecast_price : Series, optional
        The price forecast the plan was made on (for the planned value).
    planned, forecast_baseline, actual_baseline, perfect : DataFrame
        Power per asset (columns) and step [MW], production positive.
    kinds, owners : dict
        Asset → type and asset → owner.
    storage : DataFrame, optional
        Per storage asset (index): ``soc_start``, ``planned_soc_end``, ``perfect_soc_end``
        [MWh], ``charge_efficiency``, ``discharge_efficiency``.
    spread : float
        Imbalance spread around the day-ahead price [EUR/MWh].
    stations : dict, optional
        Charging station → the station with its *real* sessions, for stations whose plan
        was made on forecast sessions: their realised power follows the real cars
        (:func:`realise_station`) instead of the plan. Stations left out are realised as
        planned (right only when the plan was made on the real sessions).
    position : DataFrame, optional
        What each asset sold on the day-ahead market [MW] when that is not its plan (the
        orders strategy sells what the auction accepted; the plan delivers it as well as
        the assets allow): revenue is ``revenue(position)``, and the realised schedule's
        deviation from the position is settled. Default: the plan.
    """
    cols = list(planned.columns)
    for name, df in (("forecast_baseline", forecast_baseline), ("actual_baseline", actual_baseline), ("perfect", perfect)):
        missing = sorted(set(cols) - set(df.columns))
        if missing:
            raise ValueError(f"{name} lacks asset(s) {missing}.")
        if not df.index.equals(planned.index):
            raise ValueError(f"{name} is not on the planned schedule's steps.")
    if not price.index.equals(planned.index):
        raise ValueError("The price is not on the planned schedule's steps.")
    if price.isna().any():
        raise ValueError(f"The realised price is missing for {int(price.isna().sum())} step(s).")
    fb, ab, pf = forecast_baseline[cols], actual_baseline[cols], perfect[cols]
    h = step_hours(price.index)
    actions = planned - fb
    realised = apply_actions(actions, ab, kinds, planned=planned)
    for a, st in (stations or {}).items():
        if a in realised.columns:
            realised[a] = realise_station(planned[a], st).to_numpy()
    sold = planned if position is None else position.reindex(index=planned.index, columns=cols).fillna(planned)
    rev_base = revenue(fb, price) + settlement(ab - fb, price, spread)
    rev_real = revenue(sold, price) + settlement(realised - sold, price, spread)
    rev_pf = revenue(pf, price)
    rev_pf_base = revenue(ab, price)
    adj_real = pd.Series(0.0, index=cols)
    adj_pf = pd.Series(0.0, index=cols)
    if storage is not None and len(storage):
        st = storage.reindex([c for c in storage.index if c in cols])
        adj_real.loc[st.index] = soc_adjustment(st["soc_start"], st["planned_soc_end"], price,
                                                st["charge_efficiency"], st["discharge_efficiency"])  # fmt: skip
        adj_pf.loc[st.index] = soc_adjustment(st["soc_start"], st["perfect_soc_end"], price,
                                              st["charge_efficiency"], st["discharge_efficiency"])  # fmt: skip
    planned_value = (
        revenue(planned, forecast_price) - revenue(fb, forecast_price) if forecast_price is not None else np.nan
    )
    table = pd.DataFrame(
        {
            "type": pd.Series(kinds).reindex(cols),
            "owner": pd.Series(owners).reindex(cols),
            "baseline_revenue_eur": rev_base,
            "realised_revenue_eur": rev_real + adj_real,
            "planned_value_eur": planned_value + adj_real if forecast_price is not None else np.nan,
            "realised_value_eur": rev_real + adj_real - rev_base,
            "perfect_foresight_value_eur": rev_pf + adj_pf - rev_pf_base,
            "soc_adjustment_eur": adj_real,
            "energy_shifted_mwh": _shifted(actions, kinds, h),
            "energy_curtailed_mwh": _curtailed(realised, ab, kinds, h),
            "energy_cycled_mwh": _cycled(planned, kinds, h),
        },
        index=pd.Index(cols, name="asset"),
    )
    cap = None
    if storage is not None and "capacity_mwh" in storage:
        cap = storage["capacity_mwh"]
    table["battery_cycles"] = [
        (table.loc[a, "energy_cycled_mwh"] / (2 * cap[a])) if cap is not None and a in cap.index and cap[a] > 0 else np.nan
        for a in cols
    ]
    table["captured_share"] = [
        captured_share(r, p) for r, p in zip(table["realised_value_eur"], table["perfect_foresight_value_eur"])
    ]
    owners_t = value_by(table, "owner", ["realised_value_eur", "perfect_foresight_value_eur", "planned_value_eur",
                                         "energy_shifted_mwh", "energy_curtailed_mwh"])  # fmt: skip
    # the portfolio settles its netted deviation: the gain over per-asset settlement
    net_dev_real = (realised - sold).sum(axis=1)
    net_dev_base = (ab - fb).sum(axis=1)
    netting = (settlement(net_dev_real, price, spread) - settlement(net_dev_base, price, spread)) - (
        settlement(realised - sold, price, spread).sum() - settlement(ab - fb, price, spread).sum()
    )
    real_total = float(table["realised_value_eur"].sum() + netting)
    pf_total = float(table["perfect_foresight_value_eur"].sum())
    portfolio = {
        "realised_value_eur": real_total,
        "perfect_foresight_value_eur": pf_total,
        "planned_value_eur": float(table["planned_value_eur"].sum()) if forecast_price is not None else None,
        "netting_benefit_eur": float(netting),
        "captured_share": captured_share(real_total, pf_total),
        "energy_shifted_mwh": float(table["energy_shifted_mwh"].sum()),
        "energy_curtailed_mwh": float(table["energy_curtailed_mwh"].sum()),
        "energy_cycled_mwh": float(table["energy_cycled_mwh"].sum()),
        "baseline_revenue_eur": float(table["baseline_revenue_eur"].sum()),
        "spread_eur_per_mwh": spread,
    }
    return DayValue(table, owners_t, portfolio, realised, actions, {"spread": spread})


def captured_share(realised: float, perfect: float) -> float | None:
    """Realised value / perfect-foresight value [-]; None when the latter is below
    :data:`CAPTURED_SHARE_MIN_EUR` (nothing to capture)."""
    if abs(perfect) < CAPTURED_SHARE_MIN_EUR:
        return None
    return float(realised / perfect)


def value_by(table: pd.DataFrame, keys, columns=None) -> pd.DataFrame:
    """Sum value columns [EUR] of ``table`` by ``keys`` and add the captured share of each group.

    ``columns`` default to ``realised_value_eur`` and ``perfect_foresight_value_eur``; both
    must be among them.
    """
    columns = list(columns or ["realised_value_eur", "perfect_foresight_value_eur"])
    g = table.groupby(keys)[columns].sum()
    g["captured_share"] = [
        captured_share(r, p) for r, p in zip(g["realised_value_eur"], g["perfect_foresight_value_eur"])
    ]
    return g


def _shifted(actions: pd.DataFrame, kinds: dict, h: float) -> pd.Series:
    """Energy moved in time [MWh]: the consumption moved away from its baseline steps
    (buildings and charging stations), ``Σ max(action, 0) × Δt``."""
    out = pd.Series(0.0, index=actions.columns)
    for a in actions.columns:
        if kinds.get(a) in ("building", "charging_station", "bidirectional_charging_station"):
            out[a] = float(np.clip(actions[a].to_numpy(), 0, None).sum() * h)
    return out


def _curtailed(realised: pd.DataFrame, actual_baseline: pd.DataFrame, kinds: dict, h: float) -> pd.Series:
    """Energy not produced by solar and wind [MWh]: ``Σ (actual − realised)⁺ × Δt``."""
    out = pd.Series(0.0, index=realised.columns)
    for a in realised.columns:
        if kinds.get(a) in ("solar", "wind"):
            out[a] = float(np.clip(actual_baseline[a].to_numpy() - realised[a].to_numpy(), 0, None).sum() * h)
    return out


def _cycled(planned: pd.DataFrame, kinds: dict, h: float) -> pd.Series:
    """Energy through a battery [MWh]: ``Σ |P| × Δt`` (charge plus discharge)."""
    out = pd.Series(0.0, index=planned.columns)
    for a in planned.columns:
        if kinds.get(a) == "battery":
            out[a] = float(np.abs(planned[a].to_numpy()).sum() * h)
    return out
