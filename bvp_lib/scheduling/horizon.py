"""Planning horizons longer than the day kept: plan D and D+1, keep D, carry the end state.

The original platform planned 48 h: the schedule of day D is optimised together with
D+1 (on forecasts), so D does not empty its batteries just before a valuable morning
on D+1. Only D's decisions are kept; D+1 is planned again the next day. The energy
a battery holds at the end of the whole horizon is valued by its ``soc_value``
[EUR/MWh] (see :func:`~bvp_lib.scheduling.battery.add_battery_end_value`), or
required by its ``soc_target``.

>>> plan = build_problem(batteries, prices_d_and_d1, cps).solve()     # doctest: +SKIP
>>> kept = keep_until(plan, day_end)                                  # doctest: +SKIP
>>> tomorrow = carry_over(batteries, kept)   # soc_start = SoC at day_end  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from bvp_lib.scheduling.assets import Battery
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.result import ScheduleResult


@dataclass(frozen=True)
class KeptSchedule:
    """The part of a longer plan that is kept.

    Attributes
    ----------
    schedule : pandas.DataFrame
        Net power per asset [MW] (production positive) for the steps starting before
        ``until``.
    soc : pandas.DataFrame
        Battery SoC [MWh] from the start up to and including ``until``.
    end_soc : pandas.Series
        SoC per battery at ``until`` [MWh]: the start of the next plan.
    revenue : float
        Day-ahead revenue of the kept steps [EUR]: ``Σ_{t < until} π_t Δt Σ_a P[a, t]``.
    until : pandas.Timestamp
    """

    schedule: pd.DataFrame
    soc: pd.DataFrame
    end_soc: pd.Series
    revenue: float
    until: pd.Timestamp


def keep_until(result: ScheduleResult, until) -> KeptSchedule:
    """Keep the decisions of ``result`` for the steps that start before ``until``.

    Raises
    ------
    SchedulingInputError
        When ``until`` is not a step boundary inside the horizon.
    """
    until = pd.Timestamp(until)
    if until.tz is None:
        raise SchedulingInputError("keep_until needs a tz-aware time")
    until = until.tz_convert("UTC")
    if until not in result.soc.index or until == result.soc.index[0]:
        raise SchedulingInputError(
            f"{until:%Y-%m-%d %H:%M} UTC is not a step boundary after the start of the plan "
            f"({result.soc.index[0]:%Y-%m-%d %H:%M} to {result.soc.index[-1]:%Y-%m-%d %H:%M} UTC)"
        )
    sched = result.schedule.loc[result.schedule.index < until]
    hours = result.resolution / pd.Timedelta("1h")
    revenue = float(sched.sum(axis=1).mul(result.prices.loc[sched.index]).sum() * hours)
    soc = result.soc.loc[result.soc.index <= until]
    return KeptSchedule(schedule=sched, soc=soc, end_soc=soc.iloc[-1].rename("soc_start"), revenue=revenue,
                        until=until)


def carry_over(batteries, kept: KeptSchedule) -> list:
    """The assets for the next plan: each battery starts at its SoC at ``kept.until``.

    Other assets are returned unchanged; a battery's ``soc_target`` (if it was left to
    its default, the start SoC) stays the default of the new start.
    """
    out = []
    for a in batteries:
        if isinstance(a, Battery) and a.name in kept.end_soc.index:
            out.append(dataclasses.replace(a, soc_start=min(max(float(kept.end_soc[a.name]), 0.0), float(a.capacity))))
        else:
            out.append(a)
    return out
