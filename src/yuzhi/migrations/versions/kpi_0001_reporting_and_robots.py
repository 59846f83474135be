"""kpi: key enterprises, quarterly reports, estimates, robot deployments

Revision ID: kpi_0001
Revises:
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yuzhi.db

revision = "kpi_0001"
down_revision = None
branch_labels = ("kpi",)
depends_on = "accounts_0001"


def upgrade() -> None:
    op.create_table('kpi_estimates',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('city', sa.String(length=32), nullable=False),
    sa.Column('ai_revenue_fen', sa.BigInteger(), nullable=False),
    sa.Column('firms', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_estimates')),
    sa.UniqueConstraint('year', 'quarter', 'industry', 'city', name='uq_kpi_estimates_group')
    )
    with op.batch_alter_table('kpi_estimates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_estimates_year'), ['year'], unique=False)

    op.create_table('kpi_key_enterprises',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('since_year', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_kpi_key_enterprises_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_key_enterprises')),
    sa.UniqueConstraint('org_id', name=op.f('uq_kpi_key_enterprises_org_id'))
    )
    op.create_table('kpi_robots',
    sa.Column('maker', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('made_in_henan', sa.Boolean(), nullable=False),
    sa.Column('sector', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('deployed_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('site', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_kpi_robots_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_robots'))
    )
    with op.batch_alter_table('kpi_robots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_robots_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_robots_sector'), ['sector'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_robots_status'), ['status'], unique=False)

    op.create_table('kpi_reports',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('ai_revenue_fen', sa.BigInteger(), nullable=False),
    sa.Column('rd_spend_fen', sa.BigInteger(), nullable=False),
    sa.Column('employees', sa.Integer(), nullable=False),
    sa.Column('ai_products', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('flags_json', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', yuzhi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('office_note', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by'], ['users.id'], name=op.f('fk_kpi_reports_confirmed_by_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_kpi_reports_org_id_organisations')),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], name=op.f('fk_kpi_reports_submitted_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_reports')),
    sa.UniqueConstraint('org_id', 'year', 'quarter', name='uq_kpi_reports_org_quarter')
    )
    with op.batch_alter_table('kpi_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_reports_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_reports_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_reports_year'), ['year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('kpi_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_reports_year'))
        batch_op.drop_index(batch_op.f('ix_kpi_reports_status'))
        batch_op.drop_index(batch_op.f('ix_kpi_reports_org_id'))

    op.drop_table('kpi_reports')
    with op.batch_alter_table('kpi_robots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_robots_status'))
        batch_op.drop_index(batch_op.f('ix_kpi_robots_sector'))
        batch_op.drop_index(batch_op.f('ix_kpi_robots_org_id'))

    op.drop_table('kpi_robots')
    op.drop_table('kpi_key_enterprises')
    with op.batch_alter_table('kpi_estimates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_estimates_year'))

    op.drop_table('kpi_estimates')
