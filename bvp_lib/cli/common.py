"""Shared CLI helpers: turning library errors into one readable line and exit code 1."""

from __future__ import annotations

import functools
import sys

import typer

from bvp_lib.config import ConfigError


def friendly(func):
    """Print known errors (bad settings, bad input, infeasible schedules) without a traceback.

    Set ``BVP_DEBUG=1`` to see the traceback anyway.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import os

        from bvp_lib.redact import mask_text

        try:
            return func(*args, **kwargs)
        except (ConfigError, ValueError, FileNotFoundError, PermissionError, IsADirectoryError) as e:
            if os.environ.get("BVP_DEBUG"):
                raise
            typer.secho(f"Error: {mask_text(str(e))}", fg=typer.colors.RED, err=True)
            sys.exit(1)
        except Exception as e:  # database unreachable and the like
            import sqlalchemy.exc

            if getattr(e, "user_facing", False) and not os.environ.get("BVP_DEBUG"):
                typer.secho(f"Error: {mask_text(str(e))}", fg=typer.colors.RED, err=True)
                sys.exit(1)

            if isinstance(e, sqlalchemy.exc.OperationalError) and not os.environ.get("BVP_DEBUG"):
                msg = str(e.orig).strip().splitlines()[0] if getattr(e, "orig", None) else str(e)
                msg = mask_text(msg)
                typer.secho(
                    f"Error: cannot reach the database ({msg}). Is it running? `bvp db status` tells; "
                    "`bvp db start` starts the embedded server.",
                    fg=typer.colors.RED,
                    err=True,
                )
                sys.exit(1)
            raise

    return wrapper


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A plain text table (no dependency, copy-pasteable)."""
    if not rows:
        return "(nothing)"
    columns = columns or list(rows[0])
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths))
    sep = "  ".join("-" * w for w in widths)
    body = "\n".join("  ".join(v.rjust(w) if _num(v) else v.ljust(w) for v, w in zip(row, widths)) for row in cells)
    return f"{line}\n{sep}\n{body}"


def _num(v: str) -> bool:
    try:
        float(v.replace(",", ""))
        return True
    except ValueError:
        return False
