"""The environment is locked: requirements.lock pins every package (with hashes) inside
pyproject.toml's ranges, environment.yml installs that same file, and the running
environment is the locked one (when ``make setup`` built it)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from bvp_lib.environment import LOCK_FILE, lock_state, normalise_name, read_lock

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / LOCK_FILE


def project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]


def test_lock_satisfies_pyproject_ranges():
    pins = read_lock(LOCK)
    assert len(pins) > 100  # the whole environment, not only the direct dependencies
    for req in project_requirements():
        name = normalise_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in {LOCK_FILE}: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{LOCK_FILE} pins {req.name}=={pins[name]}, outside pyproject.toml's {req.specifier}: run `make lock`"
        )
        for extra in req.extras:  # dask[distributed] needs distributed locked too
            assert normalise_name(extra) in pins, f"{req.name}[{extra}] is not locked"


def test_every_pin_has_hashes_and_the_lock_is_made_by_make_lock():
    text = LOCK.read_text()
    assert "make lock" in text.splitlines()[1]
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    pinned = [b for b in blocks if "==" in b.splitlines()[0]]
    assert pinned and all("--hash=sha256:" in b for b in pinned), "every pin needs its hashes (--generate-hashes)"
    make = (ROOT / "Makefile").read_text()
    assert "--generate-hashes" in make and "--require-hashes -r $(LOCK)" in make and "--no-deps -e ." in make


def test_environment_yml_installs_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == [f"-r {LOCK_FILE}"], "conda's pip section must install exactly the lock, nothing else"


def test_lock_state_names_what_differs(tmp_path):
    import pytest as pt

    fake = tmp_path / LOCK_FILE
    fake.write_text(f"pytest=={pt.__version__} \\\n    --hash=sha256:00\nnot-installed-package==1.0 \\\n"
                    "    --hash=sha256:00\nnumpy==0.0.1 \\\n    --hash=sha256:00\n")
    st = lock_state(fake)
    assert not st.matches and st.missing == ["not-installed-package"] and set(st.differs) == {"numpy"}
    assert "DIFFERS in 2 of 3" in str(st) and "numpy" in str(st) and "not-installed-package missing" in str(st)
    fake.write_text(f"pytest=={pt.__version__} \\\n    --hash=sha256:00\n")
    assert lock_state(fake).matches and "matches (1 packages)" in str(lock_state(fake))


def test_installed_environment_is_the_locked_one():
    stamp = ROOT / ".venv" / ".installed"
    if not stamp.exists() or stamp.read_text().strip() != "locked":
        pytest.skip("not a venv built by `make setup` from the lock (LOCKED=0 or another environment)")
    st = lock_state(LOCK)
    assert st.matches, str(st)


@pytest.mark.parametrize("goals", [["report"], ["setup"], ["setup", "report"], ["report", "DATE=2015-04-12"], ["test"]])
def test_the_make_targets_run_valid_shell(goals):
    """What `make` would run for README's two commands (and `make setup`) is valid shell:
    `make -n` prints it without running it, `bash -n` parses it. (A comma inside a make
    function once split an echo's quotes, and `make report` failed after the setup.)"""
    import shutil
    import subprocess

    if not shutil.which("make"):
        pytest.skip("no make on this machine")
    out = subprocess.run(["make", "-n", *goals], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    sh = subprocess.run(["bash", "-n"], input=out.stdout, capture_output=True, text=True, timeout=60)
    assert sh.returncode == 0, f"`make {' '.join(goals)}` would run invalid shell:\n{sh.stderr}\n{out.stdout}"
