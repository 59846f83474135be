"""people: a re-plan runs as a background job too (its kind and what changed) (issue 15).

Revision ID: people_0003
Revises: people_0002
Create Date: 2026-12-04 22:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "people_0003"
down_revision = "people_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schedule_solve_jobs") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="solve", nullable=False))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("schedule_solve_jobs") as batch_op:
        batch_op.drop_column("params")
        batch_op.drop_column("kind")
