"""Model registry and one-off awards: register, verify, programme years, apply, review, disclose, pay.

Every money movement posts a balanced ledger transaction in the awards' own namespace, separate
from the voucher pool (integer fen)::

    award_funding:Y:<province|city>    sources of the year's award budget (credit balances)
    award_pool:Y                       uncommitted budget (never negative)
    award_commit:Y:app:<id>            granted to an application, on disclosure, not yet paid
    award_paid:Y:<province|city>:app:<id>  paid out, by funding source

Concurrency: a review locks the programme row, then the model row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite writers are serialised by ``BEGIN IMMEDIATE``), so concurrent reviews can
neither over-commit the pool nor award one model twice. The unique ``awarded_model_id`` column
backs the once-per-model rule in the database itself.

Services never commit; the caller owns the transaction.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from yuzhi.accounts import service as accounts
from yuzhi.accounts import tenancy
from yuzhi.accounts.actor import Actor
from yuzhi.accounts.models import Organisation, OrgStatus
from yuzhi.audit.service import record
from yuzhi.awards.models import (
    AiModel,
    AwardApplication,
    AwardObjection,
    AwardProgramme,
    AwardProgrammeStatus,
    AwardStatus,
    DeploymentCase,
    ModelStatus,
)
from yuzhi.awards.rules import AwardRules, eligibility_problems, grant_problem
from yuzhi.awards.schemas import (
    AwardApply,
    AwardProgrammeCreate,
    AwardReview,
    CaseCreate,
    ModelCreate,
    ObjectionCreate,
    Verify,
)
from yuzhi.db import for_update as _for_update
from yuzhi.errors import Conflict, Forbidden, InvalidInput, NotFound
from yuzhi.ledger import service as ledger
from yuzhi.ledger.core import Posting, Txn, transfer
from yuzhi.programmes import service as programmes
from yuzhi.programmes.core import Disclosure, disclosure_open, disclosure_over, paid_by_source
from yuzhi.programmes.objections import objection_identity

HOLDING = (AwardStatus.APPROVED, AwardStatus.PAID)  # statuses that count as "the model's award"


def _now() -> datetime:
    return datetime.now(UTC)



# --- ledger accounts --------------------------------------------------------------------------


def acct_pool(y: int) -> str:
    return f"award_pool:{y}"


def acct_commit(y: int, app_id: int) -> str:
    return f"award_commit:{y}:app:{app_id}"


#: The award programme's years and pool in the shared funding-programme core (:mod:`yuzhi.programmes`).
KIND = programmes.Kind(model=AwardProgramme, name="award programme", title="award programme", key_prefix="award_",
                       list_path="/api/awards/programmes", pool_account=acct_pool, source_prefix="award_funding",
                       fund_kind="award_fund", ref="award_programme")


def acct_paid(y: int, source: str, app_id: int) -> str:
    return f"award_paid:{y}:{source}:app:{app_id}"


# --- model registry ---------------------------------------------------------------------------


def _model_snap(m: AiModel) -> dict[str, object]:
    return {"name": m.name, "domain": m.domain, "filing_no": m.filing_no, "filing_date": m.filing_date,
            "status": m.status, "reason": m.status_reason, "org_id": m.org_id}


def _case_snap(c: DeploymentCase) -> dict[str, object]:
    return {"model_id": c.model_id, "customer": c.customer, "scenario": c.scenario, "effect": c.effect,
            "started_on": c.started_on, "verified": c.verified}


def _check_filing_unique(session: Session, filing_no: str, model_id: int | None = None) -> None:
    if not filing_no:
        return
    q = select(AiModel.id).where(AiModel.filing_no == filing_no)
    if model_id is not None:
        q = q.where(AiModel.id != model_id)
    if session.scalar(q) is not None:
        raise Conflict(f"filing number {filing_no} is already registered for another model", field="filing_no",
                       fix="check the number on the filing certificate; one filing covers one model",
                       key="filing_no_taken", params={"filing_no": filing_no})


def register_model(session: Session, *, actor: Actor, model_in: ModelCreate) -> AiModel:
    """An organisation registers a model (pending office verification), with its deployment cases."""
    if actor.is_office:
        if model_in.org_id is None:
            raise InvalidInput("the office registers a model on behalf of an organisation", field="org_id",
                               fix="give the owning organisation's org_id")
        org_id = model_in.org_id
    elif actor.org_id is None or actor.is_provider:
        raise Forbidden("only members of a registered organisation (or the office) register models")
    else:
        if model_in.org_id not in (None, actor.org_id):
            raise NotFound(f"organisation {model_in.org_id} not found", field="org_id",
                           key="organisation_not_found", params={"org_id": model_in.org_id})
        org_id = actor.org_id
    org = accounts.get_org(session, actor=actor, org_id=org_id)
    if org.status != OrgStatus.APPROVED:
        raise InvalidInput(f"organisation {org.name} is {org.status}, not approved", field="org_id",
                           fix="wait for the programme office to approve the registration",
                           key="org_not_approved", params={"name": org.name, "status": org.status})
    name = model_in.name.strip()
    if session.scalar(select(AiModel.id).where(AiModel.org_id == org.id, AiModel.name == name)) is not None:
        raise Conflict(f"{org.name} already registered a model named {name}", field="name",
                       fix="add deployment cases to the existing model instead",
                       key="model_name_taken", params={"org": org.name, "name": name})
    filing_no = model_in.filing_no.strip()
    _check_filing_unique(session, filing_no)
    m = AiModel(org_id=org.id, name=name, domain=model_in.domain.value, description=model_in.description,
                filing_no=filing_no, filing_date=model_in.filing_date, status=ModelStatus.SUBMITTED)
    session.add(m)
    session.flush()
    record(session, actor=actor, action="model.register", entity="ai_model", entity_id=m.id,
           after=_model_snap(m), org_id=org.id)
    for c in model_in.cases:  # the filing's own cases, as registered (by the unit, or for it by the office)
        _add_case(session, actor=actor, m=m, case_in=c)
    return m


def get_model(session: Session, *, actor: Actor, model_id: int, lock: bool = False) -> AiModel:
    """One model; another tenant's model is reported as not found."""
    q = select(AiModel).where(AiModel.id == model_id)
    m = session.scalar(_for_update(session, q) if lock else q)
    if m is None or not tenancy.can_see(actor, m.org_id):
        raise NotFound(f"model {model_id} not found", field="model_id",
                       key="model_not_found", params={"id": model_id})
    return m


def list_models(session: Session, *, actor: Actor, status: str | None = None, domain: str | None = None,
                limit: int = 100, offset: int = 0) -> tuple[list[AiModel], int]:
    """The office sees every filing; an organisation sees only its own."""
    q = select(AiModel)
    q = tenancy.scope(q, AiModel, actor)
    if status:
        q = q.where(AiModel.status == status)
    if domain:
        q = q.where(AiModel.domain == domain)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.options(selectinload(AiModel.cases)).order_by(AiModel.id).limit(limit).offset(offset))
    return list(rows), total


def add_case(session: Session, *, actor: Actor, model_id: int, case_in: CaseCreate) -> DeploymentCase:
    """Add a deployment case (customer, scenario, measured effect); the office verifies it later.

    Only the model's own organisation adds cases: the office verifies them, so it may not also write
    them (a reviewer could otherwise make a unit's application pass its own check)."""
    m = get_model(session, actor=actor, model_id=model_id)
    if actor.is_office or actor.org_id != m.org_id:
        raise Forbidden("only the model's own organisation adds deployment cases; the office verifies them",
                        field="model_id", fix="ask the unit to add the case from its account")
    return _add_case(session, actor=actor, m=m, case_in=case_in)


def _add_case(session: Session, *, actor: Actor, m: AiModel, case_in: CaseCreate) -> DeploymentCase:
    c = DeploymentCase(model_id=m.id, customer=case_in.customer.strip(), scenario=case_in.scenario.strip(),
                       effect=case_in.effect.strip(), started_on=case_in.started_on, verified=False)
    session.add(c)
    session.flush()
    record(session, actor=actor, action="model.case_add", entity="award_case", entity_id=c.id,
           after=_case_snap(c), org_id=m.org_id)
    return c


def verify_model(session: Session, *, actor: Actor, model_id: int, decision: Verify) -> AiModel:
    """The office verifies (or rejects) a model's filing and checks its cases."""
    if not actor.is_office:
        raise Forbidden("only the programme office verifies model filings")
    m = get_model(session, actor=actor, model_id=model_id, lock=True)
    before = _model_snap(m)
    if decision.approve:
        if not m.filing_no or m.filing_date is None:
            raise InvalidInput(f"model {m.name} has no filing number and date to verify", field="filing_no",
                               fix="the organisation adds its 备案 filing number and date, then the office verifies",
                               key="model_no_filing", params={"name": m.name})
        ids = {c.id for c in m.cases} if decision.case_ids is None else set(decision.case_ids)
        unknown = ids - {c.id for c in m.cases}
        if unknown:
            raise InvalidInput(f"case(s) {sorted(unknown)} do not belong to model {m.id}", field="case_ids",
                               fix="list only this model's case ids",
                               key="cases_not_of_model",
                               params={"cases": ", ".join(map(str, sorted(unknown))), "id": m.id})
        for c in m.cases:
            if c.id in ids and not c.verified:
                c.verified = True
        m.status = ModelStatus.VERIFIED
        m.verified_by = actor.user_id
        m.verified_at = _now()
        m.status_reason = decision.reason.strip()
    else:
        if not decision.reason.strip():
            raise InvalidInput("a rejection needs a reason", field="reason", fix="say what is wrong with the filing")
        if session.scalar(select(AwardApplication.id).where(AwardApplication.awarded_model_id == m.id)):
            raise Conflict(f"model {m.name} holds an award; revoke the award before rejecting its filing",
                           field="model_id",
                           key="model_holds_award", params={"name": m.name})
        m.status = ModelStatus.REJECTED
        m.status_reason = decision.reason.strip()
    session.flush()
    after = _model_snap(m) | {"verified_cases": sorted(c.id for c in m.cases if c.verified)}
    record(session, actor=actor, action="model.verify" if decision.approve else "model.reject", entity="ai_model",
           entity_id=m.id, before=before, after=after, org_id=m.org_id)
    return m


# --- programmes ---------------------------------------------------------------------------------


def rules_of(p: AwardProgramme) -> AwardRules:
    return AwardRules(budget_fen=p.budget_fen, cap_per_model_fen=p.cap_per_model_fen,
                      once_per_model=p.once_per_model, require_verified_filing=p.require_verified_filing,
                      min_cases=p.min_cases, pass_score=p.pass_score, province_bp=p.province_bp,
                      disclosure_days=p.disclosure_days, criteria=json.loads(p.criteria_json))


def create_programme(session: Session, *, actor: Actor, prog_in: AwardProgrammeCreate) -> AwardProgramme:
    """Open a year's award programme and fund its own pool in the ledger."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator opens an award programme")
    data = prog_in.model_dump(exclude={"criteria"})
    AwardRules(**{k: v for k, v in data.items() if k not in ("year", "name", "source")},
               criteria=prog_in.criteria)  # validates the rules
    programmes.require_new_year(session, KIND, year=prog_in.year)
    p = AwardProgramme(**data, criteria_json=json.dumps(prog_in.criteria, ensure_ascii=False, sort_keys=True))
    session.add(p)
    session.flush()
    programmes.fund_year(session, KIND, p, amount_fen=p.budget_fen, memo=p.name)
    record(session, actor=actor, action="award_programme.create", entity="award_programme", entity_id=p.id,
           after=prog_in.model_dump(mode="json"))
    return p


def get_programme(session: Session, *, year: int, lock: bool = False) -> AwardProgramme:
    p: AwardProgramme = programmes.get_year(session, KIND, year=year, lock=lock)
    return p


def list_programmes(session: Session) -> list[AwardProgramme]:
    return programmes.list_years(session, KIND)


def pool_remaining(session: Session, p: AwardProgramme) -> int:
    return programmes.pool_remaining(session, KIND, p.year)


def programme_totals(session: Session, p: AwardProgramme) -> dict[str, int]:
    """Budget, committed (approved, unpaid), paid and remaining, from the ledger."""
    bals = ledger.balances_like(session, "award_")
    y = str(p.year)
    committed = sum(v for k, v in bals.items() if k.startswith(f"award_commit:{y}:"))
    paid = sum(v for k, v in bals.items() if k.startswith(f"award_paid:{y}:"))
    return {"budget_fen": p.budget_fen, "committed_fen": committed, "paid_fen": paid,
            "remaining_fen": bals.get(acct_pool(p.year), 0)}


def close_programme(session: Session, *, actor: Actor, year: int) -> AwardProgramme:
    """Close a year: no more applications or reviews; approved awards may still be paid
    (``programmes.core.KEEP_COMMITMENTS``: a grant on disclosure stays committed from this year's
    pool, and what is left uncommitted stays in it). A closed year is not closed again."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator closes an award programme")
    p = programmes.begin_close(session, KIND, year=year)
    before = {"status": p.status}
    p.status = AwardProgrammeStatus.CLOSED
    session.flush()
    totals = programme_totals(session, p)
    record(session, actor=actor, action="award_programme.close", entity="award_programme", entity_id=p.id,
           before=before, after={"status": p.status, "committed_fen": totals["committed_fen"],
                                 "remaining_fen": totals["remaining_fen"]})
    return p


# --- applications ---------------------------------------------------------------------------------


def _app_snap(a: AwardApplication) -> dict[str, object]:
    return {"status": a.status, "model_id": a.model_id, "requested_fen": a.requested_fen,
            "granted_fen": a.granted_fen, "score": a.score, "scores": json.loads(a.scores_json),
            "reason": a.review_reason, "payment_ref": a.payment_ref}


def verified_cases(m: AiModel) -> int:
    return sum(1 for c in m.cases if c.verified)


def already_awarded(session: Session, model_id: int, *, excluding: int | None = None) -> AwardApplication | None:
    q = select(AwardApplication).where(AwardApplication.model_id == model_id,
                                       AwardApplication.status.in_(list(HOLDING)))
    if excluding is not None:
        q = q.where(AwardApplication.id != excluding)
    return session.scalar(q.limit(1))


def _eligibility(session: Session, *, rules: AwardRules, m: AiModel, excluding: int | None = None) -> list[str]:
    prior = already_awarded(session, m.id, excluding=excluding)
    problems = eligibility_problems(rules, filing_verified=m.status == ModelStatus.VERIFIED,
                                    verified_cases=verified_cases(m), already_awarded=prior is not None)
    if prior is not None:
        p = session.get(AwardProgramme, prior.programme_id)
        problems = [x + (f" (application {prior.id}, {p.year if p else '?'}, {prior.granted_fen} fen)"
                         if "once per model" in x else "") for x in problems]
    return problems


def apply(session: Session, *, actor: Actor, app_in: AwardApply) -> AwardApplication:
    """An organisation applies for its model's one-off award. Ineligible models are refused with reasons."""
    if actor.org_id is None or actor.is_office or actor.is_provider:
        raise Forbidden("only members of the organisation that owns the model apply for its award")
    p = get_programme(session, year=app_in.year)
    programmes.require_open(KIND, p, applying=True)
    m = get_model(session, actor=actor, model_id=app_in.model_id, lock=True)  # serialise applies per model
    rules = rules_of(p)
    if app_in.requested_fen > rules.cap_per_model_fen:
        raise InvalidInput(f"{app_in.requested_fen} fen is above the cap of {rules.cap_per_model_fen} fen per model "
                           "(one-off support of at most 1,000,000 yuan)", field="requested_fen",
                           fix=f"request at most {rules.cap_per_model_fen} fen",
                           key="award_over_cap", params={"requested_fen": app_in.requested_fen,
                                   "cap_fen": rules.cap_per_model_fen})
    problems = _eligibility(session, rules=rules, m=m)
    if problems:
        cls = Conflict if rules.once_per_model and already_awarded(session, m.id) else InvalidInput
        raise cls(f"model {m.name} is not eligible: " + "; ".join(problems), field="model_id",
                  fix="a model receives one award only; otherwise get the filing and cases verified first",
                  key="award_model_not_eligible", params={"name": m.name, "problems": "; ".join(problems)})
    pending = session.scalar(select(AwardApplication.id).where(AwardApplication.model_id == m.id,
                                                               AwardApplication.status == AwardStatus.SUBMITTED))
    if pending is not None:
        raise Conflict(f"model {m.name} already has application {pending} under review", field="model_id",
                       fix="wait for the decision on the pending application",
                       key="award_pending", params={"name": m.name, "pending": pending})
    a = AwardApplication(org_id=m.org_id, programme_id=p.id, model_id=m.id, requested_fen=app_in.requested_fen,
                         summary=app_in.summary.strip(), status=AwardStatus.SUBMITTED)
    session.add(a)
    session.flush()
    record(session, actor=actor, action="award.apply", entity="award_application", entity_id=a.id,
           after=_app_snap(a), org_id=a.org_id)
    return a


def get_application(session: Session, *, actor: Actor, app_id: int, lock: bool = False) -> AwardApplication:
    q = select(AwardApplication).where(AwardApplication.id == app_id)
    a = session.scalar(_for_update(session, q) if lock else q)
    if a is None or not tenancy.can_see(actor, a.org_id):
        raise NotFound(f"award application {app_id} not found", field="application_id",
                       key="award_not_found", params={"id": app_id})
    return a


def list_applications(session: Session, *, actor: Actor, year: int | None = None, status: str | None = None,
                      limit: int = 100, offset: int = 0) -> tuple[list[AwardApplication], int]:
    q = select(AwardApplication)
    if year is not None:
        q = q.join(AwardProgramme, AwardProgramme.id == AwardApplication.programme_id) \
            .where(AwardProgramme.year == year)
    if status:
        q = q.where(AwardApplication.status == status)
    q = tenancy.scope(q, AwardApplication, actor)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(AwardApplication.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def review(session: Session, *, actor: Actor, app_id: int, decision: AwardReview) -> AwardApplication:
    """Score and approve (≤ min(requested, cap, pool left), once per model) or reject, with a reason.

    Locks the programme row first, then the model, then the application, so concurrent reviews
    are serialised per programme and the pool is never over-committed.
    """
    if not actor.is_office:
        raise Forbidden("only the programme office reviews award applications")
    pre = get_application(session, actor=actor, app_id=app_id)
    p = programmes.year_of(session, KIND, pre.programme_id, lock=True)
    m = get_model(session, actor=actor, model_id=pre.model_id, lock=True)
    a = get_application(session, actor=actor, app_id=app_id, lock=True)
    session.refresh(p)
    session.refresh(a)
    if a.status != AwardStatus.SUBMITTED:
        raise Conflict(f"award application {a.id} is {a.status}; only submitted applications are reviewed",
                       field="status",
                       key="award_not_reviewable", params={"id": a.id, "status": a.status})
    programmes.require_open(KIND, p)
    rules = rules_of(p)
    reason = decision.reason.strip()
    if not reason:
        raise InvalidInput("a review needs a reason", field="reason", fix="say why, in a sentence")
    before = _app_snap(a)
    total = rules.total_score(decision.scores) if (decision.approve or decision.scores) else None
    if decision.approve:
        assert total is not None
        if total < rules.pass_score:
            raise InvalidInput(f"total score {total} is below the pass mark {rules.pass_score}", field="scores",
                               fix="reject the application with the reason, or re-score",
                               key="award_below_pass", params={"total": total, "pass_score": rules.pass_score})
        problems = _eligibility(session, rules=rules, m=m, excluding=a.id)
        if problems:
            raise Conflict(f"model {m.name} is not eligible: " + "; ".join(problems), field="model_id",
                           fix="reject the application with this reason", key="award_model_not_eligible_review",
                           params={"name": m.name, "problems": "; ".join(problems)})
        remaining = pool_remaining(session, p)
        amount = decision.amount_fen if decision.amount_fen is not None else \
            rules.max_grant(requested_fen=a.requested_fen, pool_remaining_fen=remaining)
        problem = grant_problem(rules, amount_fen=amount, requested_fen=a.requested_fen,
                                pool_remaining_fen=remaining)
        if problem:
            top = rules.max_grant(requested_fen=a.requested_fen, pool_remaining_fen=remaining)
            raise InvalidInput(problem, field="amount_fen",
                               fix=f"grant at most {top} fen" if top > 0 else "reject: the pool is exhausted")
        ledger.post(session, transfer("award_commit", p.year, debit=acct_commit(p.year, a.id),
                                      credit=acct_pool(p.year), amount=amount, ref=f"award_application:{a.id}"))
        now = _now()
        a.status = AwardStatus.APPROVED
        a.granted_fen = amount
        a.awarded_model_id = m.id
        a.disclosure_until = Disclosure.after_decision(now, p.disclosure_days).until
    else:
        a.status = AwardStatus.REJECTED
        a.granted_fen = 0
    a.score = total
    a.scores_json = json.dumps(decision.scores, sort_keys=True)
    a.review_reason = reason
    a.reviewed_by = actor.user_id
    a.reviewed_at = _now()
    session.flush()
    record(session, actor=actor, action="award.approve" if decision.approve else "award.reject",
           entity="award_application", entity_id=a.id, before=before, after=_app_snap(a), org_id=a.org_id)
    return a


def revoke(session: Session, *, actor: Actor, app_id: int, reason: str) -> AwardApplication:
    """Withdraw an approved, unpaid award (e.g. an upheld objection on disclosure): the grant returns to the pool."""
    if not actor.is_office:
        raise Forbidden("only the programme office revokes awards")
    pre = get_application(session, actor=actor, app_id=app_id)
    p = programmes.year_of(session, KIND, pre.programme_id, lock=True)
    a = get_application(session, actor=actor, app_id=app_id, lock=True)
    session.refresh(a)
    if a.status != AwardStatus.APPROVED:
        raise Conflict(f"award application {a.id} is {a.status}; only approved, unpaid awards are revoked",
                       field="status",
                       key="award_not_revocable", params={"id": a.id, "status": a.status})
    if not reason.strip():
        raise InvalidInput("a revocation needs a reason", field="reason", fix="say why")
    before = _app_snap(a)
    ledger.post(session, transfer("award_release", p.year, debit=acct_pool(p.year), credit=acct_commit(p.year, a.id),
                                  amount=a.granted_fen, ref=f"award_application:{a.id}"))
    a.status = AwardStatus.REVOKED
    a.awarded_model_id = None
    a.review_reason = reason.strip()
    session.flush()
    record(session, actor=actor, action="award.revoke", entity="award_application", entity_id=a.id,
           before=before, after=_app_snap(a) | {"released_fen": a.granted_fen}, org_id=a.org_id)
    return a


def pay(session: Session, *, actor: Actor, app_id: int, payment_ref: str, now: datetime | None = None
        ) -> AwardApplication:
    """Pay an approved award once its disclosure period is over: commit → paid, split province/city."""
    if not actor.is_admin:
        raise Forbidden("only an office administrator records award payments")
    pre = get_application(session, actor=actor, app_id=app_id)
    p = programmes.year_of(session, KIND, pre.programme_id, lock=True)
    a = get_application(session, actor=actor, app_id=app_id, lock=True)
    session.refresh(a)
    now = now or _now()
    if a.status != AwardStatus.APPROVED:
        raise Conflict(f"award application {a.id} is {a.status}; only approved awards are paid", field="status",
                       key="award_not_payable", params={"id": a.id, "status": a.status})
    if not disclosure_over(a.disclosure_until, now):
        raise Conflict(f"award application {a.id} is on public disclosure until {a.disclosure_until:%Y-%m-%d %H:%M} "
                       "UTC", field="status", fix="pay after the disclosure period (公示期) ends",
                       key="award_on_disclosure", params={"id": a.id, "until": a.disclosure_until})
    open_obj = programmes.open_objection(session, AwardObjection, a.id)
    if open_obj is not None:
        raise Conflict(f"objection {open_obj} against award application {a.id} is still open", field="status",
                       fix="resolve the objection (uphold: the award is revoked; dismiss: it can be paid)",
                       key="award_objection_open", params={"id": a.id, "objection": open_obj})
    if not payment_ref.strip():
        raise InvalidInput("a payment needs the treasury reference", field="payment_ref", fix="give the voucher number")
    before = _app_snap(a)
    shares = paid_by_source(a.granted_fen, province_bp=p.province_bp)
    prov, city = shares.get("province", 0), shares.get("city", 0)
    postings = [Posting(acct_commit(p.year, a.id), -a.granted_fen)]
    postings += [Posting(acct_paid(p.year, src, a.id), amt) for src, amt in shares.items()]
    ledger.post(session, Txn("award_pay", p.year, tuple(postings), memo=payment_ref.strip(),
                             ref=f"award_application:{a.id}"))
    a.status = AwardStatus.PAID
    a.paid_at = now
    a.payment_ref = payment_ref.strip()
    session.flush()
    record(session, actor=actor, action="award.pay", entity="award_application", entity_id=a.id, before=before,
           after=_app_snap(a) | {"province_fen": prov, "city_fen": city}, org_id=a.org_id)
    return a


# --- objections during disclosure ------------------------------------------------------------------


def lodge_objection(session: Session, *, actor: Actor, app_id: int, obj_in: ObjectionCreate,
                    now: datetime | None = None) -> AwardObjection:
    """Anyone may object to an award while it is on public disclosure; payment waits for the decision."""
    a = session.get(AwardApplication, app_id)
    if a is None or a.status not in HOLDING:
        raise NotFound(f"award {app_id} is not on the disclosure list", field="application_id",
                       fix="object to an award shown on /awards/disclosure",
                       key="award_not_on_disclosure", params={"id": app_id})
    now = now or _now()
    if a.status != AwardStatus.APPROVED or not disclosure_open(a.disclosure_until, now):
        raise Conflict(f"the disclosure period of award {a.id} is over", field="application_id",
                       fix="objections are taken during the disclosure period (公示期) only",
                       key="award_disclosure_over", params={"id": a.id})
    who = objection_identity(session, AwardObjection, actor=actor, app_id=a.id, submitted_by=obj_in.submitted_by,
                             now=now)
    o = AwardObjection(application_id=a.id, submitted_by=who, text=obj_in.text.strip(), status="open")
    session.add(o)
    session.flush()
    record(session, actor=actor, action="award.objection", entity="award_objection", entity_id=o.id,
           after={"application_id": a.id, "submitted_by": o.submitted_by, "text": o.text}, org_id=a.org_id)
    return o


def list_objections(session: Session, *, actor: Actor, status: str | None = "open") -> list[AwardObjection]:
    return programmes.list_objections(session, AwardObjection, actor=actor, status=status)


def resolve_objection(session: Session, *, actor: Actor, objection_id: int, uphold: bool, resolution: str
                      ) -> AwardObjection:
    """Uphold (the award is revoked and its grant returns to the pool) or dismiss, with a resolution."""
    if not actor.is_office:
        raise Forbidden("only the programme office resolves objections")
    o = session.get(AwardObjection, objection_id)
    if o is None:
        raise NotFound(f"objection {objection_id} not found", field="objection_id",
                       key="objection_not_found", params={"id": objection_id})
    if o.status != "open":
        raise Conflict(f"objection {o.id} is already {o.status}", field="status",
                       key="objection_already", params={"id": o.id, "status": o.status})
    if not resolution.strip():
        raise InvalidInput("a resolution is required", field="resolution", fix="say what was found")
    before = {"status": o.status}
    o.status = "upheld" if uphold else "dismissed"
    o.resolution = resolution.strip()
    session.flush()
    a = session.get(AwardApplication, o.application_id)
    assert a is not None
    record(session, actor=actor, action="award.objection_" + o.status, entity="award_objection", entity_id=o.id,
           before=before, after={"status": o.status, "resolution": o.resolution}, org_id=a.org_id)
    if uphold and a.status == AwardStatus.APPROVED:
        revoke(session, actor=actor, app_id=a.id, reason=f"异议成立 / objection upheld: {o.resolution}")
    return o


# --- public disclosure and summaries ----------------------------------------------------------------


def disclosure(session: Session, *, year: int | None = None) -> list[dict[str, object]]:
    """Public list (公示) of approved and paid awards: organisation, model, filing, score, amount."""
    q = (select(AwardApplication, AiModel, Organisation.name, AwardProgramme.year)
         .join(AiModel, AiModel.id == AwardApplication.model_id)
         .join(Organisation, Organisation.id == AwardApplication.org_id)
         .join(AwardProgramme, AwardProgramme.id == AwardApplication.programme_id)
         .where(AwardApplication.status.in_(list(HOLDING))))
    if year is not None:
        q = q.where(AwardProgramme.year == year)
    return [{"application_id": a.id, "year": y, "organisation": org, "model": m.name, "domain": m.domain,
             "filing_no": m.filing_no, "score": a.score, "granted_fen": a.granted_fen, "status": a.status,
             "disclosure_until": a.disclosure_until}
            for a, m, org, y in session.execute(q.order_by(AwardProgramme.year.desc(), AwardApplication.id))]


def summary(session: Session, *, year: int | None = None) -> dict[str, int]:
    """Aggregate figures for the programme dashboard (no per-organisation data)."""
    apps = select(AwardApplication.status, func.count(), func.coalesce(func.sum(AwardApplication.granted_fen), 0))
    if year is not None:
        apps = apps.join(AwardProgramme, AwardProgramme.id == AwardApplication.programme_id) \
            .where(AwardProgramme.year == year)
    by_status = {s: (int(n), int(f)) for s, n, f in session.execute(apps.group_by(AwardApplication.status))}
    in_use = select(func.count(func.distinct(AiModel.id))).join(DeploymentCase, DeploymentCase.model_id == AiModel.id) \
        .where(AiModel.status == ModelStatus.VERIFIED, DeploymentCase.verified.is_(True))
    return {
        "models_registered": int(session.scalar(select(func.count(AiModel.id))) or 0),
        "models_verified": int(session.scalar(select(func.count(AiModel.id))
                                              .where(AiModel.status == ModelStatus.VERIFIED)) or 0),
        "models_in_use": int(session.scalar(in_use) or 0),
        "awards_approved": by_status.get(AwardStatus.APPROVED, (0, 0))[0],
        "awards_committed_fen": by_status.get(AwardStatus.APPROVED, (0, 0))[1],
        "awards_paid": by_status.get(AwardStatus.PAID, (0, 0))[0],
        "awards_paid_fen": by_status.get(AwardStatus.PAID, (0, 0))[1],
        "applications": sum(n for n, _ in by_status.values()),
    }
