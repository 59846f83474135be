"""The provider whitelist: the office qualifies a provider under one of the plan's criteria for a
validity period, and can suspend it. Only whitelisted, active, in-validity providers generate subsidy,
and never for their own organisation or a declared related party (one implementation of each rule
here; the voucher application and bill paths both call it).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts import service as accounts
from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import Organisation
from yuzhi.audit.service import record
from yuzhi.errors import Conflict, Forbidden, InvalidInput, NotFound
from yuzhi.providers.models import Provider, ProviderStatus
from yuzhi.providers.schemas import ProviderCreate

SELF_USE = "self-built, self-used compute (自建自用) is not subsidised: the provider is the unit itself"
RELATED_PARTY = "related-party transaction (关联交易): the unit and the provider are declared affiliated"


def _snap(p: Provider) -> dict[str, object]:
    return {"name": p.name, "criterion": p.criterion, "valid_from": p.valid_from, "valid_to": p.valid_to,
            "status": p.status, "reason": p.status_reason}


def whitelist(session: Session, *, actor: Actor, provider_in: ProviderCreate) -> Provider:
    """Put a provider on the whitelist (office administrator only; audited)."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator whitelists providers")
    if session.get(Organisation, provider_in.org_id) is None:
        raise NotFound(f"organisation {provider_in.org_id} not found", field="org_id",
                       fix="register the provider's legal entity as an organisation first",
                       key="organisation_not_found", params={"org_id": provider_in.org_id})
    if session.scalar(select(Provider.id).where(Provider.name == provider_in.name)) is not None:
        raise Conflict(f"a provider named {provider_in.name!r} exists", field="name",
                       key="provider_exists", params={"name": provider_in.name})
    p = Provider(**provider_in.model_dump())
    p.criterion = provider_in.criterion.value
    session.add(p)
    session.flush()
    record(session, actor=actor, action="provider.whitelist", entity="provider", entity_id=p.id, after=_snap(p))
    return p


def set_status(session: Session, *, actor: Actor, provider_id: int, active: bool, reason: str = "") -> Provider:
    """Suspend (with a reason) or restore a provider (office administrator only; audited)."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator suspends or restores providers")
    p = get(session, provider_id=provider_id)
    if not active and not reason.strip():
        raise InvalidInput("a suspension needs a reason", field="reason")
    before = _snap(p)
    p.status = ProviderStatus.ACTIVE if active else ProviderStatus.SUSPENDED
    p.status_reason = reason.strip()
    session.flush()
    record(session, actor=actor, action="provider.resume" if active else "provider.suspend", entity="provider",
           entity_id=p.id, before=before, after=_snap(p))
    return p


def get(session: Session, *, provider_id: int) -> Provider:
    p = session.get(Provider, provider_id)
    if p is None:
        raise NotFound(f"provider {provider_id} not found", field="provider_id",
                       fix="pick a provider from the whitelist (GET /api/compute/providers)",
                       key="provider_not_found", params={"provider_id": provider_id})
    return p


def resolve(session: Session, ref: str) -> Provider:
    """A provider as people name it on the command line: its id, its name (国家超算郑州中心) or the USCC of
    its legal entity. An ambiguous or unknown reference is refused with the whitelist's names."""
    ref = str(ref).strip()
    if ref.isdigit():
        return get(session, provider_id=int(ref))
    rows = list(session.scalars(select(Provider).where(Provider.name == ref)))
    if not rows:
        rows = list(session.scalars(select(Provider).join(Organisation, Organisation.id == Provider.org_id)
                                    .where(Organisation.uscc == ref.upper())))
    if len(rows) == 1:
        return rows[0]
    known = ", ".join(f"{p.id} {p.name}" for p in list_all(session)) or "none yet"
    raise NotFound(f"no single provider is named {ref!r}", field="provider",
                   fix=f"give a provider's id, exact name or USCC; whitelisted: {known}",
                   key="provider_ref_unknown", params={"ref": ref, "known": known})


def list_all(session: Session) -> list[Provider]:
    """The whitelist is public information."""
    return list(session.scalars(select(Provider).order_by(Provider.id)))


def names(session: Session) -> dict[int, str]:
    """Provider names by id (for tables and reports)."""
    return dict(session.execute(select(Provider.id, Provider.name)).tuples().all())


def qualification_problem(p: Provider, *, start: date, end: date) -> str | None:
    """Why ``p`` cannot generate subsidy for usage in [start, end], or None when it can."""
    if p.status != ProviderStatus.ACTIVE:
        return f"provider {p.name} is suspended ({p.status_reason or 'no reason given'})"
    if start < p.valid_from or end > p.valid_to:
        return (f"usage {start}..{end} is outside the provider's whitelist period "
                f"{p.valid_from}..{p.valid_to}")
    return None


def whitelisted_in_year(p: Provider, year: int) -> bool:
    """Active and whitelisted for at least part of ``year`` (who a unit may apply with)."""
    return p.status == ProviderStatus.ACTIVE and p.valid_to >= date(year, 1, 1) \
        and p.valid_from <= date(year, 12, 31)


def relation_problem(p: Provider, *, customer_org_id: int, affiliated: bool) -> str | None:
    """Why no subsidy flows from ``p`` to this customer (self-use, related party), or None.

    ``affiliated`` is passed in so that the batch bill path can fetch it for many customers in
    one query; :func:`eligibility_problem` looks it up for one."""
    if p.org_id == customer_org_id:
        return SELF_USE
    if affiliated:
        return RELATED_PARTY
    return None


def eligibility_problem(session: Session, p: Provider, *, customer_org_id: int) -> str | None:
    """:func:`relation_problem` for one customer, looking the declared affiliation up."""
    return relation_problem(p, customer_org_id=customer_org_id,
                            affiliated=p.org_id != customer_org_id
                            and accounts.are_affiliated(session, customer_org_id, p.org_id))
