"""Tabular exports: Excel (.xlsx via openpyxl) and CSV (UTF-8 with BOM so Excel opens Chinese correctly).

Times are stored in UTC and written in the display zone (``YUZHI_TIMEZONE``, 北京时间) to the minute, the
same rule as the pages (:mod:`yuzhi.fmt`): a datetime cell becomes ``2026-12-09 18:53``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from fastapi.responses import Response


def _local(row: Sequence[object]) -> list[object]:
    """A row with every datetime shown in the display zone, to the minute (xlsx cannot hold a zone anyway)."""
    from yuzhi.fmt import local_time

    return [local_time(v) if isinstance(v, datetime) else v for v in row]


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(headers))
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append(_local(r))
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(_local(r) for r in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def download(fmt: str, name: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Response:
    """A file response in ``xlsx`` or ``csv``."""
    if fmt == "xlsx":
        return Response(to_xlsx(name, headers, rows),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return Response(to_csv(headers, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
