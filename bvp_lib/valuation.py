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
    weather dependent; EV sessions are taken as known at gate closure).
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
