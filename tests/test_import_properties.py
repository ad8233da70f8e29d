"""Property-based tests of the importers on the real embedded PostgreSQL.

Valid files are generated, then mutated (rows dropped, duplicated or shuffled; naive or
off-grid timestamps, non-finite or non-numeric values injected; truncated; re-encoded;
emptied). Each import must either store exactly the valid content, or refuse with an
:class:`ImportFileError` naming the file and a line (the right one), and store nothing.
A dry run must give the same outcome and store nothing either.
"""

from __future__ import annotations

import atexit
import math
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from bvp_lib.data.importers import ImportFileError, import_file, raw_entsoe, raw_tidy_csv
from tests.helpers import load_tiny

QH = pd.Timedelta("15min")
WORK = Path(tempfile.mkdtemp(prefix="bvp-hyp-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)  # the generated files go with the run


@pytest.fixture(scope="module")
def tiny(db_engine):
    from tests.conftest import truncate_all

    truncate_all(db_engine)
    load_tiny(db_engine)
    return db_engine


def stored(engine, sensor: str) -> dict:
    with engine.connect() as c:
        rows = c.execute(sa.text(
            "SELECT b.event_start, b.value, b.belief_horizon FROM timed_beliefs b JOIN sensors s ON s.id = b.sensor_id "
            "WHERE s.name = :s"), {"s": sensor}).all()  # fmt: skip
    return {pd.Timestamp(t).tz_convert("UTC"): (v, h) for t, v, h in rows}


def clear(engine) -> None:
    with engine.begin() as c:
        c.execute(sa.text("DELETE FROM timed_beliefs"))


def outcome(engine, make_raw, sensor: str, **kw):
    """Dry run, then the real import: (report or error) of each; checks nothing was stored by the dry run."""
    results = []
    for dry in (True, False):
        try:
            raw = make_raw()
            results.append(("ok", import_file(raw, sensor, dry_run=dry, bind=engine, **kw)))
        except ImportFileError as e:
            results.append(("refused", e))
        if dry:
            assert stored(engine, sensor) == {}, "a dry run stored something"
    (k1, r1), (k2, r2) = results
    assert k1 == k2 and str(r1).replace("would store", "stored") == str(r2), "dry run and import differ"
    return k2, r2


# ---------------------------------------------------------------------------------------
# tidy CSV


@st.composite
def tidy_files(draw):
    """A valid tidy CSV for a 15-minute sensor (as lines) and the content it holds {UTC: MW}."""
    n = draw(st.integers(2, 30))
    start = pd.Timestamp("2015-01-01", tz="UTC") + QH * draw(st.integers(0, 365 * 96))
    values = draw(st.lists(st.one_of(st.integers(-5000, 5000).map(float),
                                     st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)),
                           min_size=n, max_size=n))
    offsets = draw(st.lists(st.sampled_from(["+00:00", "+01:00", "+02:00", "Z", "-05:00"]), min_size=n, max_size=n))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    lines, content = [], {}
    for k, (v, off) in enumerate(zip(values, offsets)):
        t = start + k * QH
        local = t.tz_convert("UTC" if off == "Z" else f"Etc/GMT{'-' if off[0] == '+' else '+'}{int(off[1:3])}")
        text = local.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if off == "Z" else off)
        lines.append(f"{text}{delimiter}{v!r}")
        content[t] = v
    return ["timestamp" + delimiter + "value_MW"] + lines, content, delimiter


MUTATIONS = ["none", "shuffle", "duplicate", "duplicate-other-value", "drop", "naive", "off-grid", "non-finite",
             "non-numeric", "empty-value", "truncate", "utf-16", "utf-8-bom", "utf-16-no-bom", "cp1252-header",
             "empty", "header-only"]


@given(tidy_files(), st.sampled_from(MUTATIONS), st.randoms(use_true_random=False))
def test_tidy_csv_stores_exactly_the_valid_content_or_names_the_line(tiny, case, mutation, rnd):
    header, content, delim = case
    rows = header[1:]
    expected: dict | None = dict(content)
    bad_line: int | None = None  # the line the refusal must name (1 = header)
    encoding, data = "utf-8", None
    k = rnd.randrange(len(rows))
    if mutation == "shuffle":
        rnd.shuffle(rows)
    elif mutation == "duplicate":
        rows.insert(rnd.randrange(len(rows) + 1), rows[k])
    elif mutation == "duplicate-other-value":
        t, v = rows[k].split(delim)
        j = rnd.randrange(len(rows) + 1)
        rows.insert(j, f"{t}{delim}{float(v) + 1.5!r}")
        bad_line = max(j, k + (j <= k)) + 2  # the later of the two lines
        expected = None
    elif mutation == "drop":
        del rows[k]
        t = sorted(content)[k]
        del expected[t]
        if 0 < k < len(content) - 1:
            expected, bad_line = None, k + 2  # the line after the gap
    elif mutation == "naive":
        t, v = rows[k].split(delim)
        rows[k] = t.rstrip("Z")[:19] + delim + v
        expected, bad_line = None, k + 2
    elif mutation == "off-grid":
        t, v = rows[k].split(delim)
        shifted = (pd.Timestamp(t) + pd.Timedelta(minutes=rnd.randrange(1, 15))).isoformat()
        rows[k] = shifted + delim + v
        expected, bad_line = None, k + 2
    elif mutation in ("non-finite", "non-numeric", "empty-value"):
        t, _ = rows[k].split(delim)
        junk = {"non-finite": rnd.choice(["inf", "-inf", "nan", "NaN", "Infinity"]),
                "non-numeric": rnd.choice(["abc", "1.2.3", "n/a", "12kW", "--1"]),
                "empty-value": ""}[mutation]  # fmt: skip
        rows[k] = t + delim + junk
        expected, bad_line = None, k + 2
    text = "\n".join([header[0]] + rows) + "\n"
    if mutation == "truncate":
        text = text[: rnd.randrange(0, len(text))]
        complete = text.split("\n")
        partial = complete.pop()  # '' when the cut fell right after a line break
        if not complete:  # the header itself is cut (or nothing is left)
            expected, bad_line = None, 1
        else:
            kept = complete[1:]
            expected = {pd.Timestamp(r.split(delim)[0]).tz_convert("UTC"): float(r.split(delim)[1]) for r in kept}
            if partial:
                t, sep, v = partial.partition(delim)
                try:
                    ok = bool(sep) and math.isfinite(float(v))
                except ValueError:
                    ok = False
                if ok and t == rows[len(kept)].split(delim)[0]:
                    expected[pd.Timestamp(t).tz_convert("UTC")] = float(v)
                else:
                    expected, bad_line = None, len(complete) + 1
            if expected is not None and not expected:
                expected, bad_line = None, 1  # a header and no data line
    if mutation == "utf-16":
        data = text.encode("utf-16")
    elif mutation == "utf-8-bom":
        data = text.encode("utf-8-sig")
    elif mutation == "utf-16-no-bom":
        data, expected, bad_line = text.encode("utf-16-le"), None, 1
    elif mutation == "cp1252-header":
        data = text.replace("value_MW", "Leistung_MW_Gerät", 1).encode("cp1252")
        expected, bad_line = None, 1
    elif mutation == "empty":
        data, expected, bad_line = b"", None, 1
    elif mutation == "header-only":
        data, expected, bad_line = (header[0] + "\n").encode(), None, 1
    if data is None:
        data = text.encode(encoding)
    path = WORK / "file.csv"
    path.write_bytes(data)
    clear(tiny)
    kind, result = outcome(tiny, lambda: raw_tidy_csv(path), "pv-1", unit="MW")
    if expected is None:
        assert kind == "refused", f"{mutation}: imported a bad file: {result}"
        assert str(path) in str(result) and re.search(rf"line {bad_line}[,:]", str(result)), (mutation, str(result))
        assert result.rule and f"[rule {result.rule}]" in str(result)
        assert stored(tiny, "pv-1") == {}, "a refused import stored something"
    else:
        assert kind == "ok", f"{mutation}: refused a valid file: {result}"
        got = stored(tiny, "pv-1")
        assert {t: v for t, (v, _) in got.items()} == expected
        assert all(h == pd.Timedelta(0) for _, h in got.values())  # measurements: known when the step ended
        if mutation == "cp1252-header":  # pragma: no cover - refused above
            pass


def test_cp1252_file_imports_with_its_encoding(tiny):
    path = WORK / "cp1252.csv"
    path.write_bytes("Zeit;Leistung Gerät [kW]\n2015-04-12T00:00+02:00;1000\n2015-04-12T00:15+02:00;2000\n".encode("cp1252"))
    clear(tiny)
    with pytest.raises(ImportFileError, match=r"line 1: byte .* not utf-8 text.*--encoding cp1252.*\[rule encoding\]"):
        import_file(raw_tidy_csv(path), "pv-1", unit="kW", bind=tiny)
    rep = import_file(raw_tidy_csv(path, encoding="cp1252"), "pv-1", unit="kW", bind=tiny)
    assert rep.rows == 2 and sorted(v for v, _ in stored(tiny, "pv-1").values()) == [1.0, 2.0]


# ---------------------------------------------------------------------------------------
# ENTSO-E prices: DST days, marks, the listed non-existent spring hour


ENTSOE_HEAD = '"MTU (CET/CEST)","Day-ahead Price [EUR/MWh]"'
DAYS = ["2015-03-29", "2015-10-25", "2015-06-10"]


@st.composite
def entsoe_files(draw):
    day = pd.Timestamp(draw(st.sampled_from(DAYS)))
    marked = draw(st.booleans())
    list_spring_hour = draw(st.booleans())
    tz = "Europe/Berlin"
    starts = pd.date_range(day.tz_localize(tz), day.tz_localize(tz) + pd.Timedelta("1D"), freq="1h",
                           inclusive="left")
    prices = draw(st.lists(st.floats(-500, 3000, allow_nan=False).map(lambda x: round(x, 2)),
                           min_size=len(starts), max_size=len(starts)))
    rows, content = [], {}
    for t, p in zip(starts, prices):
        e = t + pd.Timedelta("1h")
        mark = f" ({'CEST' if t.dst() else 'CET'})" if marked else ""
        rows.append(f'"{t:%d.%m.%Y %H:%M} - {e.tz_convert(tz):%d.%m.%Y %H:%M}{mark}",{p}')
        content[t.tz_convert("UTC")] = p
        if list_spring_hour and t.strftime("%m-%d %H") == "03-29 01":
            rows.append(f'"29.03.2015 02:00 - 29.03.2015 03:00{" (CET)" if marked else ""}",-')
    return rows, content


@given(entsoe_files(), st.sampled_from(["none", "duplicate", "drop", "price-in-missing-hour", "non-numeric",
                                        "non-finite", "dash"]), st.randoms(use_true_random=False))
def test_entsoe_stores_prices_known_at_13h_or_names_the_line(tiny, case, mutation, rnd):
    rows, content = case
    expected: dict | None = dict(content)
    bad_line = None
    k = rnd.randrange(len(rows))
    if mutation == "duplicate":
        rows.insert(k + 1, rows[k])
        wall = rows[k].split(" - ")[0]
        twins = [i for i, r in enumerate(rows) if r.split(" - ")[0] == wall]
        if len(twins) == 3 and "(C" not in rows[k]:  # an unmarked autumn hour listed three times
            expected, bad_line = None, twins[2] + 2
    elif mutation == "drop":
        if rows[k].endswith(",-"):
            del rows[k]
        else:
            t = sorted(content)[[i for i, r in enumerate(rows) if not r.endswith(",-")].index(k)]
            wall = rows[k].split(" - ")[0]
            del rows[k]
            del expected[t]
            twins = [i for i, r in enumerate(rows) if r.split(" - ")[0] == wall]
            if twins and "(C" not in rows[twins[0]]:  # an unmarked autumn hour now listed once: ambiguous
                expected, bad_line = None, twins[0] + 2
            elif t not in (min(content), max(content)):  # named at the next line with a price
                expected, bad_line = None, next(j for j in range(k, len(rows)) if not rows[j].endswith(",-")) + 2
    elif mutation == "price-in-missing-hour":
        rows.insert(2, '"29.03.2015 02:00 - 29.03.2015 03:00",42')
        if any(r.startswith('"29.03.2015') for r in rows):
            expected, bad_line = None, 4
    elif mutation in ("non-numeric", "non-finite"):
        if not rows[k].endswith(",-"):
            rows[k] = rows[k].rsplit(",", 1)[0] + "," + ("abc" if mutation == "non-numeric" else "inf")
            expected, bad_line = None, k + 2
    elif mutation == "dash":  # a price marked missing: a gap, refused without --allow-gaps
        if not rows[k].endswith(",-"):
            t = sorted(content)[[i for i, r in enumerate(rows) if not r.endswith(",-")].index(k)]
            rows[k] = rows[k].rsplit(",", 1)[0] + ",-"
            del expected[t]
            if t not in (min(content), max(content)):
                expected, bad_line = None, None  # the gap is named at the next priced line
    path = WORK / "entsoe.csv"
    path.write_text(ENTSOE_HEAD + "\n" + "\n".join(rows) + "\n")
    clear(tiny)
    kind, result = outcome(tiny, lambda: raw_entsoe(path), "epex_da")
    if expected is None:
        assert kind == "refused", f"{mutation}: imported a bad file: {result}"
        assert "line " in str(result) and "[rule " in str(result)
        if bad_line is not None:
            assert re.search(rf"line {bad_line}[,:]", str(result)), (mutation, str(result))
        assert stored(tiny, "epex_da") == {}
    else:
        assert kind == "ok", f"{mutation}: refused a valid file: {result}"
        got = stored(tiny, "epex_da")
        assert {t: v for t, (v, _) in got.items()} == pytest.approx(expected)
        for t, (_, h) in got.items():  # known at 13:00 local on the day before delivery
            local_day = t.tz_convert("Europe/Berlin").normalize().tz_localize(None)
            published = (local_day - pd.Timedelta("11h")).tz_localize("Europe/Berlin")
            assert t + pd.Timedelta("1h") - h == published
