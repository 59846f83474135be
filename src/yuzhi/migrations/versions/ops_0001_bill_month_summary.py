"""ops branch root: bills summed per unit, usage month, kind and provider (voucher_bill_months).

The dashboard reads this table instead of scanning the year's bills (issue 14: a province-wide year
of a million bills). Filled here from the bills already recorded; kept from then on in each bill
batch's transaction (``yuzhi.vouchers.summary``).

Revision ID: ops_0001
Revises:
Create Date: 2026-12-04 19:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yuzhi.db  # noqa: F401  (custom column types)

revision = "ops_0001"
down_revision = None
branch_labels = ("ops",)
depends_on = "accounts_0001"


def upgrade() -> None:
    op.create_table(
        "voucher_bill_months",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("bills", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("subsidy_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"],
                                name=op.f("fk_voucher_bill_months_org_id_organisations")),
        sa.ForeignKeyConstraint(["programme_id"], ["voucher_programmes.id"],
                                name=op.f("fk_voucher_bill_months_programme_id_voucher_programmes")),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"],
                                name=op.f("fk_voucher_bill_months_provider_id_providers")),
        sa.PrimaryKeyConstraint("programme_id", "org_id", "month", "kind", "provider_id",
                                name=op.f("pk_voucher_bill_months")),
    )
    from yuzhi.vouchers.summary import rebuild

    rebuild(op.get_bind())  # the bills an earlier release recorded


def downgrade() -> None:
    op.drop_table("voucher_bill_months")
