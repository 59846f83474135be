"""casefile branch root: scanned contracts and invoices kept with a quota application (issue 15).

Revision ID: casefile_0001
Revises:
Create Date: 2026-12-04 19:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yuzhi.db  # noqa: F401  (custom column types)

revision = "casefile_0001"
down_revision = None
branch_labels = ("casefile",)
depends_on = "accounts_0001"


def upgrade() -> None:
    op.create_table(
        "voucher_case_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["voucher_applications.id"],
                                name=op.f("fk_voucher_case_attachments_application_id_voucher_applications")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_case_attachments")),
    )
    op.create_index(op.f("ix_voucher_case_attachments_application_id"), "voucher_case_attachments",
                    ["application_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_voucher_case_attachments_application_id"), table_name="voucher_case_attachments")
    op.drop_table("voucher_case_attachments")
