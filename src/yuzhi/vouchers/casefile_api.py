"""REST API of the case file (issue 15): case number and timeline, attachments, the 初审 of a two-step year.

The same service functions as the case page (:mod:`yuzhi.vouchers.casefile_pages`) run behind these
routes, so tenant checks (``service.get_application``), upload checks (sniffed type, size, virus-scan
hook) and the audit record are identical for a program and a person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from yuzhi.types import IdPath, PositiveFen
from yuzhi.vouchers import casefile, review2, service
from yuzhi.vouchers.models import Programme, QuotaApplication
from yuzhi.web.deps import CurrentUser, OfficeUser, SessionDep

router = APIRouter()  # included by yuzhi.vouchers.api under /api/vouchers


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    application_id: int
    kind: str = Field(description="contract, invoice or other")
    filename: str = Field(description="as uploaded; shown only, never used as a path")
    content_type: str = Field(description="sniffed from the content: application/pdf, image/png or image/jpeg")
    size: int = Field(description="bytes")
    sha256: str
    uploaded_by: str
    created_at: datetime


class StepRead(BaseModel):
    key: str = Field(description="submitted, first_review, second_review, review, rejected, disclosure, "
                                 "objection or effective")
    at: datetime | None = Field(description="UTC")
    until: datetime | None = Field(default=None, description="UTC; the end of the disclosure period")
    who: str = Field(default="", description="the name of whoever took the step")
    note: str = ""
    done: bool = True


class FirstReviewIn(BaseModel):
    approve: bool = Field(description="true: recommend approval; false: recommend rejection")
    amount_fen: PositiveFen | None = Field(default=None, description="recommended amount in fen (approval only)")
    reason: str = Field(default="", max_length=500, description="required when recommending rejection")


class FirstReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    application_id: int
    reviewer: str
    approve: bool
    amount_fen: int | None
    reason: str
    consumed: bool = Field(description="true once the 复核 (second review) has decided on it")
    created_at: datetime


class CaseRead(BaseModel):
    application_id: int
    case_number: str = Field(description="YZQ-<year>-<id>, the number people quote")
    two_step: bool = Field(description="the year needs a 初审 and a 复核 by different people")
    timeline: list[StepRead]
    attachments: list[AttachmentRead]
    open_first_review: FirstReviewRead | None


def _year(session: SessionDep, a: QuotaApplication) -> int:
    return session.get(Programme, a.programme_id).year  # type: ignore[union-attr]


@router.get("/applications/{app_id}/case", response_model=CaseRead)
def case(app_id: IdPath, session: SessionDep, actor: CurrentUser) -> CaseRead:
    """The case file: number, timeline with who decided each step, attachments, the open 初审."""
    a = service.get_application(session, actor=actor, app_id=app_id)
    settings = review2.settings_for(session, a.programme_id)
    first = review2.open_first_review(session, a.id)
    return CaseRead(application_id=a.id, case_number=casefile.case_number(a, _year(session, a)),
                    two_step=bool(settings and settings.two_step),
                    timeline=[StepRead(**vars(s)) for s in casefile.timeline(session, a)],
                    attachments=[AttachmentRead.model_validate(r) for r in casefile.attachments(session, a)],
                    open_first_review=FirstReviewRead.model_validate(first) if first else None)


@router.get("/applications/{app_id}/attachments", response_model=list[AttachmentRead])
def list_attachments(app_id: IdPath, session: SessionDep, actor: CurrentUser) -> list[AttachmentRead]:
    a = service.get_application(session, actor=actor, app_id=app_id)
    return [AttachmentRead.model_validate(r) for r in casefile.attachments(session, a)]


@router.post("/applications/{app_id}/attachments", response_model=AttachmentRead, status_code=201)
async def add_attachment(app_id: IdPath, session: SessionDep, actor: CurrentUser, file: UploadFile,
                         kind: Annotated[str, Form(description="contract, invoice or other")] = "contract",
                         ) -> AttachmentRead:
    """Upload a scan (multipart ``file`` and ``kind``): PDF, PNG or JPEG by content, at most 10 MiB."""
    a = service.get_application(session, actor=actor, app_id=app_id)
    data = await file.read(casefile.MAX_BYTES + 1)
    row = casefile.add_attachment(session, actor=actor, a=a, kind=kind, filename=file.filename or "", data=data)
    return AttachmentRead.model_validate(row)


@router.get("/applications/{app_id}/attachments/{attachment_id}",
            responses={200: {"description": "the stored file", "content": {"application/pdf": {}, "image/png": {},
                                                                            "image/jpeg": {}}}})
def download_attachment(app_id: IdPath, attachment_id: IdPath, session: SessionDep, actor: CurrentUser) -> Response:
    a = service.get_application(session, actor=actor, app_id=app_id)
    row, data = casefile.read_attachment(session, a, attachment_id)
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in row.filename)
    disposition = f"attachment; filename=\"{ascii_name or 'attachment'}\"; filename*=UTF-8''{quote(row.filename)}"
    return Response(data, media_type=row.content_type, headers={
        "Content-Disposition": disposition, "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@router.post("/applications/{app_id}/first-review", response_model=FirstReviewRead, status_code=201)
def first_review(app_id: IdPath, body: FirstReviewIn, session: SessionDep, actor: OfficeUser) -> FirstReviewRead:
    """Record the 初审 in a two-step year; the 复核 is ``POST /applications/{id}/review`` by another reviewer."""
    a = service.get_application(session, actor=actor, app_id=app_id)
    row = review2.first_review(session, actor=actor, a=a, approve=body.approve,
                               amount_fen=body.amount_fen if body.approve else None, reason=body.reason)
    return FirstReviewRead.model_validate(row)
