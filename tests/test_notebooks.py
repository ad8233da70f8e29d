"""Every notebook runs: once under papermill per parameter file, and all under nbval-lax.

The notebooks run in their own kernels against this test session's database, loaded
with the small data set (4 assets, 11-14 April 2015) plus six weeks of history for
those assets, so forecasts have a training window.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import papermill as pm
import pytest
import yaml

from tests.conftest import truncate_all

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# files in parameters/ that configure bvp_lib rather than a notebook (sweep files: bvp sweep -f;
# parameters/sweeps/ is not globbed)
CONFIG_FILES = {"forecasting.yaml", "sweep.yaml"}
CELL_TIMEOUT = 600  # [s] per cell: the slowest cell takes about a minute on 2 cores
SMALL_ASSETS = ["solar-havel-01", "wind-flaeming-01", "building-havel-rathaus-01", "battery-havel-01"]


@pytest.fixture(scope="module")
def small_db(db_engine):
    from bvp_lib.data.populate import populate

    truncate_all(db_engine)
    populate(structure=True, data=True, small=True, bind=db_engine, progress=False)
    populate(structure=False, data=True, asset=SMALL_ASSETS, start="2015-03-01", end="2015-04-14",
             bind=db_engine, progress=False)
    return db_engine


def parameter_files():
    return sorted(p for p in (ROOT / "parameters").glob("*.yaml") if p.name not in CONFIG_FILES)


def test_every_parameter_file_belongs_to_a_notebook():
    names = {nb.stem for nb in NOTEBOOKS}
    for p in parameter_files():
        assert p.stem in names, f"{p.name} has no notebook notebooks/{p.stem}.ipynb"


@pytest.mark.parametrize("pfile", parameter_files(), ids=lambda p: p.name)
def test_parameter_file_keys_are_notebook_parameters(pfile):
    nb = ROOT / "notebooks" / f"{pfile.stem}.ipynb"
    known = set(pm.inspect_notebook(str(nb)))
    keys = set(yaml.safe_load(pfile.read_text()) or {})
    assert keys <= known, f"{pfile.name}: {sorted(keys - known)} are not in the parameters cell of {nb.name}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_stripped_and_have_one_parameters_cell(nb):
    import nbformat

    book = nbformat.read(nb, as_version=4)
    tagged = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{nb.name} needs exactly one cell tagged 'parameters'"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in book.cells if c.cell_type == "code"), \
        f"{nb.name} carries outputs: run `make strip`"


@pytest.mark.slow
@pytest.mark.parametrize("pfile", parameter_files(), ids=lambda p: p.name)
def test_papermill_runs_each_parameter_file(small_db, pfile, tmp_path):
    nb = ROOT / "notebooks" / f"{pfile.stem}.ipynb"
    params = yaml.safe_load(pfile.read_text()) or {}
    if "report_dir" in pm.inspect_notebook(str(nb)):
        params["report_dir"] = str(tmp_path / "report")
    from bvp_lib.reporting.runner import _ipc_kernel_manager

    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    # Unix-socket kernels: TCP kernels of parallel test runs on one machine race for ports (a hung run).
    # A cell has CELL_TIMEOUT; once, on a loaded machine, a kernel finished a cell and papermill never
    # heard back (both idle for 12 minutes): such a lost reply is retried once, a second one fails.
    for attempt in (1, 2):
        try:
            pm.execute_notebook(str(nb), str(tmp_path / nb.name), parameters=params, cwd=str(nb.parent),
                                progress_bar=False, kernel_name="python3", kernel_manager_class=_ipc_kernel_manager(),
                                execution_timeout=CELL_TIMEOUT)  # fmt: skip
            break
        except (CellTimeoutError, DeadKernelError):
            if attempt == 2:
                raise


@pytest.mark.slow
def test_nbval_lax_on_every_notebook(small_db):
    assert NOTEBOOKS, "no notebooks found"
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q", *map(str, NOTEBOOKS)],
        cwd=ROOT / "notebooks", env=dict(os.environ), capture_output=True, text=True, timeout=1200,
    )
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
