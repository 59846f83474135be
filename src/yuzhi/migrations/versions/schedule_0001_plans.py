"""schedule: stored production plans

Revision ID: schedule_0001
Revises:
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yuzhi.db

revision = "schedule_0001"
down_revision = None
branch_labels = ("schedule",)
depends_on = "accounts_0001"


def upgrade() -> None:
    op.create_table(
        "schedule_plans",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("objective", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("objective_value", sa.Integer(), nullable=True),
        sa.Column("lower_bound", sa.Integer(), nullable=True),
        sa.Column("makespan", sa.Integer(), nullable=True),
        sa.Column("n_orders", sa.Integer(), nullable=False),
        sa.Column("n_machines", sa.Integer(), nullable=False),
        sa.Column("runtime_s", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_schedule_plans_created_by_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_schedule_plans_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_plans")),
    )
    with op.batch_alter_table("schedule_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schedule_plans_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("schedule_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_plans_org_id"))
    op.drop_table("schedule_plans")
