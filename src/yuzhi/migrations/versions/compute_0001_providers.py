"""compute branch root: the providers table itself is created in accounts_0001 (users reference it).

Revision ID: compute_0001
Revises:
Create Date: 2026-11-25
"""
from __future__ import annotations

revision = "compute_0001"
down_revision = None
branch_labels = ("compute",)
depends_on = "accounts_0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
