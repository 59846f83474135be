"""The case file page of an application: case number, timeline with who decided, attachments."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.vouchers import casefile, service
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
    "Application": "申请", "Created": "创建",
}
#: the timeline's steps by name (the step keys are also application statuses, translated differently)
STEPS = {"submitted": "Submitted", "review": "Reviewed", "rejected": "Rejected", "disclosure": "Public disclosure",
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


def _ctx(session: Session, actor: Actor, app_id: int) -> dict[str, object]:
    a = service.get_application(session, actor=actor, app_id=app_id)
    year = session.get(Programme, a.programme_id).year  # type: ignore[union-attr]
    return {"a": a, "case": casefile.case_number(a, year), "steps": casefile.timeline(session, a),
            "files": casefile.attachments(session, a), "kinds": casefile.KINDS, "step_names": STEPS,
            "may_attach": actor.is_office or (not actor.is_provider and actor.org_id == a.org_id)}


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
    row = casefile.add_attachment(session, actor=a, a=app, kind=kind, filename=file.filename if file else "",
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
