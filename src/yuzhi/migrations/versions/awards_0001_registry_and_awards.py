# ruff: noqa: E501
"""awards: model registry, deployment cases, award programmes, applications and objections

Revision ID: awards_0001
Revises:
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yuzhi.db

revision = "awards_0001"
down_revision = None
branch_labels = ("awards",)
depends_on = "accounts_0001"


def upgrade() -> None:
    op.create_table('award_programmes',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('cap_per_model_fen', sa.BigInteger(), nullable=False),
    sa.Column('once_per_model', sa.Boolean(), nullable=False),
    sa.Column('require_verified_filing', sa.Boolean(), nullable=False),
    sa.Column('min_cases', sa.Integer(), nullable=False),
    sa.Column('pass_score', sa.Integer(), nullable=False),
    sa.Column('province_bp', sa.Integer(), nullable=False),
    sa.Column('disclosure_days', sa.Integer(), nullable=False),
    sa.Column('criteria_json', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_programmes')),
    sa.UniqueConstraint('year', name=op.f('uq_award_programmes_year'))
    )
    op.create_table('award_models',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('domain', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('filing_no', sa.String(length=64), nullable=False),
    sa.Column('filing_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=False),
    sa.Column('verified_by', sa.Integer(), nullable=True),
    sa.Column('verified_at', yuzhi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_award_models_org_id_organisations')),
    sa.ForeignKeyConstraint(['verified_by'], ['users.id'], name=op.f('fk_award_models_verified_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_models')),
    sa.UniqueConstraint('org_id', 'name', name='uq_award_models_org_name')
    )
    with op.batch_alter_table('award_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_models_filing_no'), ['filing_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_models_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_models_status'), ['status'], unique=False)

    op.create_table('award_applications',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('awarded_model_id', sa.Integer(), nullable=True),
    sa.Column('requested_fen', sa.BigInteger(), nullable=False),
    sa.Column('summary', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('scores_json', sa.Text(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('granted_fen', sa.BigInteger(), nullable=False),
    sa.Column('review_reason', sa.String(length=1000), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', yuzhi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('disclosure_until', yuzhi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_at', yuzhi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('payment_ref', sa.String(length=100), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['awarded_model_id'], ['award_models.id'], name=op.f('fk_award_applications_awarded_model_id_award_models')),
    sa.ForeignKeyConstraint(['model_id'], ['award_models.id'], name=op.f('fk_award_applications_model_id_award_models')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_award_applications_org_id_organisations')),
    sa.ForeignKeyConstraint(['programme_id'], ['award_programmes.id'], name=op.f('fk_award_applications_programme_id_award_programmes')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_award_applications_reviewed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_applications')),
    sa.UniqueConstraint('awarded_model_id', name=op.f('uq_award_applications_awarded_model_id'))
    )
    with op.batch_alter_table('award_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_applications_model_id'), ['model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_applications_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_applications_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_applications_status'), ['status'], unique=False)

    op.create_table('award_cases',
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('customer', sa.String(length=200), nullable=False),
    sa.Column('scenario', sa.String(length=500), nullable=False),
    sa.Column('effect', sa.String(length=500), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['award_models.id'], name=op.f('fk_award_cases_model_id_award_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_cases'))
    )
    with op.batch_alter_table('award_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_cases_model_id'), ['model_id'], unique=False)

    op.create_table('award_objections',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolution', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['award_applications.id'], name=op.f('fk_award_objections_application_id_award_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_objections'))
    )
    with op.batch_alter_table('award_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_objections_application_id'), ['application_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('award_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_objections_application_id'))

    op.drop_table('award_objections')
    with op.batch_alter_table('award_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_cases_model_id'))

    op.drop_table('award_cases')
    with op.batch_alter_table('award_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_applications_status'))
        batch_op.drop_index(batch_op.f('ix_award_applications_programme_id'))
        batch_op.drop_index(batch_op.f('ix_award_applications_org_id'))
        batch_op.drop_index(batch_op.f('ix_award_applications_model_id'))

    op.drop_table('award_applications')
    with op.batch_alter_table('award_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_models_status'))
        batch_op.drop_index(batch_op.f('ix_award_models_org_id'))
        batch_op.drop_index(batch_op.f('ix_award_models_filing_no'))

    op.drop_table('award_models')
    op.drop_table('award_programmes')
