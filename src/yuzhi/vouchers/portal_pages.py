"""The computing-centre operator's portal (issue 15): API tokens, bill upload in yuan, monthly statement
per customer with export, and each bill's settlement status.

Tokens reuse ``/account`` (create once-shown, list with last use, revoke). The upload checks the whole
file line by line (:mod:`yuzhi.vouchers.portal`) and then records it through the bill desk exactly like
``POST /api/vouchers/bills/batch`` — all or nothing; a bill the batch refuses is reported by its line.
The 对账单 menu item leads a provider here, not to the bill list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.errors import DomainError, Forbidden
from yuzhi.vouchers import portal, reports, service
from yuzhi.vouchers.models import Bill, SettlementBatch
from yuzhi.web import exports, i18n
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.forms import html_errors
from yuzhi.web.forms import need as _need
from yuzhi.web.forms import page as _page

router = APIRouter(include_in_schema=False)

i18n.register("zh", {
    "Provider portal": "服务商门户", "API tokens": "API 令牌", "Upload bills": "上传账单",
    "Monthly statement": "月度对账单", "API documentation": "API 文档",
    "Create, list and revoke the tokens your billing system uses; a new token is shown once.":
        "创建、查看和吊销计费系统使用的令牌；新令牌只显示一次。",
    "A CSV or xlsx file of bills in yuan; the whole file is checked and recorded all or nothing.":
        "上传以元计的 CSV 或 xlsx 账单文件；整份文件逐行检查，全部通过才入账。",
    "Per customer and month, with export.": "按客户、按月汇总，可导出。",
    "Push bills from your billing system over the HTTP API.": "计费系统可通过 HTTP API 推送账单。",
    "Recent bills": "最近账单", "Settlement status": "结算状态", "Customer": "客户", "Invoice": "发票号",
    "Period": "计费期间",
    "Amount (yuan)": "金额（元）", "Subsidy (yuan)": "补贴（元）", "Owed (yuan)": "客户应付（元）",
    "awaiting settlement": "待结算", "no subsidy": "无补贴", "settled, batch {id} draft": "已纳入结算批次 {id}（草稿）",
    "settled, batch {id} exported": "已纳入结算批次 {id}（已导出）",
    "settled, batch {id} paid": "已结算，批次 {id} 已拨付",
    "File": "文件", "Upload": "上传", "Line": "行", "Column": "列", "Problem": "问题", "How to fix": "如何修改",
    "Nothing was recorded: correct these lines and upload the whole file again.":
        "未入账任何账单：请修改以下各行后重新上传整份文件。",
    "{n} bills recorded ({r} already on file), subsidy {subsidy_fen}.":
        "已入账 {n} 张账单（{r} 张此前已入账），补贴 {subsidy_fen}。",
    "Columns": "列", "Template": "模板", "Month": "月份", "Show": "查看", "Bills": "账单", "Credits": "红字",
    "Total": "合计", "Export": "导出",
    "This portal is for computing-centre operators.": "此门户供算力中心运营人员使用。",
    "No bills in this month.": "本月没有账单。",
    "Upload a bill file or push bills over the API; they appear here with their settlement status.":
        "上传账单文件或通过 API 推送账单后，账单及其结算状态会显示在这里。",
    "Download the template": "下载模板",
})

i18n.register("ja", {
    "Provider portal": "事業者ポータル", "API tokens": "API トークン", "Upload bills": "請求書アップロード",
    "Monthly statement": "月次明細", "API documentation": "API ドキュメント",
    "Create, list and revoke the tokens your billing system uses; a new token is shown once.":
        "請求システム用トークンの発行・一覧・失効。新しいトークンは一度だけ表示されます。",
    "A CSV or xlsx file of bills in yuan; the whole file is checked and recorded all or nothing.":
        "元建ての CSV / xlsx 請求ファイル。全行を検査し、すべて正しい場合のみ記録します。",
    "Per customer and month, with export.": "顧客別・月別、エクスポート可。",
    "Push bills from your billing system over the HTTP API.": "請求システムから HTTP API で送信できます。",
    "Recent bills": "最近の請求書", "Settlement status": "精算状況", "Customer": "顧客",
    "Amount (yuan)": "金額（元）", "Subsidy (yuan)": "補助（元）", "Owed (yuan)": "顧客負担（元）",
    "File": "ファイル", "Upload": "アップロード", "Line": "行", "Column": "列", "Problem": "問題",
    "How to fix": "直し方", "Columns": "列", "Month": "月", "Credits": "赤伝",
    "Nothing was recorded: correct these lines and upload the whole file again.":
        "何も記録されていません。以下の行を直してファイル全体を再アップロードしてください。",
    "{n} bills recorded ({r} already on file), subsidy {subsidy_fen}.":
        "{n} 件を記録（既存 {r} 件）、補助 {subsidy_fen}。",
    "Download the template": "テンプレートをダウンロード",
    "awaiting settlement": "精算待ち", "no subsidy": "補助なし",
})

TEMPLATE_HEADER = ["invoice_no", "customer_uscc", "period_start", "period_end", "amount", "kind", "original_invoice_no"]


def _provider(actor: Actor | None) -> Actor:
    a = _need(actor)
    if not a.is_provider:
        raise Forbidden("This portal is for computing-centre operators.")
    return a


@dataclass
class Row:
    bill: Bill
    customer: str
    uscc: str
    status: str  # English key with {id}
    batch_id: int | None


def settlement_status(session: Session, bills: list[Bill]) -> dict[int, tuple[str, int | None]]:
    """Each bill's settlement, from the batch the bill was linked to when the batch was made
    (``Bill.settlement_id``; migration people_0001 filled it for older batches). No link yet:
    awaiting settlement."""
    out: dict[int, tuple[str, int | None]] = {}
    ids = {b.settlement_id for b in bills if b.settlement_id is not None}
    status = dict(session.execute(select(SettlementBatch.id, SettlementBatch.status)
                                  .where(SettlementBatch.id.in_(ids))).all()) if ids else {}
    for b in bills:
        if b.kind != "bill" or b.subsidy_fen == 0:
            out[b.id] = ("no subsidy" if b.kind == "bill" else "", None)
        elif b.settlement_id is not None:
            out[b.id] = (f"settled, batch {{id}} {status.get(b.settlement_id, 'draft')}", b.settlement_id)
        else:
            out[b.id] = ("awaiting settlement", None)
    return out


def _rows(session: Session, actor: Actor, bills: list[Bill]) -> list[Row]:
    customers = service.bill_customers(session, actor=actor, bills=bills)  # only these bills' units
    st = settlement_status(session, bills)
    return [Row(b, *customers.get(b.org_id, (str(b.org_id), "")), *st.get(b.id, ("", None))) for b in bills]


@router.get("/vouchers/portal", response_class=HTMLResponse)
@html_errors
def portal_home(request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    a = _provider(actor)
    bills, _ = service.list_bills(session, actor=a, limit=20)  # the service scopes to the operator's provider
    return _page(request, "vouchers/portal.html", {"rows": _rows(session, a, bills)}, a)


def _upload_ctx() -> dict[str, Any]:
    return {"columns": TEMPLATE_HEADER, "errors": [], "result": None}


@router.get("/vouchers/portal/upload", response_class=HTMLResponse)
@html_errors
def upload_form(request: Request, actor: OptionalUser) -> Response:
    return _page(request, "vouchers/portal_upload.html", _upload_ctx(), _provider(actor))


@router.get("/vouchers/portal/template.csv")
@html_errors
def upload_template(request: Request, actor: OptionalUser) -> Response:
    _provider(actor)
    example = [["INV-2026-0001", "91410100MA00000001", "2026-03-01", "2026-03-31", "12,345.67", "bill", ""]]
    return exports.download("csv", "bills-template", TEMPLATE_HEADER, example)


@router.post("/vouchers/portal/upload", response_class=HTMLResponse)
@html_errors
async def upload(request: Request, actor: OptionalUser, file: UploadFile | None = None) -> Response:
    """Check the whole file; record it through the bill desk (all or nothing) only when every line is clean."""
    a = _provider(actor)
    ctx = _upload_ctx()
    data = await file.read(portal.MAX_BYTES + 1) if file is not None and file.filename else b""
    if not data:
        ctx["errors"] = [portal.LineError(0, "file", "no file was chosen", "choose a .csv or .xlsx file")]
        return _page(request, "vouchers/portal_upload.html", ctx, a, status_code=422)
    parsed = portal.parse(data, (file.filename if file else None) or "", provider_id=None)
    if parsed.errors:
        ctx["errors"] = parsed.errors
        return _page(request, "vouchers/portal_upload.html", ctx, a, status_code=422)
    from yuzhi.vouchers.api import _desk  # the same desk, transaction model and checks as the API batch path

    try:
        pairs = _desk(request).record_run(actor=a, bills_in=parsed.bills, source="portal")
    except DomainError as exc:
        index = getattr(exc, "batch_index", None)
        line = parsed.lines[index] if index is not None and index < len(parsed.lines) else 0
        message = getattr(exc, "item_message", exc.message) if index is not None else exc.message
        field = getattr(exc, "item_field", exc.field) if index is not None else exc.field
        ctx["errors"] = [portal.LineError(line, str(field or ""), message, exc.fix or "")]
        return _page(request, "vouchers/portal_upload.html", ctx, a, status_code=exc.status_code)
    new = [b for b, replay in pairs if not replay]
    ctx["result"] = {"n": len(new), "r": len(pairs) - len(new),
                     "subsidy_fen": sum(b.subsidy_fen if b.kind == "bill" else -b.subsidy_fen for b in new)}
    return _page(request, "vouchers/portal_upload.html", ctx, a, status_code=201)


def _month(value: str | None) -> tuple[date, date]:
    today = date.today()
    try:
        y, m = (int(x) for x in (value or "").split("-")[:2])
        start = date(y, m, 1)
    except (ValueError, TypeError):
        start = today.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, end


@router.get("/vouchers/portal/statement", response_class=HTMLResponse)
@html_errors
def statement(request: Request, session: SessionDep, actor: OptionalUser, month: str | None = None,
              fmt: str = Query("html", pattern="^(html|xlsx|csv)$")) -> Response:
    """The month's bills by customer (by the end of the usage period), with totals and settlement status."""
    a = _provider(actor)
    start, end = _month(month)
    bills = service.month_bills(session, actor=a, start=start, end=end)  # scoped to the operator's provider
    rows = _rows(session, a, bills)
    if fmt != "html":
        lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
        out = [(r.customer, r.uscc, r.bill.invoice_no, r.bill.kind, str(r.bill.period_start), str(r.bill.period_end),
                r.bill.amount_fen, r.bill.subsidy_fen, r.bill.owed_fen,
                i18n.translate(r.status, lang).format(id=r.batch_id) if r.status else "") for r in rows]
        return exports.download(fmt, f"statement-{start:%Y-%m}", ["customer", "uscc", "invoice_no", "kind",
                                "period_start", "period_end", "amount_fen", "subsidy_fen", "owed_fen",
                                "settlement"], out)
    customers: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = customers.setdefault(r.uscc, {"name": r.customer, "uscc": r.uscc, "rows": [], "bills": 0, "credits": 0,
                                          "amount_fen": 0, "subsidy_fen": 0, "owed_fen": 0})
        c["rows"].append(r)
        sign = 1 if r.bill.kind == "bill" else -1
        c["bills" if sign > 0 else "credits"] += 1
        c["amount_fen"] += sign * r.bill.amount_fen
        c["subsidy_fen"] += sign * r.bill.subsidy_fen
        c["owed_fen"] += sign * r.bill.owed_fen
    months = service.bill_period_range(session, actor=a)
    years = sorted(p.year for p in service.list_programmes(session))  # public: the programme years
    try:  # the provider's position with the year: paid, owed back after credit notes (clawbacks), repaid
        position = reports.position(session, actor=a, year=start.year)
    except DomainError:  # no programme that year, or the units are the payees (reimbursement mode)
        position = None
    return _page(request, "vouchers/portal_statement.html", {
        "month": f"{start:%Y-%m}", "customers": list(customers.values()), "first": months[0], "last": months[1],
        "years": years, "position": position,
        "total": {k: sum(c[k] for c in customers.values()) for k in ("amount_fen", "subsidy_fen", "owed_fen")}}, a)
