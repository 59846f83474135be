"""Scheduling tables: one stored plan per solve (the instance, the schedule and its figures)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yuzhi.db import Base, IdMixin, OrgScopedMixin, TimestampMixin


class Plan(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A production plan of one organisation: the problem as JSON and the solved schedule.

    ``problem`` is :meth:`yuzhi.schedule.problem.Problem.to_dict`; ``schedule`` is the
    ``schedule.json`` document (status, objective, bound, operations).
    """

    __tablename__ = "schedule_plans"

    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    objective_value: Mapped[int | None] = mapped_column(Integer, default=None)
    lower_bound: Mapped[int | None] = mapped_column(Integer, default=None)
    makespan: Mapped[int | None] = mapped_column(Integer, default=None)
    n_orders: Mapped[int] = mapped_column(Integer, default=0)
    n_machines: Mapped[int] = mapped_column(Integer, default=0)
    runtime_s: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(String(500), default="")
    problem: Mapped[dict] = mapped_column(JSON, default=dict)
    schedule: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class SolveJob(IdMixin, TimestampMixin, OrgScopedMixin, Base):
    """A solve that runs in the background (issue 15): the user can leave the page and come back.

    All state is in the database, so any app process shows it and any process may run it: a job is
    claimed by one atomic ``queued → running`` update. ``plan_id`` is the stored plan when done.
    """

    __tablename__ = "schedule_solve_jobs"

    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(String(40))
    time_limit: Mapped[float] = mapped_column(Float)
    workers: Mapped[int] = mapped_column(Integer, default=0)
    problem: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued / running / done / failed
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_plans.id"), default=None)
    error: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    kind: Mapped[str] = mapped_column(String(16), default="solve", server_default="solve")  # solve / replan
    params: Mapped[dict | None] = mapped_column(JSON, default=None)  # replan: from, at, down, rush
