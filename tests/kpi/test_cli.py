"""``yuzhi kpi`` commands that need no database."""

import pytest
from typer.testing import CliRunner

from tests.kpi.builders import workbook
from yuzhi.errors import InvalidInput
from yuzhi.kpi.cli import app

runner = CliRunner()


def test_path_prints_planned_and_recomputed_growth():
    r = runner.invoke(app, ["path", "--actual", "2025=950"])
    assert r.exit_code == 0, r.output
    assert "planned 31.7%/yr" in r.output and "still required from 2025: 29.8%/yr" in r.output
    assert "922.09" in r.output and "1,232.88" in r.output  # 950 × sqrt(1600/950)


def test_check_file_validates_offline(tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([["91410100MA0000000X", 2026, 1, "1,000.50", 20, 7, 1]]))
    r = runner.invoke(app, ["check-file", str(good)])
    assert r.exit_code == 0 and "1 row(s) valid" in r.output and "1,000.50" in r.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([["91410100MA0000000X", 2026, 1, "abc", 20, 7, 1]]))
    r = runner.invoke(app, ["check-file", str(bad)])
    assert isinstance(r.exception, InvalidInput) and r.exception.field == "季度报表!D2"


def test_bad_actual_is_refused():
    r = runner.invoke(app, ["path", "--actual", "2025=lots"])
    with pytest.raises(InvalidInput, match="is not YEAR=亿元"):
        raise r.exception
