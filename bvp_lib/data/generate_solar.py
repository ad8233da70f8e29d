"""Solar parks: AC power from TRY weather with pvlib's ModelChain.

Each park is one reference inverter block (a CEC inverter with strings of a CEC module)
simulated with :class:`pvlib.modelchain.ModelChain` (single-diode CEC module model,
Sandia/CEC inverter model, SAPM cell temperature, physical incidence-angle losses,
PVWatts DC losses) and scaled to the park's AC capacity:
:math:`P_{park} = P_{block} \\cdot P_{AC,park} / P_{aco,block}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

#: PVWatts DC loss components [%] (pvlib.pvsystem.pvwatts_losses); about 11 % in total.
DC_LOSSES = dict(soiling=2.0, shading=1.0, snow=0.5, mismatch=2.0, wiring=2.0, connections=0.5,
                 lid=1.5, nameplate_rating=1.0, age=0.0, availability=1.0)  # fmt: skip


@dataclass(frozen=True)
class PvDesign:
    """One park's design.

    Attributes
    ----------
    capacity_mw : float
        AC capacity of the park (grid export limit of its inverters) [MW].
    tilt : float
        Module tilt from horizontal [degrees].
    azimuth : float
        Module azimuth [degrees east of north; 180 = south].
    module : str
        Name in pvlib's CEC module database (``retrieve_sam("CECMod")``).
    inverter : str
        Name in pvlib's CEC inverter database (``retrieve_sam("cecinverter")``).
    modules_per_string, strings_per_inverter : int
        DC layout of the reference inverter block.
    mounting : str
        SAPM temperature model of pvlib (e.g. ``"open_rack_glass_polymer"``).
    """

    capacity_mw: float
    tilt: float
    azimuth: float
    module: str = "Canadian_Solar_Inc__CS6X_300P"
    inverter: str = "SMA_America__SC800CP_US__with_ABB_EcoDry_Ultra_transformer_"
    modules_per_string: int = 18
    strings_per_inverter: int = 183
    mounting: str = "open_rack_glass_polymer"
    losses: dict = field(default_factory=lambda: dict(DC_LOSSES))


@lru_cache(maxsize=None)
def _database(name: str) -> pd.DataFrame:
    import pvlib

    return pvlib.pvsystem.retrieve_sam(name)


def module_parameters(name: str) -> pd.Series:
    """Parameters of a module in pvlib's CEC module database (``CECMod``)."""
    db = _database("CECMod")
    if name not in db.columns:
        raise KeyError(f"Module {name!r} is not in pvlib's CEC module database.")
    return db[name]


def inverter_parameters(name: str) -> pd.Series:
    """Parameters of an inverter in pvlib's CEC inverter database (``cecinverter``)."""
    db = _database("cecinverter")
    if name not in db.columns:
        raise KeyError(f"Inverter {name!r} is not in pvlib's CEC inverter database.")
    return db[name]


def scale_factor(design: PvDesign) -> float:
    """Number of reference blocks in the park: AC capacity over block AC rating [-]."""
    return design.capacity_mw * 1e6 / float(inverter_parameters(design.inverter)["Paco"])


def dc_capacity_mw(design: PvDesign) -> float:
    """DC peak capacity of the park at STC [MWp] (module STC power x modules x blocks)."""
    stc = float(module_parameters(design.module)["STC"])
    return stc * design.modules_per_string * design.strings_per_inverter * scale_factor(design) / 1e6


def pv_power(
    design: PvDesign, weather: pd.DataFrame, latitude: float, longitude: float, altitude: float = 0.0
) -> pd.Series:
    """AC power of a solar park per quarter-hour.

    Parameters
    ----------
    design : PvDesign
        Park design.
    weather : pandas.DataFrame
        Indexed by quarter-hour start (UTC): ``ghi``, ``dhi``, ``dni`` [W m-2] means,
        ``temp_air`` [°C], ``wind_speed`` [m s-1] (see
        :func:`bvp_lib.data.generate_weather.disaggregate_irradiance`).
    latitude, longitude : float
        Park position [degrees north, degrees east].
    altitude : float
        Park height [m].

    Returns
    -------
    pandas.Series
        AC power [MW], production positive, indexed like ``weather``; 0 at night
        (the inverter's night tare is not drawn from the grid here), never above the
        park's AC capacity.
    """
    import pvlib
    from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

    system = pvlib.pvsystem.PVSystem(
        surface_tilt=design.tilt,
        surface_azimuth=design.azimuth,
        module_parameters=module_parameters(design.module),
        inverter_parameters=inverter_parameters(design.inverter),
        temperature_model_parameters=TEMPERATURE_MODEL_PARAMETERS["sapm"][design.mounting],
        modules_per_string=design.modules_per_string,
        strings_per_inverter=design.strings_per_inverter,
        losses_parameters=design.losses,
    )
    location = pvlib.location.Location(latitude, longitude, tz="UTC", altitude=altitude)
    chain = pvlib.modelchain.ModelChain(
        system, location, aoi_model="physical", spectral_model="no_loss", losses_model="pvwatts"
    )
    mid = weather.index + pd.Timedelta(minutes=7.5)  # pvlib evaluates instants: use the middle of each step
    with np.errstate(divide="ignore", invalid="ignore"):  # pvlib's physical IAM divides by 0 at grazing sun
        chain.run_model(weather[["ghi", "dhi", "dni", "temp_air", "wind_speed"]].set_axis(mid))
    ac = chain.results.ac.to_numpy(dtype=float)
    mw = np.clip(np.nan_to_num(ac, nan=0.0), 0.0, None) * scale_factor(design) / 1e6
    return pd.Series(np.minimum(mw, design.capacity_mw), index=weather.index, name="power")
