"""Solving in the background (issue 15): a solve may take its full time limit (up to 120 s), too long
to hold a request. The upload stores a queued :class:`~yuzhi.schedule.models.SolveJob` and returns at
once; the user watches a status page (progress, polling) that turns into the plan when it is done, and
may leave and come back.

Why not an in-memory queue: with several app processes the status page may be served by a process
that did not take the upload. Everything is in the database, and a job is *claimed* by one atomic
``UPDATE … WHERE status = 'queued'``, so any process can run it and no two run the same job. The
process that took the upload starts it right after the response (FastAPI background task); the
periodic runner of ``yuzhi serve`` (:mod:`yuzhi.ops.periodic`, job ``schedule-solver``) picks up any
job left queued and fails a running job whose process died (past its time limit plus a margin).
Progress is the share of the time limit used: the solver stops at the limit, so it is an honest bound.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from yuzhi.accounts import tenancy
from yuzhi.accounts.actor import SYSTEM, Actor
from yuzhi.audit import service as audit
from yuzhi.errors import DomainError, NotFound
from yuzhi.schedule.models import SolveJob
from yuzhi.schedule.problem import Problem
from yuzhi.schedule.schemas import PlanCreate

log = logging.getLogger("yuzhi.schedule")

#: a running job whose process died is failed this long after its time limit ran out
MARGIN = timedelta(seconds=120)
ACTIVE = ("queued", "running")


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def submit(session: Session, *, actor: Actor, problem: Problem, plan_in: PlanCreate) -> SolveJob:
    """Queue a solve of ``problem`` for the caller's organisation (checked now, solved later); audited."""
    from yuzhi.schedule.objectives import check_objective

    org_id = tenancy.org_for_write(actor, plan_in.org_id)
    check_objective(plan_in.objective)
    job = SolveJob(org_id=org_id, name=(plan_in.name or problem.name or "plan")[:200], objective=plan_in.objective,
                   time_limit=float(plan_in.time_limit), workers=int(plan_in.workers or 0),
                   problem=problem.to_dict(), status="queued", created_by=actor.user_id)
    session.add(job)
    session.flush()
    audit.record(session, actor=actor, action="schedule.solve.queued", entity="schedule_solve_job", entity_id=job.id,
                 after={"name": job.name, "objective": job.objective, "time_limit": job.time_limit}, org_id=org_id)
    return job


def submit_replan(session: Session, *, actor: Actor, plan_id: int, at: int, down: tuple[int, int, int] | None,
                  rush: dict | None, time_limit: float) -> SolveJob:
    """Queue a re-plan of a plan the caller sees (checked now: no schedule or nothing changed is refused
    at once); the new plan is stored when the job has run; audited."""
    from yuzhi.schedule import service

    plan = service.get(session, actor=actor, plan_id=plan_id)
    service.replan_events(plan, down=down, rush=rush)
    job = SolveJob(org_id=plan.org_id, name=f"{plan.name} (re-planned t={at})"[:200], objective=plan.objective,
                   time_limit=float(time_limit), workers=0, problem={}, status="queued", created_by=actor.user_id,
                   kind="replan", params={"from": plan.id, "at": at, "down": list(down) if down else None,
                                          "rush": rush})
    session.add(job)
    session.flush()
    audit.record(session, actor=actor, action="schedule.replan.queued", entity="schedule_solve_job",
                 entity_id=job.id, after={"from": plan.id, "at": at, "time_limit": job.time_limit}, org_id=plan.org_id)
    return job


def get(session: Session, *, actor: Actor, job_id: int) -> SolveJob:
    """One job visible to the caller (another tenant's is a 404)."""
    job = session.get(SolveJob, job_id)
    if job is None or not tenancy.can_see(actor, job.org_id):
        raise NotFound(f"solve job {job_id} not found", field="job_id", key="solve_job_not_found",
                       params={"id": job_id})
    return job


def active(session: Session, *, actor: Actor) -> list[SolveJob]:
    """The caller's queued and running solves, oldest first (shown above the plans list)."""
    stmt = select(SolveJob).where(SolveJob.status.in_(ACTIVE)).order_by(SolveJob.id)
    if not actor.is_office:
        stmt = stmt.where(SolveJob.org_id == actor.org_id)
    return list(session.scalars(stmt))


def progress(job: SolveJob, now: datetime | None = None) -> int:
    """0–100: queued 0, running the share of the time limit used (at most 99), done/failed 100."""
    if job.status == "queued" or job.started_at is None:
        return 0 if job.status in ACTIVE else 100
    if job.status != "running":
        return 100
    used = ((now or _now()) - _aware(job.started_at)).total_seconds()
    return max(1, min(99, int(100 * used / max(job.time_limit, 0.1))))


def _claim(engine: Engine, job_id: int) -> bool:
    with engine.begin() as conn:
        res = conn.execute(update(SolveJob).where(SolveJob.id == job_id, SolveJob.status == "queued")
                           .values(status="running", started_at=_now()))
        return bool(getattr(res, "rowcount", 0) == 1)


def _actor(session: Session, job: SolveJob) -> Actor:
    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.models import User

    user = session.get(User, job.created_by) if job.created_by else None
    return accounts.actor_for(user) if user is not None else SYSTEM


def run(engine: Engine, job_id: int) -> str:
    """Claim and solve one queued job; store its plan (audited as the user who asked). Returns the
    job's final status, or ``""`` when another process had already claimed it."""
    from yuzhi.db import session_factory
    from yuzhi.schedule import service
    from yuzhi.schedule.solve import solve

    if not _claim(engine, job_id):
        return ""
    sm = session_factory(engine)
    with sm() as s:
        job = s.get(SolveJob, job_id)
        assert job is not None
        kind, data, limit, workers, objective = job.kind, job.problem, job.time_limit, job.workers, job.objective
    if kind == "replan":  # (the session above is closed first: SQLite keeps one writer)
        return _run_replan(engine, job_id)
    try:
        problem = Problem.from_dict(data)
        result = solve(problem, time_limit=limit, workers=workers or 2, objective=objective)
    except DomainError as exc:
        return _finish(engine, job_id, status="failed", error=exc.message)
    except Exception as exc:  # a solver crash must not leave the job "running" for ever
        log.exception("schedule solve job %s failed", job_id)
        return _finish(engine, job_id, status="failed", error=f"the solver stopped: {type(exc).__name__}")
    with sm() as s, s.begin():
        job = s.get(SolveJob, job_id)
        assert job is not None
        plan = service.store_solved(s, actor=_actor(s, job), org_id=job.org_id, name=job.name, objective=objective,
                                    problem=problem, result=result)
        job.status, job.plan_id, job.finished_at = "done", plan.id, _now()
    return "done"


def _run_replan(engine: Engine, job_id: int) -> str:
    """A claimed re-plan: read the plan, solve with no transaction open, store the new plan."""
    from yuzhi.db import session_factory
    from yuzhi.schedule import service
    from yuzhi.schedule.models import Plan
    from yuzhi.schedule.reschedule import reschedule

    sm = session_factory(engine)
    try:
        with sm() as s:
            job = s.get(SolveJob, job_id)
            assert job is not None and job.params is not None
            p, limit = dict(job.params), job.time_limit
            old_plan = s.get(Plan, p["from"])
            if old_plan is None:
                raise NotFound(f"plan {p['from']} no longer exists", field="plan_id")
            problem, old, events = service.replan_events(old_plan, down=p.get("down"), rush=p.get("rush"))
            objective = old_plan.objective
        new_problem, result = reschedule(problem, old, at=p["at"], events=events, objective=objective,
                                         time_limit=limit)
    except DomainError as exc:
        return _finish(engine, job_id, status="failed", error=exc.message)
    except Exception as exc:  # a solver crash must not leave the job "running" for ever
        log.exception("schedule re-plan job %s failed", job_id)
        return _finish(engine, job_id, status="failed", error=f"the solver stopped: {type(exc).__name__}")
    with sm() as s, s.begin():
        job = s.get(SolveJob, job_id)
        old_plan = s.get(Plan, p["from"])
        assert job is not None and old_plan is not None
        plan = service.store_replanned(s, actor=_actor(s, job), old_plan=old_plan, at=p["at"], problem=new_problem,
                                       result=result)
        job.status, job.plan_id, job.finished_at = "done", plan.id, _now()
    return "done"


def _finish(engine: Engine, job_id: int, *, status: str, error: str) -> str:
    with engine.begin() as conn:
        conn.execute(update(SolveJob).where(SolveJob.id == job_id)
                     .values(status=status, error=error[:500], finished_at=_now()))
    return status


def run_pending(engine: Engine, *, limit: int = 5) -> int:
    """The periodic runner's round: fail jobs whose process died, then run up to ``limit`` queued jobs."""
    from yuzhi.db import session_factory

    now = _now()
    with session_factory(engine)() as s:
        running = list(s.execute(select(SolveJob.id, SolveJob.started_at, SolveJob.time_limit)
                                 .where(SolveJob.status == "running")))
        queued = list(s.scalars(select(SolveJob.id).where(SolveJob.status == "queued").order_by(SolveJob.id)
                                .limit(limit)))
    for job_id, started, limit_s in running:
        if started is not None and _aware(started) + timedelta(seconds=limit_s) + MARGIN < now:
            _finish(engine, job_id, status="failed", error="the process solving it stopped; upload the plan again")
    return sum(1 for job_id in queued if run(engine, job_id))
