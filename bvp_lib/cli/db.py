"""``bvp db``: the embedded server, migrations, and what the database holds."""

from __future__ import annotations

import typer

from bvp_lib.cli.common import friendly, table
from bvp_lib.config import get_settings

app = typer.Typer(help="The database: embedded server, migrations, loading and inspecting data.", no_args_is_help=True)


@app.command()
@friendly
def start() -> None:
    """Start the embedded PostgreSQL server (data under data/postgres/) and create the database."""
    from bvp_lib.db.engine import database_url, mask_url

    s = get_settings()
    if not s.uses_embedded_server:
        typer.echo(f"BVP_DATABASE_URL is set ({mask_url(s.database_url)}): nothing to start.")
        return
    url = database_url(s)
    typer.echo(f"Embedded PostgreSQL running: {mask_url(url)}")


@app.command()
@friendly
def stop() -> None:
    """Stop the embedded PostgreSQL server."""
    from bvp_lib.db import embedded

    s = get_settings()
    if embedded.stop(s):
        typer.echo(f"Stopped the embedded server in {s.postgres_path}.")
    else:
        typer.echo("The embedded server was not running.")


@app.command()
@friendly
def status() -> None:
    """Say which database BVP uses, whether it runs, and its schema revision."""
    from bvp_lib.db import embedded, migrate
    from bvp_lib.db.engine import get_engine, mask_url

    s = get_settings()
    typer.echo(f"environment: {s.env}")
    if s.uses_embedded_server:
        st = embedded.status(s)
        typer.echo(f"server:      embedded PostgreSQL {st.version or '(not initialised)'} in {st.pgdata}")
        if not st.running:
            typer.echo("state:       stopped (start it with `bvp db start`)")
            raise typer.Exit(0)
        typer.echo(f"state:       running (pid {st.pid})")
        from sqlalchemy.engine import make_url

        url = make_url(st.url).set(database=s.database_name).render_as_string(hide_password=False)
    else:
        url = s.database_url
        typer.echo("server:      external (BVP_DATABASE_URL)")
    typer.echo(f"url:         {mask_url(url)}")
    rev = migrate.current(get_engine(s))
    head = migrate.head()
    state = "up to date" if rev == head else f"behind head {head}: run `bvp db upgrade`"
    typer.echo(f"schema:      {rev or '(empty)'} ({state})")


@app.command()
@friendly
def upgrade(revision: str = typer.Argument("head", help="Target revision (default: the newest).")) -> None:
    """Apply schema migrations (the schema is created only by migrations)."""
    from bvp_lib.db import migrate

    before = migrate.current()
    migrate.upgrade(revision)
    typer.echo(f"Schema at {migrate.current()} (was {before or 'empty'}).")


@app.command()
@friendly
def downgrade(revision: str = typer.Argument("-1", help="Target revision, '-1' for one step, 'base' for empty.")) -> None:
    """Undo schema migrations."""
    from bvp_lib.db import migrate

    before = migrate.current()
    migrate.downgrade(revision)
    typer.echo(f"Schema at {migrate.current() or 'empty'} (was {before or 'empty'}).")


@app.command()
@friendly
def current() -> None:
    """Print the schema revision of the database."""
    from bvp_lib.db import migrate

    typer.echo(migrate.current() or "(empty)")


@app.command()
@friendly
def reset(yes: bool = typer.Option(False, "--yes", help="Confirm: drop every table and all data.")) -> None:
    """Drop the database and recreate it at the newest schema (asks for --yes)."""
    from bvp_lib.db import migrate
    from bvp_lib.db.engine import dispose_engines, drop_database, ensure_database, get_engine, mask_url, server_url

    s = get_settings()
    if not yes:
        typer.secho("Refusing to reset without --yes: this deletes every stored belief.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    if s.env == "production":
        typer.secho("Refusing to reset a production database.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    if s.uses_embedded_server:
        base = server_url(s)
        dispose_engines()
        drop_database(base, s.database_name)
        ensure_database(base, s.database_name)
    else:
        import sqlalchemy as sa

        with get_engine(s).begin() as c:
            c.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(engine=get_engine(s))
    typer.echo(f"Reset {mask_url(str(get_engine(s).url.render_as_string(hide_password=False)))} to schema {migrate.head()}.")


@app.command()
@friendly
def show() -> None:
    """Print what the database holds: assets per type, series, periods covered, row counts."""
    from bvp_lib.db.inspect import summary

    info = summary()
    typer.echo(table(info["assets"], ["type", "assets", "owners", "capacity_mw"]))
    typer.echo("")
    typer.echo(table(info["series"], ["kind", "sensor", "unit", "resolution", "first", "last", "beliefs", "sources"]))
    typer.echo("")
    typer.echo(f"{info['total_beliefs']:,} beliefs in all; {info['sessions']:,} charging sessions.")


@app.command()
@friendly
def populate(
    structure: bool = typer.Option(False, "--structure", help="Load owners, asset types, assets, markets, sensors."),
    data: bool = typer.Option(False, "--data", help="Load the time series and EV charging sessions."),
    small: bool = typer.Option(False, "--small", help="Only one solar, wind, building and battery asset, four days."),
    from_: str = typer.Option(None, "--from", help="First local day to load (YYYY-MM-DD)."),
    to: str = typer.Option(None, "--to", help="Last local day to load (YYYY-MM-DD, inclusive)."),
    asset_type: list[str] = typer.Option(None, "--asset-type", help="Only assets of this type (repeatable)."),
    asset: list[str] = typer.Option(None, "--asset", help="Only this asset (repeatable)."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the database already holds assets."),
    year: int = typer.Option(2015, "--year", help="Which bundled data set: 2015 (data/bundled/, the default) or 2018 "
                             "(data/bundled/2018/: real solar and wind output, system fundamentals)."),
) -> None:
    """Load a bundled data set (2015 by default, or --year 2018) into the database; idempotent."""
    import time

    from bvp_lib.data.populate import populate as run

    if if_empty:
        import sqlalchemy as sa

        from bvp_lib.db.engine import get_engine

        with get_engine().connect() as c:
            n = c.execute(sa.text("SELECT count(*) FROM assets")).scalar()
        if n:
            typer.echo(f"The database holds {n} assets already: nothing loaded (drop --if-empty to reload).")
            return

    if not structure and not data:
        typer.secho("Say what to load: --structure, --data or both.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    t = time.perf_counter()
    counts = run(structure=structure, data=data, small=small, start=from_, end=to,
                 asset_type=asset_type or None, asset=asset or None, year=year)
    typer.echo(", ".join(f"{v:,} {k}" for k, v in counts.items()) + f" loaded in {time.perf_counter() - t:.1f} s.")
