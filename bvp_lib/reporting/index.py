"""``reports/index.html``: every daily report with its headline numbers and a link."""

from __future__ import annotations

import html
import json
from pathlib import Path

from bvp_lib.reporting.runner import CSS

HEADLINE_FILE = "headline.json"


def write_headline(folder: str | Path, headline: dict) -> Path:
    """Store a report's headline numbers (called from the report notebook)."""
    p = Path(folder) / HEADLINE_FILE
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(headline, indent=2, default=str))
    return p


def build_index(reports_dir: str | Path) -> Path:
    """Write ``reports_dir/index.html`` listing every report folder (newest first)."""
    reports_dir = Path(reports_dir)
    rows = []
    for folder in sorted((p for p in reports_dir.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True):
        if not (folder / "index.html").exists():
            continue
        head = {}
        if (folder / HEADLINE_FILE).exists():
            try:
                head = json.loads((folder / HEADLINE_FILE).read_text())
            except json.JSONDecodeError:
                head = {}
        rows.append((folder.name, head))
    keys: list[str] = []
    for _, h in rows:
        keys += [k for k in h if k not in keys]
    th = "".join(f"<th>{html.escape(k)}</th>" for k in ["report", *keys])
    body = "\n".join(
        "<tr><td><a href='{0}/index.html'>{0}</a></td>{1}</tr>".format(
            html.escape(name), "".join(f"<td>{html.escape(_fmt(h.get(k, '')))}</td>" for k in keys)
        )
        for name, h in rows
    )
    out = reports_dir / "index.html"
    out.write_text(
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>BVP reports</title>"
        f"<style>{CSS}</style></head><body><h1>BVP reports</h1>"
        f"<p>{len(rows)} report(s).</p><table><tr>{th}</tr>\n{body}\n</table></body></html>\n"
    )
    return out


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)
