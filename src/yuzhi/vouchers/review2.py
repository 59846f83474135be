"""Two-step review (初审 → 复核) per programme year, and the office's 公示 notice (issue 15).

A programme year may require two reviewers: the 初审 (first review) is recorded here by one office
reviewer; the decision itself (:func:`yuzhi.vouchers.service.review`, the 复核) must then be taken by
another person, and it calls :func:`check_second_review` before changing anything. The same person
cannot do both. A year without the setting keeps the one-step review.

The same per-year settings row holds what the public 公示 page shows besides the list: the issuing
office and a contact line (who to call or write to about an objection), set by the office.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yuzhi.accounts.actor import Actor
from yuzhi.audit.service import record
from yuzhi.db import Base, IdMixin, TimestampMixin
from yuzhi.errors import Conflict, Forbidden, InvalidInput
from yuzhi.vouchers.models import Programme, QuotaApplication


class CaseSettings(TimestampMixin, Base):
    """Per programme year: two-step review on/off, the issuing office and the contact line of 公示."""

    __tablename__ = "voucher_case_settings"

    programme_id: Mapped[int] = mapped_column(ForeignKey("voucher_programmes.id"), primary_key=True)
    two_step: Mapped[bool] = mapped_column(Boolean, default=False)
    issuing_office: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(300), default="")


class FirstReview(IdMixin, TimestampMixin, Base):
    """A 初审: the first reviewer's recommendation, consumed by the 复核 that follows it."""

    __tablename__ = "voucher_first_reviews"

    application_id: Mapped[int] = mapped_column(ForeignKey("voucher_applications.id"), index=True)
    reviewer_user_id: Mapped[int | None] = mapped_column(Integer, default=None)
    reviewer: Mapped[str] = mapped_column(String(100))
    approve: Mapped[bool] = mapped_column(Boolean)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reason: Mapped[str] = mapped_column(String(500), default="")
    consumed: Mapped[bool] = mapped_column(Boolean, default=False)


def settings_for(session: Session, programme_id: int) -> CaseSettings | None:
    return session.get(CaseSettings, programme_id)


def save_settings(session: Session, *, actor: Actor, year: int, two_step: bool, issuing_office: str,
                  contact: str) -> CaseSettings:
    if not actor.is_admin:
        raise Forbidden("only an office administrator sets a year's review and 公示 settings")
    p = session.scalar(select(Programme).where(Programme.year == year))
    if p is None:
        raise InvalidInput(f"there is no {year} programme", field="year", fix="open the programme year first",
                           key="no_programme", params={"year": year})
    if len(issuing_office) > 200 or len(contact) > 300:
        raise InvalidInput("the office name or contact line is too long", field="contact",
                           fix="at most 200 characters for the office and 300 for the contact line")
    row = session.get(CaseSettings, p.id) or CaseSettings(programme_id=p.id)
    before = {"two_step": row.two_step, "issuing_office": row.issuing_office, "contact": row.contact}
    row.two_step, row.issuing_office, row.contact = two_step, issuing_office.strip(), contact.strip()
    session.add(row)
    session.flush()
    record(session, actor=actor, action="programme.case_settings", entity="programme", entity_id=p.id,
           before=before, after={"two_step": two_step, "issuing_office": row.issuing_office, "contact": row.contact})
    return row


def open_first_review(session: Session, application_id: int) -> FirstReview | None:
    return session.scalar(select(FirstReview).where(FirstReview.application_id == application_id,
                                                    FirstReview.consumed.is_(False)).order_by(FirstReview.id.desc()))


def first_review(session: Session, *, actor: Actor, a: QuotaApplication, approve: bool, amount_fen: int | None,
                 reason: str) -> FirstReview:
    """Record the 初审 of an application awaiting review in a two-step year."""
    if not actor.is_office:
        raise Forbidden("only the programme office reviews applications")
    s = settings_for(session, a.programme_id)
    if s is None or not s.two_step:
        raise Conflict("this programme year reviews in one step", field="year",
                       fix="decide on the application page; an administrator can switch on two-step review")
    if a.status not in ("submitted", "objected"):
        raise Conflict(f"application {a.id} is {a.status}; only submitted or objected applications are reviewed",
                       field="status",
                       key="application_not_reviewable", params={"id": a.id, "status": a.status})
    if open_first_review(session, a.id) is not None:
        raise Conflict("the 初审 of this application is already recorded; it now needs the 复核", field="status",
                       fix="another reviewer decides on the application page")
    if not approve and len(reason.strip()) < 2:
        raise InvalidInput("a rejection needs a reason", field="reason", fix="say why, for the unit")
    row = FirstReview(application_id=a.id, reviewer_user_id=actor.user_id, reviewer=actor.username, approve=approve,
                      amount_fen=amount_fen if approve else None, reason=reason.strip()[:500])
    session.add(row)
    session.flush()
    record(session, actor=actor, action="application.first_review", entity="application", entity_id=a.id,
           org_id=a.org_id, after={"approve": approve, "amount_fen": row.amount_fen, "reason": row.reason})
    return row


def check_second_review(session: Session, *, actor: Actor, a: QuotaApplication, approve: bool,
                        amount_fen: int | None) -> None:
    """Called by the review service before a decision: in a two-step year the decision is the 复核 —
    it needs an open 初审 by someone else, and may not approve more than the 初审 recommended."""
    s = settings_for(session, a.programme_id)
    if s is None or not s.two_step:
        return
    first = open_first_review(session, a.id)
    if first is None:
        raise Conflict("this programme year needs two reviewers: record the 初审 first", field="status",
                       fix=f"a reviewer records the 初审 on the case page /vouchers/applications/{a.id}/case")
    if (first.reviewer_user_id is not None and first.reviewer_user_id == actor.user_id) or \
            first.reviewer == actor.username:
        raise Forbidden("the same person cannot do both the 初审 and the 复核",
                        fix="another office reviewer takes the 复核")
    if approve and not first.approve:
        raise Conflict("the 初审 recommended rejection; the 复核 cannot approve", field="approve",
                       fix="reject, or send the case back for a new 初审 by rejecting it with a reason")
    if approve and first.amount_fen is not None and amount_fen is not None and amount_fen > first.amount_fen:
        raise InvalidInput("the 复核 cannot approve more than the 初审 recommended", field="amount",
                           fix="approve at most the 初审 amount")
    first.consumed = True
    session.flush()


def notice(session: Session, year: int | None) -> CaseSettings | None:
    """The issuing office and contact line for a year's 公示 page (None when not set)."""
    if year is None:
        return None
    pid = session.scalar(select(Programme.id).where(Programme.year == year))
    return session.get(CaseSettings, pid) if pid is not None else None
