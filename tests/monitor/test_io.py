"""Sensor table reader: separators, errors naming row and column, sampling report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yuzhi.errors import InvalidInput
from yuzhi.monitor.io import read_table


def write(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_semicolon_and_comma_give_the_same_table(tmp_path):
    a = read_table(write(tmp_path, "datetime;p;q\n2024-01-01 00:00:00;1.5;2\n2024-01-01 00:00:01;2;3\n"))
    b = read_table(write(tmp_path, "timestamp,p,q\n2024-01-01 00:00:00,1.5,2\n2024-01-01 00:00:01,2,3\n", "b.csv"))
    assert a.sensors == b.sensors == ("p", "q")
    np.testing.assert_array_equal(a.values, [[1.5, 2.0], [2.0, 3.0]])
    np.testing.assert_array_equal(a.values, b.values)
    assert a.seconds().tolist() == [0.0, 1.0]
    assert a.raw_time == ("2024-01-01 00:00:00", "2024-01-01 00:00:01")


def test_parquet(tmp_path):
    p = tmp_path / "d.parquet"
    pd.DataFrame({"timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"]), "t": [4.0, 5.0]}).to_parquet(p)
    t = read_table(p)
    assert t.sensors == ("t",) and t.values[:, 0].tolist() == [4.0, 5.0]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("timestamp,p\n2024-01-01 00:00:00,1\nyesterday,2\n", "row 2 (line 3), column 'timestamp'"),
        ("timestamp,p\n2024-01-01 00:00:00,1\n2024-01-01 00:00:01,12 bar\n", "row 2 (line 3), column 'p': '12 bar'"),
        ("timestamp,p\n", "no data rows"),
        ("timestamp,p\n2024-01-01 00:00:05,1\n2024-01-01 00:00:01,2\n",
         "row 2 (line 3), column 'timestamp': time goes backwards"),
        ("t0,p\n2024-01-01,1\n", "no time column"),
    ],
)
def test_bad_input_names_row_and_column(tmp_path, text, needle):
    with pytest.raises(InvalidInput) as exc:
        read_table(write(tmp_path, text))
    assert needle in str(exc.value)


def test_empty_file(tmp_path):
    with pytest.raises(InvalidInput, match="is empty"):
        read_table(write(tmp_path, ""))


def test_expected_sensors_and_ignore(tmp_path):
    p = write(tmp_path, "timestamp,a,b,label\n2024-01-01,1,2,0\n")
    with pytest.raises(InvalidInput, match=r"lacks sensor column.*: c"):
        read_table(p, ignore=["label"], expect=["a", "c"])
    with pytest.raises(InvalidInput, match="does not know: label"):
        read_table(p, expect=["a", "b"])
    t = read_table(p, ignore=["label"], expect=["b", "a"])
    assert t.sensors == ("b", "a") and t.values.tolist() == [[2.0, 1.0]]
    assert t.extra["label"].tolist() == ["0"]


def test_sort_dedupe_and_gap_report(tmp_path):
    text = ("timestamp,p\n"
            "2024-01-01 00:00:00,1\n2024-01-01 00:00:10,2\n2024-01-01 00:00:10,9\n"
            "2024-01-01 00:00:05,3\n2024-01-01 00:00:40,4\n2024-01-01 00:00:45,\n")
    t = read_table(write(tmp_path, text), order="sort", dedupe=True)
    assert t.values[:, 0].tolist()[:4] == [1.0, 3.0, 2.0, 4.0]
    assert np.isnan(t.values[4, 0])
    r = t.report
    # rows 0,5,10,40,45 s: period 5 s; 10→40 s misses 25,30,35 plus 15,20 → 5 samples.
    assert (r.out_of_order, r.duplicates, r.rows, r.period_s, r.missing) == (1, 1, 5, 5.0, 5)
    assert r.empty_cells == {"p": 1}
    assert r.gaps[0].start == "2024-01-01 00:00:10" and r.gaps[0].missing == 5
