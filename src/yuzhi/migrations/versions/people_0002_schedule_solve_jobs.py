"""people: schedule solves run as background jobs the user can leave and return to (issue 15).

Revision ID: people_0002
Revises: people_0001
Create Date: 2026-12-04 21:55:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yuzhi.db  # noqa: F401  (custom column types)

revision = "people_0002"
down_revision = "people_0001"
branch_labels = None
depends_on = "schedule_0001"


def upgrade() -> None:
    op.create_table(
        "schedule_solve_jobs",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("objective", sa.String(length=40), nullable=False),
        sa.Column("time_limit", sa.Float(), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", yuzhi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", yuzhi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_schedule_solve_jobs_created_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"],
                                name=op.f("fk_schedule_solve_jobs_org_id_organisations")),
        sa.ForeignKeyConstraint(["plan_id"], ["schedule_plans.id"],
                                name=op.f("fk_schedule_solve_jobs_plan_id_schedule_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_solve_jobs")),
    )
    op.create_index(op.f("ix_schedule_solve_jobs_org_id"), "schedule_solve_jobs", ["org_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_schedule_solve_jobs_org_id"), table_name="schedule_solve_jobs")
    op.drop_table("schedule_solve_jobs")
