"""The locked environment: which package versions a run used, and whether they are the
ones in ``requirements.lock``.

``requirements.lock`` (made by ``make lock``: ``uv pip compile pyproject.toml --extra dev
--generate-hashes`` for Linux x86_64, CPython 3.11) pins every package of the
environment to one version and the hashes of its files. ``make setup`` installs exactly
that set (``pip install --require-hashes -r requirements.lock``, then the project with
``--no-deps``), and ``environment.yml`` hands the same file to conda's pip, so a conda
user and a venv user run identical versions, and a study can be rerun a year later.

:func:`lock_state` compares the installed distributions with the lock; provenance
records :func:`lock_summary` (the lock file's hash and whether it matched), ``bvp
config`` prints it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

LOCK_FILE = "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.M)


def normalise_name(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_path(root: Path | None = None) -> Path:
    if root is None:
        from bvp_lib.config import project_root

        root = project_root()
    return Path(root) / LOCK_FILE


def read_lock(path: Path) -> dict[str, str]:
    """``{normalised name: version}`` of every pin in a requirements file made by uv or pip-compile."""
    return {normalise_name(n): v for n, v in _PIN.findall(path.read_text())}


def lock_hash(path: Path) -> str:
    """sha256 of the lock file's bytes (hex)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class LockState:
    """How the installed environment compares with the lock."""

    path: Path
    exists: bool
    sha256: str | None = None
    pinned: int = 0
    differs: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (installed, locked)
    missing: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.exists and not self.differs and not self.missing

    def __str__(self) -> str:
        if not self.exists:
            return f"no lock file ({self.path.name} not found): versions not pinned"
        head = f"{self.path.name} sha256:{self.sha256[:16]}"
        if self.matches:
            return f"{head}, installed environment matches ({self.pinned} packages)"
        parts = [f"{n} {i} (lock {v})" for n, (i, v) in sorted(self.differs.items())[:5]]
        parts += [f"{n} missing" for n in self.missing[:5]]
        more = len(self.differs) + len(self.missing) - len(parts)
        return (f"{head}, installed environment DIFFERS in {len(self.differs) + len(self.missing)} of "
                f"{self.pinned} packages: {', '.join(parts)}{f' and {more} more' if more > 0 else ''} "
                "(`make setup` installs the locked set)")


def installed_versions() -> dict[str, str]:
    """``{normalised name: version}`` of the distributions importable here."""
    out: dict[str, str] = {}
    for d in metadata.distributions():
        name = d.metadata["Name"] if d.metadata else None
        if name:
            out.setdefault(normalise_name(name), d.version)
    return out


def lock_state(path: Path | None = None) -> LockState:
    """Compare the installed distributions with the pins of ``path`` (default the project's lock)."""
    path = path or lock_path()
    if not path.exists():
        return LockState(path, False)
    pins = read_lock(path)
    have = installed_versions()
    differs = {n: (have[n], v) for n, v in pins.items() if n in have and have[n] != v}
    missing = sorted(n for n in pins if n not in have)
    return LockState(path, True, lock_hash(path), len(pins), differs, missing)


def code_version() -> str:
    """``bvp_lib`` version and the lock file's short hash, e.g. ``0.1.0 lock 4f645fd0e97a``
    (stored with each backtest run; at most 80 characters)."""
    import bvp_lib

    st = lock_state()
    lock = f"lock {st.sha256[:12]}{'' if st.matches else ' (env differs)'}" if st.exists else "no lock"
    return f"{bvp_lib.__version__} {lock}"[:80]


def lock_summary() -> str:
    """One line for provenance and ``bvp config``: the lock's hash and whether it matched."""
    return str(lock_state())
