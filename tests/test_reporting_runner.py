"""The papermill runner: atomic report folders, self-contained HTML, failures kept for debugging."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from bvp_lib.reporting.index import build_index
from bvp_lib.reporting.runner import ReportError, run_notebook

NB = Path(__file__).parent / "notebooks" / "tiny-report.ipynb"


def assert_self_contained(text: str) -> None:
    assert not re.search(r"<script[^>]+src=", text, re.I), "a script is loaded from elsewhere"
    assert not re.search(r"<link[^>]+href=['\"]?https?:", text, re.I), "a stylesheet is loaded from the network"
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", text, re.I), "something is fetched from the network"


def test_run_renders_self_contained_html_with_code_hidden(tmp_path):
    dest = tmp_path / "2015-04-12"
    res = run_notebook(NB, dest, {"x": 3.0}, title="t")
    assert (dest / "headline.json").read_text().strip().endswith("}")  # written by the notebook, moved into place
    text = res.html.read_text()
    assert "data:image/png;base64," in text  # the figure is embedded
    assert "raise ValueError" not in text and "2 * x" not in text  # code hidden
    assert_self_contained(text)
    assert res.notebook.exists() and (dest / "parameters.json").exists()
    assert not list(tmp_path.glob(".tmp-*"))


def test_failed_run_keeps_previous_report_and_failed_notebook(tmp_path):
    dest = tmp_path / "day"
    run_notebook(NB, dest, {"x": 1.0})
    before = (dest / "index.html").read_text()
    with pytest.raises(ReportError, match="step 'compute' \\(cell \\d+\\): ValueError: asked to fail") as e:
        run_notebook(NB, dest, {"fail": True})
    assert "day.failed.ipynb" in str(e.value)
    assert (tmp_path / "day.failed.ipynb").exists()
    assert (dest / "index.html").read_text() == before
    assert not list(tmp_path.glob(".tmp-*"))
    run_notebook(NB, dest, {"x": 1.0})
    assert not (tmp_path / "day.failed.ipynb").exists()


def test_unknown_parameter_refused(tmp_path):
    with pytest.raises(ValueError, match="'y'.*not in the parameters cell"):
        run_notebook(NB, tmp_path / "d", {"y": 1})


def test_concurrent_runs_for_one_day_do_not_corrupt(tmp_path):
    dest = tmp_path / "same-day"
    errors = []

    def go(x):
        try:
            run_notebook(NB, dest, {"x": x})
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=go, args=(float(i),)) for i in (1, 2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    assert (dest / "index.html").exists() and (dest / "tiny-report.ipynb").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["same-day"]


def test_index_lists_reports_with_headline(tmp_path):
    from bvp_lib.reporting.index import write_headline

    for day, v in (("2015-04-12", 10.5), ("2015-04-13", -2.0)):
        (tmp_path / day).mkdir()
        (tmp_path / day / "index.html").write_text("<html></html>")
        write_headline(tmp_path / day, {"portfolio value [EUR]": v})
    text = build_index(tmp_path).read_text()
    assert text.index("2015-04-13") < text.index("2015-04-12")
    assert "10.50" in text and "portfolio value [EUR]" in text
    assert_self_contained(text)
