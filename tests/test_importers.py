"""Importers on valid files and on each kind of bad file; nothing half-written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bvp_lib.data.importers import (
    ImportFileError,
    convert_units,
    import_series,
    read_design_excel,
    read_entsoe_prices,
    read_tidy_csv,
)
from tests.helpers import load_tiny


def count(engine) -> int:
    with engine.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM timed_beliefs")).scalar()


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def tidy(tmp_path, values=(1000, 2000, 3000, 4000), start="2015-04-12T00:00+02:00", freq="15min", unit_col="value"):
    idx = pd.date_range(start, periods=len(values), freq=freq)
    body = "\n".join(f"{t.isoformat()},{v}" for t, v in zip(idx, values))
    return write(tmp_path, "pv.csv", f"timestamp,{unit_col}\n{body}\n")


def test_unit_conversion():
    s = pd.Series([1000.0])
    assert convert_units(s, "kW", "MW").iloc[0] == 1.0
    assert convert_units(s, "W", "MW").iloc[0] == 0.001
    # 250 kWh in a quarter-hour is 1 MW
    assert convert_units(pd.Series([250.0]), "kWh", "MW", pd.Timedelta("15min")).iloc[0] == pytest.approx(1.0)
    assert convert_units(pd.Series([3.2]), "ct/kWh", "EUR/MWh").iloc[0] == pytest.approx(32.0)
    with pytest.raises(ValueError, match="'°C' cannot be converted.*MW"):
        convert_units(s, "°C", "MW")


def test_tidy_csv_roundtrip_kw(db, tmp_path):
    load_tiny(db)
    s = read_tidy_csv(tidy(tmp_path), unit="kW")
    assert s.index.tz is not None and list(s) == [1.0, 2.0, 3.0, 4.0]
    rep = import_series(s, "pv-1", bind=db)
    assert rep.rows == 4 and count(db) == 4
    import_series(s, "pv-1", bind=db)
    assert count(db) == 4  # idempotent


def test_consumption_positive_is_negated(tmp_path):
    s = read_tidy_csv(tidy(tmp_path, values=(100, 100)), unit="kWh", sign="consumption-positive")
    assert list(s) == [-0.4, -0.4]  # 100 kWh per quarter-hour = 0.4 MW consumed


def test_dry_run_stores_nothing(db, tmp_path):
    load_tiny(db)
    rep = import_series(read_tidy_csv(tidy(tmp_path), unit="kW"), "pv-1", dry_run=True, bind=db)
    assert rep.rows == 4 and "would store" in str(rep) and count(db) == 0


@pytest.mark.parametrize(
    "text, match",
    [
        ("time;val\n2015-04-12T00:00+02:00\n", "line 2, column 'val': the value is missing. \\[rule value-required\\]"),
        ("timestamp,value\nyesterday,1\n", "line 2, column 'timestamp': cannot read timestamp 'yesterday'"),
        ("timestamp,value\n2015-04-12T00:00+02:00,1\n2015-04-12T00:15+02:00,abc\n", "line 3, column 'value': 'abc' is not a number"),
        ("timestamp,value\n2015-04-12T00:00+02:00,1\n2015-04-12T00:00+02:00,2\n", "line 3, column 'timestamp': timestamp .* is on lines 2 and 3 with different values"),
        ("timestamp,value\n2015-04-12T00:00,1\n", "no UTC offset"),
    ],
)
def test_bad_csv_named(tmp_path, text, match):
    with pytest.raises(ImportFileError, match=match) as e:
        read_tidy_csv(write(tmp_path, "bad.csv", text), unit="kW")
    assert "bad.csv" in str(e.value)


def test_gap_refused_then_allowed(db, tmp_path):
    load_tiny(db)
    p = write(tmp_path, "gap.csv", "t,v\n2015-04-12T00:00Z,1\n2015-04-12T00:15Z,1\n2015-04-12T01:00Z,1\n")
    s = read_tidy_csv(p, unit="MW")
    with pytest.raises(ImportFileError, match="gap after .*2 step\\(s\\) of 15min missing"):
        import_series(s, "pv-1", path=p, bind=db)
    assert count(db) == 0
    import_series(s, "pv-1", path=p, allow_gaps=True, bind=db)
    assert count(db) == 3


def test_wrong_resolution_refused(db, tmp_path):
    load_tiny(db)
    s = read_tidy_csv(tidy(tmp_path, freq="1h"), unit="kW")
    with pytest.raises(ImportFileError, match="steps are 1h or longer, the sensor's 15min"):
        import_series(s, "pv-1", bind=db)


def test_local_timezone_csv_dst(tmp_path):
    # the autumn DST day in local time: 02:00-02:45 twice, inferred from order
    idx = pd.date_range("2015-10-25 00:00", "2015-10-25 23:45", freq="15min", tz="Europe/Berlin")
    body = "\n".join(f"{t.strftime('%Y-%m-%d %H:%M')},1" for t in idx)
    s = read_tidy_csv(write(tmp_path, "dst.csv", "t,v\n" + body + "\n"), unit="MW", timezone="Europe/Berlin")
    assert len(s) == 100 and s.index.is_unique


ENTSOE_HEAD = '"MTU (CET/CEST)","Day-ahead Price [EUR/MWh]"\n'


def test_entsoe_prices_dst_marked_and_inferred(tmp_path):
    rows = [f'"25.10.2015 {h:02d}:00 - 25.10.2015 {h + 1:02d}:00",{h}.5' for h in range(0, 2)]
    rows += ['"25.10.2015 02:00 - 25.10.2015 03:00 (CEST)",2.5', '"25.10.2015 02:00 - 25.10.2015 03:00 (CET)",2.6']
    rows += [f'"25.10.2015 {h:02d}:00 - 25.10.2015 {h + 1:02d}:00",{h}.5' for h in range(3, 23)]
    rows += ['"25.10.2015 23:00 - 26.10.2015 00:00",23.5']
    s = read_entsoe_prices(write(tmp_path, "entsoe.csv", ENTSOE_HEAD + "\n".join(rows) + "\n"))
    assert len(s) == 25 and s.index.is_monotonic_increasing and s.index.is_unique
    assert s.index[0] == pd.Timestamp("2015-10-24 22:00", tz="UTC")
    assert s.loc[pd.Timestamp("2015-10-25 00:00", tz="UTC")] == 2.5  # 02:00 CEST
    assert s.loc[pd.Timestamp("2015-10-25 01:00", tz="UTC")] == 2.6  # 02:00 CET
    unmarked = [r.replace(" (CEST)", "").replace(" (CET)", "") for r in rows]
    s2 = read_entsoe_prices(write(tmp_path, "entsoe2.csv", ENTSOE_HEAD + "\n".join(unmarked) + "\n"))
    pd.testing.assert_series_equal(s, s2)


def test_entsoe_spring_day_and_bad_rows(tmp_path):
    rows = [f'"29.03.2015 {h:02d}:00 - 29.03.2015 {h + 1:02d}:00",{h}' for h in range(24) if h != 2]
    s = read_entsoe_prices(write(tmp_path, "spring.csv", ENTSOE_HEAD + "\n".join(rows) + "\n"))
    assert len(s) == 23
    with pytest.raises(ImportFileError, match="line 3, column 'MTU \\(CET/CEST\\)': cannot read interval"):
        read_entsoe_prices(write(tmp_path, "b.csv", ENTSOE_HEAD + rows[0] + "\n" + '"garbage",1\n'))
    with pytest.raises(ImportFileError, match="line 2, column 'Day-ahead Price \\[EUR/MWh\\]': 'abc' is not a number"):
        read_entsoe_prices(write(tmp_path, "c.csv", ENTSOE_HEAD + rows[0].rsplit(",", 1)[0] + ",abc\n"))
    with pytest.raises(ImportFileError, match="expected an 'MTU"):
        read_entsoe_prices(write(tmp_path, "d.csv", "a,b\n1,2\n"))


def test_design_excel(tmp_path):
    idx = pd.date_range("2015-01-01", periods=8, freq="15min")
    p = tmp_path / "design.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"time": idx, "GHI": np.arange(8.0)}).to_excel(w, sheet_name="0_Weather", index=False)
        pd.DataFrame({"time": idx, "P_kW": np.arange(8.0) * 100}).to_excel(w, sheet_name="1_PV_Hof", index=False)
    s = read_design_excel(p, "1_PV", "P_kW", unit="kW", timezone="Europe/Berlin")
    assert s.iloc[1] == pytest.approx(0.1) and str(s.index.tz) == "UTC"
    with pytest.raises(ImportFileError, match="no column 'P_MW'"):
        read_design_excel(p, "1_PV", "P_MW", unit="kW")
    with pytest.raises(ImportFileError, match="sheet '2_WT' matches nothing"):
        read_design_excel(p, "2_WT", "P", unit="kW")
    (tmp_path / "broken.xlsx").write_text("not excel")
    with pytest.raises(ImportFileError, match="not a readable Excel file"):
        read_design_excel(tmp_path / "broken.xlsx", "0_Weather", "GHI", unit="MW")
