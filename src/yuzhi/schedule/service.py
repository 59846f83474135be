"""Stored production plans: solve an organisation's workbook or JSON problem and keep the result.

Keyword-only functions taking the caller's ``session``; they never commit (the caller owns the
transaction). Every query is scoped to the caller's organisation (the office sees all; another
tenant's plan is a 404). Every write is audited in the same transaction.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuzhi.accounts import tenancy
from yuzhi.accounts.actor import Actor
from yuzhi.audit import service as audit
from yuzhi.errors import InvalidInput, NotFound
from yuzhi.schedule.models import Plan
from yuzhi.schedule.problem import Problem
from yuzhi.schedule.schemas import PlanCreate

if TYPE_CHECKING:  # solve pulls in OR-Tools: imported where a plan is solved, not at start-up
    from yuzhi.schedule.solve import Result

__all__ = ["create", "create_from_file", "gantt_html", "get", "get_all", "problem_of", "read_upload", "replan",
           "replan_events", "store_replanned", "store_solved"]


def _snap(plan: Plan) -> dict[str, object]:
    return {
        "name": plan.name,
        "objective": plan.objective,
        "status": plan.status,
        "objective_value": plan.objective_value,
        "makespan": plan.makespan,
        "n_orders": plan.n_orders,
    }


def create(session: Session, *, actor: Actor, problem: Problem, plan_in: PlanCreate) -> Plan:
    """Solve ``problem`` and store the plan (also when infeasible: the reason is kept)."""
    from yuzhi.schedule.objectives import check_objective
    from yuzhi.schedule.solve import solve

    org_id = tenancy.org_for_write(actor, plan_in.org_id)
    check_objective(plan_in.objective)
    result = solve(problem, time_limit=plan_in.time_limit, workers=plan_in.workers, objective=plan_in.objective)
    return _store(session, actor=actor, org_id=org_id, name=plan_in.name or problem.name or "plan",
                  objective=plan_in.objective, problem=problem, result=result, schedule=result.to_dict(),
                  action="schedule.plan.create")


def read_upload(filename: str, content: bytes, plan_in: PlanCreate) -> tuple[Problem, PlanCreate]:
    """An uploaded instance (Excel workbook, JSON, JSPLIB or FJS text) and the options named after the file."""
    from yuzhi.schedule.readers import read_instance

    name = Path(filename or "plan.xlsx").name
    if not content:
        raise InvalidInput("the uploaded file is empty", field="file", fix="choose a workbook or JSON file")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        problem = read_instance(path)
    if plan_in.name in ("", "plan"):
        plan_in = plan_in.model_copy(update={"name": Path(name).stem})
    return problem, plan_in


def create_from_file(session: Session, *, actor: Actor, filename: str, content: bytes, plan_in: PlanCreate) -> Plan:
    """Read an uploaded instance (see :func:`read_upload`) and :func:`create` a plan."""
    problem, plan_in = read_upload(filename, content, plan_in)
    return create(session, actor=actor, problem=problem, plan_in=plan_in)


def store_solved(session: Session, *, actor: Actor, org_id: int, name: str, objective: str, problem: Problem,
                 result: Result) -> Plan:
    """Keep a plan solved outside the request (:mod:`yuzhi.schedule.jobs`): the same row and audit as :func:`create`."""
    return _store(session, actor=actor, org_id=org_id, name=name, objective=objective, problem=problem, result=result,
                  schedule=result.to_dict(), action="schedule.plan.create")


def get(session: Session, *, actor: Actor, plan_id: int) -> Plan:
    """One plan visible to the caller."""
    plan = session.get(Plan, plan_id)
    if plan is None or (not actor.is_office and plan.org_id != actor.org_id):
        raise NotFound(f"plan {plan_id} not found", field="plan_id",
                       key="plan_not_found", params={"id": plan_id})
    return plan


def get_all(session: Session, *, actor: Actor, limit: int = 100, offset: int = 0) -> tuple[list[Plan], int]:
    """Plans visible to the caller, newest first, with the total count."""
    from sqlalchemy import func

    stmt = select(Plan)
    count = select(func.count(Plan.id))
    if not actor.is_office:
        stmt = stmt.where(Plan.org_id == actor.org_id)
        count = count.where(Plan.org_id == actor.org_id)
    rows = list(session.scalars(stmt.order_by(Plan.id.desc()).limit(limit).offset(offset)))
    return rows, int(session.scalar(count) or 0)


def problem_of(plan: Plan) -> Problem:
    """The stored instance of a plan."""
    return Problem.from_dict(plan.problem)


def gantt_html(session: Session, *, actor: Actor, plan_id: int, tr=None, lang: str = "") -> str:
    """The self-contained Gantt page of a plan (``tr``/``lang``: the page's language)."""
    from yuzhi.schedule.check import schedule_from_json
    from yuzhi.schedule.gantt import render_html

    plan = get(session, actor=actor, plan_id=plan_id)
    ops = schedule_from_json(plan.schedule)
    return render_html(
        problem_of(plan),
        ops,
        title=plan.name,
        status=plan.status,
        objective=plan.objective,
        value=plan.objective_value,
        tr=tr,
        lang=lang,
    )


def replan(
    session: Session,
    *,
    actor: Actor,
    plan_id: int,
    at: int,
    down: tuple[int, int, int] | None = None,
    rush: dict | None = None,
    time_limit: float = 10.0,
) -> Plan:
    """Re-plan a stored plan from time ``at`` (machine down ``(machine, start, end)``, a rush order as
    a job dict); started work stays, the rest moves as little as needed. Stored as a new plan so the
    old one stays for comparison; audited. (The web page runs the same steps as a background job.)"""
    from yuzhi.schedule.reschedule import reschedule

    old_plan = get(session, actor=actor, plan_id=plan_id)
    problem, old, events = replan_events(old_plan, down=down, rush=rush)
    new_problem, result = reschedule(
        problem, old, at=at, events=events, objective=old_plan.objective, time_limit=time_limit
    )
    return store_replanned(session, actor=actor, old_plan=old_plan, at=at, problem=new_problem, result=result)


def replan_events(plan: Plan, *, down: tuple[int, int, int] | list[int] | None,
                  rush: dict | None) -> tuple[Problem, list, list]:
    """The plan's problem, its schedule and the re-plan's events; raises (nothing changed) when the plan
    has no schedule or nothing is said to have changed."""
    from yuzhi.schedule.check import schedule_from_json
    from yuzhi.schedule.reschedule import MachineDown, RushOrder

    problem = problem_of(plan)
    old = schedule_from_json(plan.schedule)
    if not old:
        raise InvalidInput("this plan has no schedule to re-plan", field="plan_id", fix="solve it again first")
    events: list = []
    if down is not None:
        events.append(MachineDown(*down))
    if rush is not None:
        one = Problem.from_dict({**problem.to_dict(), "jobs": [rush]})
        events.append(RushOrder(one.jobs[0]))
    if not events:
        raise InvalidInput("say what changed", field="events", fix="give a machine-down period or a rush order")
    return problem, old, events


def store_replanned(session: Session, *, actor: Actor, old_plan: Plan, at: int, problem: Problem,
                    result: Result) -> Plan:
    """Keep a re-planned schedule as a new plan that names the plan it came from; audited."""
    doc = result.to_dict()
    doc["rescheduled_at"] = at
    doc["rescheduled_from"] = old_plan.id
    return _store(session, actor=actor, org_id=old_plan.org_id, name=f"{old_plan.name} (re-planned t={at})",
                  objective=old_plan.objective, problem=problem, result=result, schedule=doc,
                  action="schedule.plan.replan", before=_snap(old_plan))


def _store(session: Session, *, actor: Actor, org_id: int, name: str, objective: str, problem: Problem,
           result: Result, schedule: dict, action: str, before: dict | None = None) -> Plan:
    """One way to keep a solved plan (new or re-planned) and its audit event, so both stay alike."""
    plan = Plan(
        org_id=org_id,
        name=name[:200],
        objective=objective,
        status=result.status.value,
        objective_value=result.objective,
        lower_bound=result.lower_bound,
        makespan=result.makespan,
        n_orders=problem.n_jobs,
        n_machines=problem.n_machines,
        runtime_s=round(result.runtime, 3),
        reason=result.reason[:500],
        problem=problem.to_dict(),
        schedule=schedule,
        created_by=actor.user_id,
    )
    session.add(plan)
    session.flush()
    audit.record(session, actor=actor, action=action, entity="schedule_plan", entity_id=plan.id,
                 before=before, after=_snap(plan), org_id=org_id)
    return plan
