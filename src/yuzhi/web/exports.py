"""Tabular exports: Excel (.xlsx via openpyxl) and CSV (UTF-8 with BOM so Excel opens Chinese correctly).

People open these files, programs read them. So every ``*_fen`` column stays an integer (for programs)
and gets a twin right after it in yuan with a Chinese-first header (``金额（元） amount_yuan``, an exact
``Decimal`` with two places, never float). Times are stored in UTC and written in the display zone
(``YUZHI_TIMEZONE``, 北京时间) to the minute with the offset spelt out, because a file travels without
its page: a datetime cell becomes ``2026-12-09 18:53 +08:00``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from fastapi.responses import Response

#: ``*_fen`` column → the Chinese-first header of its yuan twin (others: ``<name>（元） <name>_yuan``)
YUAN_HEADERS = {
    "amount_fen": "金额（元） amount_yuan", "eligible_fen": "可补贴金额（元） eligible_yuan",
    "subsidy_fen": "补贴金额（元） subsidy_yuan", "owed_fen": "应付金额（元） owed_yuan",
    "province_fen": "省级承担（元） province_yuan", "city_fen": "市级承担（元） city_yuan",
    "approved_fen": "批准额度（元） approved_yuan", "planned_spend_fen": "计划支出（元） planned_spend_yuan",
    "quota_fen": "额度（元） quota_yuan", "used_fen": "已用（元） used_yuan", "total_fen": "合计（元） total_yuan",
}


def _local(value: datetime) -> str:
    """``2026-12-09 18:53 +08:00``: the display zone, to the minute, with its offset (xlsx holds no zone)."""
    from yuzhi.fmt import local_time, to_local

    off = to_local(value).strftime("%z")
    return f"{local_time(value)} {off[:3]}:{off[3:]}"


def _yuan(value: object) -> object:
    return Decimal(value).scaleb(-2) if isinstance(value, int) and not isinstance(value, bool) else value


def for_people(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> tuple[list[str], list[list[object]]]:
    """Headers and rows with a yuan twin after each ``*_fen`` column (unless the export already has its
    ``*_yuan``) and every datetime in the display zone with its offset."""
    twins = [i for i, h in enumerate(headers) if h.endswith("_fen") and f"{h[:-4]}_yuan" not in headers]
    out_headers: list[str] = []
    for i, h in enumerate(headers):
        out_headers.append(h)
        if i in twins:
            out_headers.append(YUAN_HEADERS.get(h, f"{h[:-4]}（元） {h[:-4]}_yuan"))
    out_rows: list[list[object]] = []
    for r in rows:
        row: list[object] = []
        for i, v in enumerate(r):
            row.append(_local(v) if isinstance(v, datetime) else v)
            if i in twins:
                row.append(_yuan(v))
        out_rows.append(row)
    return out_headers, out_rows


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    headers, people_rows = for_people(headers, rows)
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(headers))
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in people_rows:
        ws.append(r)
        for c in ws[ws.max_row]:
            if isinstance(c.value, Decimal):
                c.number_format = "#,##0.00"
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    headers, people_rows = for_people(headers, rows)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(people_rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def download(fmt: str, name: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Response:
    """A file response in ``xlsx`` or ``csv``."""
    if fmt == "xlsx":
        return Response(to_xlsx(name, headers, rows),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return Response(to_csv(headers, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


#: the settlement file's Chinese-first amount (people); ``amount_yuan`` stays as the documented machine column
SETTLED_HEADER = "结算金额（元） settled_yuan"


def settlement_file(batch: object) -> tuple[list[str], list[list[object]]]:
    """The treasury's payment file for a settlement batch (API, page and CLI write the same columns).

    ``amount_fen`` and ``amount_yuan`` (text ``1234.56``) keep their names because the treasury's
    import reads them by header (docs/formats.md); the Chinese-first ``结算金额（元）`` column is
    added next to ``amount_fen`` for people, and the province and city shares get their yuan twins.
    """
    headers = ["batch", "payee_type", "payee_id", "payee", "amount_fen", SETTLED_HEADER, "province_fen", "city_fen",
               "amount_yuan", "bills"]
    rows: list[list[object]] = [
        [batch.id, ln.payee_type, ln.payee_id, ln.payee_name, ln.amount_fen,  # type: ignore[attr-defined]
         _yuan(ln.amount_fen), ln.province_fen, ln.city_fen, f"{ln.amount_fen // 100}.{ln.amount_fen % 100:02d}",
         ln.bill_count]
        for ln in batch.lines]  # type: ignore[attr-defined]
    return headers, rows
