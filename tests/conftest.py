"""Test fixtures: a fresh PostgreSQL database per test session, clean tables per test.

The database lives on the embedded server (or, when ``BVP_DATABASE_URL`` is set, on that
server) and is named ``bvp_test_<pid>``, so parallel sessions never share one. It is
created by running the Alembic migrations and dropped at the end.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

TABLES_KEEP = {"alembic_version"}


@pytest.fixture(scope="session")
def db_engine():
    from bvp_lib.config import get_settings
    from bvp_lib.db import engine as eng
    from bvp_lib.db import migrate

    os.environ["BVP_ENV"] = "testing"
    settings = get_settings()
    maintenance = eng.server_url(settings)
    name = f"bvp_test_{os.getpid()}"
    eng.drop_database(maintenance, name)
    eng.ensure_database(maintenance, name)
    url = make_url(maintenance).set(database=name).render_as_string(hide_password=False)
    saved = {k: os.environ.get(k) for k in ("BVP_DATABASE_URL", "BVP_DATABASE_NAME")}
    if settings.uses_embedded_server:
        os.environ["BVP_DATABASE_NAME"] = name
    else:
        os.environ["BVP_DATABASE_URL"] = url
    eng.dispose_engines()
    engine = eng.get_engine(url=url)
    migrate.upgrade(engine=engine)
    yield engine
    eng.dispose_engines()
    eng.drop_database(maintenance, name)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def truncate_all(engine) -> None:
    with engine.begin() as c:
        tables = [
            r[0]
            for r in c.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            if r[0] not in TABLES_KEEP
        ]
        if tables:
            c.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(db_engine):
    """A migrated, empty database for one test."""
    truncate_all(db_engine)
    yield db_engine


@pytest.fixture(scope="module")
def small(db_engine):
    """The small data set with history from 1 March (``tests.helpers.load_small_with_history``),
    loaded once per module into an emptied database. Modules that need another small
    database define their own ``small``."""
    from tests.helpers import load_small_with_history

    truncate_all(db_engine)
    load_small_with_history(db_engine)
    return db_engine



# Property-based tests (hypothesis): bounded and fast. CI (CI=true) runs the "ci" profile,
# derandomized so a red run reproduces; elsewhere "dev" draws new examples each run.
# HYPOTHESIS_PROFILE=thorough draws many more when you hunt for a bug.
try:
    from hypothesis import HealthCheck, settings

    _common = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    settings.register_profile("ci", max_examples=40, derandomize=True, print_blob=True, **_common)
    settings.register_profile("dev", max_examples=60, **_common)
    settings.register_profile("thorough", max_examples=1000, **_common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
except ImportError:  # pragma: no cover - hypothesis is a dev dependency
    pass
