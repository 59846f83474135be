"""people branch root: each bill remembers the settlement batch that paid its subsidy (issue 15).

The provider portal showed a bill's settlement status by guessing (the first batch made after the
bill for its payee). A batch now stores the link when it is made (``voucher_bills.settlement_id``);
here the link is filled for batches made before this release by the same rule the portal used, so
nothing a provider saw changes.

Revision ID: people_0001
Revises:
Create Date: 2026-12-04 21:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "people_0001"
down_revision = None
branch_labels = ("people",)
depends_on = "accounts_0001"

FK = "fk_voucher_bills_settlement_id_voucher_settlements"
IX = "ix_voucher_bills_settlement_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN … REFERENCES keeps the table (no copy of a large bills table, no FK rebuild)
        op.execute("ALTER TABLE voucher_bills ADD COLUMN settlement_id INTEGER "
                   f"CONSTRAINT {FK} REFERENCES voucher_settlements (id)")
    else:
        op.add_column("voucher_bills", sa.Column("settlement_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "voucher_bills", "voucher_settlements", ["settlement_id"], ["id"])
    op.create_index(IX, "voucher_bills", ["settlement_id"])
    backfill(op.get_bind())


def backfill(conn: sa.engine.Connection) -> None:
    """Link bills of batches made before this release: a batch settled every subsidised bill of its
    year on file when it was made, for each payee it has a line for (oldest batch first)."""
    batches = conn.execute(sa.text(
        "SELECT s.id, s.programme_id, s.payee_type, s.created_at FROM voucher_settlements s "
        "ORDER BY s.created_at, s.id")).all()
    for batch_id, programme_id, payee_type, created_at in batches:
        payees = [r[0] for r in conn.execute(sa.text(
            "SELECT payee_id FROM voucher_settlement_lines WHERE batch_id = :b"), {"b": batch_id})]
        if not payees:
            continue
        col = "provider_id" if payee_type == "provider" else "org_id"
        stmt = sa.text(
            f"UPDATE voucher_bills SET settlement_id = :b WHERE settlement_id IS NULL AND programme_id = :p "
            f"AND kind = 'bill' AND subsidy_fen > 0 AND created_at <= :t AND {col} IN :payees"
        ).bindparams(sa.bindparam("payees", expanding=True))
        conn.execute(stmt, {"b": batch_id, "p": programme_id, "t": created_at, "payees": payees})


def downgrade() -> None:
    op.drop_index(IX, table_name="voucher_bills")
    if op.get_bind().dialect.name == "sqlite":
        raise NotImplementedError("restore the backup taken before the upgrade (yuzhi restore); SQLite cannot "
                                  "drop a referencing column without copying the bills table")
    op.drop_constraint(FK, "voucher_bills", type_="foreignkey")
    op.drop_column("voucher_bills", "settlement_id")
