"""Engine and sessions: one place that turns settings into a database connection.

``BVP_DATABASE_URL`` (or ``SQLALCHEMY_DATABASE_URI``) points at an existing PostgreSQL;
without it the embedded server (:mod:`bvp_lib.db.embedded`) is started on first use and
the database ``database_name`` (default ``bvp``) is created on it if missing. Every
connection runs with ``TimeZone=UTC``: timestamps are stored as ``timestamptz`` in UTC.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bvp_lib.config import ConfigError, Settings, get_settings, mask_url  # noqa: F401 - mask_url re-exported

_ENGINES: dict[str, Engine] = {}


def _normalise(url: str) -> str:
    # accept the common spellings users paste (postgres://, postgresql://)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://"):]
    from bvp_lib.redact import secret_spans

    for a, b in secret_spans(url):
        if "@" in url[a:b] and "://" in url:
            raise ConfigError(
                f"The password in BVP_DATABASE_URL={mask_url(url)} holds an unencoded '@': "
                "percent-encode it as %40 (p%40ss for p@ss), or pass the password in PGPASSWORD "
                "or in a password= query parameter."
            )
    try:
        u = make_url(url)
    except Exception:  # noqa: BLE001 - the message would repeat the URL with its password
        raise ConfigError(f"BVP_DATABASE_URL={mask_url(url)} is not a database URL "
                          "(for example postgresql://user:password@host:5432/bvp).") from None
    if u.get_backend_name() != "postgresql":
        raise ConfigError(
            f"BVP_DATABASE_URL={mask_url(url)} is not a PostgreSQL URL; BVP needs PostgreSQL "
            "(for example postgresql://user:password@host:5432/bvp)."
        )
    return url


def server_url(settings: Settings | None = None) -> str:
    """URL of the server's maintenance database (used to create or drop databases)."""
    settings = settings or get_settings()
    if settings.uses_embedded_server:
        from bvp_lib.db import embedded

        return _normalise(embedded.start(settings))
    return str(make_url(_normalise(settings.database_url)).set(database="postgres").render_as_string(hide_password=False))


def database_url(settings: Settings | None = None, *, create: bool = True) -> str:
    """The SQLAlchemy URL of the project database, starting the embedded server if needed."""
    settings = settings or get_settings()
    if not settings.uses_embedded_server:
        return _normalise(settings.database_url)
    base = make_url(server_url(settings))
    url = base.set(database=settings.database_name).render_as_string(hide_password=False)
    if create:
        ensure_database(base.render_as_string(hide_password=False), settings.database_name)
    return url


def ensure_database(maintenance_url: str, name: str) -> bool:
    """Create database ``name`` if it does not exist; return True if it was created."""
    eng = sa.create_engine(maintenance_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as c:
            exists = c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                c.execute(sa.text(f'CREATE DATABASE "{name}"'))
                return True
    finally:
        eng.dispose()
    return False


def drop_database(maintenance_url: str, name: str) -> None:
    eng = sa.create_engine(maintenance_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        eng.dispose()


def get_engine(settings: Settings | None = None, url: str | None = None) -> Engine:
    """A cached engine for the project database (or ``url``)."""
    url = url or database_url(settings)
    eng = _ENGINES.get(url)
    if eng is None:
        eng = sa.create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"options": "-c timezone=UTC"},
        )
        _ENGINES[url] = eng
    return eng


def dispose_engines() -> None:
    for eng in _ENGINES.values():
        eng.dispose()
    _ENGINES.clear()


@contextlib.contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    engine = engine or get_engine()
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def transaction(bind=None, *, keep: bool = True, savepoint: bool = False):
    """Where a function reads and writes: the one transaction helper of bvp_lib.

    * ``bind`` a Connection: the caller's connection, inside the caller's transaction.
      With ``savepoint=True`` (or ``keep=False``) the block runs in a savepoint, so an
      error inside it (or a dry run) undoes only the block and the caller's transaction
      goes on.
    * ``bind`` an Engine (default: the configured engine): a new transaction, committed
      when the block ends and rolled back on an error.
    * ``keep=False``: a dry run; everything the block wrote is rolled back at its end.

    Every ``bind=`` argument of bvp_lib goes through this, so callers decide the
    transaction: pass a Connection to group several calls in one.

    Examples
    --------
    >>> with transaction() as conn:  # doctest: +SKIP
    ...     conn.execute(sa.text("SELECT 1"))
    """
    from sqlalchemy.engine import Connection

    if isinstance(bind, Connection):
        if keep and not savepoint:
            return _Reuse(bind)
        return _Savepoint(bind, keep)
    engine = bind if bind is not None else get_engine()
    if keep:
        return engine.begin()
    return _DryRun(engine)


class _Reuse:
    """Use a caller's connection (and its transaction) as is."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc) -> None:
        return None


class _Savepoint:
    """A savepoint in the caller's transaction: released at the end (``keep``) or rolled
    back (a dry run, or an error in the block)."""

    def __init__(self, conn, keep: bool):
        self.conn, self.keep, self.sp = conn, keep, None

    def __enter__(self):
        self.sp = self.conn.begin_nested()
        return self.conn

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None or not self.keep:
            self.sp.rollback()
        else:
            self.sp.commit()
        return None


class _DryRun:
    """A transaction on a new connection that is always rolled back."""

    def __init__(self, engine):
        self.engine, self.conn, self.trans = engine, None, None

    def __enter__(self):
        self.conn = self.engine.connect()
        self.trans = self.conn.begin()
        return self.conn

    def __exit__(self, *exc) -> None:
        try:
            self.trans.rollback()
        finally:
            self.conn.close()
        return None
