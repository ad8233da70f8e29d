"""The data browser: any asset, market or weather sensor over a period, one column per
data source, with summary statistics; :func:`export_csv` writes what is shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bvp_lib.beliefs import load_beliefs
from bvp_lib.db.catalogue import Catalogue
from bvp_lib.db.catalogue import catalogue as read_catalogue
from bvp_lib.market.clock import market_timezone
from bvp_lib.reporting.figures.explore import series_figure
from bvp_lib.timing import day_bounds
from bvp_lib.widgets.common import DEFAULT_EXPORT_DIR, Bind, View, detach, error_message, parse_day

def list_sensors(*, bind: Bind = None, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Every sensor the data browser can show, from the catalogue.

    Returns
    -------
    pandas.DataFrame
        Indexed by sensor name: ``kind`` (asset, market, weather), ``owner`` (asset type,
        market or weather type), ``quantity``, ``unit``, ``resolution`` (Timedelta),
        ``label`` (for a drop-down). Ordered by kind and name.
    """
    s = read_catalogue(bind, catalogue).sensors
    df = pd.DataFrame({
        "kind": s["kind"],
        "owner": s["asset_type"].where(s["asset_type"].notna(), s["market"].where(s["market"].notna(),
                                                                                s["weather_type"])).fillna(""),
        "quantity": s["quantity"], "unit": s["unit"], "resolution": s["resolution"],
    })  # fmt: skip
    df = df.sort_values(["kind"], kind="stable")
    df.index.name = "name"
    df["label"] = [f"{k}: {n} [{u}]" for n, k, u in zip(df.index, df["kind"], df["unit"])]
    return df


@dataclass(frozen=True)
class BrowseInputs:
    """What the data browser shows.

    Attributes
    ----------
    sensor : str
        An asset's, market's or weather sensor's name (:func:`list_sensors`).
    start, end : date or str
        First and last local day (inclusive), ``YYYY-MM-DD``.
    source_types : tuple of str
        Data source types to show, one column per source (most recent belief per event):
        ``measurement`` and ``user import`` by default; add ``forecaster`` or
        ``scheduler`` to see stored forecasts and schedules.
    """

    sensor: str = "epex_da"
    start: dt.date | str = "2015-04-11"
    end: dt.date | str = "2015-04-14"
    source_types: tuple[str, ...] = ("measurement", "user import")

    def replace(self, **changes) -> BrowseInputs:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass
class BrowseView(View):
    """The data browser's answer.

    Attributes
    ----------
    inputs : BrowseInputs
    frame : pandas.DataFrame or None
        Index ``event_start`` (UTC); one column per data source [unit].
    stats : pandas.DataFrame or None
        Summary statistics per column (:func:`summary_statistics`).
    unit : str
    resolution : pandas.Timedelta or None
    """

    inputs: BrowseInputs | None = None
    frame: pd.DataFrame | None = None
    stats: pd.DataFrame | None = None
    unit: str = ""
    resolution: pd.Timedelta | None = None


def load_frame(state: BrowseInputs, *, bind: Bind = None) -> tuple[pd.DataFrame, str, pd.Timedelta]:
    """The shown frame of a sensor and period: one column per data source.

    Returns
    -------
    frame : pandas.DataFrame
        Index ``event_start`` (UTC, every step of the period; NaN where nothing is
        stored); columns named ``<sensor> [<unit>]`` (one source) or
        ``<sensor> [<unit>] <source>``.
    unit : str
    resolution : pandas.Timedelta

    Raises
    ------
    ValueError
        Unknown sensor, end before start, nothing stored in the period.
    """
    if not str(state.sensor or "").strip():
        raise ValueError("pick a sensor")
    first, last = parse_day(state.start, "start day"), parse_day(state.end, "end day")
    if last < first:
        raise ValueError(f"the end day {last} is before the start day {first}")
    tz = market_timezone()
    start, _ = day_bounds(first, tz)
    _, end = day_bounds(last, tz)
    sensors = list_sensors(bind=bind)
    if state.sensor not in sensors.index:
        from bvp_lib.db.catalogue import unknown_names

        raise ValueError(unknown_names("sensor", [state.sensor], list(sensors.index), ""))
    unit, res = sensors.loc[state.sensor, "unit"], sensors.loc[state.sensor, "resolution"]
    df = load_beliefs(state.sensor, start, end, source_types=list(state.source_types) or None, most_recent=True,
                      bind=bind)  # fmt: skip
    if df.empty:
        raise ValueError(f"nothing stored for {state.sensor} from {first} to {last} "
                         f"(source types {', '.join(state.source_types)})")  # fmt: skip
    wide = df.pivot_table(index="event_start", columns="source", values="value", aggfunc="last")
    srcs = list(wide.columns)
    wide.columns = [f"{state.sensor} [{unit}]" + (f" {s}" if len(srcs) > 1 else "") for s in srcs]
    grid = pd.date_range(start, end, freq=res, inclusive="left", name="event_start")
    return wide.reindex(grid), str(unit), pd.Timedelta(res)


def summary_statistics(frame: pd.DataFrame, *, unit: str, resolution: pd.Timedelta) -> pd.DataFrame:
    """Summary statistics per column of a shown frame.

    Rows: ``steps`` (with data), ``coverage [-]`` (share of the period's steps),
    ``mean``, ``std``, ``min``, ``max`` [unit], ``min at``/``max at`` (UTC), and for power
    ``energy [MWh]`` = Σ P × Δt (net: production positive) — for energy sensors the
    ``total [MWh]``; for prices ``negative steps``.
    """
    h = pd.Timedelta(resolution) / pd.Timedelta("1h")
    out = {}
    for c in frame.columns:
        s = frame[c].dropna()
        col: dict[str, Any] = {
            "steps": int(len(s)),
            "coverage [-]": round(len(s) / len(frame), 4) if len(frame) else float("nan"),
            f"mean [{unit}]": s.mean(),
            f"std [{unit}]": s.std(),
            f"min [{unit}]": s.min(),
            f"max [{unit}]": s.max(),
            "min at [UTC]": s.idxmin() if len(s) else None,
            "max at [UTC]": s.idxmax() if len(s) else None,
        }
        if unit == "MW":
            col["energy [MWh]"] = float(s.sum() * h)
        elif unit == "MWh":
            col["total [MWh]"] = float(s.sum())
        elif "EUR" in unit:
            col["negative steps"] = int((s < 0).sum())
        out[c] = col
    return pd.DataFrame(out)


def browse_data(state: BrowseInputs, *, bind: Bind = None, figures: bool = True) -> BrowseView:
    """A sensor over a period with summary statistics (the data browser's callback).

    Returns
    -------
    BrowseView
        ``frame`` (what :func:`export_csv` writes), ``stats`` and the figure
        ``"series"``; ``message`` set instead for bad input or an empty period.
    """
    view = BrowseView(inputs=state)
    t0 = time.perf_counter()
    try:
        frame, unit, res = load_frame(state, bind=bind)
    except Exception as err:  # noqa: BLE001
        view.message = error_message(err)
        view.timings["total"] = time.perf_counter() - t0
        return view
    view.timings["load"] = time.perf_counter() - t0
    view.frame, view.unit, view.resolution = frame, unit, res
    view.stats = summary_statistics(frame, unit=unit, resolution=res)
    if frame.isna().any().any():
        view.notes.append(f"{int(frame.isna().any(axis=1).sum())} of {len(frame)} steps hold no value")
    if figures:
        t1 = time.perf_counter()
        view.figures = {"series": detach(series_figure(frame, sensor=state.sensor, unit=unit, tz=market_timezone()))}
        view.timings["figures"] = time.perf_counter() - t1
    view.timings["total"] = time.perf_counter() - t0
    return view


def export_path(state: BrowseInputs, folder: str | Path = DEFAULT_EXPORT_DIR) -> Path:
    """Where :func:`export_csv` writes a view: ``<folder>/<sensor>_<start>_<end>.csv``.

    A relative ``folder`` is taken from the project root (``reports/exports`` by
    default). The name comes from the inputs only, so exporting again replaces the file.
    """
    from bvp_lib.config import get_settings

    p = Path(folder).expanduser()
    if not p.is_absolute():
        p = get_settings().root / p
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", str(state.sensor))
    return p / f"{safe}_{parse_day(state.start, 'start day')}_{parse_day(state.end, 'end day')}.csv"


def export_csv(view: BrowseView, folder: str | Path = DEFAULT_EXPORT_DIR) -> Path:
    """Write the shown frame to CSV and return the path.

    Columns: ``event_start`` (UTC, ISO 8601) and one column per data source [unit]
    (empty where no value is stored). The file name comes from the view's inputs
    (:func:`export_path`); the folder is created if needed.

    Raises
    ------
    ValueError
        The view holds no frame (it has a message instead).
    """
    if view.frame is None or view.inputs is None:
        raise ValueError(f"nothing to export: {view.message or 'no data shown'}")
    path = export_path(view.inputs, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    view.frame.to_csv(tmp, index_label="event_start", date_format="%Y-%m-%dT%H:%M:%S%z")
    tmp.replace(path)
    return path
