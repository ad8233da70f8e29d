"""The daily report: papermill runs ``notebooks/daily-report.ipynb`` once per day into
``reports/<day>/`` (executed notebook + ``index.html``), then refreshes
``reports/index.html``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from bvp_lib.reporting.index import build_index
from bvp_lib.reporting.runner import RunResult, read_parameters, run_notebook
from bvp_lib.timing import as_date

NOTEBOOK = "daily-report.ipynb"


def notebook_path() -> Path:
    from bvp_lib.config import get_settings

    return get_settings().root / "notebooks" / NOTEBOOK


def last_complete_day(bind=None, tz: str | None = None) -> dt.date:
    """The last local day for which the day-ahead price and every asset series with data
    are complete (their last stored step ends at or after that day's end)."""
    import sqlalchemy as sa

    from bvp_lib.db.engine import transaction
    from bvp_lib.config import get_settings

    tz = tz or get_settings().timezone
    with transaction(bind) as c:
        rows = c.execute(sa.text(
            "SELECT s.name, max(b.event_start + s.event_resolution) AS last_end FROM sensors s "
            "JOIN timed_beliefs b ON b.sensor_id = s.id JOIN data_sources d ON d.id = b.source_id "
            "WHERE (s.asset_id IS NOT NULL OR s.market_id IS NOT NULL) AND d.type <> 'scheduler' AND d.type <> 'forecaster' "
            "GROUP BY s.name")).all()  # fmt: skip
    if not rows:
        raise ValueError("The database holds no asset or price data: run `bvp db populate --structure --data` first.")
    end = min(pd.Timestamp(r.last_end) for r in rows).tz_convert(tz)
    # data ending at local midnight of day X, or during day X, completes day X - 1 last
    return end.date() - dt.timedelta(days=1)


def days_between(first, last) -> list[dt.date]:
    a, b = as_date(first), as_date(last)
    if b < a:
        raise ValueError(f"--to {b} is before --date {a}.")
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def run_reports(
    first=None,
    last=None,
    *,
    parameters_file: str | Path | None = None,
    overrides: dict | None = None,
    reports_dir: str | Path | None = None,
    progress: bool = True,
) -> list[RunResult]:
    """Run the daily report for each local day in ``[first, last]`` (default: the last
    complete day), one folder per day, and rebuild ``reports/index.html``."""
    from tqdm.auto import tqdm

    from bvp_lib.config import get_settings

    settings = get_settings()
    reports_dir = Path(reports_dir) if reports_dir else settings.reports_path
    params = read_parameters(parameters_file or settings.root / "parameters" / "daily-report.yaml")
    params.update(overrides or {})
    if first is None:
        first = params.get("day") or last_complete_day()
    days = days_between(first, last or first)
    results = []
    for day in tqdm(days, desc="daily reports", unit="day", disable=not progress or len(days) == 1):
        p = {**params, "day": day.isoformat()}
        results.append(run_notebook(notebook_path(), reports_dir / day.isoformat(), p,
                                    title=f"BVP daily report {day.isoformat()}"))
    build_index(reports_dir)
    return results
