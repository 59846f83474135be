"""Compute network services: providers connect engines and publish capacity and prices;
organisations hold budgets and submit jobs; the worker dispatches, meters and charges them.

Money follows quote → hold → charge → release, as HPC allocation managers do:

* **quote**: the job's full request for its full time limit at the card in force today
  (:func:`yuzhi.compute.pricing.quote_fen`);
* **hold**: the quote is added to the organisation's ``held_fen`` under a row lock, refused when
  ``held + spent + quote > budget`` — so concurrent submissions can never exceed the budget (the
  table also carries a CHECK constraint);
* **charge**: when the job ends, its metered usage is priced (capped at the hold) and moved from
  ``held`` to ``spent``;
* **release**: the rest of the hold is released (all of it for a job that is cancelled while
  queued or is free under the provider's failed-job policy).

The bill for the charge goes through the voucher programme's bill service
(:mod:`yuzhi.workflows.compute_billing`), so subsidy, caps, pool and audit rules apply unchanged.

The database is the system of record: the worker keeps nothing in memory, a job's ``token`` is
chosen before the engine sees it, and every engine call is idempotent per token, so a restart
neither loses nor re-runs a job (see :func:`tick`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from yuzhi.accounts import tenancy
from yuzhi.accounts.actor import SYSTEM, Actor
from yuzhi.accounts.models import Organisation
from yuzhi.audit.service import record
from yuzhi.compute import pricing
from yuzhi.compute.backends import Backend, BackendUnavailable, JobSpec, JobState, Usage, make_backend
from yuzhi.compute.jobtypes import JOB_TYPES, available_types, expand
from yuzhi.compute.models import (
    ACTIVE_JOB_STATUSES,
    ComputeAccount,
    ComputeApp,
    ComputeCapacity,
    ComputeEndpoint,
    ComputeJob,
    JobStatus,
    RateCardRow,
)
from yuzhi.compute.schemas import AppIn, BudgetIn, CapacityIn, EndpointIn, JobIn, RateCardIn
from yuzhi.compute.store import ArtifactStore
from yuzhi.config import get_settings
from yuzhi.db import for_update as _for_update
from yuzhi.errors import DomainError, Forbidden, InvalidInput, NotFound
from yuzhi.providers.models import Provider, ProviderStatus

#: ``(session, org_id, provider_id, amount_fen, day) -> expected subsidy in fen`` (see flows).
SubsidyEstimator = Callable[[Session, int, int, int, date], int]
#: ``(session, job) -> None``: posts the finished job's charge as a bill (see flows).
Biller = Callable[[Session, ComputeJob], None]


log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return _now().astimezone(pricing.CST).date()



def default_store() -> ArtifactStore:
    return ArtifactStore(get_settings().artifact_dir)


# --- providers: endpoint, capacity, rate cards ---------------------------------------------------


def _provider_for_write(session: Session, actor: Actor, provider_id: int) -> Provider:
    p = session.get(Provider, provider_id)
    if p is None:
        raise NotFound(f"provider {provider_id} not found", field="provider_id",
                       fix="pick a provider from the whitelist (GET /api/compute/providers)",
                       key="provider_not_found", params={"provider_id": provider_id})
    if not (actor.is_admin or (actor.is_provider and actor.provider_id == provider_id)):
        raise Forbidden("only the provider's operators (or an office administrator) change its compute settings",
                        field="provider_id")
    return p


def backend_for(endpoint: ComputeEndpoint) -> Backend:
    """The engine behind an endpoint (``local`` defaults its state to ``<home>/local-jobs``)."""
    config = json.loads(endpoint.config_json or "{}")
    if endpoint.kind == "local":
        config.setdefault("state_dir", str(get_settings().home / "local-jobs"))
    return make_backend(endpoint.kind, config)


#: Endpoint settings a provider operator may choose (the rest are the office administrator's).
PROVIDER_CONFIG_KEYS = frozenset({"partition", "account", "extra_args", "timeout_s", "unit_accounts",
                                  "account_prefix"})


def connect(session: Session, *, actor: Actor, provider_id: int, endpoint_in: EndpointIn) -> ComputeEndpoint:
    """Connect (or re-connect) a provider's engine; the config is validated by building the backend.

    Provider operators may choose only Slurm scheduling keys (partition, account, extra sbatch
    options, timeout): paths on the platform host (``bin_dir``, ``state_dir``) and the ``local``
    engine (the platform's own machine) are the office administrator's, because they decide what
    the platform executes and where it writes.
    """
    p = _provider_for_write(session, actor, provider_id)
    if not actor.is_admin:
        if endpoint_in.kind == "local":
            raise Forbidden("only an office administrator connects the platform's own machine (local)",
                            field="kind", fix="connect your Slurm cluster (kind=slurm)")
        extra = sorted(set(endpoint_in.config) - PROVIDER_CONFIG_KEYS)
        if extra:
            raise Forbidden(f"config keys {', '.join(extra)} are set by an office administrator", field="config",
                            fix=f"use only {', '.join(sorted(PROVIDER_CONFIG_KEYS))}", key="compute_config_admin_keys",
                            params={"keys": ", ".join(extra), "allowed": ", ".join(sorted(PROVIDER_CONFIG_KEYS))})
    ep = ComputeEndpoint(provider_id=p.id, kind=endpoint_in.kind, config_json=json.dumps(endpoint_in.config))
    try:
        backend_for(ep)
    except TypeError as exc:
        raise InvalidInput(f"bad {endpoint_in.kind} configuration: {exc}", field="config",
                           fix="see docs/compute.md for the keys each backend takes", key="compute_config_bad",
                           params={"kind": endpoint_in.kind, "problem": str(exc)}) from None
    existing = session.scalar(select(ComputeEndpoint).where(ComputeEndpoint.provider_id == p.id))
    before = {"kind": existing.kind, "config": existing.config_json} if existing else None
    if existing is not None:
        existing.kind, existing.config_json = ep.kind, ep.config_json
        existing.available, existing.unavailable_reason = True, ""
        ep = existing
    else:
        session.add(ep)
    session.flush()
    record(session, actor=actor, action="compute.connect", entity="provider", entity_id=p.id, before=before,
           after={"kind": ep.kind, "config": ep.config_json})
    return ep


def get_endpoint(session: Session, *, provider_id: int) -> ComputeEndpoint | None:
    return session.scalar(select(ComputeEndpoint).where(ComputeEndpoint.provider_id == provider_id))


def check_endpoint(session: Session, *, endpoint: ComputeEndpoint) -> str | None:
    """Ask the engine whether it accepts jobs; store the answer (and the reason when it does not)."""
    reason = backend_for(endpoint).check()
    endpoint.available, endpoint.unavailable_reason = reason is None, (reason or "")[:500]
    endpoint.checked_at = _now()
    session.flush()
    return reason


def publish_capacity(session: Session, *, actor: Actor, provider_id: int, capacity_in: CapacityIn) -> ComputeCapacity:
    p = _provider_for_write(session, actor, provider_id)
    cap = session.scalar(select(ComputeCapacity).where(ComputeCapacity.provider_id == p.id))
    before = None
    if cap is None:
        cap = ComputeCapacity(provider_id=p.id, **capacity_in.model_dump())
        session.add(cap)
    else:
        before = {k: getattr(cap, k) for k in capacity_in.model_dump()}
        for k, v in capacity_in.model_dump().items():
            setattr(cap, k, v)
    session.flush()
    record(session, actor=actor, action="compute.capacity", entity="provider", entity_id=p.id, before=before,
           after=capacity_in.model_dump())
    return cap


def get_capacity(session: Session, *, provider_id: int) -> ComputeCapacity | None:
    return session.scalar(select(ComputeCapacity).where(ComputeCapacity.provider_id == provider_id))


def _card(row: RateCardRow) -> pricing.RateCard:
    return pricing.RateCard(core_hour_fen=row.core_hour_fen, gpu_hour_fen=row.gpu_hour_fen,
                            mem_gb_hour_fen=row.mem_gb_hour_fen, valid_from=row.valid_from, valid_to=row.valid_to,
                            failed_policy=row.failed_policy, min_increment_s=row.min_increment_s,
                            min_charge_fen=row.min_charge_fen, billing_period=row.billing_period)


def rate_cards(session: Session, *, provider_id: int) -> list[RateCardRow]:
    """A provider's rate cards, oldest first (public: prices are published)."""
    return list(session.scalars(select(RateCardRow).where(RateCardRow.provider_id == provider_id)
                                .order_by(RateCardRow.valid_from)))


def publish_rate_card(session: Session, *, actor: Actor, provider_id: int, card_in: RateCardIn) -> RateCardRow:
    """Add a card; the provider's whole set must stay gap- and overlap-free (errors name the dates).

    **Versioning** (issue 20 item 1): a card starting after the open-ended (latest) card's start
    supersedes it: the open card is ended the day before, in the same transaction, and both
    changes are audited. Past jobs keep the price they ran at (their ``rate_card_id`` and charge
    are never rewritten), so a new card may not start on or before the start date of a job
    already priced under the card it ends — that would re-price history; the error names the job.
    """
    p = _provider_for_write(session, actor, provider_id)
    new = pricing.RateCard(**card_in.model_dump())
    existing = rate_cards(session, provider_id=p.id)
    last = existing[-1] if existing else None
    if last is not None and last.valid_to is None and new.valid_from > last.valid_from:
        _check_not_repricing(session, last, new.valid_from)
        end_rate_card(session, actor=actor, provider_id=p.id, card_id=last.id,
                      valid_to=new.valid_from - timedelta(days=1), new_card=new)
        existing = rate_cards(session, provider_id=p.id)
    pricing.validate_rate_cards([*map(_card, existing), new])
    row = RateCardRow(provider_id=p.id, **card_in.model_dump())
    session.add(row)
    session.flush()
    record(session, actor=actor, action="compute.rate_card", entity="provider", entity_id=p.id,
           after=card_in.model_dump(mode="json"))
    return row


def _check_not_repricing(session: Session, row: RateCardRow, new_from: date) -> None:
    """Refuse to end ``row`` before a day on which a job already priced under it started."""
    start_utc = datetime.combine(new_from, datetime.min.time(), tzinfo=pricing.CST).astimezone(UTC)
    hit = session.execute(select(ComputeJob.id, ComputeJob.started_at).where(
        ComputeJob.rate_card_id == row.id, ComputeJob.status.not_in(list(ACTIVE_JOB_STATUSES)),
        ComputeJob.started_at >= start_utc).order_by(ComputeJob.started_at.desc()).limit(1)).first()
    if hit is not None:
        last_day = hit.started_at.replace(tzinfo=hit.started_at.tzinfo or UTC).astimezone(pricing.CST).date()
        raise InvalidInput(
            f"job {hit.id} started on {last_day} and was priced under rate card {row.id}; a card from "
            f"{new_from} would change the price of a finished job", field="valid_from",
            fix=f"start the new card on {last_day + timedelta(days=1)} or later (past jobs keep their price)",
            key="rate_card_changes_past_job", params={"job": hit.id, "day": last_day, "card": row.id,
                                                      "new_from": new_from, "next_day": last_day + timedelta(days=1)})


def end_rate_card(session: Session, *, actor: Actor, provider_id: int, card_id: int, valid_to: date,
                  new_card: pricing.RateCard | None = None) -> RateCardRow:
    """Close an open-ended card (so a new card can follow); the set is re-validated.

    With ``new_card`` (the card that supersedes this one, not yet stored) the set is validated
    with it, so ending the last card is allowed only when its successor follows on the next day.
    """
    p = _provider_for_write(session, actor, provider_id)
    row = session.get(RateCardRow, card_id)
    if row is None or row.provider_id != p.id:
        raise NotFound(f"rate card {card_id} not found for provider {p.id}", field="card_id",
                       key="rate_card_not_found", params={"id": card_id})
    before = row.valid_to
    if new_card is None:
        _check_not_repricing(session, row, valid_to + timedelta(days=1))
    row.valid_to = valid_to
    pricing.RateCard(**{k: getattr(row, k) for k in RateCardIn.model_fields})  # valid_to ≥ valid_from
    pricing.validate_rate_cards([*(_card(r) for r in rate_cards(session, provider_id=p.id)),
                                 *([new_card] if new_card else [])])
    session.flush()
    record(session, actor=actor, action="compute.rate_card.end", entity="provider", entity_id=p.id,
           before={"card": card_id, "valid_to": before}, after={"card": card_id, "valid_to": valid_to})
    return row


def jobs_per_card(session: Session, *, provider_id: int) -> dict[int, int]:
    """How many finished jobs were priced under each of a provider's cards (the history view)."""
    rows = session.execute(select(ComputeJob.rate_card_id, func.count()).where(
        ComputeJob.provider_id == provider_id, ComputeJob.status.not_in(list(ACTIVE_JOB_STATUSES)),
        ComputeJob.rate_card_id.is_not(None)).group_by(ComputeJob.rate_card_id))
    return {card_id: int(n) for card_id, n in rows if card_id is not None}


def card_on(session: Session, *, provider_id: int, day: date) -> RateCardRow:
    for row in rate_cards(session, provider_id=provider_id):
        if _card(row).covers(day):
            return row
    raise NotFound(f"provider {provider_id} has no rate card valid on {day}", field="rate_card",
                   fix="the provider must publish a rate card covering that date",
                   key="compute_no_rate_card", params={"provider_id": provider_id, "day": day})


# --- budgets ----------------------------------------------------------------------------------


def _account(session: Session, org_id: int, *, lock: bool = False) -> ComputeAccount | None:
    q = select(ComputeAccount).where(ComputeAccount.org_id == org_id)
    acc = session.scalar(_for_update(session, q) if lock else q)
    if acc is not None and lock:
        session.refresh(acc)
    return acc


def set_budget(session: Session, *, actor: Actor, org_id: int, budget_in: BudgetIn) -> ComputeAccount:
    """Set an organisation's compute budget (its own members or the office). Never below what is used."""
    if not (actor.is_office or (actor.org_id == org_id and not actor.is_provider)):
        raise NotFound(f"organisation {org_id} not found", field="org_id",
                       key="organisation_not_found", params={"org_id": org_id})
    if session.get(Organisation, org_id) is None:
        raise NotFound(f"organisation {org_id} not found", field="org_id",
                       key="organisation_not_found", params={"org_id": org_id})
    acc = _account(session, org_id, lock=True)
    before = None
    if acc is None:
        acc = ComputeAccount(org_id=org_id, budget_fen=0, held_fen=0, spent_fen=0)
        session.add(acc)
    else:
        before = {"budget_fen": acc.budget_fen}
    floor = acc.held_fen + acc.spent_fen
    if budget_in.budget_fen < floor:
        raise InvalidInput(f"a budget of {budget_in.budget_fen} fen is below the {floor} fen already held or spent",
                           field="budget_fen", fix=f"set at least {floor} fen",
                           key="compute_budget_below", params={"budget_fen": budget_in.budget_fen, "floor_fen": floor})
    acc.budget_fen = budget_in.budget_fen
    session.flush()
    record(session, actor=actor, action="compute.budget", entity="compute_account", entity_id=org_id,
           before=before, after={"budget_fen": acc.budget_fen}, org_id=org_id)
    return acc


def get_account(session: Session, *, actor: Actor, org_id: int) -> ComputeAccount:
    if not (actor.is_office or actor.org_id == org_id):
        raise NotFound(f"organisation {org_id} not found", field="org_id",
                       key="organisation_not_found", params={"org_id": org_id})
    acc = _account(session, org_id)
    if acc is None:
        return ComputeAccount(org_id=org_id, budget_fen=0, held_fen=0, spent_fen=0)
    return acc


# --- apps -------------------------------------------------------------------------------------


def register_app(session: Session, *, actor: Actor, app_in: AppIn) -> ComputeApp:
    """Register a command members may run (the office vets what runs on providers' clusters)."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator registers apps")
    expand(app_in.argv, {k: "" for k in _input_names(app_in.argv)}, python="python")  # placeholders valid
    if session.scalar(select(ComputeApp.id).where(ComputeApp.name == app_in.name)) is not None:
        from yuzhi.errors import Conflict

        raise Conflict(f"an app named {app_in.name!r} exists", field="name", fix="choose another name",
                       key="app_exists", params={"name": app_in.name})
    app = ComputeApp(name=app_in.name, description=app_in.description, argv_json=json.dumps(app_in.argv),
                     allow_args=app_in.allow_args)
    session.add(app)
    session.flush()
    record(session, actor=actor, action="compute.app.register", entity="compute_app", entity_id=app.id,
           after=app_in.model_dump())
    return app


def _input_names(argv: list[str]) -> list[str]:
    import re

    return [m for a in argv for m in re.findall(r"\{input:([^}]+)\}", a)]


def list_apps(session: Session) -> list[ComputeApp]:
    return list(session.scalars(select(ComputeApp).order_by(ComputeApp.name)))


def _argv_for(session: Session, job_in: JobIn) -> list[str]:
    if job_in.kind == "app":
        if not job_in.app:
            raise InvalidInput("a job of kind 'app' names a registered app", field="app",
                               fix="pick one from GET /api/compute/apps")
        app = session.scalar(select(ComputeApp).where(ComputeApp.name == job_in.app))
        if app is None:
            raise NotFound(f"no registered app {job_in.app!r}", field="app", fix="pick one from GET /api/compute/apps",
                           key="app_not_found", params={"name": job_in.app})
        if job_in.args and not app.allow_args:
            raise InvalidInput(f"app {app.name!r} takes no extra arguments", field="args",
                               key="app_no_args", params={"name": app.name})
        template = json.loads(app.argv_json)
    else:
        jt = JOB_TYPES.get(job_in.kind)
        if jt is None or job_in.kind not in available_types():
            have = ", ".join(["app", *available_types()])
            raise InvalidInput(f"job kind {job_in.kind!r} is not available on this platform", field="kind",
                               fix=f"use one of: {have}",
                               key="job_kind_unavailable", params={"kind": job_in.kind, "have": have})
        template = list(jt.argv)
    return expand(template, job_in.inputs, python=sys.executable) + list(job_in.args)


# --- quotes and provider choice -----------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    provider: Provider
    card: RateCardRow
    quote_fen: int
    available: bool
    reason: str


def _fit_problem(cap: ComputeCapacity | None, job_in: JobIn) -> tuple[str, str, dict[str, object]] | None:
    """What keeps the job off this provider: English text, catalog key and its values (for the page's language)."""
    if cap is None:
        return "has not published its capacity", "compute_no_capacity", {}
    if job_in.nodes > cap.nodes:
        return (f"has {cap.nodes} node(s) ({job_in.nodes} requested)", "compute_too_many_nodes",
                {"most": cap.nodes, "asked": job_in.nodes})
    for label, zh, asked, most in (("CPUs", "个 CPU", job_in.total_cpus, cap.max_cpus_per_job),
                                   ("GPUs", "块 GPU", job_in.total_gpus, cap.max_gpus_per_job),
                                   ("MB of memory", "MB 内存", job_in.total_mem_mb, cap.max_mem_mb_per_job),
                                   ("s of time limit", "秒运行时限", job_in.time_limit_s, cap.max_time_limit_s)):
        if asked > most:
            return (f"allows at most {most} {label} per job ({asked} requested)", "compute_resource_limit",
                    {"most": most, "asked": asked, "what": label, "what_zh": zh})
    return None


def _evaluate(session: Session, p: Provider, job_in: JobIn, day: date) -> Choice:
    """Raise a specific error when ``p`` cannot run the job; else its quote and availability."""
    if p.status != ProviderStatus.ACTIVE:
        raise InvalidInput(f"provider {p.name} is suspended ({p.status_reason or 'no reason given'})",
                           field="provider_id", fix="choose another provider, or omit it for the cheapest one",
                           key="compute_provider_suspended", params={"name": p.name, "reason": p.status_reason or "—"})
    if not (p.valid_from <= day <= p.valid_to):
        raise InvalidInput(f"provider {p.name} is not whitelisted on {day}", field="provider_id",
                           key="compute_provider_not_whitelisted", params={"name": p.name, "day": day})
    ep = get_endpoint(session, provider_id=p.id)
    if ep is None:
        raise InvalidInput(f"provider {p.name} has not connected a compute backend", field="provider_id",
                           fix="choose another provider",
                           key="compute_provider_no_backend", params={"name": p.name})
    problem = _fit_problem(get_capacity(session, provider_id=p.id), job_in)
    if problem:
        text, key, params = problem
        raise InvalidInput(f"provider {p.name} {text}", field="resources",
                           fix="request less, or choose a bigger provider", key=key, params={"name": p.name, **params})
    card = card_on(session, provider_id=p.id, day=day)
    q = pricing.quote_fen(_card(card), time_limit_s=job_in.time_limit_s, cpus=job_in.total_cpus,
                          gpus=job_in.total_gpus, mem_mb=job_in.total_mem_mb)
    return Choice(p, card, q, ep.available, ep.unavailable_reason)


def choose(session: Session, *, job_in: JobIn, day: date | None = None) -> Choice:
    """The named provider, or the cheapest eligible one (available engines first, then by quote, then id)."""
    day = day or _today()
    if job_in.provider_id is not None:
        p = session.get(Provider, job_in.provider_id)
        if p is None:
            raise NotFound(f"provider {job_in.provider_id} not found", field="provider_id",
                           fix="pick a provider from GET /api/compute/providers, or omit it",
                           key="provider_not_found", params={"provider_id": job_in.provider_id})
        return _evaluate(session, p, job_in, day)
    choices: list[Choice] = []
    reasons: list[str] = []
    for p in session.scalars(select(Provider).join(ComputeEndpoint, ComputeEndpoint.provider_id == Provider.id)
                             .order_by(Provider.id)):
        try:
            choices.append(_evaluate(session, p, job_in, day))
        except (InvalidInput, NotFound) as exc:
            reasons.append(exc.message)
    if not choices:
        raise InvalidInput("no provider can run this job" + (": " + "; ".join(reasons) if reasons else ""),
                           field="resources", fix="request fewer resources or a shorter time limit")
    return min(choices, key=lambda c: (not c.available, c.quote_fen, c.provider.id))


def provider_overview(session: Session, *, actor: Actor | None, year: int) -> list[dict[str, object]]:
    """Every whitelisted provider's engine, capacity, price today, CPUs in use and this year's jobs.

    The year's money (charged, subsidy) is shown only to the office and to the provider's own operators
    (``None`` for anyone else): it is one provider's revenue and public money paid to it."""
    start = datetime(year, 1, 1, tzinfo=pricing.CST)
    rows: list[dict[str, object]] = []
    for p in session.scalars(select(Provider).order_by(Provider.id)):
        try:
            card: RateCardRow | None = card_on(session, provider_id=p.id, day=_today())
        except NotFound:
            card = None
        running_cpus = session.scalar(select(func.coalesce(func.sum(ComputeJob.cpus), 0)).where(
            ComputeJob.provider_id == p.id, ComputeJob.status == "running")) or 0
        done = session.execute(select(
            func.count(), func.coalesce(func.sum(ComputeJob.alloc_cpus * ComputeJob.elapsed_s), 0),
            func.coalesce(func.sum(ComputeJob.charge_fen), 0), func.coalesce(func.sum(ComputeJob.subsidy_fen), 0))
            .where(ComputeJob.provider_id == p.id, ComputeJob.started_at >= start,
                   ComputeJob.status.not_in(list(ACTIVE_JOB_STATUSES)))).one()
        own = actor is not None and tenancy.can_see(actor, None, p.id, by_provider=True)
        rows.append({"p": p, "ep": get_endpoint(session, provider_id=p.id),
                     "cap": get_capacity(session, provider_id=p.id), "card": card,
                     "running_cpus": int(running_cpus), "jobs": done[0], "core_hours": float(done[1]) / 3600,
                     "charged": int(done[2]) if own else None, "subsidy": int(done[3]) if own else None})
    return rows


# --- jobs -------------------------------------------------------------------------------------


def owner_key(actor: Actor) -> str:
    """The tenant an upload belongs to: a member's organisation, a provider, or the office."""
    if actor.is_office:
        return "office"
    if actor.is_provider:
        return f"provider-{actor.provider_id}"
    return f"org-{actor.org_id}"


def may_use(session: Session, store: ArtifactStore, actor: Actor, sha256: str) -> bool:
    """Whether ``actor`` may read artifact ``sha256`` (download it, or give it to a job as input).

    Yes for the office; for anyone else only if their tenant uploaded it, or one of their tenant's
    jobs (a provider: jobs run on it) used or produced it. Knowing a file's hash is not enough:
    a job reading another tenant's file would hand its content back through the job's log.
    """
    if actor.is_office:
        return True
    if store.owned_by(sha256, owner_key(actor)):
        return True
    q = select(ComputeJob.id).where(or_(ComputeJob.inputs_json.contains(sha256),
                                        ComputeJob.outputs_json.contains(sha256)))
    q = tenancy.scope(q, ComputeJob, actor, by_provider=True)
    return session.scalar(q.limit(1)) is not None


def submit_job(session: Session, *, actor: Actor, job_in: JobIn, store: ArtifactStore | None = None,
               estimate_subsidy: SubsidyEstimator | None = None) -> ComputeJob:
    """Quote, hold the quote against the budget, stage the inputs, and queue the job.

    Nothing is written when any check fails (unknown provider, over-sized request, missing
    input artifact, no rate card, budget exceeded).
    """
    if actor.org_id is None or actor.is_office or actor.is_provider:
        raise Forbidden("only members of an organisation submit compute jobs")
    store = store or default_store()
    argv = _argv_for(session, job_in)
    choice = choose(session, job_in=job_in)
    for name, sha in job_in.inputs.items():
        # another tenant's file is answered exactly as a missing one: no hint that the hash exists
        if not store.has(sha) or not may_use(session, store, actor, sha):
            raise NotFound(f"input {name!r} refers to artifact {sha[:12]}… which is not in the store",
                           field=f"inputs.{name}", fix="upload the file first (yuzhi compute upload)",
                           key="input_not_in_store", params={"name": name, "sha": sha[:12]})
    acc = _account(session, actor.org_id, lock=True)
    if acc is None or acc.budget_fen == 0:
        raise InvalidInput("your organisation has no compute budget", field="budget",
                           fix="set one first (yuzhi compute budget ORG_ID FEN, or PUT /api/compute/budget)")
    free = acc.budget_fen - acc.held_fen - acc.spent_fen
    if choice.quote_fen > free:
        raise InvalidInput(f"the quote of {choice.quote_fen} fen exceeds the {free} fen left in the compute budget "
                           f"({acc.held_fen} held by running jobs, {acc.spent_fen} spent)", field="budget",
                           fix="raise the budget, request less, shorten the time limit or wait for jobs to end",
                           key="compute_over_budget", params={"quote_fen": choice.quote_fen, "free_fen": free,
                                   "held_fen": acc.held_fen, "spent_fen": acc.spent_fen})
    token = f"yz-{secrets.token_hex(8)}"
    expected = 0
    if estimate_subsidy is not None:
        expected = estimate_subsidy(session, actor.org_id, choice.provider.id, choice.quote_fen, _today())
    job = ComputeJob(
        org_id=actor.org_id, submitted_by=actor.user_id, provider_id=choice.provider.id, kind=job_in.kind,
        name=job_in.name or job_in.app or job_in.kind, argv_json=json.dumps(argv),
        params_json=json.dumps({"app": job_in.app, "args": job_in.args, **_shape(job_in)}),
        inputs_json=json.dumps(job_in.inputs),
        cpus=job_in.cpus, gpus=job_in.gpus, mem_mb=job_in.mem_mb, time_limit_s=job_in.time_limit_s,
        status=JobStatus.QUEUED, token=token, rate_card_id=choice.card.id, quote_fen=choice.quote_fen,
        hold_fen=choice.quote_fen, expected_subsidy_fen=expected,
        reason="" if choice.available else f"waiting: provider unavailable ({choice.reason})",
    )
    acc.held_fen += choice.quote_fen
    session.add(job)
    session.flush()
    store.materialize(token, job_in.inputs)
    record(session, actor=actor, action="compute.job.submit", entity="compute_job", entity_id=job.id,
           after={"kind": job.kind, "provider_id": job.provider_id, "quote_fen": job.quote_fen,
                  "hold_fen": job.hold_fen, "cpus": job.cpus, "gpus": job.gpus, "mem_mb": job.mem_mb,
                  "time_limit_s": job.time_limit_s, "inputs": job_in.inputs}, org_id=job.org_id)
    return job


def get_job(session: Session, *, actor: Actor, job_id: int, lock: bool = False) -> ComputeJob:
    q = select(ComputeJob).where(ComputeJob.id == job_id)
    job = session.scalar(_for_update(session, q) if lock else q)
    if job is None or not tenancy.can_see(actor, job.org_id, job.provider_id, by_provider=True):
        raise NotFound(f"job {job_id} not found", field="job_id",
                       key="job_not_found", params={"id": job_id})
    return job


def list_jobs(session: Session, *, actor: Actor, status: str | None = None, provider_id: int | None = None,
              limit: int = 100, offset: int = 0) -> tuple[list[ComputeJob], int]:
    q = tenancy.scope(select(ComputeJob), ComputeJob, actor, by_provider=True)
    if status:
        q = q.where(ComputeJob.status == status)
    if provider_id is not None:
        q = q.where(ComputeJob.provider_id == provider_id)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    return list(session.scalars(q.order_by(ComputeJob.id.desc()).limit(limit).offset(offset))), total


def cancel_job(session: Session, *, actor: Actor, job_id: int) -> ComputeJob:
    """Request cancellation; a queued job is cancelled at once and its hold released."""
    job = get_job(session, actor=actor, job_id=job_id, lock=True)
    # a reviewer reads every job but spends no unit's money: cancelling (and its charge) is the unit's
    # decision, or the office administrator's in an emergency
    if actor.is_provider or (not actor.is_admin and actor.org_id != job.org_id):
        raise Forbidden("only the submitting organisation (or the office administrator) cancels a job")
    if job.status not in ACTIVE_JOB_STATUSES:
        return job
    job.cancel_requested = True
    if job.status == JobStatus.QUEUED and job.external_id is None:
        _settle(session, job, charge=0)
        job.status, job.ended_at, job.reason = JobStatus.CANCELLED, _now(), "cancelled before it was submitted"
    session.flush()
    record(session, actor=actor, action="compute.job.cancel", entity="compute_job", entity_id=job.id,
           after={"status": job.status}, org_id=job.org_id)
    return job


def job_log(session: Session, *, actor: Actor, job_id: int, store: ArtifactStore | None = None,
            tail_bytes: int = 64_000) -> str:
    job = get_job(session, actor=actor, job_id=job_id)
    path = (store or default_store()).job_dir(job.token) / "job.log"
    if not path.exists():
        return ""
    with open(path, "rb") as fh:
        size = path.stat().st_size
        fh.seek(max(0, size - tail_bytes))
        return fh.read().decode("utf-8", errors="replace")


# --- the worker: dispatch, meter, charge -------------------------------------------------------


def _settle(session: Session, job: ComputeJob, *, charge: int) -> None:
    """Charge ``charge`` (≤ hold) and release the rest of the job's hold, under the account lock."""
    acc = _account(session, job.org_id, lock=True)
    assert acc is not None and 0 <= charge <= job.hold_fen
    acc.held_fen -= job.hold_fen
    acc.spent_fen += charge
    job.charge_fen = charge
    job.hold_fen = 0


_STATUS = {
    JobState.SUCCEEDED: JobStatus.SUCCEEDED, JobState.FAILED: JobStatus.FAILED, JobState.TIMEOUT: JobStatus.FAILED,
    JobState.LOST: JobStatus.FAILED, JobState.CANCELLED: JobStatus.CANCELLED,
}


def _shape(job_in: JobIn) -> dict[str, object]:
    """A multi-node/MPI shape, kept in ``params_json`` (absent for the plain one-task job)."""
    shape = {"nodes": job_in.nodes, "ntasks": job_in.ntasks, "gpu_type": job_in.gpu_type, "launcher": job_in.launcher}
    return {"shape": shape} if shape != {"nodes": 1, "ntasks": 1, "gpu_type": "", "launcher": ""} else {}


def _spec(job: ComputeJob, store: ArtifactStore) -> JobSpec:
    shape = json.loads(job.params_json or "{}").get("shape", {})
    return JobSpec(token=job.token, name=job.name[:60] or job.kind, argv=tuple(json.loads(job.argv_json)),
                   workdir=store.job_dir(job.token), cpus=job.cpus, gpus=job.gpus, mem_mb=job.mem_mb,
                   time_limit_s=job.time_limit_s, unit=f"u{job.org_id}", unit_name=_org_name(job), **shape)


def _org_name(job: ComputeJob) -> str:
    from sqlalchemy.orm import object_session

    s = object_session(job)
    org = s.get(Organisation, job.org_id) if s is not None else None
    return org.name if org is not None else ""


def finish(session: Session, *, job: ComputeJob, usage: Usage, store: ArtifactStore, audit: bool = True) -> None:
    """Record final usage, price it with the card in force at the start, charge (≤ hold), release.

    ``audit=False`` leaves the ``compute.job.finish`` event to the caller (:func:`step` writes it
    after the bill, see there)."""
    job.backend_state = usage.state.value
    job.status = _STATUS[usage.state]
    job.ended_at = job.ended_at or _now()
    # The engine's own start time when it reports one (Slurm's Start: the rate card's date, issue 20
    # item 6); else, for a job that started and ended between two polls, its end less the metered time.
    job.started_at = usage.started_at or job.started_at or job.ended_at - timedelta(seconds=usage.elapsed_s)
    job.elapsed_s, job.cpu_s = usage.elapsed_s, usage.cpu_s
    job.alloc_cpus, job.alloc_gpus, job.alloc_mem_bytes = usage.alloc_cpus, usage.alloc_gpus, usage.alloc_mem_bytes
    job.max_rss_bytes, job.exit_code = usage.max_rss_bytes, usage.exit_code
    if usage.state == JobState.TIMEOUT:
        job.reason = f"time limit of {job.time_limit_s} s reached"
    elif usage.state == JobState.LOST:
        job.reason = f"lost by the engine: {usage.reason}"[:500]
    elif usage.state == JobState.FAILED:
        job.reason = f"exit code {usage.exit_code}" + (f" ({usage.reason})" if usage.reason else "")
    elif usage.state == JobState.CANCELLED:
        job.reason = "cancelled"
    try:
        row = card_on(session, provider_id=job.provider_id, day=job.started_at.astimezone(pricing.CST).date())
    except NotFound:  # the provider's cards ended before the job started: the quoted card applies
        quoted = session.get(RateCardRow, job.rate_card_id)
        assert quoted is not None
        row = quoted
    job.rate_card_id = row.id
    card = _card(row)
    job.price_fen = pricing.price_fen(card, elapsed_s=usage.elapsed_s, alloc_cpus=usage.alloc_cpus,
                                      alloc_gpus=usage.alloc_gpus, alloc_mem_bytes=usage.alloc_mem_bytes)
    charge = min(pricing.charge_fen(card, state=usage.state, elapsed_s=usage.elapsed_s,
                                    alloc_cpus=usage.alloc_cpus, alloc_gpus=usage.alloc_gpus,
                                    alloc_mem_bytes=usage.alloc_mem_bytes), job.hold_fen)
    _settle(session, job, charge=charge)
    try:
        job.outputs_json = json.dumps([a.__dict__ for a in store.collect_outputs(job.token)])
    except OSError as exc:
        job.reason = (job.reason + f"; outputs not collected: {exc}")[:500]
    session.flush()
    if audit:
        _record_finish(session, job)


def _record_finish(session: Session, job: ComputeJob) -> None:
    record(session, actor=SYSTEM, action="compute.job.finish", entity="compute_job", entity_id=job.id,
           after={"status": job.status, "state": job.backend_state, "elapsed_s": job.elapsed_s,
                  "alloc_cpus": job.alloc_cpus, "alloc_gpus": job.alloc_gpus, "alloc_mem_bytes": job.alloc_mem_bytes,
                  "price_fen": job.price_fen, "charge_fen": job.charge_fen, "rate_card_id": job.rate_card_id},
           org_id=job.org_id)


def step(session: Session, *, job: ComputeJob, backend: Backend | None, store: ArtifactStore,
         biller: Biller | None = None, known: Usage | None = None) -> bool:
    """Advance one job by one step against its engine; returns True when something changed.

    Idempotent and restart-safe: a queued job is (re-)submitted under its token, which the
    engine de-duplicates; a submitted or running job is polled; a finished one is charged and
    billed in this same transaction, so a crash either leaves it unfinished (and the next step
    redoes the work) or finished and billed. ``known`` is the job's usage when the caller already
    asked the engine (one batched query per pass); a cancellation request always asks again.
    ``backend`` is None only for a queued job whose provider has no engine: it can only be cancelled.
    """
    if job.status not in ACTIVE_JOB_STATUSES:
        return False
    if job.status == JobStatus.QUEUED:
        if job.cancel_requested:
            _settle(session, job, charge=0)
            job.status, job.ended_at, job.reason = JobStatus.CANCELLED, _now(), "cancelled before it was submitted"
            return True
        assert backend is not None, "a job is submitted only to a provider with an engine"
        job.external_id = backend.submit(_spec(job, store))
        job.status, job.submitted_at, job.reason = JobStatus.SUBMITTED, _now(), ""
        session.flush()
        record(session, actor=SYSTEM, action="compute.job.dispatch", entity="compute_job", entity_id=job.id,
               after={"external_id": job.external_id, "backend": backend.kind}, org_id=job.org_id)
        return True
    assert job.external_id is not None and backend is not None
    if job.cancel_requested:
        backend.cancel(job.external_id)
        known = None
    try:
        usage = known if known is not None else backend.usage(job.external_id)
    except NotFound:
        usage = Usage(state=JobState.LOST, reason="the engine no longer knows this job")
    if not usage.state.is_terminal:
        if usage.state == JobState.RUNNING and job.status != JobStatus.RUNNING:
            job.status, job.started_at = JobStatus.RUNNING, _now()
            job.backend_state = usage.state.value
            return True
        return False
    # The bill locks the unit's quota rows and then its audit chain, as every bill does; the job's
    # own audit event comes after it, so this transaction never holds the chain while it waits for
    # a quota row (the reverse order deadlocked against bills pushed by another process).
    finish(session, job=job, usage=usage, store=store, audit=False)
    if _monthly(session, job):
        month = job.started_at.astimezone(pricing.CST).strftime("%Y-%m") if job.started_at else "?"
        job.bill_status = f"to be invoiced with {month} (monthly billing)" if job.charge_fen else \
            "nothing to bill (0 fen)"
    elif biller is not None:
        biller(session, job)
    _record_finish(session, job)
    return True


@dataclass
class TickReport:
    dispatched: int = 0
    finished: int = 0
    changed: int = 0
    active: int = 0  # jobs queued, submitted or running at the start of the pass
    unavailable: dict[int, str] | None = None
    errors: dict[int, str] | None = None  # job id → what went wrong (the job is retried next pass)


def tick(engine, *, store: ArtifactStore | None = None, biller: Biller | None = None,
         check_every_s: float = 30.0) -> TickReport:
    """One pass of the worker over every active job, each in its own transaction.

    Engines are checked for availability (at most every ``check_every_s``) and a provider whose
    engine is down is marked unavailable with the reason; its queued jobs wait, none is lost.
    """
    store = store or default_store()
    report = TickReport(unavailable={}, errors={})
    full, backends = _active_jobs(engine, report, check_every_s)
    rows = [(job_id, pid, eid) for job_id, pid, eid, _, _ in full]
    # Queued jobs first: they need no engine query, and a new job should not wait for one.
    done = _dispatch_batch(engine, [job_id for job_id, pid, _, status, cancel in full
                                    if status == JobStatus.QUEUED and not cancel and pid in backends],
                           backends, store=store, report=report)
    known = _usage_per_provider(backends, rows)
    done |= _finish_batch(engine, rows, backends, known, store=store, biller=biller, report=report)
    done |= {job_id for job_id, pid, eid, status, cancel in full
             if pid in backends and _unchanged(status, cancel, known.get(f"{pid}:{eid}"))}
    for job_id, pid, eid in rows:
        if job_id not in done:
            _step_one(engine, job_id, pid, eid, backends, known, store=store, biller=biller, report=report)
    return report


def _active_jobs(engine, report: TickReport, check_every_s: float) -> tuple[Sequence[Any], dict[int, Backend]]:
    """The active jobs ``(id, provider, external id, status, cancel requested)`` and a backend for each
    provider whose engine is up; a provider whose engine is down is reported with the reason."""
    from yuzhi.db import transaction

    backends: dict[int, Backend] = {}
    with transaction(engine) as s:
        full = s.execute(select(ComputeJob.id, ComputeJob.provider_id, ComputeJob.external_id, ComputeJob.status,
                                ComputeJob.cancel_requested)
                         .where(ComputeJob.status.in_(list(ACTIVE_JOB_STATUSES))).order_by(ComputeJob.id)).all()
        report.active = len(full)
        for pid in sorted({pid for _, pid, _, _, _ in full}):
            ep = get_endpoint(s, provider_id=pid)
            if ep is None:
                continue
            if ep.checked_at is None or (_now() - ep.checked_at).total_seconds() >= check_every_s \
                    or not ep.available:
                check_endpoint(s, endpoint=ep)
            if ep.available:
                backends[pid] = backend_for(ep)
            else:
                report.unavailable[pid] = ep.unavailable_reason  # type: ignore[index]
    return full, backends


def _usage_per_provider(backends: dict[int, Backend], rows: list[tuple[Any, Any, Any]]) -> dict[str, Usage]:
    """One engine query per provider, not one per job: usage keyed ``"provider:external id"``."""
    known: dict[str, Usage] = {}
    for pid, backend in list(backends.items()):
        ids = [eid for _, p, eid in rows if p == pid and eid is not None]
        # If the engine fails here, each job asks on its own below and that marks the provider unavailable.
        with contextlib.suppress(BackendUnavailable):
            known.update({f"{pid}:{k}": v for k, v in backend.usage_many(ids).items()})
    return known


def _step_one(engine, job_id: int, pid: int, eid: str | None, backends: dict[int, Backend],
              known: dict[str, Usage], *, store: ArtifactStore, biller: Biller | None, report: TickReport) -> None:
    """Advance one job the batches left, in its own transaction. An engine that fails marks its provider
    unavailable for the rest of the pass; any other error is logged and the job retried next pass."""
    from yuzhi.db import transaction

    backend = backends.get(pid)
    try:
        with transaction(engine) as s:
            job = s.scalar(_for_update(s, select(ComputeJob).where(ComputeJob.id == job_id)))
            if job is None:
                return
            if backend is None:
                _without_engine(s, job, pid, store=store, report=report)
                return
            was = job.status
            hint = known.get(f"{pid}:{job.external_id}") if job.external_id == eid else None
            if step(s, job=job, backend=backend, store=store, biller=biller, known=hint):
                report.changed += 1
                report.dispatched += int(was == JobStatus.QUEUED and job.status == JobStatus.SUBMITTED)
                report.finished += int(job.status not in ACTIVE_JOB_STATUSES)
    except BackendUnavailable as exc:
        with transaction(engine) as s:
            ep = get_endpoint(s, provider_id=pid)
            if ep is not None:
                ep.available, ep.unavailable_reason, ep.checked_at = False, exc.message[:500], _now()
        report.unavailable[pid] = exc.message  # type: ignore[index]
        backends.pop(pid, None)
    except Exception as exc:  # one bad job must not stop the worker: log it, retry next pass
        log.exception("compute worker: job %s", job_id)
        report.errors[job_id] = f"{type(exc).__name__}: {exc}"  # type: ignore[index]


def _without_engine(s: Session, job: ComputeJob, pid: int, *, store: ArtifactStore, report: TickReport) -> None:
    """A job whose provider has no engine up: a queued job waits and says why; a queued job whose
    cancellation was asked for is cancelled (that needs no engine); any other waits for the engine."""
    if job.status == JobStatus.QUEUED and not job.cancel_requested:
        reason = f"waiting: provider unavailable ({(report.unavailable or {}).get(pid, 'no backend')})"
        if job.reason != reason:
            job.reason = reason[:500]
        return
    if job.status == JobStatus.QUEUED:
        step(s, job=job, backend=None, store=store)


#: Longest a batched dispatch keeps submitting before it commits (on SQLite the transaction holds
#: the database's write lock, so a submission through the API waits at most about this long).
DISPATCH_BATCH_S = 0.5


def _dispatch_batch(engine, job_ids: list[int], backends: dict[int, Backend], *,
                    store: ArtifactStore, report: TickReport) -> set[int]:
    """Submit the pass's queued jobs in ONE transaction (at most :data:`DISPATCH_BATCH_S` of them).

    Issue 20 item 7: a commit per dispatched job (an fsync on SQLite) was a fixed cost per job the
    bare ``sbatch`` loop does not pay. Each job is still locked while it is submitted, so two
    workers never submit the same job; a crash after some ``sbatch`` calls and before the commit
    leaves those jobs queued with their batch script written, and the next pass finds each by its
    token (``squeue``/``sacct --name``) instead of submitting it again. A job the engine refuses
    (or an engine that fails) ends the batch: the jobs submitted so far are committed, that job
    and the rest go one by one as before, where the error is reported or the provider marked
    unavailable. Returns the ids dispatched here.
    """
    import time as _time

    from yuzhi.db import transaction

    if len(job_ids) < 2:
        return set()
    dispatched: set[int] = set()
    deadline = _time.monotonic() + DISPATCH_BATCH_S
    try:
        with transaction(engine) as s:
            for job_id in job_ids:
                if _time.monotonic() > deadline:
                    break
                job = s.scalar(_for_update(s, select(ComputeJob).where(ComputeJob.id == job_id)))
                if job is None or job.status != JobStatus.QUEUED or job.cancel_requested:
                    continue
                try:
                    step(s, job=job, backend=backends[job.provider_id], store=store)
                except DomainError:  # refused or engine down: raised by submit, before any write for this job
                    break
                dispatched.add(job.id)
    except Exception:  # the jobs are dispatched one by one right after (found by token if submitted)
        log.warning("compute worker: dispatch batch rolled back; dispatching one by one", exc_info=True)
        return set()
    report.changed += len(dispatched)
    report.dispatched += len(dispatched)
    return dispatched


def _unchanged(status: str, cancel_requested: bool, hint: Usage | None) -> bool:
    """Whether the pass's one engine query shows nothing :func:`step` would change for this job.

    A job still pending (or still running) as recorded needs no transaction of its own: opening
    and locking one per active job on every pass was the worker's main cost per pass while jobs
    waited (issue 20 item 7). Queued jobs, cancellation requests, jobs that started or ended and
    jobs the query did not answer for still go through :func:`step`. This mirrors :func:`step`,
    which changes a job still active at the engine only when it starts running; in particular
    ``sacct`` may read PENDING for a job ``squeue`` already showed running (slurmdbd's start
    record lags), which changes nothing either.
    """
    if hint is None or cancel_requested or hint.state.is_terminal or status == JobStatus.QUEUED:
        return False
    return not (hint.state == JobState.RUNNING and status != JobStatus.RUNNING)


def _finish_batch(engine, rows, backends: dict[int, Backend], known: dict[str, Usage], *,
                  store: ArtifactStore, biller: Biller | None, report: TickReport) -> set[int]:
    """Close every job the pass's one engine query found finished, in ONE transaction.

    Issue 20 item 7: one commit per finished job (with its bill) was most of the platform's cost
    per job once the engine queries were batched. The money guarantees are those of :func:`step`,
    which this calls for each job: the jobs are locked, each is charged, released and billed, and
    the whole batch commits or none of it does (a crash leaves all of them unfinished, and the next
    pass closes them again: no duplicate, no lost hold). Jobs are taken in (unit, id) order so the
    unit-level locks (budget row, quota rows, audit chain) are always taken in the same order.
    Anything unexpected rolls the batch back and the jobs go one by one, in their own
    transactions, as before. A job with a cancellation request is left to that path (it asks the
    engine again). Returns the ids closed here.
    """
    from yuzhi.db import transaction

    batch = {job_id: f"{pid}:{eid}" for job_id, pid, eid in rows
             if pid in backends and eid is not None and f"{pid}:{eid}" in known
             and known[f"{pid}:{eid}"].state.is_terminal}
    if len(batch) < 2:
        return set()
    closed: set[int] = set()
    try:
        with transaction(engine) as s:
            jobs = s.scalars(_for_update(s, select(ComputeJob).where(ComputeJob.id.in_(list(batch)))
                                         .order_by(ComputeJob.org_id, ComputeJob.id))).all()
            for job in jobs:
                hint = known[batch[job.id]]
                if job.cancel_requested or f"{job.provider_id}:{job.external_id}" != batch[job.id] \
                        or job.status not in ACTIVE_JOB_STATUSES:
                    continue
                if step(s, job=job, backend=backends[job.provider_id], store=store, biller=biller, known=hint):
                    closed.add(job.id)
    except Exception:  # the jobs are retried one by one right after
        log.warning("compute worker: batch of %d finished jobs rolled back; closing them one by one",
                    len(batch), exc_info=True)
        return set()
    report.changed += len(closed)
    report.finished += len(closed)
    return closed


def _monthly(session: Session, job: ComputeJob) -> bool:
    row = session.get(RateCardRow, job.rate_card_id) if job.rate_card_id else None
    return row is not None and row.billing_period == "month"


def unbilled(session: Session) -> list[int]:
    """Finished, charged per-job-billed jobs whose bill was refused (e.g. no open programme year)."""
    return list(session.scalars(select(ComputeJob.id).join(RateCardRow, RateCardRow.id == ComputeJob.rate_card_id)
                                .where(ComputeJob.status.not_in(list(ACTIVE_JOB_STATUSES)),
                                       ComputeJob.charge_fen > 0, ComputeJob.bill_id.is_(None),
                                       RateCardRow.billing_period == "job").order_by(ComputeJob.id)))


def statement(session: Session, *, actor: Actor, provider_id: int, year: int) -> list[ComputeJob]:
    """A provider's statement: every finished job in ``year`` (by start date), with usage, price and subsidy."""
    if not (actor.is_office or (actor.is_provider and actor.provider_id == provider_id)):
        raise NotFound(f"provider {provider_id} not found", field="provider_id",
                       key="provider_not_found", params={"provider_id": provider_id})
    start = datetime(year, 1, 1, tzinfo=pricing.CST)
    end = datetime(year + 1, 1, 1, tzinfo=pricing.CST)
    return list(session.scalars(select(ComputeJob).where(
        ComputeJob.provider_id == provider_id, ComputeJob.status.not_in(list(ACTIVE_JOB_STATUSES)),
        ComputeJob.started_at >= start, ComputeJob.started_at < end).order_by(ComputeJob.id)))


def artifact_path(store: ArtifactStore, sha256: str) -> Path:
    return store.object_path(sha256)
