"""The daily report: papermill runs ``notebooks/daily-report.ipynb`` once per day into
``reports/<day>/`` (executed notebook + ``index.html``), then refreshes
``reports/index.html``.
"""

from __future__ import annotations

from pathlib import Path


from bvp_lib.db.catalogue import last_complete_day
from bvp_lib.reporting.index import build_index
from bvp_lib.reporting.runner import RunResult, read_parameters, run_notebook
from bvp_lib.timing import days_between

NOTEBOOK = "daily-report.ipynb"


def notebook_path() -> Path:
    from bvp_lib.config import get_settings

    return get_settings().root / "notebooks" / NOTEBOOK


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
    days = days_between(first, last or first, first_name="--date")
    results = []
    for day in tqdm(days, desc="daily reports", unit="day", disable=not progress or len(days) == 1):
        p = {**params, "day": day.isoformat()}
        results.append(run_notebook(notebook_path(), reports_dir / day.isoformat(), p,
                                    title=f"BVP daily report {day.isoformat()}"))
    build_index(reports_dir)
    return results
