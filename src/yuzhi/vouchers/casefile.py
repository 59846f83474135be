"""The case file of a quota application (政务服务网 habits, issue 15): a case number, a timeline of
every step with the name of who took it, and attachments (contract, invoice scans).

The timeline is read from what the books already hold — the application row, its objections and the
tenant's audit chain (who acted) — so it cannot drift from what happened. Attachments are stored
under ``<YUZHI_HOME>/casefiles/<org>/<sha256>.<ext>``, never under a name the uploader chose; the
content is sniffed (PDF, PNG, JPEG only — the extension and the declared type are not trusted) and
size-checked, and an optional virus-scan hook runs before anything is kept: ``YUZHI_VIRUS_SCAN_CMD``
(e.g. ``clamdscan --no-summary``) is run with the stored file's path appended; a non-zero exit refuses
the file and deletes it. Every upload is audited in the unit's chain.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import User
from yuzhi.audit.models import AuditEvent
from yuzhi.audit.service import record
from yuzhi.db import Base, IdMixin, TimestampMixin
from yuzhi.errors import Forbidden, InvalidInput, NotFound
from yuzhi.vouchers.models import Objection, QuotaApplication

MAX_BYTES = 10 * 1024 * 1024
KINDS = ("contract", "invoice", "other")
#: magic bytes → (extension, content type); nothing else is kept
SIGNATURES = ((b"%PDF-", "pdf", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
              (b"\xff\xd8\xff", "jpg", "image/jpeg"))


class CaseAttachment(IdMixin, TimestampMixin, Base):
    """A scanned contract or invoice kept with an application (content-addressed on disk)."""

    __tablename__ = "voucher_case_attachments"

    application_id: Mapped[int] = mapped_column(ForeignKey("voucher_applications.id"), index=True)
    org_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, shown only (never a path)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))


def case_number(a: QuotaApplication, year: int) -> str:
    """The number people quote on the phone: 豫智券 + year + the application's id, zero-padded."""
    return f"YZQ-{year}-{a.id:06d}"


@dataclass(frozen=True)
class Step:
    key: str  # submitted / review / disclosure / objection / effective / rejected (English i18n keys)
    at: datetime | None
    until: datetime | None = None
    who: str = ""
    note: str = ""
    done: bool = True


def _names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(usernames))).all()
    return {u: (d or u) for u, d in rows}


def timeline(session: Session, a: QuotaApplication) -> list[Step]:
    """Every step of the case so far, in order, with who took it; the next pending step last."""
    events = session.execute(
        select(AuditEvent.action, AuditEvent.actor, AuditEvent.at, AuditEvent.entity_id)
        .where(AuditEvent.org_id == a.org_id, AuditEvent.entity.in_(("application", "objection")))
        .order_by(AuditEvent.at)).all()
    objections = list(session.scalars(select(Objection).where(Objection.application_id == a.id)
                                      .order_by(Objection.id)))
    obj_ids = {str(o.id) for o in objections}
    mine = [e for e in events if (e.entity_id == str(a.id) and e.action.startswith("application."))
            or (e.entity_id in obj_ids and e.action.startswith("objection."))]
    names = _names(session, {_user(e.actor) for e in mine} | {o.submitted_by for o in objections})
    by_action: dict[str, list] = {}
    for e in mine:
        by_action.setdefault(e.action, []).append(e)
    steps = [Step("submitted", a.created_at, who=names.get(_user(_first_actor(by_action, "application.submit")), ""))]
    firsts = by_action.get("application.first_review", [])
    decided = by_action.get("application.approve", []) + by_action.get("application.reject", [])
    for e in sorted(firsts + decided, key=lambda e: e.at):
        key = ("first_review" if e.action.endswith("first_review") else
               ("second_review" if firsts else "review") if e.action.endswith("approve") else "rejected")
        steps.append(Step(key, e.at, who=names.get(_user(e.actor), _user(e.actor))))
    if a.disclosure_until is not None and a.reviewed_at is not None:
        steps.append(Step("disclosure", a.reviewed_at, until=a.disclosure_until,
                          done=a.effective_at is not None or a.status not in ("disclosure",)))
    for o in objections:
        steps.append(Step("objection", o.created_at, who=o.submitted_by, note=o.status))
    if a.effective_at is not None:
        steps.append(Step("effective", a.effective_at))
    elif a.status in ("submitted",):
        steps.append(Step("review", None, done=False))
    elif a.status == "disclosure":
        steps.append(Step("effective", a.disclosure_until, done=False))
    return steps


def _user(actor: str) -> str:
    """The audit chain writes an actor as ``username(role)``; the username alone."""
    return actor.split("(", 1)[0]


def _first_actor(by_action: dict[str, list], action: str) -> str:
    rows = by_action.get(action) or []
    return rows[0].actor if rows else ""


# --- attachments ------------------------------------------------------------------------------------


def _store_dir(org_id: int) -> Path:
    from yuzhi.config import get_settings

    return get_settings().home / "casefiles" / str(int(org_id))


def sniff(data: bytes) -> tuple[str, str] | None:
    for magic, ext, ctype in SIGNATURES:
        if data.startswith(magic):
            return ext, ctype
    return None


def _may_write(actor: Actor, a: QuotaApplication) -> None:
    if actor.is_office or (not actor.is_provider and actor.org_id == a.org_id):
        return
    raise Forbidden("only the applicant unit and the programme office add papers to a case file")


def _virus_scan(path: Path) -> None:
    cmd = os.environ.get("YUZHI_VIRUS_SCAN_CMD", "").strip()
    if not cmd:
        return
    try:
        done = subprocess.run([*shlex.split(cmd), str(path)], capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        path.unlink(missing_ok=True)
        raise InvalidInput(f"the virus scanner could not check the file ({type(exc).__name__})", field="file",
                           fix="try again later; the platform operator should check YUZHI_VIRUS_SCAN_CMD",
                           key="virus_scan_failed", params={"error": type(exc).__name__}) from None
    if done.returncode != 0:
        path.unlink(missing_ok=True)
        raise InvalidInput("the virus scanner refused this file", field="file",
                           fix="scan the document on your computer and upload a clean copy")


def add_attachment(session: Session, *, actor: Actor, a: QuotaApplication, kind: str, filename: str,
                   data: bytes) -> CaseAttachment:
    """Keep one scan with the case: sniffed, size-checked, scanned, content-addressed, audited."""
    _may_write(actor, a)
    if kind not in KINDS:
        raise InvalidInput(f"{kind!r} is not a kind of paper", field="kind", fix="choose contract, invoice or other",
                           key="attachment_kind", params={"kind": kind})
    if not data:
        raise InvalidInput("the file is empty", field="file", fix="choose the scanned PDF, PNG or JPEG")
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"the file is {len(data) // 1024 // 1024} MiB; at most {MAX_BYTES // 1024 // 1024} MiB",
                           field="file", fix="scan at a lower resolution or split the document",
                           key="attachment_too_large",
                           params={"size_mib": len(data) // 1024 // 1024, "max_mib": MAX_BYTES // 1024 // 1024})
    found = sniff(data)
    if found is None:
        raise InvalidInput("the file is not a PDF, PNG or JPEG (checked by its content, not its name)",
                           field="file", fix="save the scan as PDF, PNG or JPEG")
    ext, ctype = found
    sha = hashlib.sha256(data).hexdigest()
    folder = _store_dir(a.org_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{sha}.{ext}"
    if not path.exists():
        tmp = folder / f".{sha}.part"
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        _virus_scan(tmp)
        tmp.replace(path)
    shown = Path(filename or f"{kind}.{ext}").name[:200]
    row = CaseAttachment(application_id=a.id, org_id=a.org_id, kind=kind, filename=shown, content_type=ctype,
                         size=len(data), sha256=sha, uploaded_by=actor.username)
    session.add(row)
    session.flush()
    record(session, actor=actor, action="casefile.attach", entity="application", entity_id=a.id, org_id=a.org_id,
           after={"attachment": row.id, "kind": kind, "sha256": sha, "size": len(data)})
    return row


def attachments(session: Session, a: QuotaApplication) -> list[CaseAttachment]:
    return list(session.scalars(select(CaseAttachment).where(CaseAttachment.application_id == a.id)
                                .order_by(CaseAttachment.id)))


def read_attachment(session: Session, a: QuotaApplication, attachment_id: int) -> tuple[CaseAttachment, bytes]:
    row = session.get(CaseAttachment, attachment_id)
    if row is None or row.application_id != a.id:
        raise NotFound(f"attachment {attachment_id} not found", field="attachment_id",
                       key="attachment_not_found", params={"id": attachment_id})
    ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[row.content_type]
    return row, (_store_dir(row.org_id) / f"{row.sha256}.{ext}").read_bytes()
