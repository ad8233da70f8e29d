"""``reports/index.html``: every report with its headline numbers and a link, by kind.

* **Daily reports**: one row per day and scope (``reports/<day>/`` the portfolio,
  ``reports/<day>/owner-<name>/`` an owner, ``reports/<day>/assets-…/`` chosen assets),
  each labelled with its scope;
* **Backtest runs**: ``reports/backtests/<name>/`` (``bvp backtest report NAME``);
* **Scenario sweeps**: ``reports/sweeps/<name>/`` (``bvp sweep``).

Stored runs and sweeps that have no report yet are listed with the command that renders
them (when the database can be read). Every report links back here.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from bvp_lib.reporting.runner import CSS

HEADLINE_FILE = "headline.json"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def write_headline(folder: str | Path, headline: dict) -> Path:
    """Store a report's headline numbers (called from the report notebook)."""
    p = Path(folder) / HEADLINE_FILE
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(headline, indent=2, default=str))
    return p


def _headline(folder: Path) -> dict:
    try:
        return json.loads((folder / HEADLINE_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def daily_reports(reports_dir: str | Path) -> list[tuple[str, str, dict]]:
    """(link relative to the reports dir, scope label, headline) of every daily report,
    newest day first, the portfolio before the owners and asset sets of its day."""
    reports_dir = Path(reports_dir)
    out = []
    if not reports_dir.exists():
        return out
    for day in sorted((p for p in reports_dir.iterdir() if p.is_dir() and _DAY.match(p.name)), reverse=True):
        if (day / "index.html").exists():
            h = _headline(day)
            out.append((f"{day.name}/index.html", h.get("scope label", "portfolio"), h))
        for sub in sorted(p for p in day.iterdir() if p.is_dir() and p.name.startswith(("owner-", "assets-"))):
            if (sub / "index.html").exists():
                h = _headline(sub)
                label = h.get("scope label") or sub.name.replace("owner-", "owner ", 1)
                out.append((f"{day.name}/{sub.name}/index.html", label, h))
    return out


def named_reports(reports_dir: str | Path, kind: str) -> list[tuple[str, str, dict]]:
    """(link, name, headline) of every report under ``reports/<kind>/`` (backtests, sweeps)."""
    base = Path(reports_dir) / kind
    if not base.exists():
        return []
    return [(f"{kind}/{p.name}/index.html", p.name, _headline(p))
            for p in sorted(base.iterdir()) if p.is_dir() and (p / "index.html").exists()]  # fmt: skip


def stored_runs(bind=None) -> tuple[list[str], list[str]]:
    """Names of the stored backtest runs (not a sweep's scenario runs) and sweeps; empty
    lists when the database cannot be read."""
    try:
        import sqlalchemy as sa

        from bvp_lib.db.engine import transaction

        with transaction(bind) as c:
            runs = [r[0] for r in c.execute(sa.text(
                "SELECT name FROM backtest_runs WHERE id NOT IN (SELECT run_id FROM sweep_scenarios) ORDER BY name"))]
            sweeps = [r[0] for r in c.execute(sa.text("SELECT name FROM sweeps ORDER BY name"))]  # fmt: skip
        return runs, sweeps
    except Exception:  # noqa: BLE001 - the index is written from the files alone
        return [], []


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,d}"
    return str(v)


def _table(rows: list[tuple[str, str, dict]], daily: bool) -> str:
    """An HTML table: the day and the linked scope (daily) or the linked name, then every headline key."""
    skip = {"day", "scope", "scope label", "name"}
    keys: list[str] = []
    for _, _, h in rows:
        keys += [k for k in h if k not in keys and k not in skip]
    first = ["day", "scope"] if daily else ["name"]
    th = "".join(f"<th>{html.escape(k)}</th>" for k in [*first, *keys])
    body = []
    for link, label, h in rows:
        cells = [f"<td>{html.escape(str(h.get('day') or link.split('/')[0]))}</td>"] if daily else []
        cells.append(f"<td><a href='{html.escape(link)}'>{html.escape(label)}</a></td>")
        cells += [f"<td>{html.escape(_fmt(h.get(k)))}</td>" for k in keys]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{th}</tr>\n" + "\n".join(body) + "\n</table>"


def build_index(reports_dir: str | Path, *, bind=None, stored: bool = True) -> Path:
    """Write ``reports_dir/index.html``: the daily reports by day and scope, the backtest
    runs and the sweeps, each with its headline and a link (see the module docstring).

    ``stored``: also name the backtest runs and sweeps in the database without a report.
    """
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    daily = daily_reports(reports_dir)
    backtests = named_reports(reports_dir, "backtests")
    sweeps = named_reports(reports_dir, "sweeps")
    parts = ["<h1>BVP reports</h1>",
             f"<p>{len(daily)} daily report(s), {len(backtests)} backtest report(s), {len(sweeps)} sweep report(s). "
             "Each daily report covers one scope: the portfolio, one owner, or chosen assets.</p>"]  # fmt: skip
    parts.append("<h2>Daily reports</h2>")
    parts.append(_table(daily, True) if daily else
                 "<p>None yet: <code>bvp report --date YYYY-MM-DD</code> (or <code>make report</code>).</p>")
    for title, rows, kind, command in (("Backtest runs", backtests, "backtests", "bvp backtest report NAME"),
                                       ("Scenario sweeps", sweeps, "sweeps", "bvp sweep -f FILE")):  # fmt: skip
        parts.append(f"<h2>{title}</h2>")
        parts.append(_table(rows, False) if rows else f"<p>None yet: <code>{command}</code>.</p>")
    if stored:
        runs, sweep_names = stored_runs(bind)
        rendered_runs = {name for _, name, _ in backtests}
        rendered_sweeps = {name for _, name, _ in sweeps}
        missing = [(n, f"bvp backtest report {n}") for n in runs if n not in rendered_runs]
        missing += [(n, "bvp sweep -f <its sweep file> (resumes, then reports)") for n in sweep_names
                    if n not in rendered_sweeps]
        if missing:
            items = "".join(f"<li>{html.escape(n)}: <code>{html.escape(c)}</code></li>" for n, c in missing)
            parts.append(f"<h2>Stored, without a report</h2><ul>{items}</ul>")
    out = reports_dir / "index.html"
    out.write_text(
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>BVP reports</title>"
        f"<style>{CSS}</style></head><body>" + "\n".join(parts) + "</body></html>\n"
    )
    return out
