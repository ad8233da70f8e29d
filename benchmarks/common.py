"""Shared benchmark plumbing: a throwaway database on the configured server."""

from __future__ import annotations

import contextlib
import os
import time

from sqlalchemy.engine import make_url


@contextlib.contextmanager
def bench_database(name: str = "bvp_bench"):
    """A freshly migrated database ``name`` on the project's server; dropped afterwards."""
    from bvp_lib.config import get_settings
    from bvp_lib.db import engine as eng
    from bvp_lib.db import migrate

    settings = get_settings()
    maintenance = eng.server_url(settings)
    name = f"{name}_{os.getpid()}"
    eng.drop_database(maintenance, name)
    eng.ensure_database(maintenance, name)
    url = make_url(maintenance).set(database=name).render_as_string(hide_password=False)
    engine = eng.get_engine(url=url)
    migrate.upgrade(engine=engine)
    try:
        yield engine
    finally:
        eng.dispose_engines()
        eng.drop_database(maintenance, name)


@contextlib.contextmanager
def loaded_database(name: str, year: int):
    """:func:`bench_database` with a bundled data set (``year``) loaded, and the process's
    settings pointed at it (``BVP_DATABASE_URL``, so every run in it reads that database)."""
    from bvp_lib.data.populate import populate

    with bench_database(name) as engine:
        os.environ["BVP_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        t = time.perf_counter()
        populate(structure=True, data=True, year=year, bind=engine, progress=False)
        print(f"data set {year} loaded in {time.perf_counter() - t:.0f} s")
        yield engine


@contextlib.contextmanager
def timer(out: dict, key: str):
    t = time.perf_counter()
    yield
    out[key] = time.perf_counter() - t
