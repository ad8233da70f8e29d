"""Schema migrations with Alembic. The schema is created only by these migrations.

``upgrade``/``downgrade``/``current`` run in one transaction on the given engine (the
project database by default): PostgreSQL has transactional DDL, so a failing
migration leaves the schema as it was.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _engine(engine: Engine | None) -> Engine:
    if engine is None:
        from bvp_lib.db.engine import get_engine

        engine = get_engine()
    return engine


def upgrade(revision: str = "head", engine: Engine | None = None) -> None:
    with _engine(engine).begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(revision: str = "-1", engine: Engine | None = None) -> None:
    with _engine(engine).begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def current(engine: Engine | None = None) -> str | None:
    """The revision the database is at (None: not migrated)."""
    with _engine(engine).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_up_to_date(engine: Engine | None = None) -> bool:
    return current(engine) == head()
