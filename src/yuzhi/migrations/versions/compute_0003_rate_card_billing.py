"""compute: rate-card billing settings (minimum increment, minimum charge, billing period) — issue 20

Revision ID: compute_0003
Revises: compute_0002
Create Date: 2026-12-04 19:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'compute_0003'
down_revision = 'compute_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('compute_rate_cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_increment_s', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('min_charge_fen', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('billing_period', sa.String(length=8), server_default='job', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('compute_rate_cards', schema=None) as batch_op:
        batch_op.drop_column('billing_period')
        batch_op.drop_column('min_charge_fen')
        batch_op.drop_column('min_increment_s')
