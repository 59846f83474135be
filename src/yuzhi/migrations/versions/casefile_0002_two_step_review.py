"""casefile: per-year two-step review and 公示 notice settings; recorded 初审 (issue 15).

Revision ID: casefile_0002
Revises: casefile_0001
Create Date: 2026-12-04 19:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yuzhi.db  # noqa: F401  (custom column types)

revision = "casefile_0002"
down_revision = "casefile_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voucher_case_settings",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("two_step", sa.Boolean(), nullable=False),
        sa.Column("issuing_office", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("created_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["voucher_programmes.id"],
                                name=op.f("fk_voucher_case_settings_programme_id_voucher_programmes")),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_voucher_case_settings")),
    )
    op.create_table(
        "voucher_first_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_user_id", sa.Integer(), nullable=True),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("approve", sa.Boolean(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("consumed", sa.Boolean(), nullable=False),
        sa.Column("created_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yuzhi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["voucher_applications.id"],
                                name=op.f("fk_voucher_first_reviews_application_id_voucher_applications")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_first_reviews")),
    )
    op.create_index(op.f("ix_voucher_first_reviews_application_id"), "voucher_first_reviews", ["application_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_voucher_first_reviews_application_id"), table_name="voucher_first_reviews")
    op.drop_table("voucher_first_reviews")
    op.drop_table("voucher_case_settings")
