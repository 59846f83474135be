"""The planner's workbook: template, worked example, and errors naming sheet, row and column."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from yuzhi.errors import InvalidInput
from yuzhi.schedule.check import check
from yuzhi.schedule.problem import Mode
from yuzhi.schedule.solve import Status, solve
from yuzhi.schedule.workbook import SHEETS, read_workbook, write_template


def test_template_has_every_sheet_with_notes(tmp_path):
    f = write_template(tmp_path / "t.xlsx")
    wb = load_workbook(f)
    assert wb.sheetnames == ["README", *SHEETS]
    ws = wb["routings"]
    assert [c.value for c in ws[1]] == [c for c, _ in SHEETS["routings"]]
    assert "alternative machines" in ws["B1"].comment.text
    with pytest.raises(InvalidInput, match="no machines"):
        read_workbook(f)  # an empty template is not a plan yet


def test_example_reads_and_solves(tmp_path):
    p = read_workbook(write_template(tmp_path / "ex.xlsx", example=True))
    assert [j.name for j in p.jobs] == ["SO-1001", "SO-1002", "SO-1003", "SO-1004", "SO-1005"]
    assert [m.name for m in p.machines] == ["CNC-1", "CNC-2", "LATHE", "PAINT"]
    # bracket step 1 for 40 units: CNC-1 10 + 40·2 = 90, CNC-2 10 + 40·3 = 130
    assert p.jobs[0].operations[0].modes == (Mode(0, 90), Mode(1, 130))
    # shaft step 2 on CNC-2 for 25 units: 10 + ceil(25·1.5) = 48
    assert p.jobs[1].operations[1].modes == (Mode(0, 35), Mode(1, 48))
    assert p.jobs[2].arcs == ((0, 1), (0, 2), (1, 2))  # housing step 3 waits for 1 and 2
    assert p.jobs[2].deadline == 600 and p.jobs[2].release == 60 and p.jobs[2].weight == 3
    assert p.machines[1].unavailable == ((240, 270), (300, 420))  # lunch (all) + maintenance
    assert p.families == ("steel", "alu", "grey", "blue")
    assert p.setup(0, 1) == 25 and p.setup(1, 0) == 30
    assert p.jobs[0].operations[1].breakable
    r = solve(p, time_limit=5, objective="weighted-tardiness")
    assert r.status == Status.OPTIMAL
    assert check(p, r.operations) == []


def _edit(path, sheet, cell, value):
    wb = load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "field", "words"),
    [
        ("routings", "C3", "CNC-9", "sheet 'routings', row 3, column 'machine'", "unknown machine 'CNC-9'"),
        ("orders", "C2", -5, "sheet 'orders', row 2, column 'quantity'", "below 1"),
        ("orders", "B4", "gizmo", "sheet 'orders', row 4, column 'product'", "no routing"),
        ("calendars", "C2", 100, "sheet 'calendars', row 2, column 'end'", "not after start"),
        ("routings", "D2", "fast", "sheet 'routings', row 2, column 'time_per_unit'", "not a number"),
        ("routings", "G10", "7", "sheet 'routings', row 10, column 'after'", "does not exist"),
        ("orders", "D2", "2026-01-01", "sheet 'orders', row 2, column 'release'", "not a number"),
    ],
)
def test_bad_cells_name_sheet_row_column(tmp_path, sheet, cell, value, field, words):
    f = write_template(tmp_path / "ex.xlsx", example=True)
    _edit(f, sheet, cell, value)
    with pytest.raises(InvalidInput) as e:
        read_workbook(f)
    assert e.value.field == field
    assert words in e.value.message


def test_date_times_with_plan_start_and_repeating_calendar(tmp_path):
    import datetime as dt

    f = write_template(tmp_path / "ex.xlsx", example=True)
    wb = load_workbook(f)
    wb["settings"].append(["plan_start", dt.datetime(2026, 3, 2, 8, 0)])
    wb["orders"]["E2"] = dt.datetime(2026, 3, 2, 12, 30)  # 4.5 h after the start = 270 min
    wb["calendars"].append(["LATHE", 600, 660, "nightly cleaning", 1440, 3000])
    wb.save(f)
    p = read_workbook(f)
    assert p.jobs[0].due == 270
    assert p.machines[2].unavailable == ((240, 270), (600, 660), (2040, 2100))
    assert p.plan_start == "2026-03-02T08:00:00"  # kept, so the Gantt can show dates and shift times


def test_not_a_workbook(tmp_path):
    f = tmp_path / "x.xlsx"
    f.write_text("hello")
    with pytest.raises(InvalidInput, match=r"cannot open x\.xlsx"):
        read_workbook(f)
