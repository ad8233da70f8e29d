"""Flexibility descriptions of the asset types (parameters only, no algorithms).

Sign convention everywhere: power in MW, **production positive, consumption
negative** (a charging battery, a charging car and a building's load are negative).
Energy in MWh, state of charge (SoC) in MWh.

The classes are plain frozen dataclasses; the constraint families that turn them into
an LP live in :mod:`~bvp_lib.scheduling.battery`, :mod:`~bvp_lib.scheduling.ev`,
:mod:`~bvp_lib.scheduling.building`, :mod:`~bvp_lib.scheduling.curtailment` and
:mod:`~bvp_lib.scheduling.portfolio`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence, Union

import pandas as pd


@dataclass(frozen=True)
class Battery:
    """A stationary battery.

    Parameters
    ----------
    name : str
        Asset name (unique in the portfolio).
    capacity : float
        Energy capacity [MWh].
    charge_power : float
        Maximum charging power [MW], a magnitude (charging shows as negative power).
    discharge_power : float, optional
        Maximum discharging power [MW]; defaults to ``charge_power``.
    soc_start : float
        SoC at the start of the horizon [MWh].
    soc_min, soc_max : float or pandas.Series
        SoC bounds at every step end [MWh]; ``soc_max`` defaults to ``capacity``. A
        Series (FlexMeasures' soc-minima / soc-maxima) gives a bound per step *end*
        (tz-aware index); steps it leaves out (or NaN) keep 0 and ``capacity``.
    soc_target : float, optional
        The SoC at the end of the horizon must be at least this [MWh]; defaults to
        ``soc_start``.
    soc_targets : pandas.Series, optional
        Exact SoC targets [MWh] at step ends (index: tz-aware step-end times, as
        FlexMeasures' soc-targets); NaN or absent times have none.
    charge_efficiency, discharge_efficiency : float
        One-way efficiencies η_c, η_d in (0, 1] [-].
    self_discharge : float
        Share of the SoC lost per hour σ in [0, 1) [h⁻¹].
    degradation_cost : float
        Cost of cycling [EUR/MWh] per MWh of throughput, charged plus discharged energy
        at the grid side: ``(c + d) Δt``. A cost per equivalent full cycle C_cyc [EUR]
        is ``degradation_cost = C_cyc / (2 · capacity)``.
    soc_value : float, optional
        Value of the energy left at the end of the horizon [EUR/MWh of SoC]: the
        objective gains ``soc_value · (s[T−1] − s_0)``. With it, a planner over D and
        D+1 (or D alone) is not tempted to empty the battery at the horizon's end.
    soc_breach_price : float, optional
        Makes ``soc_min``/``soc_max`` series, ``soc_targets`` and ``soc_target`` *soft*:
        each may be missed at this price [EUR/MWh per MWh missed, per step end]; the
        misses are itemised in ``ScheduleResult.breaches``. The SoC always stays
        within 0 … ``capacity``. ``None`` (default): strict, an impossible request is
        an error naming the family.
    """

    name: str
    capacity: float
    charge_power: float
    discharge_power: float | None = None
    soc_start: float = 0.0
    soc_min: float = 0.0
    soc_max: float | None = None
    soc_target: float | None = None
    charge_efficiency: float = 1.0
    discharge_efficiency: float = 1.0
    self_discharge: float = 0.0
    degradation_cost: float = 0.0
    soc_targets: pd.Series | None = None
    soc_value: float | None = None
    soc_breach_price: float | None = None


@dataclass(frozen=True)
class ChargingStation:
    """An EV charging station with its charging sessions.

    Parameters
    ----------
    name : str
        Asset name.
    sessions : pandas.DataFrame
        One row per session; the index is the session id used in messages. Columns:

        ``arrival``, ``departure``
            tz-aware timestamps; may fall inside a step (the step's available
            fraction is used).
        ``energy``
            energy the car needs by departure [MWh] (delivered to the car).
        ``max_power``
            maximum charging (and discharging) power of the car [MW].
        ``capacity`` (optional; required when bidirectional)
            car battery capacity [MWh].
        ``soc_at_arrival`` (optional; required when bidirectional)
            car SoC at arrival [MWh].
        ``soc_min`` (optional)
            lowest car SoC allowed while discharging [MWh], default 0.

    bidirectional : bool
        Whether cars may discharge into the grid (vehicle-to-grid).
    max_power : float, optional
        Station limit on the sum of all sessions' charging (and, separately, discharging)
        power [MW].
    charge_efficiency, discharge_efficiency : float
        Efficiencies between grid and car battery [-].
    energy_breach_price : float, optional
        Makes each session's energy by departure *soft*: energy not delivered costs
        this much [EUR/MWh]; the misses are itemised in ``ScheduleResult.breaches``.
        ``None`` (default): strict.
    """

    name: str
    sessions: pd.DataFrame
    bidirectional: bool = False
    max_power: float | None = None
    charge_efficiency: float = 1.0
    discharge_efficiency: float = 1.0
    energy_breach_price: float | None = None


@dataclass(frozen=True)
class Building:
    """A building whose load is partly shiftable in time.

    Parameters
    ----------
    name : str
        Asset name.
    baseline : pandas.Series
        Forecast power of the building [MW], consumption negative (all values ≤ 0), on
        the price index.
    flexible_share : float
        Share φ of the load in every step that may move to another step [-].
    shift_window : pandas.Timedelta or str
        How far flexible load may move, earlier or later (for example ``"3h"``).
    max_power : float, optional
        Connection capacity of the building for consumption [MW] (a magnitude).
    """

    name: str
    baseline: pd.Series
    flexible_share: float = 0.2
    shift_window: pd.Timedelta | str = "3h"
    max_power: float | None = None


@dataclass(frozen=True)
class Curtailable:
    """A solar park or wind turbine that can be curtailed from its forecast down to zero.

    Parameters
    ----------
    name : str
        Asset name.
    forecast : pandas.Series
        Forecast production [MW] (≥ 0) on the price index.
    technology : str
        ``"solar"`` or ``"wind"`` (informational).
    """

    name: str
    forecast: pd.Series
    technology: str = "solar"


@dataclass(frozen=True)
class ConnectionPoint:
    """A grid connection shared by several assets.

    The net power of its assets stays within ``-import_capacity`` and
    ``export_capacity`` in every step [MW]. ``None`` leaves that side open. A capacity
    may be a Series on the price index (time-varying limits).

    Tariff and grid-fee terms (all optional; see
    :mod:`~bvp_lib.scheduling.tariffs` for the equations):

    import_price, export_price : float or pandas.Series
        What the site pays per MWh imported and earns per MWh exported [EUR/MWh]
        (a retail price or day-ahead plus grid fees; a feed-in tariff). Either
        defaults to the day-ahead price. Needs import price ≥ export price in every
        step (otherwise buying and selling at once would earn money).
    peak_price : float
        Price of the horizon's highest import [EUR/MW] (a capacity or demand charge).
    peak_already : float
        Import peak already reached in the billing period [MW]; only a new peak above
        it costs.
    contracted_import, contracted_export : float or pandas.Series
        Contracted capacity [MW]; flows above it cost ``capacity_breach_price``.
    capacity_breach_price : float
        Price per MW of the highest excess over the contracted capacity [EUR/MW].
    limit_breach_price : float, optional
        Makes ``import_capacity``/``export_capacity`` soft: every MWh beyond them costs
        this [EUR/MWh] and is itemised in ``ScheduleResult.breaches``. ``None``
        (default): the limits are strict.
    """

    name: str
    assets: Sequence[str] = field(default_factory=tuple)
    import_capacity: Union[float, pd.Series, None] = None
    export_capacity: Union[float, pd.Series, None] = None
    import_price: Union[float, pd.Series, None] = None
    export_price: Union[float, pd.Series, None] = None
    peak_price: float = 0.0
    peak_already: float = 0.0
    contracted_import: Union[float, pd.Series, None] = None
    contracted_export: Union[float, pd.Series, None] = None
    capacity_breach_price: float = 0.0
    limit_breach_price: float | None = None

    @property
    def has_terms(self) -> bool:
        """Whether the connection needs flow variables (tariffs, peaks, contracts, soft limits)."""
        return (
            self.import_price is not None or self.export_price is not None or bool(self.peak_price)
            or self.contracted_import is not None or self.contracted_export is not None
            or self.limit_breach_price is not None
        )


Asset = Union[Battery, ChargingStation, Building, Curtailable]


# ---------------------------------------------------------------------------------------
# asset types of the database (``assets.asset_type_name``) and how the scheduler treats them

STORAGE_TYPES = ("battery",)
STATION_TYPES = ("charging_station", "bidirectional_charging_station")
PRODUCER_TYPES = ("solar", "wind")
BUILDING_TYPES = ("building",)
KNOWN_TYPES = STORAGE_TYPES + STATION_TYPES + PRODUCER_TYPES + BUILDING_TYPES
#: types whose uncontrolled power comes from a series (forecast or measurement)
SERIES_TYPES = PRODUCER_TYPES + BUILDING_TYPES
