"""Per-unit Slurm accounts of a provider's cluster: list them and create the missing ones (issue 20 item 3).

With ``unit_accounts`` on its endpoint, a provider's jobs are submitted under one Slurm account
(association) per unit, ``<account_prefix>u<org id>``, created on a unit's first job. A centre
wants them *before* that: to set fair-share and QoS per unit in ``sacctmgr`` (the centre's
decision, left to it: the platform never changes shares or QoS), and to see which units exist.
:func:`sync` creates every missing account of the units that hold a compute budget (and adds the
submitting Unix user to each); :func:`listing` reports the same table without changing anything,
including accounts with the prefix that no unit of the platform owns.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import Organisation
from yuzhi.audit.service import record
from yuzhi.compute import service
from yuzhi.compute.backends.slurm import SlurmBackend
from yuzhi.compute.models import ComputeAccount
from yuzhi.errors import InvalidInput


@dataclass(frozen=True)
class AccountRow:
    account: str  # the Slurm account name
    org_id: int | None  # None: an account with the prefix that no unit of the platform owns
    unit: str  # the unit's name ("" for an unknown account)
    status: str  # "created" | "exists" | "missing" | "not a platform unit"


def _backend(session: Session, actor: Actor, provider_id: int) -> SlurmBackend:
    service._provider_for_write(session, actor, provider_id)  # operators of this provider, or the office
    ep = service.get_endpoint(session, provider_id=provider_id)
    backend = service.backend_for(ep) if ep is not None else None
    if not isinstance(backend, SlurmBackend) or not backend.unit_accounts:
        raise InvalidInput(f"provider {provider_id}'s engine does not submit under per-unit Slurm accounts",
                           field="provider", fix="connect it with --kind slurm and config unit_accounts=true "
                                                 "(and optionally account, account_prefix)")
    return backend


def _units(session: Session) -> list[Organisation]:
    """Units that can submit jobs: those holding a compute budget."""
    return list(session.scalars(select(Organisation).join(ComputeAccount, ComputeAccount.org_id == Organisation.id)
                                .order_by(Organisation.id)))


def _rows(session: Session, backend: SlurmBackend, created: set[str]) -> list[AccountRow]:
    in_slurm = backend.accounts()
    rows: list[AccountRow] = []
    for org in _units(session):
        name = backend.account_name(f"u{org.id}")
        status = "created" if name in created else "exists" if name in in_slurm else "missing"
        rows.append(AccountRow(name, org.id, org.name, status))
    known = {r.account for r in rows}
    rows += [AccountRow(name, None, "", "not a platform unit") for name in sorted(in_slurm) if name not in known]
    return rows


def listing(session: Session, *, actor: Actor, provider_id: int) -> list[AccountRow]:
    """The per-unit accounts: which exist in Slurm, which are missing, which Slurm has but no unit owns."""
    return _rows(session, _backend(session, actor, provider_id), set())


def sync(session: Session, *, actor: Actor, provider_id: int) -> list[AccountRow]:
    """Create every missing unit account (idempotent: a second run creates nothing); audited."""
    backend = _backend(session, actor, provider_id)
    before = backend.accounts()
    created: set[str] = set()
    for org in _units(session):
        name = backend.unit_account(f"u{org.id}", org.name, force=True)  # also (re)adds the user's association
        if name not in before:
            created.add(name)
    rows = _rows(session, backend, created)
    record(session, actor=actor, action="compute.slurm_accounts.sync", entity="provider", entity_id=provider_id,
           after={"created": sorted(created), "units": len([r for r in rows if r.org_id is not None])})
    return rows
