"""The case file page of an application: case number, timeline with who decided, attachments."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yuzhi import fmt
from yuzhi.accounts.actor import Actor
from yuzhi.vouchers import casefile, review2, service
from yuzhi.vouchers.models import Programme, QuotaApplication
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.forms import done_translated, html_errors
from yuzhi.web.forms import need as _need
from yuzhi.web.forms import on_error as _on_error
from yuzhi.web.forms import page as _page

router = APIRouter(include_in_schema=False)

_ZH = {
    "Case file": "办件档案", "Case number": "办件编号", "Timeline": "办理进度", "Attachments": "附件",
    "Submitted": "提交申请", "Reviewed": "审核（初审）", "Rejected": "不予批准", "Public disclosure": "公示",
    "Objection": "异议", "Quota effective": "额度生效", "pending": "待办", "by": "经办人",
    "contract": "合同", "invoice": "发票", "other": "其他", "Kind": "类型", "File": "文件", "Size": "大小",
    "Uploaded by": "上传人", "Add attachment": "添加附件", "Upload": "上传",
    "PDF, PNG or JPEG scans up to 10 MiB; the content is checked, not the file name.":
        "PDF、PNG 或 JPEG 扫描件，不超过 10 MiB；按文件内容而非文件名检查。",
    "No attachments yet. Add the signed contract and the invoices here.": "还没有附件。请在此添加已签合同和发票。",
    "attachment {name} added to case {case}": "附件 {name} 已加入办件 {case}",
    "Application": "申请", "Created": "创建", "First review": "初审", "Second review": "复核",
    "Record the first review": "记录初审", "Recommend approval": "建议批准", "Recommend rejection": "建议不予批准",
    "Amount (yuan)": "金额（元）", "Reason": "理由", "Save": "保存",
    "This year needs two reviewers: another reviewer takes the second review on the application page.":
        "本年度实行两级审核：初审后，由另一位审核员在申请页面进行复核。",
    "Review and disclosure settings": "审核与公示设置", "Two-step review (初审 and 复核 by different people)":
        "两级审核（初审、复核由不同人员办理）", "Issuing office": "发布单位", "Contact": "联系方式",
    "Issued by": "发布单位", "Disclosure from": "公示开始",
    "settings of {year} saved": "{year} 年度设置已保存",
    "first review of case {case} recorded": "办件 {case} 的初审已记录",
}
#: the timeline's steps by name (the step keys are also application statuses, translated differently)
STEPS = {"submitted": "Submitted", "review": "Reviewed", "first_review": "First review",
         "second_review": "Second review", "rejected": "Rejected", "disclosure": "Public disclosure",
         "objection": "Objection", "effective": "Quota effective"}
_JA = {"Case file": "案件ファイル", "Case number": "案件番号", "Timeline": "経過", "Attachments": "添付",
       "Submitted": "提出", "Reviewed": "審査", "Rejected": "不承認", "Public disclosure": "公示",
       "Objection": "異議", "Quota effective": "発効", "pending": "未処理", "by": "担当", "contract": "契約書",
       "invoice": "請求書", "Created": "作成", "other": "その他", "Uploaded by": "アップロード者",
       "Add attachment": "添付を追加", "Size": "サイズ",
       "PDF, PNG or JPEG scans up to 10 MiB; the content is checked, not the file name.":
           "PDF・PNG・JPEG のスキャン（10 MiB まで）。ファイル名ではなく内容で確認します。",
       "No attachments yet. Add the signed contract and the invoices here.":
           "添付はまだありません。契約書と請求書を追加してください。",
       "attachment {name} added to case {case}": "添付 {name} を案件 {case} に追加しました"}
i18n.register("zh", _ZH)
i18n.register("ja", _JA)
i18n.register("ja", {
    "Contact": "連絡先", "Disclosure from": "公示開始", "First review": "一次審査", "Second review": "二次審査",
    "Issued by": "発行", "Issuing office": "発行機関", "Recommend approval": "承認を推薦",
    "Recommend rejection": "不承認を推薦", "Record the first review": "一次審査を記録",
    "Review and disclosure settings": "審査と公示の設定", "Save": "保存",
    "This year needs two reviewers: another reviewer takes the second review on the application page.":
        "この年度は二人審査です。別の審査員が申請ページで二次審査を行います。",
    "Two-step review (初审 and 复核 by different people)": "二段階審査（一次・二次は別の担当者）",
})


def _ctx(session: Session, actor: Actor, app_id: int) -> dict[str, object]:
    a = service.get_application(session, actor=actor, app_id=app_id)
    year = session.get(Programme, a.programme_id).year  # type: ignore[union-attr]
    return {"a": a, "case": casefile.case_number(a, year), "steps": casefile.timeline(session, a),
            "files": casefile.attachments(session, a), "kinds": casefile.KINDS, "step_names": STEPS,
            "may_attach": actor.is_office or (not actor.is_provider and actor.org_id == a.org_id),
            "settings": review2.settings_for(session, a.programme_id),
            "first": review2.open_first_review(session, a.id)}


@router.get("/vouchers/applications/{app_id}/case", response_class=HTMLResponse)
@html_errors
def case_page(request: Request, session: SessionDep, actor: OptionalUser, app_id: int) -> Response:
    a = _need(actor)
    return _page(request, "vouchers/casefile.html", _ctx(session, a, app_id), a)


@router.post("/vouchers/applications/{app_id}/case/attachments")
@html_errors
async def attach(request: Request, session: SessionDep, actor: OptionalUser, app_id: int,
                 kind: Annotated[str, Form()] = "contract", file: UploadFile | None = None) -> Response:
    a = _need(actor)
    _on_error(request, "vouchers/casefile.html", lambda: _ctx(session, a, app_id))
    app = service.get_application(session, actor=a, app_id=app_id)
    data = await file.read(casefile.MAX_BYTES + 1) if file is not None and file.filename else b""
    row = casefile.add_attachment(session, actor=a, a=app, kind=kind, filename=(file.filename or "") if file else "",
                                  data=data)
    year = session.get(Programme, app.programme_id).year  # type: ignore[union-attr]
    return done_translated(request, f"/vouchers/applications/{app_id}/case", "attachment {name} added to case {case}",
                           name=row.filename, case=casefile.case_number(app, year))


@router.get("/vouchers/applications/{app_id}/case/attachments/{attachment_id}")
@html_errors
def download(request: Request, session: SessionDep, actor: OptionalUser, app_id: int, attachment_id: int) -> Response:
    a = _need(actor)
    app: QuotaApplication = service.get_application(session, actor=a, app_id=app_id)  # tenant check
    row, data = casefile.read_attachment(session, app, attachment_id)
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in row.filename)
    disposition = f"attachment; filename=\"{ascii_name or 'attachment'}\"; filename*=UTF-8''{quote(row.filename)}"
    return Response(data, media_type=row.content_type, headers={
        "Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store"})


@router.post("/vouchers/applications/{app_id}/case/first-review")
@html_errors
def first_review(request: Request, session: SessionDep, actor: OptionalUser, app_id: int,
                 decision: Annotated[str, Form()] = "approve", amount: Annotated[str, Form()] = "",
                 reason: Annotated[str, Form()] = "") -> Response:
    """Record the 初审 in a two-step year (the 复核 is the decision on the application page)."""
    a = _need(actor, office=True)
    _on_error(request, "vouchers/casefile.html", lambda: _ctx(session, a, app_id))
    app = service.get_application(session, actor=a, app_id=app_id)
    try:
        amount_fen = fmt.parse_money(amount, allow_empty=True) if decision == "approve" else None
    except fmt.MoneyError as exc:
        from yuzhi.errors import InvalidInput

        raise InvalidInput(f"{amount!r} is not an amount in yuan ({exc.code})", field="amount",
                           fix="write yuan like 150,000.00 or 15万",
                           key="money_not_a_number", params={"text": amount}) from None
    review2.first_review(session, actor=a, a=app, approve=decision == "approve", amount_fen=amount_fen, reason=reason)
    year = session.get(Programme, app.programme_id).year  # type: ignore[union-attr]
    return done_translated(request, f"/vouchers/applications/{app_id}/case", "first review of case {case} recorded",
                           case=casefile.case_number(app, year))


@router.get("/vouchers/programmes/{year}/case-settings", response_class=HTMLResponse)
@html_errors
def settings_page(request: Request, session: SessionDep, actor: OptionalUser, year: int) -> Response:
    a = _need(actor, office=True)
    return _page(request, "vouchers/case_settings.html", {"year": year, "s": review2.notice(session, year)}, a)


@router.post("/vouchers/programmes/{year}/case-settings")
@html_errors
def save_settings(request: Request, session: SessionDep, actor: OptionalUser, year: int,
                  two_step: Annotated[str, Form()] = "", issuing_office: Annotated[str, Form()] = "",
                  contact: Annotated[str, Form()] = "") -> Response:
    a = _need(actor, admin=True)
    _on_error(request, "vouchers/case_settings.html", lambda: {"year": year, "s": review2.notice(session, year)})
    review2.save_settings(session, actor=a, year=year, two_step=bool(two_step), issuing_office=issuing_office,
                          contact=contact)
    return done_translated(request, f"/vouchers/programmes/{year}/case-settings", "settings of {year} saved",
                           year=year)

