"""One validation path for every importer: file → records with line numbers → checked series.

Every importer (tidy CSV, SMARD, ENTSO-E, Excel; ``assets.json`` in
:mod:`bvp_lib.data.structure`) turns its file into a :class:`RawSeries`: the timestamp
text and value text of each record with the **line number an editor shows** (header on
line 1; for Excel the spreadsheet row). :func:`validate` then applies the same rules, in
this order, to every format, and stops at the first break with an :class:`ImportFileError`
naming the file, the line, the column and the rule:

==================  =====================================================================
rule                what it refuses
==================  =====================================================================
file                not a file (missing, a directory, unreadable)
encoding            bytes that are not text in the file's encoding (UTF-8, or BOM-marked
                    UTF-8/UTF-16; ``--encoding`` names another), NUL bytes
layout              empty file, header without data lines, missing columns
timezone            a ``--timezone`` that is no IANA zone (``Mars/Olympus``)
timestamp           text that is no timestamp
one-kind            timestamps with a UTC offset mixed with ones without
offset-or-zone      timestamps without offset and no ``--timezone``
local-time-exists   a local time skipped by the clock change (02:30 on the spring day)
                    that carries a value (a listed non-existent hour with ``-`` is skipped)
ambiguous-local-    a repeated autumn local time listed once and unmarked (twice: the
time                first is summer time; or by its CET/CEST mark)
value-required      an empty value where the format has no "missing" marker
numeric             a value that is not a number
finite              ``inf``, ``-inf``, ``nan``
unique-timestamp    one timestamp on two lines with different values (equal ones: kept once)
on-grid             a timestamp off the sensor's step grid (08:07 for 15-minute steps)
resolution          steps that are all longer than the sensor's (hourly data, 15-min sensor)
no-gaps             missing steps (unless ``--allow-gaps``)
unit                a unit that cannot be converted to the sensor's
==================  =====================================================================

Rows may come in any order (they are sorted); a row repeated with the same value is kept
once. Nothing is stored unless every rule holds: storing happens after validation, in one
transaction, and a dry run runs the very same path and rolls the transaction back.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

POWER_UNITS = {"W": 1e-6, "kW": 1e-3, "MW": 1.0}
ENERGY_UNITS = {"Wh": 1e-6, "kWh": 1e-3, "MWh": 1.0}
PRICE_UNITS = {"EUR/MWh": 1.0, "ct/kWh": 10.0, "EUR/kWh": 1000.0}
SIGNS = ("production-positive", "consumption-positive")

# a time of day, then an offset: "2015-04-12" alone ends in "-12", which is no offset
_TIME_WITH_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")
_NON_FINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan", "-nan"}


class ImportFileError(ValueError):
    """A file that cannot be imported.

    The message reads ``<file>, line <n>, column '<c>': <problem> [rule <rule>]``; the
    parts are also attributes (``path``, ``line``, ``column``, ``rule``, ``problem``).
    ``row`` is kept as another name of ``line``.
    """

    def __init__(self, path, problem: str, row: int | None = None, *, line: int | None = None,
                 column: str | None = None, rule: str | None = None):
        line = line if line is not None else row
        where = f"{path}"
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}" + (f" [rule {rule}]" if rule else ""))
        self.path, self.line, self.row, self.column, self.rule, self.problem = path, line, line, column, rule, problem


# ---------------------------------------------------------------------------------------
# files to records


def read_text(path: str | Path, encoding: str | None = None) -> str:
    """The text of ``path``: in ``encoding`` if given, else BOM-marked UTF-8/UTF-16, else UTF-8.

    Raises
    ------
    ImportFileError
        Rule ``file`` (missing, a directory, unreadable) or ``encoding`` (naming the line
        of the first byte that does not decode, or NUL bytes).
    """
    path = Path(path)
    if path.is_dir():
        raise ImportFileError(path, "is a directory, not a file: give the path of the file to import.", rule="file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(path, "file not found.", rule="file") from None
    except OSError as e:
        raise ImportFileError(path, f"cannot be read ({e.strerror}).", rule="file") from None
    if encoding is None:
        if data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8-sig"
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        else:
            encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except LookupError:
        raise ImportFileError(path, f"unknown encoding {encoding!r} (--encoding): use e.g. utf-8, cp1252, utf-16.",
                              rule="encoding") from None
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ImportFileError(
            path, f"byte {data[e.start:e.start + 1]!r} is not {encoding} text. Save the file as UTF-8, or say its "
            "encoding (--encoding cp1252, --encoding utf-16).", line=line, rule="encoding") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFileError(path, f"NUL characters: the file is not {encoding} text (UTF-16 without a byte order "
                              "mark? try --encoding utf-16).", line=line, rule="encoding")
    return text


@dataclass
class Records:
    """The rows of a delimited text file: header, and each record with its first line."""

    path: str
    header: list[str]
    lines: list[int]
    rows: list[list[str]]
    delimiter: str


def read_records(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None,
                 label: str | None = None) -> Records:
    """Split a CSV file into records, each with the line an editor shows it on.

    The delimiter is ``delimiter`` or the most frequent of ``,`` ``;`` tab in the header
    line. Blank lines are skipped. Refuses an empty file and a header without data lines.
    """
    label = label or str(path)
    text = read_text(path, encoding)
    if not text.strip():
        raise ImportFileError(label, "the file is empty: expected a header line and data lines.", line=1,
                              rule="layout")
    first = next(ln for ln in text.splitlines() if ln.strip())
    if delimiter is None:
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=counts.get) if max(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, header_line, lines, rows = None, 1, [], []
    prev = 0
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if not rec or not "".join(rec).strip():
                continue
            if header is None:
                header, header_line = [c.strip() for c in rec], start
                continue
            lines.append(start)
            rows.append(rec)
    except csv.Error as e:
        raise ImportFileError(label, f"not a readable CSV file: {e}.", line=prev + 1, rule="layout") from None
    if not rows:
        raise ImportFileError(label, f"the file has a header ({delimiter!r}-separated: {header}) but no data lines.",
                              line=header_line, rule="layout")
    return Records(label, header, lines, rows, delimiter)


def column_index(rec: Records, name: str | None, default: int, what: str) -> int:
    """Position of column ``name`` (or the ``default``-th column) in the header."""
    if name is None:
        if len(rec.header) <= default:
            raise ImportFileError(
                rec.path, f"expected a timestamp and a value column separated by ',' or ';', found "
                f"{len(rec.header)} column(s) {rec.header}.", line=1, rule="layout")
        return default
    if name not in rec.header:
        raise ImportFileError(rec.path, f"no {what} column {name!r}; the file has {rec.header}.", line=1, rule="layout")
    return rec.header.index(name)


def cells(rec: Records, j: int) -> list[str]:
    """Column ``j`` of every record ('' where a record is short)."""
    return [r[j].strip() if j < len(r) else "" for r in rec.rows]


def check_timezone(tz: str | None, path, option: str = "--timezone") -> None:
    if tz is None:
        return
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportFileError(path, f"unknown timezone {tz!r} ({option}): use an IANA name such as Europe/Berlin "
                              "or UTC.", rule="timezone") from None


# ---------------------------------------------------------------------------------------
# records to a checked series


@dataclass
class RawSeries:
    """What a reader found: per record its line, timestamp text and value text.

    ``missing`` lists value texts that mean "no value here" in the format (SMARD and
    ENTSO-E write ``-``); such records are skipped. ``dst`` holds per-record CET/CEST
    marks (ENTSO-E) or None. ``timestamp_format`` is a strptime format for formats that
    have one.
    """

    path: str
    lines: np.ndarray
    stamps: list[str]
    values: list[str]
    time_column: str
    value_column: str
    timezone: str | None = None
    missing: tuple[str, ...] = ()
    dst: list[bool | None] | None = None
    timestamp_format: str | None = None
    thousands: str | None = None
    meta: dict = field(default_factory=dict)

    def error(self, i: int | None, problem: str, rule: str, column: str | None = None) -> ImportFileError:
        line = int(self.lines[i]) if i is not None else None
        return ImportFileError(self.path, problem, line=line, column=column, rule=rule)


def _values(raw: RawSeries) -> tuple[np.ndarray, np.ndarray]:
    """Parsed values and the mask of records that carry one (vectorised; the first bad
    record is named)."""
    texts = pd.Series(raw.values, dtype=object)
    present = ~texts.isin(raw.missing).to_numpy() if raw.missing else np.ones(len(texts), dtype=bool)
    clean = texts.str.replace(raw.thousands, "", regex=False) if raw.thousands else texts
    filled = clean.where(present, "0").tolist()
    try:
        # numpy parses with Python's correctly rounded float(); pandas' to_numeric may be 1 ulp off
        out = np.array(filled, dtype=float)
    except ValueError:
        out = np.array([_to_float(x) for x in filled], dtype=float)
    bad = present & ~np.isfinite(out)
    col = raw.value_column
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        t = raw.values[i]
        if t == "":
            raise raw.error(i, "the value is missing" + (f" (write {raw.missing[0]!r} for no value)" if raw.missing
                            else "") + ".", "value-required", col)
        s = clean.iloc[i]
        try:
            v = float(s)
        except ValueError:
            raise raw.error(i, f"{t!r} is not a number.", "numeric", col) from None
        if not math.isfinite(v) or s.lower() in _NON_FINITE:
            raise raw.error(i, f"{t!r} is not a finite number.", "finite", col)
        raise raw.error(i, f"{t!r} is not a number.", "numeric", col)  # pragma: no cover - to_numeric disagreed
    out[~present] = np.nan
    return out, present


def _to_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _parse_stamps(raw: RawSeries, idx: np.ndarray, fmt: str | None, utc: bool) -> pd.DatetimeIndex:
    texts = pd.Series([raw.stamps[i] for i in idx], dtype=object)
    if fmt:
        parsed = pd.to_datetime(texts, format=fmt, errors="coerce")
    else:
        parsed = pd.to_datetime(texts, format="ISO8601", errors="coerce", utc=utc)
        redo = parsed.isna().to_numpy() & texts.str.strip().ne("").to_numpy()
        if redo.any():
            again = pd.Series([pd.to_datetime(t, errors="coerce", utc=utc, format="mixed")
                               if _looks_like_time(t) else pd.NaT for t in texts[redo]], dtype=object)
            parsed = parsed.astype(object)
            parsed[redo] = again.to_numpy()
            parsed = pd.to_datetime(parsed, utc=utc) if utc else pd.to_datetime(parsed)
    bad = np.flatnonzero(pd.isna(parsed).to_numpy())
    if bad.size:
        i = int(idx[bad[0]])
        hint = f" (expected e.g. {raw.meta['example']!r})" if raw.meta.get("example") else \
            " (expected e.g. 2015-04-12T00:15+02:00)"
        raise raw.error(i, f"cannot read timestamp {raw.stamps[i]!r}{hint}.", "timestamp", raw.time_column)
    return pd.DatetimeIndex(parsed)


def _looks_like_time(t: str) -> bool:
    # dateutil reads almost anything ("1" is a day of this month); insist on a date with digits
    return bool(re.match(r"^\s*\d{4}-\d{1,2}-\d{1,2}|^\s*\d{1,2}[./]\d{1,2}[./]\d{2,4}", t))


def _localize(raw: RawSeries, naive: pd.DatetimeIndex, idx: np.ndarray, present: np.ndarray) -> pd.DatetimeIndex:
    """Local wall times to UTC: repeated autumn times by their CET/CEST mark, else by order
    (first summer time, then winter time); skipped spring times refused where a value is."""
    tz = raw.timezone
    occurrence = pd.Series(naive).groupby(naive).cumcount().to_numpy()
    is_dst = occurrence == 0
    if raw.dst is not None:
        marks = np.array([raw.dst[i] for i in idx], dtype=object)
        has = np.array([m is not None for m in marks])
        is_dst = np.where(has, marks == True, is_dst)  # noqa: E712 - element-wise on an object array
    # a repeated autumn time listed once, without a CET/CEST mark: which of the two hours is it?
    unsure = pd.isna(naive.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward"))
    if raw.dst is not None:
        unsure &= ~has
    if unsure.any():
        counts = pd.Series(naive[unsure]).value_counts()
        once = counts[counts == 1].index
        seen: dict = {}
        for k in np.flatnonzero(unsure):
            seen[naive[k]] = seen.get(naive[k], 0) + 1
            if seen[naive[k]] == 3:
                i = int(idx[k])
                raise raw.error(i, f"local time {raw.stamps[i]!r} is listed a third time; it occurs only twice in "
                                f"{tz} (summer time, then winter time): remove the repeated line, or mark each "
                                "(CEST) or (CET).", "ambiguous-local-time", raw.time_column)
            if naive[k] in once and present[idx[k]]:
                i = int(idx[k])
                raise raw.error(i, f"local time {raw.stamps[i]!r} occurs twice in {tz} (the clocks go back that "
                                "night) but the file lists it once: mark it (CEST) or (CET), or write the "
                                "timestamp with its UTC offset.", "ambiguous-local-time", raw.time_column)
    local = naive.tz_localize(tz, ambiguous=is_dst.astype(bool), nonexistent="NaT")
    gone = np.flatnonzero(pd.isna(local))
    for k in gone:
        if present[idx[k]]:
            i = int(idx[k])
            raise raw.error(i, f"local time {raw.stamps[i]!r} does not exist in {tz} (the clocks skip that hour "
                            "on the spring DST day); remove the line or mark its value as missing.",
                            "local-time-exists", raw.time_column)
    return local


def parse_index(raw: RawSeries, present: np.ndarray) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """UTC timestamps of the records that carry a value, and their record positions."""
    check_timezone(raw.timezone, raw.path)
    idx_all = np.arange(len(raw.stamps))
    if raw.timestamp_format:
        naive = _parse_stamps(raw, idx_all, raw.timestamp_format, utc=False)
        local = _localize(raw, naive, idx_all, present)
        keep = present & ~pd.isna(local)
        return local[keep].tz_convert("UTC"), idx_all[keep]
    stamps = pd.Series(raw.stamps, dtype=object).str.strip()
    has_offset = stamps.str.contains(_TIME_WITH_OFFSET, regex=True).to_numpy()
    if has_offset.any() and not has_offset.all():
        minority_is_naive = (~has_offset).sum() <= has_offset.sum()
        i = int(np.flatnonzero(~has_offset if minority_is_naive else has_offset)[0])
        kind = "has no UTC offset, while the other lines have one" if minority_is_naive else \
            "has a UTC offset, while the other lines have none"
        raise raw.error(i, f"timestamp {raw.stamps[i]!r} {kind}: write every timestamp with its offset "
                        "(2015-04-12T00:15+02:00).", "one-kind", raw.time_column)
    if has_offset.all():
        utc = _parse_stamps(raw, idx_all, None, utc=True)
        return utc[present], idx_all[present]
    naive = _parse_stamps(raw, idx_all, None, utc=False)
    if raw.timezone is None:
        raise raw.error(0, f"timestamp {raw.stamps[0]!r} has no UTC offset: write it as 2015-04-12T00:00+02:00, "
                        "or say which timezone the file uses (--timezone Europe/Berlin).",
                        "offset-or-zone", raw.time_column)
    if naive.tz is not None:  # pragma: no cover - guarded by has_offset
        naive = naive.tz_localize(None)
    local = _localize(raw, naive, idx_all, present)
    keep = present & ~pd.isna(local)
    return local[keep].tz_convert("UTC"), idx_all[keep]




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


def _fmt_td(td: pd.Timedelta) -> str:
    from bvp_lib.beliefs import fmt_td

    return fmt_td(pd.Timedelta(td))


def validate(
    raw: RawSeries,
    *,
    unit: str,
    target_unit: str,
    resolution: pd.Timedelta | str | None = None,
    sign: str = "production-positive",
    allow_gaps: bool = False,
) -> pd.Series:
    """Apply every rule of the module's table to ``raw``; return the series [sensor unit], UTC index.

    ``resolution`` is the sensor's step; without it (reading a file before a sensor is
    known) the grid, resolution and gap rules are left to :func:`check_regular`, and
    energy units are converted with the file's median step.
    """
    if sign not in SIGNS:
        raise ValueError(f"sign must be one of {SIGNS}, not {sign!r}.")
    if not raw.stamps:
        raise ImportFileError(raw.path, "no data lines.", line=1, rule="layout")
    values, present = _values(raw)
    index, pos = parse_index(raw, present)
    if not len(index):
        raise ImportFileError(raw.path, f"no line carries a value (every value is {raw.missing[0]!r}).",
                              column=raw.value_column, rule="value-required")
    vals = values[pos]
    lines = raw.lines[pos]
    order = np.argsort(index.asi8, kind="stable")
    index, vals, lines = index[order], vals[order], lines[order]
    same = np.flatnonzero(np.diff(index.asi8) == 0)
    if same.size:
        drop = np.zeros(len(index), dtype=bool)
        for k in same:
            if vals[k] != vals[k + 1]:
                a, b = sorted((int(lines[k]), int(lines[k + 1])))
                raise ImportFileError(
                    raw.path, f"timestamp {index[k]} UTC is on lines {a} and {b} with different values "
                    f"({vals[k]:g} and {vals[k + 1]:g}): keep one.", line=b, column=raw.time_column,
                    rule="unique-timestamp")
            drop[k + 1] = True
        index, vals, lines = index[~drop], vals[~drop], lines[~drop]
    if resolution is not None:
        check_grid(index, lines, pd.Timedelta(resolution), raw.path, raw.time_column, allow_gaps=allow_gaps)
    step = pd.Timedelta(resolution) if resolution is not None else (
        pd.Timedelta(int(np.median(np.diff(index.asi8)))) if len(index) > 1 else None)
    s = pd.Series(vals, index=pd.DatetimeIndex(index, name="event_start"))
    try:
        s = convert_units(s, unit, target_unit, step)
    except ValueError as e:
        raise ImportFileError(raw.path, str(e), column=raw.value_column, rule="unit") from None
    return -s if sign == "consumption-positive" else s


def check_grid(index: pd.DatetimeIndex, lines, resolution: pd.Timedelta, path, column: str | None = None, *,
               allow_gaps: bool = False) -> None:
    """Refuse off-grid timestamps, a file resolution coarser than the sensor's, and gaps.

    ``index`` is sorted and unique (UTC); ``lines`` gives each stamp's line (or None).
    """
    step = pd.Timedelta(resolution).value
    ln = (lambda k: int(lines[k])) if lines is not None else (lambda k: None)
    if pd.Timedelta(resolution) <= pd.Timedelta("1h") and pd.Timedelta("1h").value % step == 0:
        off = np.flatnonzero(index.asi8 % step)
        if off.size:
            k = int(off[0])
            past = pd.Timedelta(int(index.asi8[k] % step))
            raise ImportFileError(
                path, f"timestamp {index[k]} UTC is not on the sensor's {_fmt_td(resolution)} grid ({_fmt_td(past)} "
                f"past a step): a wrong timestamp, or data of another resolution.", line=ln(k), column=column,
                rule="on-grid")
    if len(index) < 2:
        return
    d = np.diff(index.asi8)
    if d.min() < step:
        k = int(np.argmin(d))
        raise ImportFileError(
            path, f"timestamps {index[k]} and {index[k + 1]} UTC are {_fmt_td(pd.Timedelta(int(d[k])))} apart, less "
            f"than the sensor's {_fmt_td(resolution)}: data of another resolution.", line=ln(k + 1), column=column,
            rule="resolution")
    if d.min() > step:
        k = int(np.argmin(d))
        raise ImportFileError(
            path, f"the file's steps are {_fmt_td(pd.Timedelta(int(d.min())))} or longer, the sensor's "
            f"{_fmt_td(resolution)}: resample it to {_fmt_td(resolution)} first.", line=ln(k + 1), column=column,
            rule="resolution")
    off = np.flatnonzero(d != step)
    if off.size and not allow_gaps:
        k = int(off[0])
        missing = int(d[k] // step) - 1
        a, b = ln(k), ln(k + 1)
        between = f" (between lines {a} and {b})" if a is not None else ""
        raise ImportFileError(
            path, f"gap after {index[k]} UTC: {missing} step(s) of {_fmt_td(resolution)} missing before "
            f"{index[k + 1]} UTC{between}; {off.size} gap(s) in the file. Fill them in the file, or import with "
            "--allow-gaps to store what is there.", line=b, column=column, rule="no-gaps")
