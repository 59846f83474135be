"""ledger_entries.account index for prefix sums (``ledger.balances_like``: ``account LIKE 'paid:2026:%'``).

PostgreSQL uses a plain b-tree for ``LIKE 'prefix%'`` only under the C collation; databases created with
another (C.UTF-8, zh_CN.UTF-8, en_US.UTF-8) scanned every ledger entry on each dashboard view (millions
in a province-wide year). ``text_pattern_ops`` serves prefix matches under any collation. On SQLite it is
a plain index (declared once in ``yuzhi.vouchers.summary`` for both).

Revision ID: ops_0002
Revises: ops_0001
Create Date: 2026-12-04 19:10:00
"""
from __future__ import annotations

from alembic import op

revision = "ops_0002"
down_revision = "ops_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_entries_account_prefix", "ledger_entries", ["account"],
                    postgresql_ops={"account": "text_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_account_prefix", table_name="ledger_entries")
