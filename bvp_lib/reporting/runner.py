"""Run a parameterised notebook with papermill and render it as self-contained HTML.

A run writes into a temporary folder next to its destination and moves it into place
only when the notebook ran and rendered: a failed run leaves the previous report as
it was, and keeps the executed notebook with the failing cell as
``<dest>.failed.ipynb`` for debugging. Runs for the same destination are serialised
with a lock file, so two reports for the same day started at once do not corrupt
each other (the second replaces the first).

The HTML hides code (``--report-mode``), embeds every image as base64, and loads no
script or stylesheet from the network.
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import json
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1,h2,h3{color:#123;margin-top:1.4em} table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right} th{background:#f2f4f7}
td:first-child,th:first-child{text-align:left} img{max-width:100%} pre{background:#f7f7f7;padding:.6em;overflow:auto}
.jp-InputArea,.jp-InputPrompt,.jp-OutputPrompt,.prompt{display:none}
.bvp-headline{display:flex;gap:1.5em;flex-wrap:wrap}.bvp-headline div{background:#eef3f8;padding:.8em 1.2em;border-radius:6px}
.bvp-headline b{display:block;font-size:1.6em}
.bvp-table th:not(.num),td:not(.num){text-align:left} td.num{font-variant-numeric:tabular-nums;white-space:nowrap} .bvp-table{overflow-x:auto;max-width:100%}
.bvp-table table{margin:0} .bvp-table-foot,.bvp-empty{font-size:.85em;color:#555;margin-top:.2em}
.bvp-nav{font-size:.9em;padding:.4em 0;border-bottom:1px solid #ddd;margin-bottom:1em}
.bvp-nav a{margin-right:1.2em} .bvp-scope{display:inline-block;background:#123;color:#fff;padding:.1em .6em;border-radius:4px;font-size:.8em;vertical-align:middle}
.bvp-read dt{font-weight:bold;margin-top:.5em} .bvp-read dd{margin-left:1.2em} .bvp-read code{background:#f2f4f7;padding:0 .2em}
.bvp-why li{margin:.3em 0} .bvp-explorer{color:#555;font-style:italic}
"""


class ReportError(RuntimeError):
    """A report run failed; the message names the step and where the failed notebook is."""

    user_facing = True  # the CLI prints the message without a traceback


@dataclass
class RunResult:
    folder: Path
    notebook: Path
    html: Path
    seconds: float
    parameters: dict = field(default_factory=dict)


def read_parameters(path: str | Path | None) -> dict:
    if path is None:
        return {}
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"Parameter file {p} does not exist.")
    data = yaml.safe_load(p.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"Parameter file {p} must hold a mapping of name: value.")
    return data


def notebook_parameters(notebook: str | Path) -> dict[str, dict]:
    """The names, types, defaults and help of a notebook's ``parameters`` cell (papermill)."""
    import papermill as pm

    return pm.inspect_notebook(str(notebook))


def _ipc_kernel_manager():
    """A kernel manager talking to its kernel over Unix sockets in the temp folder.

    The default TCP transport makes ipykernel warn on every run that it is unencrypted
    (on loopback), and two reports started at once race for ports; Unix sockets are
    private to this machine's user and need no ports.
    """
    import os
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    if os.name == "nt":  # no Unix sockets for ZeroMQ there
        return AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _transport_default(self):
            return "ipc"

        @default("ip")
        def _ip_default(self):
            return str(Path(tempfile.gettempdir()) / f"bvp-kernel-{uuid.uuid4().hex[:12]}")

    return IPCKernelManager


@contextlib.contextmanager
def _lock(path: Path):
    """An exclusive lock on ``path``, removed when released (nothing is left in reports/).

    A waiter may have opened the file just before its holder removed it; so after each
    ``flock`` it checks that ``path`` is still the file it locked, and else tries again.
    """
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        f = open(path, "a")
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            same = os.fstat(f.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        f.close()
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        fcntl.flock(f, fcntl.LOCK_UN)
        f.close()


def _failing_step(nb_path: Path) -> str:
    """Describe the failing cell: its step tag or first line, and the error."""
    import nbformat

    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception:
        return "unknown step"
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("step-")]
                step = tags[0][5:] if tags else (cell.source.strip().splitlines() or ["?"])[0][:80]
                text = str(out.get("evalue") or "").rstrip()
                end = "" if text.endswith((".", "!", "?")) else "."
                return f"step {step!r} (cell {i}): {out.get('ename')}: {text}{end}"
    return "unknown step."


#: [s] one step (cell) of a report may take at most this long; beyond it the kernel has stopped
#: answering (a lost reply), and the run fails with that said instead of waiting for ever
CELL_TIMEOUT = 3600
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "(an interactive explorer: open the notebook in JupyterLab to use it; the figures below are its answer)"


def _static_outputs(nb) -> None:
    """Widgets cannot run in a static page: each widget output becomes one short note
    instead of its ``VBox(children=...)`` text (and nothing else of it is shown)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            if WIDGET_MIME in data:
                out["data"] = {"text/html": f"<p class='bvp-explorer'>{WIDGET_NOTE}</p>"}


def nav_html(links: list[tuple[str, str]] | None) -> str:
    """The navigation bar of a report: (label, relative link) pairs."""
    if not links:
        return ""
    return "<nav class='bvp-nav'>" + "".join(
        f"<a href='{html.escape(href)}'>{html.escape(label)}</a>" for label, href in links) + "</nav>\n"  # fmt: skip


def render_html(nb_path: Path, title: str, nav: list[tuple[str, str]] | None = None) -> str:
    """Self-contained HTML of an executed notebook with the code hidden, headings without
    the "¶" anchor mark, widgets as a short note, and ``nav`` links on top."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(nb_path, as_version=4)
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True, anchor_link_text="")  # fmt: skip
    _static_outputs(nb)
    # papermill's parameter cells and hidden cells are not part of the report
    nb.cells = [
        c for c in nb.cells
        if not {"injected-parameters", "parameters", "remove-cell"} & set(c.get("metadata", {}).get("tags", []))
    ]  # fmt: skip
    body, _ = exporter.from_notebook_node(nb)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n{nav_html(nav)}{body}\n</body></html>\n"
    )


def _step_engine(report):
    """A papermill engine that calls ``report(line)`` once per finished ``step-*`` cell
    (``"  prepare … 1.2 s"``), so a long report is not silent."""
    from papermill.engines import NBClientEngine

    class StepEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            steps = [i for i, c in enumerate(nb_man.nb.cells) if _step_of(c)]
            started = {}
            start, complete = nb_man.cell_start, nb_man.cell_complete

            def cell_start(cell, cell_index=None, **kw):
                started[cell_index] = time.perf_counter()
                return start(cell, cell_index, **kw)

            def cell_complete(cell, cell_index=None, **kw):
                out = complete(cell, cell_index, **kw)
                step = _step_of(cell)
                if step and cell_index in started:
                    n = steps.index(cell_index) + 1 if cell_index in steps else 0
                    report(f"  [{n}/{len(steps)}] {step} {time.perf_counter() - started[cell_index]:.1f} s")
                return out

            nb_man.cell_start, nb_man.cell_complete = cell_start, cell_complete
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    return StepEngine


def _step_of(cell) -> str | None:
    tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("step-")]
    return tags[0][5:] if tags else None


def run_notebook(
    notebook: str | Path,
    dest: str | Path,
    parameters: dict,
    *,
    title: str = "BVP report",
    kernel_name: str | None = None,
    progress: bool = False,
    steps=None,
    nav: list[tuple[str, str]] | None = None,
    keep: tuple[str, ...] = (),
    lock: str | Path | None = None,
) -> RunResult:
    """Execute ``notebook`` with ``parameters`` into folder ``dest`` (``<dest>/<name>.ipynb``
    and ``<dest>/index.html``), atomically.

    Parameters
    ----------
    steps : callable, optional
        Called with one line of text per finished cell tagged ``step-<name>`` (the name
        and its seconds): the CLI prints them.
    nav : list of (label, href), optional
        Links on top of the page (the index of every report, the portfolio's report).
    keep : tuple of str
        Glob patterns of entries of an existing ``dest`` carried into the new one (a day's
        owner reports inside the portfolio's folder survive a new portfolio report).
    lock : path, optional
        The lock file serialising runs (default ``.<dest name>.lock`` beside ``dest``);
        reports that share a folder tree share one lock.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    notebook, dest = Path(notebook), Path(dest)
    if not notebook.exists():
        raise FileNotFoundError(f"Notebook {notebook} does not exist.")
    known = notebook_parameters(notebook)
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ValueError(
            f"Parameter(s) {unknown} are not in the parameters cell of {notebook.name}; it takes {sorted(known)}."
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    extra = {}
    if steps is not None:
        from papermill.engines import papermill_engines

        papermill_engines.register("bvp-steps", _step_engine(steps))
        extra["engine_name"] = "bvp-steps"
    with _lock(Path(lock) if lock else dest.parent / f".{dest.name}.lock"):
        tmp = dest.parent / f".tmp-{dest.name}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        out_nb = tmp / notebook.name
        if "report_dir" in known:
            # files the notebook writes for the report go into the folder that is moved into place
            parameters = {**parameters, "report_dir": str(tmp)}
        failed = dest.parent / f"{dest.name}.failed.ipynb"
        try:
            try:
                pm.execute_notebook(
                    str(notebook), str(out_nb), parameters=parameters, report_mode=True,
                    kernel_name=kernel_name, progress_bar=progress, cwd=str(notebook.parent),
                    kernel_manager_class=_ipc_kernel_manager(), execution_timeout=CELL_TIMEOUT, **extra,
                )  # fmt: skip
            except (CellTimeoutError, DeadKernelError) as e:
                if out_nb.exists():
                    shutil.copy(out_nb, failed)
                raise ReportError(
                    f"{notebook.name}: the kernel stopped answering ({type(e).__name__}: no reply within "
                    f"{CELL_TIMEOUT} s for one step); run the report again. The previous report in {dest} (if any) "
                    "is unchanged."
                ) from None
            except pm.PapermillExecutionError:
                shutil.copy(out_nb, failed)
                raise ReportError(
                    f"{notebook.name} failed at {_failing_step(out_nb)} The executed notebook is kept as {failed}; "
                    f"the previous report in {dest} (if any) is unchanged."
                ) from None
            (tmp / "index.html").write_text(render_html(out_nb, title, nav))
            (tmp / "parameters.json").write_text(
                json.dumps({k: v for k, v in parameters.items() if k != "report_dir"}, indent=2, default=str)
            )
            # swap into place: the old folder is moved aside first, what it should keep carried over, then removed
            old = None
            if dest.exists():
                old = dest.parent / f".old-{dest.name}-{uuid.uuid4().hex[:8]}"
                dest.rename(old)
            tmp.rename(dest)
            if old is not None:
                for pattern in keep:
                    for child in old.glob(pattern):
                        if not (dest / child.name).exists():
                            child.rename(dest / child.name)
                shutil.rmtree(old, ignore_errors=True)
            failed.unlink(missing_ok=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return RunResult(dest, dest / notebook.name, dest / "index.html", time.perf_counter() - t, parameters)
