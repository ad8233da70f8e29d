"""One formatter for every table of every report.

A report never shows a raw DataFrame: :func:`report_table` turns it into a
:class:`ReportTable` whose HTML has

* human column names with their unit in brackets (``realised_value_eur`` →
  ``realised value [EUR]``, :func:`column_label`);
* numbers with thousands separators and a rounding that suits the unit and the column's
  magnitude (money to the cent, or to the euro above 1,000 EUR; energy and power to
  three significant decimals; shares as percentages; no ``-0.00``), :func:`format_value`;
* no index unless it means something (a named index becomes the first column);
* rows sorted by what matters (``sort_by``, largest first; ``key="abs"`` for signed
  values);
* at most ``limit`` rows, with the count and a link to the full table as CSV and
  Parquet when the table is saved beside the report.

The saved files hold exactly the rows and columns the page shows, in the same order,
with the same headers, unrounded (``tables/<name>.csv`` and ``.parquet``, listed in
``tables/tables.json``). :class:`Tables` is what a report notebook uses: it knows the
report folder and saves every table it shows.

Units follow the house: power [MW] (production positive, consumption negative), energy
[MWh], prices [EUR/MWh], money [EUR], shares [%] on the page (``captured_share`` [-] is
multiplied by 100 and its header says ``[%]``).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

TABLES_DIR = "tables"
MANIFEST = "tables.json"

#: display names of columns whose words alone do not say it (without the unit)
NAMES = {
    "realised_value_eur": "value realised",
    "orders_value_eur": "value of orders",
    "schedule_value_eur": "value of the schedule",
    "orders_captured_share": "captured share of orders",
    "schedule_captured_share": "captured share of the schedule",
    "value_at_stake_eur": "value at stake",
    "perfect_foresight_value_eur": "value with perfect foresight",
    "planned_value_eur": "value planned (on the forecasts)",
    "value_lost_eur": "value lost (perfect foresight − realised)",
    "baseline_revenue_eur": "revenue of the baseline",
    "realised_revenue_eur": "revenue realised",
    "soc_adjustment_eur": "end-of-day SoC valued",
    "energy_shifted_mwh": "energy shifted",
    "energy_curtailed_mwh": "energy curtailed",
    "energy_cycled_mwh": "battery throughput",
    "battery_cycles": "battery cycles",
    "captured_share": "captured share",
    "netting_benefit_eur": "netting benefit",
    "price_forecast_mae_eur_mwh": "price forecast error (MAE)",
    "seconds_per_day": "time per day",
    "days_done": "days done",
    "days_failed": "days failed",
    "type": "asset type",
}
#: units of names that do not end in one
UNITS = {"seconds_per_day": "s", "time_limit": "s", "mip_gap": "-", "spread": "EUR/MWh", "battery_cycles": "-",
         "captured_share": "%", "orders_captured_share": "%", "schedule_captured_share": "%"}  # fmt: skip
#: name suffix → unit, the longest suffix first
SUFFIXES = (("_eur_mwh", "EUR/MWh"), ("_eur_per_mwh", "EUR/MWh"), ("_per_hour", "1/h"), ("_hours", "h"),
            ("_eur", "EUR"), ("_mwh", "MWh"), ("_mw", "MW"), ("_s", "s"), ("share", "-"),
            ("efficiency", "-"))  # fmt: skip
#: columns shown in percent: their values [-] are multiplied by 100 on the page and in the files
PERCENT = ("captured_share", "orders_captured_share", "schedule_captured_share")
_SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def unit(name: str) -> str | None:
    """The unit of a column or grid axis from its name (None when it has none).

    Examples
    --------
    >>> unit("battery.power_mw"), unit("realised_value_eur"), unit("price_forecast_mae_eur_mwh"), unit("models")
    ('MW', 'EUR', 'EUR/MWh', None)
    """
    attr = str(name).rsplit(".", 1)[-1]
    if attr in UNITS:
        return UNITS[attr]
    for suffix, u in SUFFIXES:
        if attr.endswith(suffix):
            return u
    return None


def _words(name: str) -> str:
    attr = str(name)
    if attr in NAMES:
        return NAMES[attr]
    for suffix, _ in SUFFIXES:
        if attr.endswith(suffix) and suffix.startswith("_") and len(attr) > len(suffix):
            attr = attr[: -len(suffix)]
            break
    return attr.replace("_", " ").strip()


def column_label(name) -> str:
    """A column header for people: words instead of snake_case and the unit in brackets.

    A name that already reads as a header (has a space or a bracket) is kept.

    >>> column_label("perfect_foresight_value_eur"), column_label("energy_shifted_mwh"), column_label("asset")
    ('value with perfect foresight [EUR]', 'energy shifted [MWh]', 'asset')
    """
    name = str(name)
    if " " in name or "[" in name or name in ("MW", "MWh"):
        return name
    u = unit(name)
    return f"{_words(name)} [{u}]" if u else _words(name)


def is_raw_name(header: str) -> bool:
    """Whether a header is a raw ``snake_case`` identifier (what no report may show)."""
    return bool(_SNAKE.match(str(header)))


def unit_of_label(label: str) -> str | None:
    """The unit in a header's brackets (``"value [EUR]"`` → ``"EUR"``), else None."""
    m = re.search(r"\[([^\]]+)\]\s*$", str(label))
    return m.group(1) if m else None


# ---------------------------------------------------------------------------------------
# numbers


def decimals_for(values, unit_: str | None) -> int:
    """Decimals for a column of ``values`` in ``unit_``: enough to read the smallest
    number that matters, never more than the unit deserves.

    EUR: 0 when the largest magnitude is at least 1,000, else 2. EUR/MWh: 2. MW, MWh:
    0 from 1,000, 1 from 100, 2 from 1, else 3. %: 1. Unitless and others: 0 from
    1,000, 2 from 1, else 3.
    """
    x = np.asarray(pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce"), dtype=float)
    x = x[np.isfinite(x)]
    top = float(np.abs(x).max()) if len(x) else 0.0
    if unit_ == "EUR":
        return 0 if top >= 1000 else 2
    if unit_ == "EUR/MWh":
        return 2
    if unit_ == "%":
        return 1
    if unit_ in ("MW", "MWh", "h", "s"):
        return 0 if top >= 1000 else 1 if top >= 100 else 2 if top >= 1 else 3
    return 0 if top >= 1000 else 2 if top >= 1 else 3


def format_value(v, decimals: int = 2) -> str:
    """One cell as text: thousands separators, ``decimals`` places, no ``-0.00``; ``–``
    for a missing value; dates as ISO text; lists joined; booleans as yes/no."""
    if v is None:
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple, set)):
        return ", ".join(format_value(x, decimals) for x in v) if v else "none"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {format_value(x, decimals)}" for k, x in v.items()) if v else "none"
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.isoformat(sep=" ", timespec="minutes")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,d}"
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(float(v)):
            return "–"
        r = round(float(v), decimals)
        if r == 0:
            r = 0.0  # no "-0.00"
        return f"{r:,.{decimals}f}"
    if isinstance(v, pd.Timedelta):
        return str(v)
    try:
        if pd.isna(v):
            return "–"
    except (TypeError, ValueError):
        pass
    return str(v) if str(v) != "" else "–"


def format_quantity(x: float, unit_: str) -> str:
    """A single number with its unit, for sentences and titles: ``8.36e-05 MW`` reads
    ``0.08 kW``, ``4341.001221 EUR`` reads ``4,341 EUR``."""
    if x is None or not np.isfinite(x):
        return f"– {unit_}"
    if unit_ in ("MW", "MWh") and 0 < abs(x) < 0.1:
        return format_quantity(x * 1000, "kW" if unit_ == "MW" else "kWh")
    d = decimals_for([x], unit_ if unit_ in ("EUR", "EUR/MWh", "%", "MW", "MWh") else None)
    if unit_ in ("kW", "kWh"):
        d = 0 if abs(x) >= 100 else 1 if abs(x) >= 1 else 2
    return f"{format_value(float(x), d)} {unit_}"


# ---------------------------------------------------------------------------------------
# the table


def display_frame(frame: pd.DataFrame, *, columns: dict | None = None, sort_by: str | None = None,
                  key: str | None = None, ascending: bool = False) -> pd.DataFrame:  # fmt: skip
    """The frame as shown: a meaningful (named) index becomes the first column(s),
    columns renamed for people (``columns`` maps a raw name to a header, else
    :func:`column_label`), shares in percent, sorted by ``sort_by`` (raw name or
    header; ``key="abs"`` sorts by magnitude), all rows.

    Raises
    ------
    ValueError
        ``sort_by`` is not a column.
    """
    df = frame.copy()
    df.attrs = {}
    named = [n for n in (df.index.names or []) if n is not None]
    if named and not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index()
    else:
        df = df.reset_index(drop=True)
    df.columns = [str(c) for c in df.columns]
    for c in df.columns:
        if c in PERCENT:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float) * 100.0
    names = {c: (columns or {}).get(c) or column_label(c) for c in df.columns}
    if sort_by is not None:
        col = sort_by if sort_by in df.columns else next((c for c, n in names.items() if n == sort_by), None)
        if col is None:
            raise ValueError(f"Cannot sort by {sort_by!r}: the table has {', '.join(df.columns)}.")
        values = pd.to_numeric(df[col], errors="coerce") if df[col].dtype != object or key == "abs" else df[col]
        if key == "abs":
            values = values.abs()
        order = values.sort_values(ascending=ascending, kind="stable", na_position="last").index
        df = df.loc[order].reset_index(drop=True)
    return df.rename(columns=names)


@dataclass
class ReportTable:
    """A table ready for a report: the shown frame, its first ``limit`` rows in HTML and,
    once saved, the paths of its CSV and Parquet files.

    ``frame`` holds every row (the files' content); the HTML shows at most ``limit``.
    """

    frame: pd.DataFrame
    name: str
    title: str | None = None
    limit: int | None = 20
    note: str | None = None
    empty: str = "Nothing to show."
    order: str | None = None
    files: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame)

    def save(self, folder: str | Path, relative_to: str | Path | None = None) -> dict[str, str]:
        """Write ``<folder>/tables/<name>.csv`` and ``.parquet`` (every row, the shown
        headers, unrounded) and register them in ``tables/tables.json``; returns the
        paths relative to ``relative_to`` (default ``folder``: where the page is)."""
        folder = Path(folder)
        out = folder / TABLES_DIR
        out.mkdir(parents=True, exist_ok=True)
        csv, parquet = out / f"{self.name}.csv", out / f"{self.name}.parquet"
        self.frame.to_csv(csv, index=False)
        _to_parquet(self.frame, parquet)
        base = Path(relative_to) if relative_to else folder
        self.files = {"csv": str(csv.relative_to(base)), "parquet": str(parquet.relative_to(base))}
        manifest = out / MANIFEST
        entries = json.loads(manifest.read_text()) if manifest.exists() else {}
        entries[self.name] = {"title": self.title or self.name, "rows": len(self.frame),
                              "columns": list(self.frame.columns), **self.files}  # fmt: skip
        manifest.write_text(json.dumps(entries, indent=2))
        return self.files

    def to_html(self) -> str:
        """The table as HTML (first ``limit`` rows, a footer with the count and the file links)."""
        head = f"<p class='bvp-table-title'><b>{html.escape(self.title)}</b></p>" if self.title else ""
        if not len(self.frame):
            return f"{head}<p class='bvp-empty'>{html.escape(self.empty)}</p>"
        shown = self.frame if self.limit is None else self.frame.head(self.limit)
        decimals = table_decimals(self.frame)
        # a header sits over its column's values: right over numbers, left over text
        num = {c: " class='num'" if _numeric(self.frame[c]) else "" for c in shown.columns}
        th = "".join(f"<th{num[c]}>{html.escape(str(c))}</th>" for c in shown.columns)
        rows = []
        for _, r in shown.iterrows():
            tds = []
            for c in shown.columns:
                v = r[c]
                tds.append(f"<td{num[c]}>{html.escape(format_value(v, decimals[c]))}</td>")
            rows.append("<tr>" + "".join(tds) + "</tr>")
        foot = []
        if self.limit is not None and len(self.frame) > self.limit:
            foot.append(f"Showing {self.limit} of {len(self.frame):,d} rows" + (f", {self.order}" if self.order else "")
                        + ".")  # fmt: skip
        elif self.order:
            foot.append(f"{len(self.frame):,d} row(s), {self.order}.")
        if self.files:
            links = " · ".join(f"<a href='{html.escape(p)}'>{k.upper()}</a>" for k, p in self.files.items())
            foot.append(("All rows: " if self.limit is not None and len(self.frame) > self.limit else "Download: ")
                        + links)  # fmt: skip
        if self.note:
            foot.append(html.escape(self.note))
        footer = f"<p class='bvp-table-foot'>{' '.join(foot)}</p>" if foot else ""
        return (f"{head}<div class='bvp-table'><table><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}"
                f"</tbody></table></div>{footer}")  # fmt: skip

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:  # plain text (a terminal, a log): the shown rows without the index
        return f"{self.title or self.name}\n" + self.frame.head(self.limit or len(self.frame)).to_string(index=False)


def table_decimals(frame: pd.DataFrame) -> dict[str, int]:
    """Decimals per column (:func:`decimals_for`; counts, integer columns, none); money
    columns of one table share the fewest, so a row never mixes ``1,230`` and ``403.31`` EUR."""
    out = {c: (0 if pd.api.types.is_integer_dtype(frame[c]) else decimals_for(frame[c], unit_of_label(c)))
           if _numeric(frame[c]) else 2 for c in frame.columns}  # fmt: skip
    eur = [c for c in frame.columns if _numeric(frame[c]) and unit_of_label(c) == "EUR"]
    if eur:
        shared = min(out[c] for c in eur)
        out.update({c: shared for c in eur})
    return out


def _numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _to_parquet(frame: pd.DataFrame, path: Path) -> None:
    df = frame.copy()
    df.attrs = {}  # pandas writes attrs into the file's metadata as JSON: dates there would fail
    for c in df.columns:  # Parquet wants one type per column: mixed objects become text
        if df[c].dtype == object and not all(isinstance(v, str) or v is None for v in df[c]):
            df[c] = [format_value(v) if not isinstance(v, str) else v for v in df[c]]
    df.to_parquet(path, index=False)


def report_table(frame: pd.DataFrame, name: str, *, title: str | None = None, columns: dict | None = None,
                 sort_by: str | None = None, key: str | None = None, ascending: bool = False,
                 limit: int | None = 20, note: str | None = None, empty: str = "Nothing to show.",
                 folder: str | Path | None = None) -> ReportTable:  # fmt: skip
    """Format ``frame`` for a report (see the module docstring), saving it into
    ``folder`` when given.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw columns (``snake_case`` with unit suffixes) or headers already written for people.
    name : str
        File stem of the saved table (``value-per-asset`` → ``tables/value-per-asset.csv``).
    sort_by, key, ascending
        Sort rows by this column (raw name or header), by magnitude with ``key="abs"``,
        largest first unless ``ascending``.
    limit : int, optional
        Rows shown on the page (None: all); the files hold every row.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ValueError(f"Table name {name!r} cannot name a file: use letters, digits, '-', '_' and '.'.")
    shown = display_frame(frame, columns=columns, sort_by=sort_by, key=key, ascending=ascending)
    order = None
    if sort_by is not None:
        label = (columns or {}).get(sort_by) or column_label(sort_by)
        order = f"{'smallest' if ascending else 'largest'} {label}{' (magnitude)' if key == 'abs' else ''} first"
    t = ReportTable(shown, name, title, limit, note, empty, order)
    if folder:
        t.save(folder)
    return t


def field_table(items: Iterable[tuple[str, object]], name: str, *, title: str | None = None,
                folder: str | Path | None = None) -> ReportTable:  # fmt: skip
    """A two-column table of (field, value) pairs (provenance, run information) with
    values written for people: ``''`` → ``–``, ``[]`` → ``none``, ``True`` → ``yes``,
    lists joined, no text cut."""
    def text(v) -> str:
        if isinstance(v, str):
            return v or "–"
        if isinstance(v, (float, np.floating)) and math.isfinite(float(v)):
            return f"{float(v):,.6g}"  # as given: 10, 0.001, 1.5
        return format_value(v, 3)

    rows = [(str(k), text(v)) for k, v in items]
    t = ReportTable(pd.DataFrame(rows, columns=["item", "value"]), name, title, None)
    if folder:
        t.save(folder)
    return t


class Tables:
    """The tables of one report: each shown table is formatted and, when the report has
    a folder (``report_dir``, set by the report runner), saved beside its HTML.

    >>> tables = Tables(report_dir)                                            # doctest: +SKIP
    >>> tables.show(val.assets, "value-per-asset", sort_by="perfect_foresight_value_eur")  # doctest: +SKIP
    """

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else None
        self.shown: list[ReportTable] = []

    def show(self, frame: pd.DataFrame, name: str, **kwargs) -> ReportTable:
        """:func:`report_table` saved into the report's folder; display the result."""
        t = report_table(frame, name, folder=self.folder, **kwargs)
        self.shown.append(t)
        return t

    def fields(self, items: Iterable[tuple[str, object]], name: str, **kwargs) -> ReportTable:
        """:func:`field_table` saved into the report's folder."""
        t = field_table(items, name, folder=self.folder, **kwargs)
        self.shown.append(t)
        return t

    def files_html(self, notebook: str | None = None) -> str:
        """The list of the report's files (tables as CSV and Parquet, the executed notebook)."""
        items = []
        for t in self.shown:
            if t.files:
                links = ", ".join(f"<a href='{html.escape(p)}'>{k.upper()}</a>" for k, p in t.files.items())
                items.append(f"<li>{html.escape(t.title or t.name)} ({len(t):,d} rows): {links}</li>")
        if notebook and self.folder:
            items.append(f"<li>the executed notebook: <a href='{html.escape(notebook)}'>{html.escape(notebook)}</a> "
                         "(open it in JupyterLab to rerun or change a cell)</li>")  # fmt: skip
        if not items:
            return "<p>No files: this run has no report folder (run it with <code>bvp report</code>).</p>"
        return "<ul>" + "".join(items) + "</ul>"


def table_headers(html_text: str) -> list[str]:
    """Every ``<th>`` text of an HTML page (for checks)."""
    return [html.unescape(re.sub(r"<[^>]+>", "", h)).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", html_text, re.S)]


def read_manifest(folder: str | Path) -> dict:
    """The saved tables of a report folder (``tables/tables.json``), name → entry."""
    p = Path(folder) / TABLES_DIR / MANIFEST
    return json.loads(p.read_text()) if p.exists() else {}


def strategies_columns(strategies: Sequence[str]) -> list[str]:
    """The value columns of the strategies a report compares (``realised`` is the
    fixed day-ahead schedule; a later strategy ``s`` brings ``s_value_eur``)."""
    return [f"{s}_value_eur" for s in strategies]
