"""assist knowledge bases and documents

Revision ID: assist_0001
Revises:
Create Date: 2026-11-25 12:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yuzhi.db

revision = "assist_0001"
down_revision = None
branch_labels = ("assist",)
depends_on = "accounts_0001"


def upgrade() -> None:
    op.create_table(
        "assist_knowledge_bases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("n_passages", sa.Integer(), nullable=False),
        sa.Column("indexed_at", yuzhi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(scope = 'public' AND org_id IS NULL) OR (scope = 'org' AND org_id IS NOT NULL)",
            name=op.f("ck_assist_knowledge_bases_scope_owner"),
        ),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"],
                                name=op.f("fk_assist_knowledge_bases_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_knowledge_bases")),
    )
    op.create_index(op.f("ix_assist_knowledge_bases_org_id"), "assist_knowledge_bases", ["org_id"], unique=False)
    op.create_table(
        "assist_documents",
        sa.Column("kb_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("n_passages", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["kb_id"], ["assist_knowledge_bases.id"],
                                name=op.f("fk_assist_documents_kb_id_assist_knowledge_bases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_documents")),
        sa.UniqueConstraint("kb_id", "filename", name="kb_filename"),
    )
    op.create_index(op.f("ix_assist_documents_kb_id"), "assist_documents", ["kb_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_assist_documents_kb_id"), table_name="assist_documents")
    op.drop_table("assist_documents")
    op.drop_index(op.f("ix_assist_knowledge_bases_org_id"), table_name="assist_knowledge_bases")
    op.drop_table("assist_knowledge_bases")
