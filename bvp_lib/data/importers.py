"""Importers for real files: tidy CSV, SMARD and ENTSO-E price exports, the original
platform's Excel design data set, and ``assets.json`` (see :mod:`bvp_lib.data.structure`).

Every importer goes the same way: a ``raw_*`` function turns its file into a
:class:`~bvp_lib.data.validation.RawSeries` (timestamp and value text with the line an
editor shows), :func:`~bvp_lib.data.validation.validate` applies one set of rules (see
its module) against the sensor, and :func:`import_file` stores the result in one
transaction, idempotently, with the belief horizon of :mod:`bvp_lib.data.known`. A dry
run takes the very same path and rolls the transaction back, so it refuses exactly what
the real import refuses. A bad file is refused with an :class:`ImportFileError` naming
the file, the line, the column and the rule; nothing is half-written.

The ``read_*`` functions return the checked series without a sensor (for notebooks).

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

from bvp_lib.data.validation import (  # noqa: F401 - part of this module's API
    ENERGY_UNITS,
    POWER_UNITS,
    PRICE_UNITS,
    SIGNS,
    ImportFileError,
    RawSeries,
    cells,
    check_grid,
    check_timezone,
    column_index,
    convert_units,
    read_records,
    validate,
)


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
    known: str | None = None

    def __str__(self) -> str:
        verb = "would store" if self.dry_run else "stored"
        if not self.rows:
            return f"{self.sensor}: nothing to store"
        return (
            f"{self.sensor}: {verb} {self.rows:,} beliefs from {self.first} to {self.last} UTC "
            f"[{self.unit}, min {self.minimum:.4g}, max {self.maximum:.4g}]" + (f", {self.known}" if self.known else "")
        )


# ---------------------------------------------------------------------------------------
# checks on a series


def check_regular(s: pd.Series, resolution: pd.Timedelta, path, *, allow_gaps: bool = False) -> None:
    """Refuse a series off the ``resolution`` grid, of another resolution, or with gaps."""
    check_grid(pd.DatetimeIndex(s.index), None, pd.Timedelta(resolution), path, allow_gaps=allow_gaps)


# ---------------------------------------------------------------------------------------
# readers: file -> RawSeries (one per format), and the checked series without a sensor


def raw_tidy_csv(path: str | Path, *, timestamp_column: str | None = None, value_column: str | None = None,
                 timezone: str | None = None, encoding: str | None = None) -> RawSeries:
    """A tidy CSV: a timestamp column (with UTC offset, or local in ``timezone``) and a
    value column, separated by ``,`` ``;`` or tab. Default columns: the first and second."""
    check_timezone(timezone, path)
    rec = read_records(path, encoding=encoding)
    tj = column_index(rec, timestamp_column, 0, "timestamp")
    vj = column_index(rec, value_column, 1, "value")
    return RawSeries(rec.path, np.asarray(rec.lines), cells(rec, tj), cells(rec, vj), rec.header[tj], rec.header[vj],
                     timezone=timezone)


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
    encoding: str | None = None,
) -> pd.Series:
    """Read and check a tidy CSV (see :func:`raw_tidy_csv`) into a UTC series [``target_unit``].

    Parameters
    ----------
    unit : str
        The file's unit: W, kW, MW; Wh, kWh, MWh per step; EUR/MWh, ct/kWh.
    target_unit : str
        The sensor's unit (MW for assets, EUR/MWh for markets).
    resolution : Timedelta, optional
        The sensor's step: checks the grid and gaps, and turns energy per step into power
        (default: the file's median step, and no grid check).
    sign : {"production-positive", "consumption-positive"}
        How the file signs power; consumption-positive files are negated.
    timestamp_column, value_column : str, optional
        Default: the first and second column.
    """
    raw = raw_tidy_csv(path, timestamp_column=timestamp_column, value_column=value_column, timezone=timezone,
                       encoding=encoding)
    return validate(raw, unit=unit, target_unit=target_unit, resolution=resolution, sign=sign,
                    allow_gaps=resolution is None)


SMARD_COLUMN = "Germany/Austria/Luxembourg[€/MWh]"


def raw_smard(path: str | Path, column: str = SMARD_COLUMN, *, encoding: str | None = None,
              timezone: str = SOURCE_TIMEZONE) -> RawSeries:
    """A SMARD.de day-ahead price export: ``;``-separated, columns ``Date`` (``Jan 1, 2015``),
    ``Time of day`` (``12:00 AM``) in local German time, one price column per bidding zone
    [EUR/MWh], ``-`` for no price. A repeated autumn hour is read by order (summer time first)."""
    check_timezone(timezone, path)
    rec = read_records(path, encoding=encoding, delimiter=";")
    dj = column_index(rec, "Date", 0, "date")
    tj = column_index(rec, "Time of day", 1, "time")
    vj = column_index(rec, column, 2, "price")
    stamps = [f"{d} {t}" for d, t in zip(cells(rec, dj), cells(rec, tj))]
    return RawSeries(rec.path, np.asarray(rec.lines), stamps, cells(rec, vj), "Date, Time of day", column,
                     timezone=timezone, missing=("-",), timestamp_format="%b %d, %Y %I:%M %p",
                     meta={"example": "Jan 1, 2015;12:00 AM"})


def read_smard_prices(path: str | Path, column: str = SMARD_COLUMN, *, encoding: str | None = None) -> pd.Series:
    """Hourly prices [EUR/MWh] of a SMARD export (see :func:`raw_smard`), UTC index; hours
    without a price are left out."""
    return validate(raw_smard(path, column, encoding=encoding), unit="EUR/MWh", target_unit="EUR/MWh",
                    allow_gaps=True)


_MTU = re.compile(
    r"^\s*(\d{2}\.\d{2}\.\d{4} \d{2}:\d{2})\s*-\s*(\d{2}\.\d{2}\.\d{4} \d{2}:\d{2})\s*(?:\((CET|CEST)\))?\s*$"
)


def raw_entsoe(path: str | Path, timezone: str = SOURCE_TIMEZONE, *, encoding: str | None = None) -> RawSeries:
    """An ENTSO-E transparency platform day-ahead price export (CSV).

    Columns ``MTU (CET/CEST)`` with intervals such as ``25.10.2015 02:00 - 25.10.2015
    03:00`` in local time (on the autumn DST day the repeated hour is marked ``(CEST)``
    then ``(CET)``, or appears twice in order; the spring day may list the hour that does
    not exist, with ``-``), and ``Day-ahead Price [EUR/MWh]``; ``-``, ``n/e``, ``N/A`` or
    empty mean no price."""
    check_timezone(timezone, path)
    rec = read_records(path, encoding=encoding)
    mtu = next((c for c in rec.header if c.startswith("MTU")), None)
    price = next((c for c in rec.header if "Price" in c and "EUR/MWh" in c), None)
    if mtu is None or price is None:
        raise ImportFileError(rec.path, f"expected an 'MTU (CET/CEST)' and a 'Day-ahead Price [EUR/MWh]' column, "
                              f"found {rec.header}.", line=1, rule="layout")
    starts, marks = [], []
    for line, text in zip(rec.lines, cells(rec, rec.header.index(mtu))):
        m = _MTU.match(text)
        if not m:
            raise ImportFileError(rec.path, f"cannot read interval {text!r} (expected e.g. '25.10.2015 02:00 - "
                                  "25.10.2015 03:00 (CEST)').", line=line, column=mtu, rule="timestamp")
        starts.append(m.group(1))
        marks.append(None if m.group(3) is None else m.group(3) == "CEST")
    return RawSeries(rec.path, np.asarray(rec.lines), starts, cells(rec, rec.header.index(price)), mtu, price,
                     timezone=timezone, missing=("", "-", "n/e", "N/A"), dst=marks, timestamp_format="%d.%m.%Y %H:%M",
                     meta={"example": "25.10.2015 02:00 - 25.10.2015 03:00"})


def read_entsoe_prices(path: str | Path, timezone: str = SOURCE_TIMEZONE, *, encoding: str | None = None) -> pd.Series:
    """Prices [EUR/MWh] of an ENTSO-E export (see :func:`raw_entsoe`), UTC index of interval starts."""
    return validate(raw_entsoe(path, timezone, encoding=encoding), unit="EUR/MWh", target_unit="EUR/MWh",
                    allow_gaps=True)


def _excel_column_letter(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _cell_text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    return str(v).strip()


def raw_excel(path: str | Path, sheet: str, column: str, *, timezone: str = "UTC") -> RawSeries:
    """One column of the original platform's Excel design data set.

    Sheets ``0_Weather``, ``1_PV_<name>``, ``2_WT_<name>``...: the first column holds the
    timestamps (naive, in ``timezone``; or text with an offset), the others one series
    each, with the column header as name. ``sheet`` may be a prefix (``1_PV``). Line
    numbers are spreadsheet rows (header in row 1)."""
    path = Path(path)
    check_timezone(timezone, path)
    if path.is_dir():
        raise ImportFileError(path, "is a directory, not a file: give the path of the workbook.", rule="file")
    try:
        book = pd.ExcelFile(path)
    except FileNotFoundError:
        raise ImportFileError(path, "file not found.", rule="file") from None
    except Exception as e:  # noqa: BLE001 - zipfile.BadZipFile, xlrd and openpyxl errors
        raise ImportFileError(path, f"not a readable Excel file: {type(e).__name__}: {e}", rule="layout") from None
    names = [n for n in book.sheet_names if n == sheet or n.startswith(sheet)]
    if len(names) != 1:
        raise ImportFileError(path, f"sheet {sheet!r} matches {names or 'nothing'}; sheets are {book.sheet_names}.",
                              rule="layout")
    label = f"{path}[{names[0]}]"
    df = book.parse(names[0], header=0, dtype=object, keep_default_na=False)  # "n/a" stays text: named, not dropped
    if df.empty:
        raise ImportFileError(label, "the sheet has a header but no data rows.", line=1, rule="layout")
    if column not in df.columns:
        raise ImportFileError(label, f"no column {column!r}; it has {list(df.columns)}.", line=1, rule="layout")
    j = list(df.columns).index(column)
    lines = np.arange(len(df)) + 2
    keep = [i for i in range(len(df)) if not all(_cell_text(v) == "" for v in df.iloc[i].tolist())]
    stamps = [_cell_text(df.iloc[i, 0]) for i in keep]
    values = [_cell_text(df.iloc[i, j]) for i in keep]
    return RawSeries(label, lines[keep], stamps, values, f"{_excel_column_letter(0)} ({df.columns[0]})",
                     f"{_excel_column_letter(j)} ({column})", timezone=timezone)


def read_design_excel(path: str | Path, sheet: str, column: str, *, unit: str, target_unit: str = "MW",
                      timezone: str = "UTC", sign: str = "production-positive") -> pd.Series:
    """One column of an Excel design data set (see :func:`raw_excel`) as a checked UTC series."""
    return validate(raw_excel(path, sheet, column, timezone=timezone), unit=unit, target_unit=target_unit,
                    sign=sign, allow_gaps=True)


# ---------------------------------------------------------------------------------------
# storing


def _store(conn, s: pd.Series, sensor: str, res: pd.Timedelta, quantity: str, *, source_name: str, source_type: str,
           belief_horizon, published: str | None, dry_run: bool) -> str:
    """Write the checked series in a savepoint of ``conn``; roll it back for a dry run."""
    from bvp_lib.beliefs import SourceSpec, save_beliefs
    from bvp_lib.config import get_settings
    from bvp_lib.data import known

    tz = get_settings().timezone
    if belief_horizon is not None:
        horizons = pd.Series(pd.Timedelta(belief_horizon), index=range(len(s)))
        how = f"belief horizon {belief_horizon}"
    else:
        horizons = known.belief_horizons(s.index, res, quantity=quantity, tz=tz, published=published)
        how = known.describe(quantity, tz, published)
    df = pd.DataFrame({"sensor": sensor, "event_start": s.index, "belief_horizon": horizons.to_numpy(),
                       "value": s.to_numpy()})
    savepoint = conn.begin_nested()
    try:
        save_beliefs(df, source=SourceSpec(source_name, source_type), bind=conn)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return how


def _report(sensor, s: pd.Series, unit: str, dry_run: bool, how: str | None) -> ImportReport:
    n = len(s)
    return ImportReport(sensor, n, s.index.min() if n else None, s.index.max() if n else None, unit, dry_run,
                        float(s.min()) if n else None, float(s.max()) if n else None, how)


def import_file(
    raw: RawSeries,
    sensor: str,
    *,
    unit: str | None = None,
    sign: str = "production-positive",
    allow_gaps: bool = False,
    published: str | None = None,
    source_name: str = "user import",
    source_type: str = "user import",
    dry_run: bool = False,
    bind=None,
) -> ImportReport:
    """Validate ``raw`` against sensor ``sensor`` and store it in one transaction.

    ``unit`` is the file's unit (default the sensor's). The belief horizon follows
    :mod:`bvp_lib.data.known` (prices known at 13:00 local on D-1, other values when each
    step ended; ``published`` overrides). ``dry_run`` runs every check and the write, then
    rolls the write back. Re-importing the same file changes nothing; a corrected file
    replaces the values it covers.
    """
    from bvp_lib.beliefs import sensor_table
    from bvp_lib.data.known import parse_published
    from bvp_lib.db.engine import transaction

    parse_published(published)  # a bad --published is refused before anything else
    with transaction(bind) as conn:
        st = sensor_table(conn, [sensor])
        res, target, quantity = st.loc[sensor, "resolution"], st.loc[sensor, "unit"], st.loc[sensor, "quantity"]
        s = validate(raw, unit=unit or target, target_unit=target, resolution=res, sign=sign, allow_gaps=allow_gaps)
        how = _store(conn, s, sensor, res, quantity, source_name=source_name, source_type=source_type,
                     belief_horizon=None, published=published, dry_run=dry_run)
    return _report(sensor, s, target, dry_run, how)


def import_series(
    series: pd.Series,
    sensor: str,
    *,
    path="(data)",
    source_name: str = "user import",
    source_type: str = "user import",
    belief_horizon: str | pd.Timedelta | None = None,
    published: str | None = None,
    allow_gaps: bool = False,
    dry_run: bool = False,
    bind=None,
) -> ImportReport:
    """Check an already-read ``series`` (UTC index, the sensor's unit) against sensor
    ``sensor`` and store it in one transaction (see :func:`import_file`).

    The series must be on the sensor's resolution (no resampling happens silently), and
    without gaps unless ``allow_gaps``. ``belief_horizon`` fixes one horizon for every
    value; by default the rule of :mod:`bvp_lib.data.known` applies.
    """
    from bvp_lib.beliefs import sensor_table
    from bvp_lib.db.engine import transaction

    s = series.sort_index()
    if s.index.tz is None:
        raise ImportFileError(path, "the series' timestamps have no timezone (naive).", rule="offset-or-zone")
    if len(s) and not np.isfinite(s.to_numpy(dtype=float)).all():
        i = int(np.flatnonzero(~np.isfinite(s.to_numpy(dtype=float)))[0])
        raise ImportFileError(path, f"value at {s.index[i]} is not a finite number ({s.iloc[i]}).", rule="finite")
    with transaction(bind) as conn:
        st = sensor_table(conn, [sensor])
        res, unit, quantity = st.loc[sensor, "resolution"], st.loc[sensor, "unit"], st.loc[sensor, "quantity"]
        check_regular(s, res, path, allow_gaps=allow_gaps)
        how = None
        if len(s):
            how = _store(conn, s, sensor, res, quantity, source_name=source_name, source_type=source_type,
                         belief_horizon=belief_horizon, published=published, dry_run=dry_run)
    return _report(sensor, s, unit, dry_run, how)


def _line_of(text: str, needle: str) -> int | None:
    k = text.find(needle)
    return text[:k].count("\n") + 1 if k >= 0 else None


def import_structure_file(path: str | Path, *, dry_run: bool = False, bind=None) -> dict[str, int]:
    """Load ``assets.json`` (see :mod:`bvp_lib.data.structure`) in one transaction; a dry
    run loads it and rolls back. Errors name the file, the line and the entry."""
    import json

    from bvp_lib.data.structure import StructureError, load_structure
    from bvp_lib.data.validation import read_text
    from bvp_lib.db.engine import transaction

    text = read_text(path)
    if not text.strip():
        raise ImportFileError(path, "the file is empty: expected a JSON object with an 'assets' list.", line=1,
                              rule="layout")
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportFileError(path, f"not valid JSON: {e.msg}.", line=e.lineno, column=f"character {e.colno}",
                              rule="json") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("assets"), list):
        raise ImportFileError(path, "expected an object with an 'assets' list (see bvp_lib.data.structure).", line=1,
                              rule="layout")
    try:
        with transaction(bind) as conn:
            savepoint = conn.begin_nested()
            try:
                counts = load_structure(spec, bind=conn)
            except BaseException:
                savepoint.rollback()
                raise
            savepoint.rollback() if dry_run else savepoint.commit()
    except (StructureError, KeyError, TypeError, ValueError) as e:
        if isinstance(e, ImportFileError):
            raise
        msg = str(e) if not isinstance(e, KeyError) else f"an entry lacks {e.args[0]!r}"
        names = re.findall(r"'([^']+)'", msg)
        line = next((ln for n in names if (ln := _line_of(text, f'"{n}"')) is not None), None)
        raise ImportFileError(path, f"{msg}", line=line, rule="structure") from None
    return counts


