"""Importers for real files: tidy CSV, SMARD and ENTSO-E price exports, the original
platform's Excel design data set, and ``assets.json`` (see :mod:`bvp_lib.data.structure`).

Each ``read_*`` function turns one file into a pandas Series (UTC index, the sensor's
unit) and refuses a bad file with an :class:`ImportFileError` naming the file, the row
and the problem; :func:`import_series` then checks it against the sensor (resolution,
gaps) and stores it in one transaction, idempotently. Nothing is half-written.

Units converted on import (to the sensor's unit):

=========== ============================================================
power [MW]  from W, kW, MW; or energy per step Wh, kWh, MWh divided by
            the step length in hours (E / Δt)
price       from EUR/MWh, ct/kWh (× 10), EUR/kWh (× 1000)
=========== ============================================================

Sign: power is stored production positive, consumption negative. A file that records
consumption as positive numbers (a meter of a building) is imported with
``sign="consumption-positive"`` and negated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from bvp_lib.data import SOURCE_TIMEZONE

POWER_UNITS = {"W": 1e-6, "kW": 1e-3, "MW": 1.0}
ENERGY_UNITS = {"Wh": 1e-6, "kWh": 1e-3, "MWh": 1.0}
PRICE_UNITS = {"EUR/MWh": 1.0, "ct/kWh": 10.0, "EUR/kWh": 1000.0}
SIGNS = ("production-positive", "consumption-positive")


class ImportFileError(ValueError):
    """A file that cannot be imported; the message names file, row and problem."""

    def __init__(self, path, problem: str, row: int | None = None):
        where = f"{path}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {problem}")
        self.path, self.row, self.problem = path, row, problem


@dataclass
class ImportReport:
    """What an import stored (or, for a dry run, would store)."""

    sensor: str
    rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    unit: str
    dry_run: bool
    minimum: float | None = None
    maximum: float | None = None

    def __str__(self) -> str:
        verb = "would store" if self.dry_run else "stored"
        if not self.rows:
            return f"{self.sensor}: nothing to store"
        return (
            f"{self.sensor}: {verb} {self.rows:,} beliefs from {self.first} to {self.last} UTC "
            f"[{self.unit}, min {self.minimum:.4g}, max {self.maximum:.4g}]"
        )


# ---------------------------------------------------------------------------------------
# conversion and checks


def convert_units(values: pd.Series, unit: str, target: str, resolution: pd.Timedelta | None = None) -> pd.Series:
    """Convert ``values`` from ``unit`` to the sensor unit ``target`` (MW or EUR/MWh).

    Energy per step becomes power: ``P [MW] = E [MWh] / (Δt / 1 h)``.
    """
    if target == "MW":
        if unit in POWER_UNITS:
            return values * POWER_UNITS[unit]
        if unit in ENERGY_UNITS:
            if resolution is None:
                raise ValueError("Converting energy per step to power needs the step length (resolution).")
            return values * ENERGY_UNITS[unit] / (pd.Timedelta(resolution) / pd.Timedelta("1h"))
    elif target == "EUR/MWh":
        if unit in PRICE_UNITS:
            return values * PRICE_UNITS[unit]
    elif unit == target:
        return values
    known = {"MW": list(POWER_UNITS) + list(ENERGY_UNITS), "EUR/MWh": list(PRICE_UNITS)}.get(target, [target])
    raise ValueError(f"Unit {unit!r} cannot be converted to the sensor's unit {target!r}; use one of {known}.")


def check_regular(s: pd.Series, resolution: pd.Timedelta, path, *, allow_gaps: bool = False) -> None:
    """Refuse a series whose steps are not ``resolution`` apart (a gap or an off-grid stamp)."""
    if len(s) < 2:
        return
    d = np.diff(s.index.asi8)
    step = pd.Timedelta(resolution).value
    off = np.flatnonzero(d != step)
    if len(off) == 0:
        return
    i = int(off[0])
    a, b = s.index[i], s.index[i + 1]
    if d[i] > step and d[i] % step == 0:
        if allow_gaps:
            return
        missing = int(d[i] // step) - 1
        n_gaps = int((d > step).sum())
        raise ImportFileError(
            path,
            f"gap after {a} UTC: {missing} step(s) of {resolution} missing before {b} UTC "
            f"({n_gaps} gap(s) in the file). Fill them in the file, or import with --allow-gaps "
            "to store what is there.",
            row=i + 2,
        )
    raise ImportFileError(
        path,
        f"timestamps {a} and {b} UTC are {pd.Timedelta(int(d[i]))} apart, not the sensor's resolution "
        f"{resolution}: wrong resolution or a timestamp off the grid.",
        row=i + 2,
    )


def _dedupe(s: pd.Series, path, row_offset: int = 2) -> pd.Series:
    """Drop exact duplicate timestamps; refuse duplicates with different values."""
    dup = s.index.duplicated(keep=False)
    if not dup.any():
        return s
    frame = pd.DataFrame({"v": s.to_numpy()}, index=s.index)[dup]
    conflict = frame.groupby(level=0)["v"].nunique()
    if (conflict > 1).any():
        t = conflict[conflict > 1].index[0]
        rows = (np.flatnonzero(s.index == t) + row_offset).tolist()
        vals = s[s.index == t].tolist()
        raise ImportFileError(path, f"timestamp {t} appears in rows {rows} with different values {vals}.", row=rows[0])
    return s[~s.index.duplicated(keep="first")]


def _parse_timestamps(raw: pd.Series, path, row_offset: int = 2, tz: str | None = None) -> pd.DatetimeIndex:
    """Parse timestamps; with an offset in the text, or localised in ``tz`` when given."""
    parsed = pd.to_datetime(raw, errors="coerce", utc=False, format="mixed")
    if parsed.isna().any():
        i = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise ImportFileError(path, f"cannot read timestamp {raw.iloc[i]!r}.", row=i + row_offset)
    idx = pd.DatetimeIndex(parsed)
    if idx.tz is None:
        if tz is None:
            raise ImportFileError(
                path,
                f"timestamp {raw.iloc[0]!r} has no UTC offset: write it as 2015-04-12T00:00+02:00, "
                "or say which timezone the file uses (--timezone Europe/Berlin).",
                row=row_offset,
            )
        try:
            idx = idx.tz_localize(tz, ambiguous="infer", nonexistent="raise")
        except Exception as e:  # pytz/zoneinfo errors on DST days
            raise ImportFileError(path, f"local times in {tz} are ambiguous or do not exist: {e}") from None
    return idx.tz_convert("UTC")


# ---------------------------------------------------------------------------------------
# readers


def read_tidy_csv(
    path: str | Path,
    *,
    unit: str,
    target_unit: str = "MW",
    resolution: str | pd.Timedelta | None = None,
    sign: str = "production-positive",
    timestamp_column: str | None = None,
    value_column: str | None = None,
    timezone: str | None = None,
) -> pd.Series:
    """Read a tidy CSV (a timestamp column with UTC offset and a value column).

    Parameters
    ----------
    unit : str
        The file's unit: W, kW, MW; Wh, kWh, MWh per step; EUR/MWh, ct/kWh.
    target_unit : str
        The sensor's unit (MW for assets, EUR/MWh for markets).
    resolution : Timedelta, optional
        Step length; needed to turn energy per step into power.
    sign : {"production-positive", "consumption-positive"}
        How the file signs power; consumption-positive files are negated.
    timestamp_column, value_column : str, optional
        Default: the first and second column.
    """
    path = Path(path)
    if sign not in SIGNS:
        raise ValueError(f"sign must be one of {SIGNS}, not {sign!r}.")
    try:
        df = pd.read_csv(path, sep=None, engine="python", dtype=str, skip_blank_lines=True)
    except FileNotFoundError:
        raise ImportFileError(path, "file not found.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ImportFileError(path, f"not a readable CSV file: {e}") from None
    if df.shape[1] < 2:
        raise ImportFileError(path, f"expected a timestamp and a value column, found columns {list(df.columns)}.")
    tcol = timestamp_column or df.columns[0]
    vcol = value_column or df.columns[1]
    for c in (tcol, vcol):
        if c not in df.columns:
            raise ImportFileError(path, f"column {c!r} not found; the file has {list(df.columns)}.")
    idx = _parse_timestamps(df[tcol], path, tz=timezone)
    vals = pd.to_numeric(df[vcol].str.strip(), errors="coerce")
    bad = vals.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raw = df[vcol].iloc[i]
        what = "is missing" if pd.isna(raw) or not str(raw).strip() else f"{raw!r} is not a number"
        raise ImportFileError(path, f"value in column {vcol!r} {what}.", row=i + 2)
    s = pd.Series(vals.to_numpy(float), index=idx)
    s = _dedupe(s, path)
    s = s.sort_index()
    if resolution is None and len(s) > 1:
        resolution = pd.Timedelta(np.median(np.diff(s.index.asi8)))
    try:
        s = convert_units(s, unit, target_unit, pd.Timedelta(resolution) if resolution is not None else None)
    except ValueError as e:
        raise ImportFileError(path, str(e)) from None
    if sign == "consumption-positive":
        s = -s
    return s


def read_smard_prices(path: str | Path, column: str = "Germany/Austria/Luxembourg[€/MWh]") -> pd.Series:
    """Read a SMARD.de day-ahead price export (the layout of the bundled 2015 prices).

    ``;``-separated, UTF-8 with BOM, ``-`` for missing, columns ``Date`` (``Jan 1, 2015``),
    ``Time of day`` (``12:00 AM``) in local German time and one column per bidding zone.
    Returns hourly prices [EUR/MWh] with a UTC index; missing hours are left out.
    """
    from bvp_lib.data import bundled

    return bundled.read_smard_prices(path, column=column).dropna()


_MTU = re.compile(
    r"^\s*(\d{2}\.\d{2}\.\d{4} \d{2}:\d{2})\s*-\s*(\d{2}\.\d{2}\.\d{4} \d{2}:\d{2})\s*(?:\((CET|CEST)\))?\s*$"
)


def read_entsoe_prices(path: str | Path, timezone: str = SOURCE_TIMEZONE) -> pd.Series:
    """Read an ENTSO-E transparency platform day-ahead price export (CSV).

    Columns: ``MTU (CET/CEST)`` with intervals such as ``25.10.2015 02:00 - 25.10.2015
    03:00`` in local time (on the autumn DST day the repeated hour is marked ``(CEST)``
    then ``(CET)``, or appears twice in order), and a price column ``Day-ahead Price
    [EUR/MWh]``. Returns prices [EUR/MWh] with a UTC index of interval starts.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError(path, "file not found.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ImportFileError(path, f"not a readable CSV file: {e}") from None
    mtu = next((c for c in df.columns if c.startswith("MTU")), None)
    price = next((c for c in df.columns if "Price" in c and "EUR/MWh" in c), None)
    if mtu is None or price is None:
        raise ImportFileError(
            path, f"expected an 'MTU (CET/CEST)' and a 'Day-ahead Price [EUR/MWh]' column, found {list(df.columns)}."
        )
    starts, marks = [], []
    for i, text in enumerate(df[mtu].fillna("")):
        m = _MTU.match(text)
        if not m:
            raise ImportFileError(path, f"cannot read interval {text!r} in column {mtu!r}.", row=i + 2)
        starts.append(m.group(1))
        marks.append(m.group(3))
    local = pd.to_datetime(pd.Series(starts), format="%d.%m.%Y %H:%M")
    if any(marks):
        # explicit CET/CEST marks: DST flag True for CEST
        ambiguous = np.array([mk == "CEST" for mk in marks])
        idx = pd.DatetimeIndex(local).tz_localize(timezone, ambiguous=ambiguous, nonexistent="raise")
    else:
        try:
            idx = pd.DatetimeIndex(local).tz_localize(timezone, ambiguous="infer", nonexistent="raise")
        except Exception as e:
            raise ImportFileError(path, f"local times are ambiguous or do not exist in {timezone}: {e}") from None
    raw = df[price].fillna("").str.strip()
    vals = pd.to_numeric(raw, errors="coerce")
    missing = raw.isin(["", "-", "n/e", "N/A"])
    bad = vals.isna() & ~missing
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ImportFileError(path, f"price {raw.iloc[i]!r} is not a number.", row=i + 2)
    s = pd.Series(vals.to_numpy(float), index=idx.tz_convert("UTC"))[~missing.to_numpy()]
    return _dedupe(s, path).sort_index()


def read_design_excel(path: str | Path, sheet: str, column: str, *, unit: str, target_unit: str = "MW",
                      timezone: str = "UTC", sign: str = "production-positive") -> pd.Series:
    """One column of the original platform's Excel design data set.

    Sheets ``0_Weather``, ``1_PV_<name>``, ``2_WT_<name>``...: the first column holds
    the timestamps (naive, in ``timezone``; or with an offset), the others one series
    each, with the column header as name. ``sheet`` may be a prefix (``1_PV``).
    """
    path = Path(path)
    try:
        book = pd.ExcelFile(path)
    except FileNotFoundError:
        raise ImportFileError(path, "file not found.") from None
    except Exception as e:  # zipfile.BadZipFile, xlrd errors
        raise ImportFileError(path, f"not a readable Excel file: {e}") from None
    names = [n for n in book.sheet_names if n == sheet or n.startswith(sheet)]
    if len(names) != 1:
        raise ImportFileError(path, f"sheet {sheet!r} matches {names or 'nothing'}; sheets are {book.sheet_names}.")
    df = book.parse(names[0])
    if column not in df.columns:
        raise ImportFileError(path, f"sheet {names[0]!r} has no column {column!r}; it has {list(df.columns)}.")
    idx = _parse_timestamps(df.iloc[:, 0].astype(str), f"{path}[{names[0]}]", tz=timezone)
    vals = pd.to_numeric(df[column], errors="coerce")
    if vals.isna().any():
        i = int(np.flatnonzero(vals.isna().to_numpy())[0])
        raise ImportFileError(f"{path}[{names[0]}]", f"value {df[column].iloc[i]!r} in {column!r} is not a number.", row=i + 2)
    s = _dedupe(pd.Series(vals.to_numpy(float), index=idx), path).sort_index()
    res = pd.Timedelta(np.median(np.diff(s.index.asi8))) if len(s) > 1 else None
    try:
        s = convert_units(s, unit, target_unit, res)
    except ValueError as e:
        raise ImportFileError(path, str(e)) from None
    return -s if sign == "consumption-positive" else s


# ---------------------------------------------------------------------------------------
# storing


def import_series(
    series: pd.Series,
    sensor: str,
    *,
    path="(data)",
    source_name: str = "user import",
    source_type: str = "user import",
    belief_horizon: str | pd.Timedelta = "0h",
    allow_gaps: bool = False,
    dry_run: bool = False,
    bind=None,
) -> ImportReport:
    """Check ``series`` against sensor ``sensor`` and store it in one transaction.

    The series must be on the sensor's resolution (no resampling happens silently), and
    without gaps unless ``allow_gaps``. ``belief_horizon`` 0 means a measurement known
    when the step ended. Re-importing the same file changes nothing; a corrected file
    replaces the values it covers.
    """
    from bvp_lib.beliefs import SourceSpec, save_beliefs, sensor_table
    from bvp_lib.db.engine import transaction

    with transaction(bind) as conn:
        st = sensor_table(conn, [sensor])
        res, unit = st.loc[sensor, "resolution"], st.loc[sensor, "unit"]
        s = series.sort_index()
        if len(s) > 1:
            step = pd.Timedelta(np.min(np.diff(s.index.asi8)))
            if step != res:
                raise ImportFileError(
                    path, f"the data's resolution is {step} but sensor {sensor} has {res}: resample it first."
                )
        check_regular(s, res, path, allow_gaps=allow_gaps)
        report = ImportReport(
            sensor, len(s), s.index.min() if len(s) else None, s.index.max() if len(s) else None, unit, dry_run,
            float(s.min()) if len(s) else None, float(s.max()) if len(s) else None,
        )
        if dry_run or not len(s):
            return report
        df = pd.DataFrame(
            {"sensor": sensor, "event_start": s.index, "belief_horizon": pd.Timedelta(belief_horizon), "value": s.to_numpy()}
        )
        save_beliefs(df, source=SourceSpec(source_name, source_type), bind=conn)
    return report
