"""The computing-centre operator's bill file, read without a database: CSV or xlsx, amounts in yuan.

Pure core of the provider portal's upload form (``vouchers/portal_pages.py``). Every line of the file
is checked and every problem is reported (line, column, what, how to fix) before anything is written;
only a clean file is turned into :class:`BillIn` items, which then go through the same all-or-nothing
batch path as ``POST /api/vouchers/bills/batch``. Amounts are read as people write them (1,234.56,
50万, ¥800) by :func:`yuzhi.fmt.parse_money` — exact to the fen, no float.

Columns (English or Chinese headers): invoice_no/发票号, customer_uscc/客户统一社会信用代码,
period_start/开始日期, period_end/结束日期, amount/金额(元), kind/类型 (bill/credit, optional),
original_invoice_no/原发票号 (credit notes only).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pydantic import ValidationError

from yuzhi import fmt
from yuzhi.vouchers.schemas import BillIn

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 1000  # the API batch limit (vouchers.bills.MAX_BATCH)

#: header spellings people use → the field
HEADERS = {
    "invoice_no": "invoice_no", "invoice": "invoice_no", "发票号": "invoice_no", "发票号码": "invoice_no",
    "customer_uscc": "customer_uscc", "uscc": "customer_uscc", "客户统一社会信用代码": "customer_uscc",
    "统一社会信用代码": "customer_uscc",
    "period_start": "period_start", "开始日期": "period_start", "计费开始": "period_start",
    "period_end": "period_end", "结束日期": "period_end", "计费结束": "period_end",
    "amount": "amount", "amount_yuan": "amount", "金额": "amount", "金额(元)": "amount", "金额（元）": "amount",
    "kind": "kind", "类型": "kind", "original_invoice_no": "original_invoice_no", "原发票号": "original_invoice_no",
}
REQUIRED = ("invoice_no", "customer_uscc", "period_start", "period_end", "amount")
KINDS = {"bill": "bill", "账单": "bill", "credit": "credit", "红字": "credit", "冲红": "credit", "贷项": "credit"}


@dataclass(frozen=True)
class LineError:
    """One problem of the file: ``line`` as a spreadsheet shows it (header = line 1)."""

    line: int
    column: str
    message: str
    fix: str


@dataclass
class Parsed:
    bills: list[BillIn]
    lines: list[int]  # the file line of each bill (to name a line when the batch refuses one)
    errors: list[LineError]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):  # an xlsx number: its shortest decimal text, no binary noise
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as text. xlsx: the first sheet, values only (formulas' cached results; no macros
    run). CSV: UTF-8 (with or without BOM) or GB18030, as Excel in China saves it."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"the file is {len(data) // 1024} KiB; at most {MAX_BYTES // 1024 // 1024} MiB")
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # a broken or foreign file: say so, never a trace
            raise ValueError(f"not a readable .xlsx workbook ({type(exc).__name__})") from None
        ws = wb.worksheets[0]
        rows = [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ValueError("the file is neither UTF-8 nor GB18030 text")
    if "\x00" in text:
        raise ValueError("not a CSV text file (binary content)")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def parse(data: bytes, filename: str, *, provider_id: int | None = None) -> Parsed:
    """Check every line; return the bills (when there is no error) and every error found."""
    try:
        rows = read_rows(data, filename)
    except ValueError as exc:
        return Parsed([], [], [LineError(0, "", str(exc), "save it as .csv (UTF-8) or .xlsx and upload again")])
    rows = [r for r in rows if any(c for c in r)]
    if not rows:
        return Parsed([], [], [LineError(1, "", "the file is empty", "add a header line and one line per bill")])
    header = [HEADERS.get(h.strip().lower().replace(" ", ""), HEADERS.get(h.strip(), "")) for h in rows[0]]
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        return Parsed([], [], [LineError(1, ", ".join(missing), "the header lacks these columns",
                                         "use the template's header: " + ", ".join(REQUIRED))])
    if len(rows) - 1 > MAX_ROWS:
        return Parsed([], [], [LineError(0, "", f"{len(rows) - 1} bills in one file; at most {MAX_ROWS}",
                                         f"split the file into files of {MAX_ROWS} lines or fewer")])
    bills: list[BillIn] = []
    lines: list[int] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        rec = {f: (row[i] if i < len(row) else "") for i, f in enumerate(header) if f}
        data_in: dict[str, object] = {k: v for k, v in rec.items() if v and k != "amount"}
        try:
            data_in["amount_fen"] = fmt.parse_money(rec.get("amount"))
        except fmt.MoneyError as exc:
            errors.append(LineError(n, "amount", f"{rec.get('amount')!r} is not an amount in yuan ({exc.code})",
                                    "write yuan like 1,234.56 or 50万; more than 0, at most to the fen"))
            continue
        if "kind" in data_in:
            kind = KINDS.get(str(data_in["kind"]).lower())
            if kind is None:
                errors.append(LineError(n, "kind", f"{data_in['kind']!r} is not a kind",
                                        "write bill (账单) or credit (红字)"))
                continue
            data_in["kind"] = kind
        if provider_id is not None:
            data_in["provider_id"] = provider_id
        inv = str(data_in.get("invoice_no", ""))
        if inv in seen:
            errors.append(LineError(n, "invoice_no", f"invoice {inv} is already on line {seen[inv]}",
                                    "each invoice once per file; a correction is a credit note"))
            continue
        seen[inv] = n
        try:
            bills.append(BillIn(**data_in))
            lines.append(n)
        except ValidationError as exc:
            for e in exc.errors():
                col = ".".join(str(p) for p in e.get("loc", ())) or "line"
                errors.append(LineError(n, "amount" if col == "amount_fen" else col, e.get("msg", "invalid"),
                                        "correct this cell (dates as 2026-03-31)"))
    return Parsed(bills if not errors else [], lines if not errors else [], errors)
