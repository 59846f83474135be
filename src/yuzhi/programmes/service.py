"""The database side of the funding-programme core: programme years (get, list, open and fund,
close), the pool's balance, the unit's committed total and the open objections of the 公示 window —
for any programme table a domain describes with a :class:`Kind`. Who sees a programme's records is
the platform's one tenancy rule (:mod:`yuzhi.accounts.tenancy`; applications and bills are
provider-scoped in vouchers, organisation-scoped in awards).

The rules themselves are pure (:mod:`yuzhi.programmes.core`); this module only reads and writes
rows and ledger transactions the caller's transaction owns (services never commit). Vouchers and
awards call it with their own tables and account names, so "there is no 2026 programme", "the 2026
programme is closed", the pool funding and a year's close read and behave the same in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.db import for_update
from yuzhi.errors import Conflict, Forbidden, InvalidInput, NotFound
from yuzhi.ledger import service as ledger
from yuzhi.ledger.core import Txn
from yuzhi.programmes.core import funding_postings


@dataclass(frozen=True)
class Kind:
    """How one programme's year table and books plug into the shared core.

    ``model``: the table (``year`` unique, ``status`` open/closed, ``province_bp``); ``name`` how a
    message names it ("programme", "award programme"), ``title`` in "there is no 2026 <title>";
    ``key_prefix`` of its error keys (``<prefix>programme_closed`` …, see ``web/error_catalog.py``);
    ``list_path`` the route listing the years; ``pool_account(year)`` and ``source_prefix`` its ledger
    accounts (``<source_prefix>:<year>:province|city``); ``fund_kind`` and ``ref`` name the funding
    transaction."""

    model: type[Any]
    name: str
    title: str
    key_prefix: str
    list_path: str
    pool_account: Callable[[int], str]
    source_prefix: str
    fund_kind: str
    ref: str


# --- programme years ---------------------------------------------------------------------------


def get_year(session: Session, kind: Kind, *, year: int, lock: bool = False) -> Any:
    """The programme of ``year`` (locked ``FOR UPDATE`` when asked: reviews and the close serialise on it)."""
    q = select(kind.model).where(kind.model.year == year)
    p = session.scalar(for_update(session, q) if lock else q)
    if p is None:
        raise NotFound(f"there is no {year} {kind.title}", field="year",
                       fix=f"use a year the office has opened (GET {kind.list_path})",
                       key=f"no_{kind.key_prefix}programme", params={"year": year})
    return p


def year_of(session: Session, kind: Kind, programme_id: int, *, lock: bool = False) -> Any:
    """The programme an application or a batch belongs to (by its ``programme_id``; rows reference it,
    so it exists), locked like :func:`get_year` when asked."""
    p = session.get(kind.model, programme_id)
    if p is None:  # a foreign key makes this impossible; say so rather than fail on None later
        raise NotFound(f"{kind.title} {programme_id} not found", field="programme_id", key="programme_not_found",
                       params={"id": programme_id})
    return get_year(session, kind, year=p.year, lock=True) if lock else p


def list_years(session: Session, kind: Kind) -> list[Any]:
    """Every year of the programme, newest first (public: years, pools and rules are published)."""
    return list(session.scalars(select(kind.model).order_by(kind.model.year.desc())))


def require_new_year(session: Session, kind: Kind, *, year: int) -> None:
    """Refuse a second programme for a year: each year has one, its rules fixed when it opens."""
    if session.scalar(select(kind.model.id).where(kind.model.year == year)) is not None:
        raise Conflict(f"the {year} {kind.name} already exists", field="year",
                       fix=f"each year has one {kind.name}; edit nothing, open the next year instead",
                       key=f"{kind.key_prefix}programme_exists", params={"year": year})


def require_open(kind: Kind, p: Any, *, applying: bool = False) -> None:
    """Refuse work on a closed year: an application (invalid input: choose another year) or a
    decision (a conflict with the year's state)."""
    if p.status == "open":
        return
    msg, key = f"the {p.year} {kind.name} is closed", f"{kind.key_prefix}programme_closed"
    if applying:
        raise InvalidInput(msg, field="year", fix="apply to an open year", key=key, params={"year": p.year})
    raise Conflict(msg, field="year", key=key, params={"year": p.year})


def fund_year(session: Session, kind: Kind, p: Any, *, amount_fen: int, memo: str) -> None:
    """Post the year's funding: the pool from the province and city sources in the programme's split."""
    ledger.post(session, Txn(kind.fund_kind, p.year, funding_postings(
        pool_account=kind.pool_account(p.year), source_prefix=f"{kind.source_prefix}:{p.year}",
        amount_fen=amount_fen, province_bp=p.province_bp), memo=memo, ref=f"{kind.ref}:{p.id}"))


def pool_remaining(session: Session, kind: Kind, year: int) -> int:
    """What the year's pool has not committed (the ledger's balance; never negative)."""
    return ledger.balance(session, kind.pool_account(year))


def begin_close(session: Session, kind: Kind, *, year: int) -> Any:
    """Lock the year for its close; a closed year is not closed again (nothing would change, and a
    second close event in the audit trail would say otherwise)."""
    p = get_year(session, kind, year=year, lock=True)
    if p.status != "open":
        raise Conflict(f"the {year} {kind.name} is already closed", field="year",
                       key=f"{kind.key_prefix}programme_already_closed", params={"year": year})
    return p


def committed(session: Session, amount: Any, *, where: list[Any]) -> int:
    """The sum of ``amount`` (a column expression) over the rows ``where`` selects: what a unit holds
    of a year's pool, counted against the per-unit cap."""
    return int(session.scalar(select(func.coalesce(func.sum(amount), 0)).where(*where)) or 0)


# --- 公示 objections -----------------------------------------------------------------------------


def open_objection(session: Session, objection: type[Any], app_id: int) -> int | None:
    """The id of an open objection against the application, if any: it holds the commitment."""
    return session.scalar(select(objection.id).where(objection.application_id == app_id,
                                                     objection.status == "open").limit(1))


def list_objections(session: Session, objection: type[Any], *, actor: Actor, status: str | None = "open") -> list[Any]:
    """The objections the office works through (by status, oldest first); the office's only."""
    if not actor.is_office:
        raise Forbidden("objections are handled by the programme office")
    q = select(objection).order_by(objection.id)
    if status:
        q = q.where(objection.status == status)
    return list(session.scalars(q))
