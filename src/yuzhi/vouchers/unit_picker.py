"""The office's unit picker on the statement page: a search, not a list of every unit.

With a province's 1,000 approved organisations the page used to put all of them in a ``<select>``
on every view (read, rendered and sent each time; issue 14). The picker now asks for part of a
name or a USCC and shows at most :data:`LIMIT` matches, served by the app itself (a plain GET form:
no script, nothing from a CDN). Only office accounts see it (they may read every unit's statement).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from yuzhi.accounts.models import Organisation, OrgStatus

#: Most matches shown; more means "narrow the search".
LIMIT = 20


@dataclass
class Picker:
    q: str = ""
    matches: list[tuple[int, str, str]] = field(default_factory=list)  # (id, name, USCC)
    total: int = 0
    current: str | None = None  # the shown unit's name


def pick(session: Session, *, q: str | None, org_id: int | None) -> Picker:
    """Approved units whose name contains ``q`` or whose USCC starts with it (case-insensitive);
    with no ``q`` and no unit chosen, the first :data:`LIMIT` by name, so a small office can click."""
    out = Picker(q=(q or "").strip()[:60])
    org = Organisation.__table__
    if org_id is not None:
        out.current = session.scalar(select(org.c.name).where(org.c.id == org_id))
        if not out.q:
            return out
    where = [org.c.status == OrgStatus.APPROVED.value]
    if out.q:
        where.append(or_(org.c.name.icontains(out.q, autoescape=True),
                         org.c.uscc.istartswith(out.q, autoescape=True)))
    out.total = session.scalar(select(func.count()).select_from(org).where(*where)) or 0
    rows = session.execute(select(org.c.id, org.c.name, org.c.uscc).where(*where)
                           .order_by(org.c.name, org.c.id).limit(LIMIT))
    out.matches = [(r.id, r.name, r.uscc) for r in rows]
    return out
