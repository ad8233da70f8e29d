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
                return f"step {step!r} (cell {i}): {out.get('ename')}: {out.get('evalue')}"
    return "unknown step"


def render_html(nb_path: Path, title: str) -> str:
    """Self-contained HTML of an executed notebook with the code hidden."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(nb_path, as_version=4)
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)  # fmt: skip
    # papermill's parameter cells and hidden cells are not part of the report
    nb.cells = [
        c for c in nb.cells
        if not {"injected-parameters", "parameters", "remove-cell"} & set(c.get("metadata", {}).get("tags", []))
    ]  # fmt: skip
    body, _ = exporter.from_notebook_node(nb)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def run_notebook(
    notebook: str | Path,
    dest: str | Path,
    parameters: dict,
    *,
    title: str = "BVP report",
    kernel_name: str | None = None,
    progress: bool = False,
) -> RunResult:
    """Execute ``notebook`` with ``parameters`` into folder ``dest`` (``<dest>/<name>.ipynb``
    and ``<dest>/index.html``), atomically."""
    import papermill as pm

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
    with _lock(dest.parent / f".{dest.name}.lock"):
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
                    kernel_manager_class=_ipc_kernel_manager(),
                )  # fmt: skip
            except pm.PapermillExecutionError:
                shutil.copy(out_nb, failed)
                raise ReportError(
                    f"{notebook.name} failed at {_failing_step(out_nb)}. The executed notebook is kept as {failed}; "
                    f"the previous report in {dest} (if any) is unchanged."
                ) from None
            (tmp / "index.html").write_text(render_html(out_nb, title))
            (tmp / "parameters.json").write_text(
                json.dumps({k: v for k, v in parameters.items() if k != "report_dir"}, indent=2, default=str)
            )
            # swap into place: the old folder is moved aside first, then removed
            old = None
            if dest.exists():
                old = dest.parent / f".old-{dest.name}-{uuid.uuid4().hex[:8]}"
                dest.rename(old)
            tmp.rename(dest)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
            failed.unlink(missing_ok=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return RunResult(dest, dest / notebook.name, dest / "index.html", time.perf_counter() - t, parameters)
