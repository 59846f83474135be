"""foundation: organisations, users, tokens, audit, ledger, providers, vouchers

Revision ID: accounts_0001
Revises: 
Create Date: 2026-11-25 12:04:13.028582
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yuzhi.db  # noqa: F401  (custom column types)


revision = 'accounts_0001'
down_revision = None
branch_labels = ('accounts',)
depends_on = None


def upgrade() -> None:
    
    op.create_table('audit_events',
    sa.Column('chain', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', 'seq', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_org_id'), ['org_id'], unique=False)

    op.create_table('ledger_txns',
    sa.Column('at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('memo', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_txns'))
    )
    with op.batch_alter_table('ledger_txns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_txns_ref'), ['ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_txns_year'), ['year'], unique=False)

    op.create_table('organisations',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=6), nullable=False),
    sa.Column('city', sa.String(length=32), nullable=False),
    sa.Column('industry', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('uscc', name=op.f('uq_organisations_uscc'))
    )
    op.create_table('voucher_programmes',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('pool_fen', sa.BigInteger(), nullable=False),
    sa.Column('rate_bp', sa.Integer(), nullable=False),
    sa.Column('unit_cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('province_bp', sa.Integer(), nullable=False),
    sa.Column('settlement_mode', sa.String(length=16), nullable=False),
    sa.Column('disclosure_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_programmes')),
    sa.UniqueConstraint('year', name=op.f('uq_voucher_programmes_year'))
    )
    op.create_table('affiliations',
    sa.Column('org_a_id', sa.Integer(), nullable=False),
    sa.Column('org_b_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('org_a_id < org_b_id', name=op.f('ck_affiliations_ordered')),
    sa.ForeignKeyConstraint(['org_a_id'], ['organisations.id'], name=op.f('fk_affiliations_org_a_id_organisations')),
    sa.ForeignKeyConstraint(['org_b_id'], ['organisations.id'], name=op.f('fk_affiliations_org_b_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliations')),
    sa.UniqueConstraint('org_a_id', 'org_b_id', name=op.f('uq_affiliations_org_a_id'))
    )
    op.create_table('ledger_entries',
    sa.Column('txn_id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=100), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['txn_id'], ['ledger_txns.id'], name=op.f('fk_ledger_entries_txn_id_ledger_txns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_txn_id'), ['txn_id'], unique=False)

    op.create_table('providers',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('criterion', sa.String(length=40), nullable=False),
    sa.Column('evidence', sa.String(length=500), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_providers_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_providers')),
    sa.UniqueConstraint('name', name=op.f('uq_providers_name'))
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_providers_org_id'), ['org_id'], unique=False)

    op.create_table('voucher_settlements',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('payee_type', sa.String(length=16), nullable=False),
    sa.Column('payee_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('province_fen', sa.BigInteger(), nullable=False),
    sa.Column('city_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_at', yuzhi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('payment_ref', sa.String(length=100), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['voucher_programmes.id'], name=op.f('fk_voucher_settlements_programme_id_voucher_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_settlements'))
    )
    with op.batch_alter_table('voucher_settlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_settlements_programme_id'), ['programme_id'], unique=False)

    op.create_table('users',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_users_org_id_organisations')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_users_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_provider_id'), ['provider_id'], unique=False)

    op.create_table('voucher_bills',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('invoice_no', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('original_bill_id', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('eligible_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('owed_fen', sa.BigInteger(), nullable=False),
    sa.Column('credited_fen', sa.BigInteger(), nullable=False),
    sa.Column('net_subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('ineligible_reason', sa.String(length=300), nullable=False),
    sa.Column('settlement_mode', sa.String(length=16), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_voucher_bills_org_id_organisations')),
    sa.ForeignKeyConstraint(['original_bill_id'], ['voucher_bills.id'], name=op.f('fk_voucher_bills_original_bill_id_voucher_bills')),
    sa.ForeignKeyConstraint(['programme_id'], ['voucher_programmes.id'], name=op.f('fk_voucher_bills_programme_id_voucher_programmes')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_voucher_bills_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_bills')),
    sa.UniqueConstraint('provider_id', 'invoice_no', name='invoice_once')
    )
    with op.batch_alter_table('voucher_bills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_bills_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voucher_bills_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voucher_bills_provider_id'), ['provider_id'], unique=False)

    op.create_table('voucher_settlement_lines',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('payee_type', sa.String(length=16), nullable=False),
    sa.Column('payee_id', sa.Integer(), nullable=False),
    sa.Column('payee_name', sa.String(length=200), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('province_fen', sa.BigInteger(), nullable=False),
    sa.Column('city_fen', sa.BigInteger(), nullable=False),
    sa.Column('bill_count', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['voucher_settlements.id'], name=op.f('fk_voucher_settlement_lines_batch_id_voucher_settlements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_settlement_lines'))
    )
    with op.batch_alter_table('voucher_settlement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_settlement_lines_batch_id'), ['batch_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('expires_at', yuzhi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('session', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('voucher_applications',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('contract_no', sa.String(length=64), nullable=False),
    sa.Column('planned_spend_fen', sa.BigInteger(), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('approved_fen', sa.BigInteger(), nullable=False),
    sa.Column('used_fen', sa.BigInteger(), nullable=False),
    sa.Column('expired_fen', sa.BigInteger(), nullable=False),
    sa.Column('review_reason', sa.String(length=500), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', yuzhi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('disclosure_until', yuzhi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('effective_at', yuzhi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_voucher_applications_org_id_organisations')),
    sa.ForeignKeyConstraint(['programme_id'], ['voucher_programmes.id'], name=op.f('fk_voucher_applications_programme_id_voucher_programmes')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_voucher_applications_provider_id_providers')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_voucher_applications_reviewed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_applications')),
    sa.UniqueConstraint('provider_id', 'contract_no', name='contract_once')
    )
    with op.batch_alter_table('voucher_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_applications_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voucher_applications_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voucher_applications_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voucher_applications_status'), ['status'], unique=False)

    op.create_table('voucher_bill_lines',
    sa.Column('bill_id', sa.Integer(), nullable=False),
    sa.Column('resource', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('unit_price_fen', sa.String(length=40), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['voucher_bills.id'], name=op.f('fk_voucher_bill_lines_bill_id_voucher_bills')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_bill_lines'))
    )
    with op.batch_alter_table('voucher_bill_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_bill_lines_bill_id'), ['bill_id'], unique=False)

    op.create_table('voucher_allocations',
    sa.Column('bill_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['voucher_applications.id'], name=op.f('fk_voucher_allocations_application_id_voucher_applications')),
    sa.ForeignKeyConstraint(['bill_id'], ['voucher_bills.id'], name=op.f('fk_voucher_allocations_bill_id_voucher_bills')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_allocations'))
    )
    with op.batch_alter_table('voucher_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_allocations_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voucher_allocations_bill_id'), ['bill_id'], unique=False)

    op.create_table('voucher_objections',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolution', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuzhi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['voucher_applications.id'], name=op.f('fk_voucher_objections_application_id_voucher_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_objections'))
    )
    with op.batch_alter_table('voucher_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_objections_application_id'), ['application_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('voucher_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voucher_objections_application_id'))

    op.drop_table('voucher_objections')
    with op.batch_alter_table('voucher_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voucher_allocations_bill_id'))
        batch_op.drop_index(batch_op.f('ix_voucher_allocations_application_id'))

    op.drop_table('voucher_allocations')
    with op.batch_alter_table('voucher_bill_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voucher_bill_lines_bill_id'))

    op.drop_table('voucher_bill_lines')
    with op.batch_alter_table('voucher_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voucher_applications_status'))
        batch_op.drop_index(batch_op.f('ix_voucher_applications_provider_id'))
        batch_op.drop_index(batch_op.f('ix_voucher_applications_programme_id'))
        batch_op.drop_index(batch_op.f('ix_voucher_applications_org_id'))

    op.drop_table('voucher_applications')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('voucher_settlement_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voucher_settlement_lines_batch_id'))

    op.drop_table('voucher_settlement_lines')
    with op.batch_alter_table('voucher_bills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voucher_bills_provider_id'))
        batch_op.drop_index(batch_op.f('ix_voucher_bills_programme_id'))
        batch_op.drop_index(batch_op.f('ix_voucher_bills_org_id'))

    op.drop_table('voucher_bills')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_provider_id'))
        batch_op.drop_index(batch_op.f('ix_users_org_id'))

    op.drop_table('users')
    with op.batch_alter_table('voucher_settlements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voucher_settlements_programme_id'))

    op.drop_table('voucher_settlements')
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_providers_org_id'))

    op.drop_table('providers')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_txn_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_account'))

    op.drop_table('ledger_entries')
    op.drop_table('affiliations')
    op.drop_table('voucher_programmes')
    op.drop_table('organisations')
    with op.batch_alter_table('ledger_txns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_txns_year'))
        batch_op.drop_index(batch_op.f('ix_ledger_txns_ref'))

    op.drop_table('ledger_txns')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_org_id'))

    op.drop_table('audit_events')
    
