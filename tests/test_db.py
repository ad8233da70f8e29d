"""Migrations up and down, the embedded server, and the `bvp db` commands."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from bvp_lib.db import migrate


def tables(engine) -> set[str]:
    with engine.connect() as c:
        return set(c.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname='public'")).scalars())


def test_migrations_down_and_up(db):
    assert migrate.current(db) == migrate.head()
    assert {"assets", "sensors", "timed_beliefs", "data_sources", "charging_sessions"} <= tables(db)
    migrate.downgrade("base", engine=db)
    assert migrate.current(db) is None
    assert tables(db) <= {"alembic_version"}
    migrate.upgrade(engine=db)
    assert migrate.current(db) == migrate.head()


def test_models_match_migrations(db):
    """The ORM models and the migrated schema agree (no forgotten migration)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bvp_lib.db.models import Base

    with db.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_timestamps_are_utc(db):
    with db.connect() as c:
        assert c.execute(sa.text("SHOW timezone")).scalar() == "UTC"


def bvp(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bvp_lib.cli.main", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_cli_help_on_every_command():
    for args in (["--help"], ["db", "--help"], ["db", "status", "--help"], ["db", "reset", "--help"]):
        r = bvp(*args)
        assert r.returncode == 0, r.stderr
        assert "Usage" in r.stdout


def test_cli_status_and_current(db):
    r = bvp("db", "status")
    assert r.returncode == 0, r.stderr
    assert "schema:      " + migrate.head() in r.stdout
    assert bvp("db", "current").stdout.strip() == migrate.head()


def test_cli_reset_refuses_without_yes(db):
    r = bvp("db", "reset")
    assert r.returncode == 1 and "--yes" in r.stderr


def test_cli_reset_with_yes_empties(db):
    from tests.helpers import load_tiny

    load_tiny(db)
    r = bvp("db", "reset", "--yes")
    assert r.returncode == 0, r.stderr
    with db.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM assets")).scalar() == 0
    assert migrate.current(db) == migrate.head()


def test_cli_production_without_url_says_what_is_missing(tmp_path):
    r = bvp("db", "start", env={"BVP_ENV": "production", "BVP_DATABASE_URL": "", "SQLALCHEMY_DATABASE_URI": "",
                               "BVP_PROJECT_ROOT": str(tmp_path)})
    assert r.returncode == 1
    assert "BVP_DATABASE_URL" in r.stderr and "Traceback" not in r.stderr
