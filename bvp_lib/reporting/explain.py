"""How to read a report: every headline defined with its formula, and the largest losses
against perfect foresight explained in words.

Notation (as in :mod:`bvp_lib.valuation`): ``P`` power [MW] per asset and step,
production positive and consumption negative; ``π`` the realised day-ahead price and
``π̂`` its forecast at gate closure [EUR/MWh]; ``Δt`` the step [h]; ``s`` the imbalance
spread [EUR/MWh]; ``a = P_plan − P̂_base`` the planned balancing action [MW].

:func:`loss_reasons` is pure (pandas in, sentences out); :func:`explain_day` takes a
finished day run (:class:`bvp_lib.runs.day.DayRun`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bvp_lib.market.clock import market_clock
from bvp_lib.reporting.tables import format_quantity
from bvp_lib.timing import step_hours


@dataclass(frozen=True)
class Definition:
    """One headline: its name as on the page, a sentence and its formula."""

    name: str
    sentence: str
    formula: str


#: every headline of the daily report, in the order of the tiles; the tile keys are ``name [unit]``
DEFINITIONS = (
    Definition("value realised",
               "What flexibility earned on the day with this report's strategy: what was sold day-ahead (the plan, "
               "or with orders what the auction accepted) at the day-ahead price, the plan's balancing actions "
               "applied to what really happened, deviations from what was sold settled at the imbalance price, "
               "minus the baseline's revenue.",
               "V = Σₜ P_sold,t · πₜ · Δt + settlement(P_real − P_sold) − [Σₜ P̂_base,t · πₜ · Δt "
               "+ settlement(P_base − P̂_base)] + SoC term;  settlement(d) = Σₜ (dₜ · πₜ − |dₜ| · s) · Δt"),
    Definition("value with perfect foresight",
               "What the same assets would have earned with a schedule made on what really happened (prices, "
               "weather, loads): the most their flexibility could have earned that day.",
               "V_pf = Σₜ (P_pf,t − P_base,t) · πₜ · Δt + SoC term"),
    Definition("captured share",
               "How much of the perfect-foresight value the plan made at gate closure realised; undefined (n/a) when "
               "there was less than 0.01 EUR to earn.",
               "captured share = V / V_pf × 100 %"),
    Definition("energy shifted",
               "Consumption moved away from its baseline hours by buildings and EV charging stations (batteries are "
               "counted apart, as throughput).",
               "E_shift = Σ over buildings and charging stations Σₜ max(aₜ, 0) · Δt"),
    Definition("battery throughput",
               "Energy through the batteries, charge plus discharge, as planned.",
               "E_bat = Σ over batteries Σₜ |P_plan,t| · Δt"),
    Definition("curtailed",
               "Solar and wind energy not produced in the realised schedule (perfect foresight may curtail more: "
               "see the explanation below).",
               "E_curt = Σ over solar and wind Σₜ max(P_base,t − P_real,t, 0) · Δt"),
)
#: terms used by the definitions
TERMS = (
    ("baseline", "The assets' power with no flexibility used: batteries idle, cars charged at full power from "
                 "arrival, buildings' load unshifted, nothing curtailed (P_base as it happened, P̂_base as "
                 "forecast at gate closure)."),
    ("plan", "The schedule made at gate closure ({gate_closure} local time on the day before) on the day-ahead forecasts "
             "of prices, production and load (P_plan); with orders, the plan made once the auction's prices are "
             "published ({price_publication} on the day before) to deliver what was accepted, on the same forecasts."),
    ("realised", "The plan's balancing actions applied to what happened, within what each asset can do: "
                 "P_real = P_base + a, a solar park producing no more than the sun gave."),
    ("sold (P_sold)", "The day-ahead position: the plan itself (schedule strategy), or the quantities the auction "
                      "accepted from the bid curves at the realised price (orders strategy), each asset its own part."),
    ("SoC term", "A battery's change of stored energy over the day valued at the day's mean price, so that "
                 "emptying it earns nothing."),
    ("value lost", "Value with perfect foresight − value realised: what imperfect forecasts cost."),
)


def definitions_html(spread: float | None = None, strategies: dict[str, str] | None = None,
                     own: tuple[str, str] | None = None) -> str:  # fmt: skip
    """The "How to read this report" block: the report's own strategy (``own``: name,
    description), each headline in one sentence with its formula, then the terms.
    ``strategies`` (name → description) adds a line per further strategy whose value a
    report shows beside its own (tile ``value of <name>``)."""
    rows = "" if own is None else f"<dt>strategy: {html.escape(own[0])}</dt><dd>{html.escape(own[1])}</dd>"
    rows += "".join(
        f"<dt>{html.escape(d.name)}</dt><dd>{html.escape(d.sentence)}<br><code>{html.escape(d.formula)}</code></dd>"
        for d in DEFINITIONS
    )
    for name, text in (strategies or {}).items():
        rows += f"<dt>value of {html.escape(name)}</dt><dd>{html.escape(text)}</dd>"
    clock = market_clock()
    times = {"gate_closure": clock.gate_closure, "price_publication": clock.price_publication}
    terms = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v.format(**times))}</dd>" for k, v in TERMS)
    s = f" s = {spread:g} EUR/MWh on this day." if spread is not None else ""
    units = ("Power in MW (production positive, consumption negative), energy in MWh, prices in EUR/MWh, money in "
             f"EUR; Δt is the step in hours, π the realised and π̂ the forecast day-ahead price.{s}")  # fmt: skip
    return f"<dl class='bvp-read'>{rows}{terms}</dl><p>{html.escape(units)}</p>"


# ---------------------------------------------------------------------------------------
# why value was lost


def _hours(mask: pd.Series, h: float) -> float:
    return float(mask.sum()) * h


def _time(ts: pd.Timestamp, tz: str) -> str:
    return ts.tz_convert(tz).strftime("%H:%M")


def loss_reasons(assets: pd.DataFrame, *, price: pd.Series, forecast_price: pd.Series | None,
                 forecast_baseline: pd.DataFrame, actual_baseline: pd.DataFrame, perfect: pd.DataFrame,
                 realised: pd.DataFrame, tz: str, n: int = 3, min_eur: float = 1.0) -> list[str]:  # fmt: skip
    """The ``n`` asset types with the largest value lost against perfect foresight, each
    explained in one sentence from the prices and the forecasts.

    Parameters
    ----------
    assets : pandas.DataFrame
        The day's value per asset (:class:`bvp_lib.valuation.DayValue` ``.assets``):
        ``type``, ``realised_value_eur``, ``perfect_foresight_value_eur`` [EUR].
    price, forecast_price : pandas.Series
        Realised and forecast day-ahead price [EUR/MWh] on the schedule's steps.
    forecast_baseline, actual_baseline, perfect, realised : pandas.DataFrame
        Power per asset [MW], production positive.
    tz : str
        The market's timezone (times in the sentences are local).
    n, min_eur
        At most ``n`` types, each losing at least ``min_eur`` [EUR].

    Returns
    -------
    list of str
        For example ``"solar and wind (curtailment): 0 of 3,400 EUR realised. Perfect
        foresight curtails 12 MWh while the realised price was negative for 5 h (down to
        −30 EUR/MWh); the price forecast stayed above +17 EUR/MWh, so the plan curtailed
        nothing."`` An empty list when nothing was lost.
    """
    if not len(assets):
        return []
    h = step_hours(price.index)
    groups = {"solar": "res", "wind": "res", "battery": "battery", "building": "load",
              "charging_station": "load", "bidirectional_charging_station": "load"}  # fmt: skip
    kinds = assets["type"].astype(str)
    group = kinds.map(lambda k: groups.get(k, k))
    by = assets.assign(group=group).groupby("group")[["realised_value_eur", "perfect_foresight_value_eur"]].sum()
    by["lost"] = by["perfect_foresight_value_eur"] - by["realised_value_eur"]
    by = by[by["lost"] >= min_eur].sort_values("lost", ascending=False).head(n)
    fc = forecast_price.reindex(price.index) if forecast_price is not None else None
    mae = float((fc - price).abs().mean()) if fc is not None else float("nan")
    out = []
    for g, row in by.iterrows():
        members = list(assets.index[group == g])
        head = f"{format_quantity(row['realised_value_eur'], 'EUR')} of {format_quantity(row['perfect_foresight_value_eur'], 'EUR')} realised"
        if g == "res":
            pf_curt = float(np.clip(actual_baseline[members] - perfect[members], 0, None).to_numpy().sum() * h)
            real_curt = float(np.clip(actual_baseline[members] - realised[members], 0, None).to_numpy().sum() * h)
            neg = price < 0
            text = f"solar and wind (curtailment): {head}. Perfect foresight curtails {format_quantity(pf_curt, 'MWh')}"
            if neg.any():
                text += (f" while the realised price was negative for {_hours(neg, h):g} h "
                         f"(down to {format_quantity(float(price.min()), 'EUR/MWh')})")  # fmt: skip
            if fc is not None:
                fneg = fc < 0
                if not fneg.any():
                    text += f"; the price forecast stayed above {float(fc.min()):+,.0f} EUR/MWh"
                else:
                    text += f"; the price forecast was negative for {_hours(fneg, h):g} h"
            text += f", so the plan curtailed {format_quantity(real_curt, 'MWh') if real_curt > 1e-6 else 'nothing'}."
        elif g == "battery":
            text = f"batteries (price arbitrage): {head}. The realised price spread was " \
                   f"{format_quantity(float(price.max() - price.min()), 'EUR/MWh')} (cheapest {_time(price.idxmin(), tz)}, " \
                   f"dearest {_time(price.idxmax(), tz)})"
            if fc is not None:
                text += (f"; the forecast's was {format_quantity(float(fc.max() - fc.min()), 'EUR/MWh')} (cheapest "
                         f"{_time(fc.idxmin(), tz)}, dearest {_time(fc.idxmax(), tz)}), its mean absolute error "
                         f"{format_quantity(mae, 'EUR/MWh')}")  # fmt: skip
            text += ": the plan charged and discharged at the forecast's hours."
        elif g == "load":
            err = float((forecast_baseline[members] - actual_baseline[members]).abs().to_numpy().mean())
            text = (f"buildings and EV charging (load shifting): {head}. The plan moved load on the forecast prices "
                    f"(mean absolute error {format_quantity(mae, 'EUR/MWh')}) and the forecast load (mean absolute "
                    f"error {format_quantity(err, 'MW')} per asset); deviations from the plan are settled at the "
                    "imbalance price.")  # fmt: skip
        else:
            text = f"{g}: {head}."
        out.append(text)
    return out


def explain_day(ctx) -> list[str]:
    """:func:`loss_reasons` of a finished day run (after :func:`bvp_lib.runs.day.value`)."""
    val = ctx.valuation
    cols = list(ctx.planned.result.schedule.columns)
    return loss_reasons(val.assets, price=ctx.perfect.inputs.prices, forecast_price=ctx.planned.inputs.prices,
                        forecast_baseline=ctx.planned.result.baseline[cols],
                        actual_baseline=ctx.perfect.result.baseline[cols], perfect=ctx.perfect.result.schedule[cols],
                        realised=val.realised[cols], tz=ctx.timezone)  # fmt: skip


def losses_html(reasons: list[str], realised: float, perfect: float) -> str:
    """The explanation block: the total lost and one item per reason."""
    lost = perfect - realised
    if lost < 1.0:
        return ("<p>Nothing that matters was lost against perfect foresight on this day "
                f"({format_quantity(lost, 'EUR')}).</p>")  # fmt: skip
    items = "".join(f"<li>{html.escape(r)}</li>" for r in reasons)
    return (f"<p>The plan realised {format_quantity(realised, 'EUR')} of the {format_quantity(perfect, 'EUR')} "
            f"perfect foresight would have earned: {format_quantity(lost, 'EUR')} lost. Where it went, largest "
            f"first:</p><ul class='bvp-why'>{items}</ul>")  # fmt: skip
