"""The reconciliation workbook people open: Chinese-first headers, amounts in fen also shown in yuan (issue 15)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from yuzhi.compute.reconcile import Difference, Report, to_xlsx


def test_reconcile_workbook_has_chinese_headers_and_yuan_twins() -> None:
    rep = Report(month="2026-11", provider_id=3, jobs_platform=2, jobs_sacct=2, charged_fen=123_456, subsidy_fen=24_691,
                 differences=[Difference("price differs", 7, "1001", "charge_fen", "12345", "12346"),
                              Difference("usage differs", 8, "1002", "elapsed_s", "60", "61")])
    ws = load_workbook(io.BytesIO(to_xlsx(rep))).active
    rows = [tuple(c.value for c in r) for r in ws.iter_rows()]
    assert rows[0][:2] == ("差异类型 kind", "作业 job") and rows[0][-2:] == ("平台（元） platform_yuan",
                                                                          "sacct（元） sacct_yuan")
    assert rows[1][3:] == ("charge_fen", "12345", "12346", 123.45, 123.46)  # a number cell (written as exact Decimal)
    assert rows[2][3:] == ("elapsed_s", "60", "61", None, None)  # not money: no yuan
    assert ws.cell(row=2, column=7).number_format == "#,##0.00"
    totals = {r[0]: r[1] for r in rows[3:] if r and r[0]}
    assert totals["计费金额（分） charged_fen"] == 123_456  # fen stays for programs
    assert totals["计费金额（元） charged_yuan"] == 1234.56
    assert rows[-1][2:4] == ("补贴金额（元） subsidy_yuan", 246.91)
