"""Weather: DWD test reference years (TRY 2010, shipped with demandlib) on the 2015 calendar.

The DWD test reference years 2010 ("mittleres Jahr", reference period 1988--2007) are
hourly series for 15 climate regions of Germany. demandlib ships them as
``demandlib/vdi/resources_weather/TRY2010_<RR>_Jahr.dat``. Each row is one hour
``HH`` (1..24) of day ``DD`` of month ``MM`` in Central European (standard) Time, MEZ =
UTC+1 all year. Irradiances ``B`` (direct horizontal) and ``D`` (diffuse horizontal)
[W m-2] are means over the hour that ends at ``HH``; temperature ``t`` [°C] at 2 m,
wind speed ``WG`` [m s-1] at 10 m and pressure ``p`` [hPa] are observed at ``HH``.

Mapping onto 2015 (:func:`try_to_year`): the typical year has 365 days (8,760 hours),
like 2015, so row (MM, DD, HH) becomes the hour of 2015-MM-DD that ends at HH:00 MEZ.
The hour's UTC start is ``2015-MM-DD 00:00 + HH h - 1 h - 1 h`` (end to start, MEZ to
UTC). The result covers exactly the local calendar year 2015 in Europe/Berlin,
2014-12-31 23:00 UTC to 2015-12-31 23:00 UTC. The TRY's weekdays and holidays carry no
meaning; only the date and the hour of the year are kept, so the sun is where the
measurements saw it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

_TRY_COLUMNS = ["RG", "IS", "MM", "DD", "HH", "N", "WR", "WG", "t", "p", "x", "RF", "W", "B", "D", "IK", "A", "E", "IL"]


@dataclass(frozen=True)
class TryStation:
    """Header facts of one TRY file.

    Attributes
    ----------
    region : int
        DWD climate region (1..15).
    region_name : str
        The region's German name.
    station : str
        Name of the reference station.
    latitude, longitude : float
        Station position [degrees north, degrees east].
    altitude : float
        Station height above sea level [m].
    """

    region: int
    region_name: str
    station: str
    latitude: float
    longitude: float
    altitude: float


def try_path(region: int) -> Path:
    """Return the path of the TRY 2010 file of ``region`` inside the installed demandlib.

    Parameters
    ----------
    region : int
        DWD climate region, 1..15.

    Returns
    -------
    pathlib.Path
        ``.../demandlib/vdi/resources_weather/TRY2010_<RR>_Jahr.dat``.
    """
    import demandlib

    if not 1 <= int(region) <= 15:
        raise ValueError(f"TRY region must be 1..15, not {region!r}.")
    path = Path(demandlib.__file__).parent / "vdi" / "resources_weather" / f"TRY2010_{int(region):02d}_Jahr.dat"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; the installed demandlib does not ship the DWD TRY 2010 files.")
    return path


def _degrees(text: str) -> float:
    deg, minutes = re.match(r"\s*(\d+)°(\d+)'", text).groups()
    return int(deg) + int(minutes) / 60


def read_try(path: str | Path) -> tuple[pd.DataFrame, TryStation]:
    """Read a DWD TRY 2010 ``.dat`` file.

    Parameters
    ----------
    path : str or Path
        A ``TRY2010_<RR>_Jahr.dat`` file.

    Returns
    -------
    data : pandas.DataFrame
        One row per hour with the file's columns (``MM``, ``DD``, ``HH``, ``N``
        [octa], ``WG`` [m s-1], ``t`` [°C], ``p`` [hPa], ``B`` and ``D`` [W m-2], ...).
    station : TryStation
        Region and station from the file header.

    Raises
    ------
    ValueError
        If the header or the table cannot be read, or the year does not have 8,760 rows.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index("***") + 1
        region = int(re.match(r"TRY(\d+)", lines[0]).group(1))
        region_name = re.match(r"TRY\d+\s+(.*?)\s+\(Klimaregion", lines[0]).group(1)
        station = lines[1].split("Station:")[1].split("WMO")[0].strip()
        lage = lines[2].split("Lage:")[1]
        lat_text, rest = lage.split("N <-")
        lon_text = rest.split("B.")[1].split("O <-")[0]
        altitude = float(re.search(r"L\.\s+(-?\d+)\s+Meter", lage).group(1))
    except (ValueError, AttributeError, IndexError):
        raise ValueError(f"{path}: not a DWD TRY 2010 file (header or '***' marker not found).") from None
    rows = [line.split() for line in lines[start:] if line.strip()]
    data = pd.DataFrame(rows, columns=_TRY_COLUMNS).apply(pd.to_numeric, errors="raise")
    if len(data) != 8760:
        raise ValueError(f"{path}: expected 8760 hourly rows, found {len(data)}.")
    meta = TryStation(region, region_name, station, _degrees(lat_text), _degrees(lon_text), altitude)
    return data, meta


def try_to_year(data: pd.DataFrame, year: int = 2015) -> pd.DataFrame:
    """Put a TRY table on the calendar of a non-leap ``year``, hourly in UTC.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`read_try`.
    year : int
        Target year; must have 365 days like the TRY.

    Returns
    -------
    pandas.DataFrame
        Indexed by the UTC start of each hour (``event_start``), columns
        ``temperature`` [°C], ``wind_speed`` [m s-1] at 10 m, ``pressure`` [Pa],
        ``cloud_cover`` [octa], ``ghi`` (= B + D), ``dhi`` (= D) and ``bhi`` (= B)
        [W m-2].
    """
    if pd.Timestamp(year=year, month=12, day=31).dayofyear != 365:
        raise ValueError(f"{year} is a leap year; the TRY has 365 days.")
    days = pd.to_datetime(pd.DataFrame({"year": year, "month": data["MM"], "day": data["DD"]}))
    start = days + pd.to_timedelta(data["HH"] - 2, unit="h")  # end -> start, MEZ (UTC+1) -> UTC
    index = pd.DatetimeIndex(start).tz_localize("UTC").rename("event_start")
    out = pd.DataFrame(
        {
            "temperature": data["t"].to_numpy(float),
            "wind_speed": data["WG"].to_numpy(float),
            "pressure": data["p"].to_numpy(float) * 100.0,
            "cloud_cover": data["N"].to_numpy(float),
            "ghi": (data["B"] + data["D"]).to_numpy(float),
            "dhi": data["D"].to_numpy(float),
            "bhi": data["B"].to_numpy(float),
        },
        index=index,
    )
    if not (out.index.is_monotonic_increasing and out.index.is_unique):
        raise ValueError("TRY rows are not consecutive hours.")
    return out.asfreq("h")


def interpolate_to_quarter_hours(hourly: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    """Linearly interpolate an hourly series of hour means to quarter-hours.

    Each hourly value is placed at the middle of its hour and the result is read at the
    middle of each quarter-hour; beyond the first and last hour middle the nearest value
    is held.

    Parameters
    ----------
    hourly : pandas.Series
        Values per hour, indexed by the hour's start (tz-aware).
    index : pandas.DatetimeIndex
        Starts of the quarter-hours wanted (tz-aware).

    Returns
    -------
    pandas.Series
        Interpolated values indexed by ``index``.
    """
    x = (hourly.index + pd.Timedelta(minutes=30)).asi8
    xq = (index + pd.Timedelta(minutes=7.5)).asi8
    return pd.Series(np.interp(xq, x, hourly.to_numpy(float)), index=index, name=hourly.name)


def disaggregate_irradiance(
    hourly: pd.DataFrame, index: pd.DatetimeIndex, latitude: float, longitude: float, altitude: float = 0.0
) -> pd.DataFrame:
    """Split hourly mean irradiance into quarter-hour means that follow the sun.

    The hourly clearness index :math:`k_t = GHI_h / \\overline{E_{0,h}}` (measured
    global horizontal over the hour's mean extraterrestrial horizontal irradiance) is
    held for the hour's four quarter-hours, so that
    :math:`GHI_q = k_t \\cdot \\overline{E_{0,q}}` and the hour's mean is kept exactly;
    the diffuse fraction :math:`DHI_h / GHI_h` is held likewise. Extraterrestrial
    irradiance is averaged from 5-minute sun positions. Hours whose sun stays below the
    horizon get zero (the TRY has little or no irradiance there).

    Parameters
    ----------
    hourly : pandas.DataFrame
        ``ghi`` and ``dhi`` [W m-2], hour means indexed by the hour's start (UTC).
    index : pandas.DatetimeIndex
        Quarter-hour starts (UTC) covering the same hours.
    latitude, longitude : float
        Site [degrees north, degrees east].
    altitude : float
        Site height [m].

    Returns
    -------
    pandas.DataFrame
        Indexed by ``index``: ``ghi``, ``dhi``, ``dni`` [W m-2] as quarter-hour means,
        and ``apparent_zenith``, ``zenith``, ``azimuth`` [degrees] at the middle of
        each quarter-hour.
    """
    import pvlib

    fine = pd.date_range(index[0] + pd.Timedelta(minutes=2.5), periods=len(index) * 3, freq="5min")
    fine_pos = pvlib.solarposition.get_solarposition(fine, latitude, longitude, altitude=altitude)
    e0 = pvlib.irradiance.get_extra_radiation(fine) * np.clip(np.cos(np.radians(fine_pos["zenith"])), 0, None)
    e0_q = e0.to_numpy().reshape(-1, 3).mean(axis=1)
    e0_h = e0_q.reshape(-1, 4).mean(axis=1)
    ghi_h, dhi_h = hourly["ghi"].to_numpy(float), hourly["dhi"].to_numpy(float)
    if len(ghi_h) * 4 != len(index):
        raise ValueError(f"{len(ghi_h)} hours do not match {len(index)} quarter-hours.")
    with np.errstate(divide="ignore", invalid="ignore"):
        kt = np.where(e0_h > 0, ghi_h / e0_h, 0.0)
        diffuse_fraction = np.where(ghi_h > 0, np.clip(dhi_h / ghi_h, 0, 1), 1.0)
    ghi_q = np.repeat(kt, 4) * e0_q
    dhi_q = np.repeat(diffuse_fraction, 4) * ghi_q
    mid = index + pd.Timedelta(minutes=7.5)
    pos = pvlib.solarposition.get_solarposition(mid, latitude, longitude, altitude=altitude)
    dni = pvlib.irradiance.dni(
        pd.Series(ghi_q, index=mid), pd.Series(dhi_q, index=mid), pos["apparent_zenith"]
    ).fillna(0.0)
    return pd.DataFrame(
        {
            "ghi": ghi_q,
            "dhi": dhi_q,
            "dni": dni.to_numpy(),
            "apparent_zenith": pos["apparent_zenith"].to_numpy(),
            "zenith": pos["zenith"].to_numpy(),
            "azimuth": pos["azimuth"].to_numpy(),
        },
        index=index,
    )
