"""assist chat history per user (assist_chat_messages)

Revision ID: assist_0002
Revises: assist_0001
Create Date: 2026-12-04 19:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yuzhi.db

revision = "assist_0002"
down_revision = "assist_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assist_chat_messages",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.String(length=2000), nullable=False),
        sa.Column("context", sa.String(length=2000), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("answer_json", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_assist_chat_messages_user_id_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"],
                                name=op.f("fk_assist_chat_messages_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_chat_messages")),
    )
    op.create_index(op.f("ix_assist_chat_messages_user_id"), "assist_chat_messages", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_assist_chat_messages_user_id"), table_name="assist_chat_messages")
    op.drop_table("assist_chat_messages")
