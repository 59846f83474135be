"""公示 objections, the same for every funding programme: who may object, and the abuse limits.

An open objection holds up a quota or an award, so objections are not free (issue 13): a
logged-in objector is identified by the account, an anonymous one must give a phone number or
e-mail address; one identity lodges at most ``OBJECTIONS_PER_DAY`` a day and an application
carries at most ``OPEN_OBJECTIONS_PER_APPLICATION`` open ones. Vouchers and awards both call
:func:`objection_identity` with their own objection table.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.errors import InvalidInput, RateLimited

#: Objections one identity may lodge per day, and open objections one application may carry at once.
OBJECTIONS_PER_DAY, OPEN_OBJECTIONS_PER_APPLICATION = 3, 5
_CONTACT = re.compile(r"(?:(?<!\d)1[3-9]\d{9}(?!\d))"  # a mobile number
                      r"|(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"  # an e-mail address
                      r"|(?:(?<!\d)0\d{2,3}-?\d{7,8}(?!\d))")  # a landline with its area code


def objection_identity(session: Session, model: Any, *, actor: Actor, app_id: int, submitted_by: str,
                       now: datetime | None = None) -> str:
    """Who lodges an objection, checked against the abuse limits; returns the name to store.

    An open objection holds up a quota or an award, so objections are not free: a logged-in caller is
    identified by the account; an anonymous one must give a name with a phone number or e-mail
    address (the office may need to ask for evidence). One identity lodges at most
    ``OBJECTIONS_PER_DAY`` per day and an application carries at most ``OPEN_OBJECTIONS_PER_APPLICATION``
    open ones (the office resolves them first); beyond that a 429. The office itself (objections
    received on paper) is not limited. ``model``: the objection table (vouchers or awards).
    """
    given = (submitted_by or "").strip()
    if actor.is_office:
        return given if given and given != "public" else actor.label
    if actor.user_id is None:
        if not _CONTACT.search(given):
            raise InvalidInput("an anonymous objection needs your name and a phone number or e-mail address",
                               field="submitted_by", fix="write e.g. 张三 13800138000, or log in first")
        who = given[:100]
    else:
        who = (f"{given} · " if given and given != "public" else "") + actor.label
        who = who[-100:]
    since = (now or datetime.now(UTC)) - timedelta(days=1)
    recent = session.scalar(select(func.count()).select_from(model).where(
        model.submitted_by == who, model.created_at >= since)) or 0
    if recent >= OBJECTIONS_PER_DAY:
        raise RateLimited(f"{who} has lodged {recent} objections in the last 24 hours; at most "
                          f"{OBJECTIONS_PER_DAY} a day are taken", field="submitted_by",
                          fix="add to an objection already lodged by writing to the programme office, or retry "
                              "tomorrow")
    open_now = session.scalar(select(func.count()).select_from(model).where(
        model.application_id == app_id, model.status == "open")) or 0
    if open_now >= OPEN_OBJECTIONS_PER_APPLICATION:
        raise RateLimited(f"application {app_id} already has {open_now} open objections awaiting the office",
                          field="application_id", fix="wait for the office to resolve them; they are reviewed "
                                                      "before the quota takes effect")
    return who
