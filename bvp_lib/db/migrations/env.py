"""Alembic environment: runs migrations on the connection bvp_lib hands it (or the
project database from the settings when run by the ``alembic`` command)."""

from alembic import context

from bvp_lib.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    from bvp_lib.db.engine import get_engine

    with get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL-script) migrations are not supported; run `bvp db upgrade`.")
run_migrations_online()
