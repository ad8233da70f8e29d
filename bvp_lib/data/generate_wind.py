"""Wind turbines: power from TRY 10 m wind with windpowerlib's turbine library.

Hub-height wind follows the logarithmic profile (neutral stratification, no obstacles)

.. math:: v_{hub} = v_{10} \\cdot \\ln(h_{hub} / z_0) / \\ln(10\\,\\mathrm{m} / z_0)

with the site's roughness length :math:`z_0` [m], computed by
:func:`windpowerlib.wind_speed.logarithmic_profile`. Power is read off the turbine's
power curve from windpowerlib's bundled oedb turbine library (linear between the
curve's points, 0 below cut-in and above cut-out, no air-density correction) and capped
at the nominal power (some curves overshoot the rating by 1--2 %). A park of ``n``
identical turbines produces ``n`` times one turbine (no wake losses).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class WindDesign:
    """One wind asset.

    Attributes
    ----------
    turbine_type : str
        Name in windpowerlib's oedb turbine library, e.g. ``"E-82/2300"``.
    hub_height : float
        Hub height above ground [m].
    n_turbines : int
        Number of identical turbines behind the asset's meter.
    roughness_length : float
        Roughness length of the surrounding terrain [m].
    """

    turbine_type: str
    hub_height: float
    n_turbines: int = 1
    roughness_length: float = 0.1


@lru_cache(maxsize=None)
def turbine(turbine_type: str, hub_height: float):
    """A :class:`windpowerlib.WindTurbine` with its power curve from the bundled library."""
    from windpowerlib import WindTurbine

    return WindTurbine(turbine_type=turbine_type, hub_height=hub_height)


def nominal_power_mw(design: WindDesign) -> float:
    """Rated power of the asset: turbines x nominal power [MW]."""
    return design.n_turbines * float(turbine(design.turbine_type, design.hub_height).nominal_power) / 1e6


def power_curve(design: WindDesign) -> pd.DataFrame:
    """The turbine's power curve: ``wind_speed`` [m s-1] and ``value`` [W] of one turbine."""
    return turbine(design.turbine_type, design.hub_height).power_curve.copy()


def hub_wind_speed(wind_speed_10m: pd.Series, design: WindDesign) -> pd.Series:
    """Wind speed at hub height from 10 m wind by the logarithmic profile [m s-1]."""
    from windpowerlib.wind_speed import logarithmic_profile

    v = logarithmic_profile(wind_speed_10m, 10.0, design.hub_height, design.roughness_length)
    return pd.Series(np.asarray(v, dtype=float), index=wind_speed_10m.index, name="wind_speed_hub")


def wind_power(design: WindDesign, wind_speed_10m: pd.Series) -> pd.Series:
    """Electric power of a wind asset.

    Parameters
    ----------
    design : WindDesign
        Turbine type, hub height, number of turbines and roughness length.
    wind_speed_10m : pandas.Series
        Wind speed at 10 m above ground [m s-1].

    Returns
    -------
    pandas.Series
        Power [MW], production positive, indexed like ``wind_speed_10m``; in
        ``[0, nominal_power_mw(design)]`` and never above the power curve.
    """
    from windpowerlib.power_output import power_curve as read_curve

    curve = power_curve(design)
    v = hub_wind_speed(wind_speed_10m, design)
    one = np.asarray(read_curve(v, curve["wind_speed"], curve["value"]), dtype=float)
    nominal = float(turbine(design.turbine_type, design.hub_height).nominal_power)
    mw = design.n_turbines * np.clip(one, 0.0, nominal) / 1e6
    return pd.Series(mw, index=wind_speed_10m.index, name="power")
