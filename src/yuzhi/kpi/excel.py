"""Read and write the quarterly-report Excel workbook (pure: bytes in, rows out; no database).

The template has one sheet, ``季度报表``, with a header row and one row per organisation-quarter.
Headers may be Chinese or English. Every problem is reported with the sheet, row and column
(``季度报表!D5``) and what to type instead, and the whole file is refused: nothing is written
unless every row is valid.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from yuzhi.errors import InvalidInput
from yuzhi.types import MAX_FEN

SHEET = "季度报表"

#: (key, Chinese header, English header, kind)
COLUMNS: list[tuple[str, str, str, str]] = [
    ("uscc", "统一社会信用代码", "uscc", "text"),
    ("year", "年度", "year", "int"),
    ("quarter", "季度", "quarter", "quarter"),
    ("ai_revenue_fen", "人工智能营业收入(元)", "ai_revenue_yuan", "money"),
    ("rd_spend_fen", "研发投入(元)", "rd_spend_yuan", "money"),
    ("employees", "从业人员(人)", "employees", "int"),
    ("ai_products", "人工智能产品数(个)", "ai_products", "int"),
]

#: Largest whole number accepted per counted column (the same bounds as the API's ``ReportIn``), so a
#: workbook that ``yuzhi kpi check-file`` calls valid is never refused (or a 500) on upload.
_MAX_COUNT = {"从业人员(人)": 10_000_000, "employees": 10_000_000, "人工智能产品数(个)": 1_000_000,
              "ai_products": 1_000_000}


@dataclass(frozen=True)
class ReportRow:
    row: int  # 1-based Excel row number, for messages
    uscc: str
    year: int
    quarter: int
    ai_revenue_fen: int
    rd_spend_fen: int
    employees: int
    ai_products: int


def template(rows: list[tuple[object, ...]] | None = None) -> bytes:
    """An empty (or pre-filled) workbook in the expected layout, for download."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([c[1] for c in COLUMNS])
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows or []:
        ws.append(list(r))
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("说明 notes")
    notes.append(["One row per quarter. Money in yuan (up to 2 decimals), not 万元. Quarter 1-4 (or Q1-Q4)."])
    notes.append(["每行一个季度；金额单位为元（最多两位小数），不是万元；季度填 1-4。"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _err(where: str, message: str, fix: str, key: str, **params: object) -> InvalidInput:
    """A cell error: English for the API, a catalog ``key`` with the cell and values for the page's language."""
    return InvalidInput(f"{where}: {message}", field=where, fix=fix, key=key, params={"cell": where, **params})


def _decimal(v: object, kind: str, where: str, header: str) -> Decimal:
    """A non-empty cell as a finite, non-negative Decimal ("Q3" accepted for a quarter; thousands commas dropped)."""
    if kind == "quarter" and isinstance(v, str) and v.strip().upper().startswith("Q"):
        v = v.strip()[1:]
    try:
        d = Decimal(str(v).strip().replace(",", ""))
    except InvalidOperation:
        raise _err(where, f"{header} is {str(v)!r}, which is not a number",
                   "type digits only (no units or text such as '万' or '约')", "kpi_cell_not_number",
                   header=header, text=str(v)) from None
    if not d.is_finite():
        raise _err(where, f"{header} is {v!r}, not a finite number", "type a number", "kpi_cell_not_number",
                   header=header, text=str(v))
    if d < 0:
        raise _err(where, f"{header} is negative ({d})", "report zero or a positive figure", "kpi_cell_negative",
                   header=header, text=str(d))
    return d


def _fen(d: Decimal, where: str, header: str) -> int:
    """Yuan to integer fen: at most two decimals and at most ``MAX_FEN``."""
    fen = d * 100
    if fen != fen.to_integral_value():
        raise _err(where, f"{header} {d} has more than two decimals", "give the amount in yuan, to the fen",
                   "kpi_cell_sub_fen", header=header, text=str(d))
    if fen > MAX_FEN:
        raise _err(where, f"{header} {d} is above the largest amount accepted ({MAX_FEN // 100:,} yuan)",
                   "check the unit: amounts are in yuan (元), not fen or 万元", "kpi_cell_too_large",
                   header=header, text=str(d), max_fen=MAX_FEN)
    return int(fen)


def _cell_value(v: object, kind: str, where: str, header: str) -> object:
    if kind == "text":
        s = "" if v is None else str(v).strip().upper()
        if not s:
            raise _err(where, f"{header} is empty", "fill in the organisation's 18-character USCC",
                       "kpi_cell_uscc_empty", header=header)
        return s
    if v is None or (isinstance(v, str) and not v.strip()):
        raise _err(where, f"{header} is empty", "fill in a number (0 if none)", "kpi_cell_empty", header=header)
    if isinstance(v, bool):
        raise _err(where, f"{header} is {v!r}, not a number", "type a number", "kpi_cell_not_number",
                   header=header, text=str(v))
    d = _decimal(v, kind, where, header)
    if kind == "money":
        return _fen(d, where, header)
    if d != d.to_integral_value():
        raise _err(where, f"{header} {d} is not a whole number", "type a whole number", "kpi_cell_not_whole",
                   header=header, text=str(d))
    n = int(d)
    if kind == "quarter" and not 1 <= n <= 4:
        raise _err(where, f"{header} is {n}; a quarter is 1 to 4", "type 1, 2, 3 or 4", "kpi_cell_quarter",
                   header=header, text=str(n))
    if header in ("年度", "year") and not 2020 <= n <= 2100:
        raise _err(where, f"{header} is {n}", "type a four-digit year such as 2026", "kpi_cell_year",
                   header=header, text=str(n))
    if n > _MAX_COUNT.get(header, 10**9):
        raise _err(where, f"{header} is {n}, above the largest figure accepted ({_MAX_COUNT.get(header, 10**9):,})",
                   "check the figure: it is a count, not an amount", "kpi_cell_count_too_large",
                   header=header, text=str(n), most=f"{_MAX_COUNT.get(header, 10**9):,}")
    return n


def parse(data: bytes, *, sheet: str = SHEET) -> list[ReportRow]:
    """Every data row of the workbook, validated; raises :class:`InvalidInput` on the first problem."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError variants
        raise InvalidInput(f"the file is not an Excel .xlsx workbook ({type(exc).__name__})", field="file",
                           fix="save the report as .xlsx from the downloaded template",
                           key="kpi_not_xlsx", params={"error": type(exc).__name__}) from None
    if sheet not in wb.sheetnames:
        raise InvalidInput(f"sheet '{sheet}' not found; the workbook has sheets {wb.sheetnames}", field="sheet",
                           fix=f"put the figures on a sheet named '{sheet}' (use the downloaded template)",
                           key="kpi_no_sheet", params={"sheet": sheet, "sheets": ", ".join(wb.sheetnames)})
    ws = wb[sheet]
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        raise InvalidInput(f"sheet '{sheet}' is empty", field=f"{sheet}!A1", fix="fill in the template's header row",
                           key="kpi_sheet_empty", params={"sheet": sheet})
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    where_col: dict[str, int] = {}
    for key, zh, en, _kind in COLUMNS:
        for i, h in enumerate(header):
            if h in (zh, en):
                where_col[key] = i
                break
        else:
            raise InvalidInput(f"sheet '{sheet}' row 1 has no column '{zh}' ({en}); found {[h for h in header if h]}",
                               field=f"{sheet}!1", fix="keep the template's header row unchanged",
                               key="kpi_no_column", params={"sheet": sheet, "column": zh})
    out: list[ReportRow] = []
    seen: dict[tuple[str, int, int], int] = {}
    for r, values in enumerate(rows[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        parsed: dict[str, object] = {}
        for key, zh, _en, kind in COLUMNS:
            i = where_col[key]
            v = values[i] if i < len(values) else None
            parsed[key] = _cell_value(v, kind, f"{sheet}!{get_column_letter(i + 1)}{r}", zh)
        k = (str(parsed["uscc"]), int(parsed["year"]), int(parsed["quarter"]))  # type: ignore[call-overload]
        if k in seen:
            raise InvalidInput(f"sheet '{sheet}' rows {seen[k]} and {r} both report {k[1]} Q{k[2]} for {k[0]}",
                               field=f"{sheet}!{r}", fix="keep one row per organisation and quarter",
                               key="kpi_duplicate_row", params={"sheet": sheet, "first": seen[k], "row": r,
                                       "year": k[1], "quarter": k[2], "uscc": k[0]})
        seen[k] = r
        out.append(ReportRow(row=r, **parsed))  # type: ignore[arg-type]
    if not out:
        raise InvalidInput(f"sheet '{sheet}' has a header but no data rows", field=f"{sheet}!2",
                           fix="add one row per quarter below the header",
                           key="kpi_no_rows", params={"sheet": sheet})
    return out
