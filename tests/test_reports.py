"""Every report rendered on the small data set, read as a user reads it.

The module renders, once, the portfolio's and an owner's daily report of 12 April 2015,
a two-day backtest and its report, and a one-day, two-scenario sweep and its report,
all into one reports folder; the tests read the HTML and the files back:

* no pandas repr (``rows ×``, a ``…`` row), no raw ``snake_case`` column header;
* every headline defined in "How to read this report";
* every table saved as CSV and Parquet, linked from the page, holding what the page shows;
* an owner's report beside the portfolio's, not over it; the index links every report
  and every report links back;
* a headless-browser screenshot of the daily report that is not blank (Debian's
  chromium; skipped, saying why, where it cannot be installed).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from bvp_lib.reporting.tables import format_value, is_raw_name, table_decimals, table_headers
from tests.conftest import truncate_all
from tests.helpers import SMALL_ASSETS, load_small_with_history

DAY = "2015-04-12"
RUN = "report-t17"
SWEEP = {"name": "sweep-t17", "from": DAY, "to": DAY, "chunk_days": 1,
         "base": {"solver": "highs", "assets": SMALL_ASSETS}, "grid": {"battery.power_mw": [1.0, 2.0]}}  # fmt: skip


@pytest.fixture(scope="module")
def reports(db_engine, tmp_path_factory):
    """The reports folder with every kind of report, rendered once."""
    from bvp_lib.db.catalogue import Catalogue
    from bvp_lib.reporting.backtest import render_backtest_report
    from bvp_lib.reporting.daily import run_reports
    from bvp_lib.reporting.sweep import render_sweep_report
    from bvp_lib.runs.backtest import run_backtest
    from bvp_lib.runs.sweep import parse_sweep, run_sweep

    truncate_all(db_engine)
    load_small_with_history(db_engine)
    out = tmp_path_factory.mktemp("reports")
    owner = Catalogue.read(db_engine).assets.loc["battery-havel-01", "owner"]
    lines: list[str] = []
    run_reports(DAY, overrides={"solver": "highs"}, reports_dir=out, echo=lines.append)
    run_reports(DAY, overrides={"solver": "highs", "owner": owner}, reports_dir=out, echo=lines.append)
    run_backtest(RUN, "2015-04-12", "2015-04-13", parameters={"solver": "highs"}, progress=False)
    render_backtest_report(RUN, out)
    result = run_sweep(parse_sweep(SWEEP), workers=1, progress=False)
    render_sweep_report(SWEEP["name"], out, workers=result.workers)
    return {"dir": out, "owner": owner, "lines": lines, "workers": result.workers}


def pages(reports) -> dict[str, Path]:
    d = reports["dir"]
    return {"portfolio": d / DAY / "index.html", "owner": d / DAY / f"owner-{reports['owner']}" / "index.html",
            "backtest": d / "backtests" / RUN / "index.html", "sweep": d / "sweeps" / SWEEP["name"] / "index.html"}


def shown_tables(page: str) -> list[tuple[list[str], list[list[str]], str]]:
    """(headers, cell texts, CSV link) of every formatted table with a CSV link."""
    out = []
    for body, foot in re.findall(r"<div class=[\"']bvp-table[\"']><table>(.*?)</table></div>"
                                 r"<p class=[\"']bvp-table-foot[\"']>(.*?)</p>", page, re.S):  # fmt: skip
        link = re.search(r"href=[\"']([^\"']+\.csv)[\"']", foot)
        if not link:
            continue
        rows = [[re.sub(r"<[^>]+>", "", c).replace("&#x27;", "'").replace("&amp;", "&") for c in
                 re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
        out.append((table_headers(body), [r for r in rows if r], link.group(1)))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["portfolio", "owner", "backtest", "sweep"])
def test_report_pages_read_as_text_for_people(reports, kind):
    page = pages(reports)[kind].read_text()
    assert "rows ×" not in page and "Traceback" not in page and "¶" not in page
    assert not re.search(r"<td>\s*…\s*</td>", page), "a pandas '…' row"
    raw = [h for h in table_headers(page) if is_raw_name(h)]
    assert not raw, f"raw column headers {raw}"
    assert not re.search(r"<td[^>]*>-0\.0+</td>", page), "a '-0.00' cell"
    assert "How to read this report" in page
    assert "data:image/png;base64," in page


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["portfolio", "owner"])
def test_every_headline_is_defined(reports, kind):
    page = pages(reports)[kind].read_text()
    head = json.loads((pages(reports)[kind].parent / "headline.json").read_text())
    defined = {re.sub(r"<[^>]+>", "", d).strip() for d in re.findall(r"<dt>(.*?)</dt>", page)}
    tiles = [k for k in head if k not in ("day", "scope", "scope label", "assets")]
    assert len(tiles) >= 5
    for k in tiles:
        assert k.split(" [")[0] in defined, f"headline {k!r} is not defined"
        assert f"<div>{k}<b>" in page.replace("&#x27;", "'")
    assert "Where value was lost against perfect foresight" in page


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["portfolio", "owner", "backtest", "sweep"])
def test_tables_are_saved_as_csv_and_parquet_and_hold_what_the_page_shows(reports, kind):
    html_path = pages(reports)[kind]
    page = html_path.read_text()
    manifest = json.loads((html_path.parent / "tables" / "tables.json").read_text())
    assert manifest, "no table saved"
    shown = shown_tables(page)
    assert {Path(link).stem for _, _, link in shown} == {n for n, e in manifest.items() if e["rows"]}
    for headers, rows, link in shown:
        csv = pd.read_csv(html_path.parent / link, keep_default_na=False, na_values=[""])
        decimals = table_decimals(csv)
        parquet = pd.read_parquet(html_path.parent / link.replace(".csv", ".parquet"))
        assert list(csv.columns) == headers == list(parquet.columns)
        assert len(csv) == len(parquet) >= len(rows)
        for i, row in enumerate(rows):
            for c, cell in zip(headers, row):
                v = csv.iloc[i][c]
                if pd.api.types.is_numeric_dtype(csv[c]) and not pd.api.types.is_bool_dtype(csv[c]):
                    expected = format_value(float(v) if pd.notna(v) else None, decimals[c])
                else:
                    expected = "–" if pd.isna(v) or str(v) == "" else str(v)
                assert cell == expected, f"{link} row {i} {c!r}: page {cell!r}, file {expected!r}"
    assert "executed notebook" in page and (html_path.parent / next(html_path.parent.glob("*.ipynb")).name).exists()


@pytest.mark.slow
def test_daily_tables_add_up_to_the_headline(reports):
    folder = pages(reports)["portfolio"].parent
    head = json.loads((folder / "headline.json").read_text())
    owners = pd.read_csv(folder / "tables" / "value-per-owner.csv")
    assets = pd.read_csv(folder / "tables" / "value-per-asset.csv")
    assert sorted(assets["asset"]) == sorted(SMALL_ASSETS)
    pf = head["value with perfect foresight [EUR]"]
    assert abs(owners["value with perfect foresight [EUR]"].sum() - pf) < 0.01
    assert abs(assets["value with perfect foresight [EUR]"].sum() - pf) < 0.01
    lost = assets["value lost (perfect foresight − realised) [EUR]"]
    assert (lost - (assets["value with perfect foresight [EUR]"] - assets["value realised [EUR]"])).abs().max() < 1e-6


@pytest.mark.slow
def test_owner_report_sits_beside_the_portfolio_report(reports):
    p = pages(reports)
    portfolio = json.loads((p["portfolio"].parent / "headline.json").read_text())
    owner = json.loads((p["owner"].parent / "headline.json").read_text())
    assert portfolio["scope"] == "portfolio" and portfolio["assets"] == len(SMALL_ASSETS)
    assert owner["scope"] == "owner" and owner["scope label"] == f"owner {reports['owner']}"
    assert owner["assets"] <= portfolio["assets"]  # the small set's assets may all be one owner's
    assert "portfolio value" not in p["owner"].read_text()
    assert f"owner {reports['owner']}" in p["owner"].read_text()


@pytest.mark.slow
def test_index_links_every_report_and_every_report_links_back(reports):
    d = reports["dir"]
    index = (d / "index.html").read_text()
    links = set(re.findall(r"href=[\"']([^\"']+)[\"']", index))
    for kind, page in pages(reports).items():
        assert str(page.relative_to(d)) in links, f"the index does not link the {kind} report"
        back = re.search(r"<nav class=[\"']bvp-nav[\"']><a href=[\"']([^\"']+)[\"']>all reports</a>", page.read_text())
        assert back, f"the {kind} report does not link back"
        assert (page.parent / back.group(1)).resolve() == (d / "index.html").resolve()
    assert "owner " + reports["owner"] in index and "Backtest runs" in index and "Scenario sweeps" in index


@pytest.mark.slow
def test_progress_line_per_step_and_sweep_records_its_workers(reports):
    steps = [line for line in reports["lines"] if re.match(r"\s+\[\d+/\d+\] [a-z-]+ \d+\.\d s$", line)]
    assert {"forecast", "schedule", "value"} <= {s.split()[1] for s in steps}
    params = json.loads((pages(reports)["sweep"].parent / "parameters.json").read_text())
    assert params["workers"] == reports["workers"] == 1


def _chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


@pytest.mark.slow
def test_screenshot_of_the_daily_report_is_not_blank(reports, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no headless browser: `apt-get install -y chromium` (what .ci/run does) could not install one here")
    png = tmp_path / "daily.png"
    r = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1200,2400", f"--screenshot={png}", pages(reports)["portfolio"].as_uri()],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert png.exists(), r.stderr[-2000:]
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(png).convert("L"), dtype=float)
    assert img.shape == (2400, 1200)
    dark = (img < 128).mean()
    assert img.std() > 20 and 0.01 < dark < 0.6, f"the screenshot looks blank (std {img.std():.1f}, dark {dark:.3f})"


@pytest.mark.slow
def test_messages_for_dates_outside_the_data_names_and_options(reports):
    import time

    from typer.testing import CliRunner

    from bvp_lib.cli.main import app
    from bvp_lib.db.catalogue import data_period

    first, last = data_period()
    runner = CliRunner()
    t = time.perf_counter()
    r = runner.invoke(app, ["report", "--date", "2016-03-01"])
    assert time.perf_counter() - t < 5 and r.exit_code == 1
    assert f"the database covers {first.isoformat()} to {last.isoformat()}" in r.output and "the year 2015" in r.output
    r = runner.invoke(app, ["backtest", "--from", "2015-04-12", "--to", "2015-04-06"])
    assert r.exit_code == 1 and "--to 2015-04-06 is before --from 2015-04-12" in r.output and "--date" not in r.output
    r = runner.invoke(app, ["backtest", "--from", "2016-01-01", "--to", "2016-01-02"])
    assert r.exit_code == 1 and "Pick --from/--to in that period" in r.output
    owner = reports["owner"]
    r = runner.invoke(app, ["report", "--date", DAY, "-p", f"owner={owner[:-1]}"])
    assert r.exit_code == 1 and f"Did you mean '{owner}'" in r.output
    r = runner.invoke(app, ["report", "--date", DAY, "-p", "assets=[battery-havel-1]"])
    assert r.exit_code == 1 and "Did you mean 'battery-havel-01'" in r.output
    r = runner.invoke(app, ["backtest", "report", RUN + "x"])
    assert r.exit_code == 1 and f"Did you mean '{RUN}'" in r.output


@pytest.mark.slow
def test_unknown_sensor_gets_a_did_you_mean(reports):
    from bvp_lib.beliefs.store import BeliefError, load_beliefs

    with pytest.raises(BeliefError, match="Did you mean 'epex_da'"):
        load_beliefs(["epex_dax"], pd.Timestamp("2015-04-12", tz="UTC"), pd.Timestamp("2015-04-13", tz="UTC"))


@pytest.mark.slow
def test_both_strategies_are_shown_and_agree_with_the_headline(reports):
    """The daily report's default offers orders and compares the schedule strategy: the
    side-by-side table's portfolio row is the headline, and the order book is summed up."""
    folder = pages(reports)["portfolio"].parent
    head = json.loads((folder / "headline.json").read_text())
    side = pd.read_csv(folder / "tables" / "strategies.csv").set_index("asset type")
    assert abs(side.at["portfolio", "value of orders [EUR]"] - head["value realised [EUR]"]) < 0.01
    assert abs(side.at["portfolio", "value of the schedule [EUR]"] - head["value of the schedule strategy [EUR]"]) < 0.01
    types = side.drop(index="portfolio")
    assert not any("_" in t for t in types.index), "raw asset type names"
    assets = pd.read_csv(folder / "tables" / "value-per-asset.csv")
    assert abs(types["value of orders [EUR]"].sum() - assets["value realised [EUR]"].sum()) < 0.01
    book = pd.read_csv(folder / "tables" / "orders.csv")
    assert (book[["energy sold [MWh]", "energy bought [MWh]", "imbalance [MWh]"]] >= 0).all().all()
    # the portfolio's one order first, then the orders it is made of, whose parts add up to
    # it before the exchange's rounding (at most half a 0.1 MW tick per hour)
    assert book["order"].iloc[0] == "all" and len(book) > 1
    net = book["energy sold [MWh]"] - book["energy bought [MWh]"]
    assert abs(net.iloc[1:].sum() - net.iloc[0]) <= 0.05 * 25 + 1e-6
    page = (folder / "index.html").read_text()
    assert "Bid curves where the most value was at stake" in page and "strategy: orders" in page
    # the provenance says which bidding programs were solved or screened, with their bounds
    assert re.search(r"\d+ solved, \d+ screened: the flat bid of the mean-price plan", page)


def test_headers_align_with_their_columns():
    """A text column's header is left-aligned over its text, a number column's right over its numbers
    (the orders table's 'kind' header used to sit right over left-aligned text)."""
    from bvp_lib.reporting.runner import CSS
    from bvp_lib.reporting.tables import report_table

    page = report_table(pd.DataFrame({"order": ["all", "limit:pv@0"], "kind": ["portfolio", "limit"],
                                      "accepted_mwh": [12.5, -3.25]}), "orders").to_html()
    heads = re.findall(r"<th([^>]*)>([^<]*)</th>", page)
    cells = re.findall(r"<td([^>]*)>", page)[:3]
    assert [h for _, h in heads] == ["order", "kind", "accepted [MWh]"]
    assert [a for a, _ in heads] == cells == ["", "", " class='num'"]
    assert ".bvp-table th:not(.num),td:not(.num){text-align:left}" in CSS
