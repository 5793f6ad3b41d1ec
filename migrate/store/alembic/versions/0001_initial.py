"""Initial unified store: entities, lineage, batches, quarantine, remap decisions

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.Column('new_code', sa.String(length=100), nullable=True),
    sa.Column('new_unit_code', sa.String(length=5), nullable=True),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('source_system', 'code', name=op.f('uq_agency_source_system_code'))
    )
    op.create_table('migration_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('tool_version', sa.String(length=40), nullable=False),
    sa.Column('mapping_version', sa.String(length=40), nullable=True),
    sa.Column('mapping_sha256', sa.String(length=64), nullable=True),
    sa.Column('profiles', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_run'))
    )
    op.create_table('new_unit',
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('province_name', sa.Text(), nullable=False),
    sa.Column('table_version', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_new_unit'))
    )
    with op.batch_alter_table('new_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_new_unit_province_code'), ['province_code'], unique=False)

    op.create_table('procedure',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('new_code', sa.String(length=100), nullable=True),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure')),
    sa.UniqueConstraint('source_system', 'code', name=op.f('uq_procedure_source_system_code'))
    )
    op.create_table('reconciliation_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('ok', sa.Boolean(), nullable=True),
    sa.Column('report_dir', sa.Text(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_run'))
    )
    op.create_table('review_item',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=400), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=True),
    sa.Column('context', sa.JSON(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('decision', sa.String(length=100), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_item')),
    sa.UniqueConstraint('kind', 'source_system', 'source_table', 'source_key', name=op.f('uq_review_item_kind_source_system_source_table_source_key'))
    )
    op.create_table('batch',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('key_lo', sa.Text(), nullable=False),
    sa.Column('key_hi', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('extracted', sa.Integer(), nullable=False),
    sa.Column('loaded', sa.Integer(), nullable=False),
    sa.Column('merged', sa.Integer(), nullable=False),
    sa.Column('quarantined', sa.Integer(), nullable=False),
    sa.Column('excluded', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['migration_run.id'], name=op.f('fk_batch_run_id_migration_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch')),
    sa.UniqueConstraint('run_id', 'source_system', 'entity', 'seq', name=op.f('uq_batch_run_id_source_system_entity_seq'))
    )
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_state'), ['state'], unique=False)

    op.create_table('source_snapshot',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_count', sa.BigInteger(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['migration_run.id'], name=op.f('fk_source_snapshot_run_id_migration_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_snapshot')),
    sa.UniqueConstraint('run_id', 'source_system', 'entity', name=op.f('uq_source_snapshot_run_id_source_system_entity'))
    )
    op.create_table('account',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=400), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('full_name', sa.Text(), nullable=True),
    sa.Column('id_number', sa.String(length=20), nullable=True),
    sa.Column('legacy_id_number', sa.String(length=20), nullable=True),
    sa.Column('tax_code', sa.String(length=20), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('gender', sa.String(length=20), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('agency_code', sa.String(length=100), nullable=True),
    sa.Column('old_province_code', sa.String(length=20), nullable=True),
    sa.Column('old_district_code', sa.String(length=20), nullable=True),
    sa.Column('old_commune_code', sa.String(length=20), nullable=True),
    sa.Column('new_commune_code', sa.String(length=5), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_account_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('source_system', 'source_table', 'source_key', name=op.f('uq_account_source_system_source_table_source_key'))
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_id_number'), ['id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_legacy_id_number'), ['legacy_id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_tax_code'), ['tax_code'], unique=False)

    op.create_table('lineage',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=400), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('rule', sa.String(length=100), nullable=True),
    sa.Column('old_province_code', sa.String(length=20), nullable=True),
    sa.Column('old_district_code', sa.String(length=20), nullable=True),
    sa.Column('old_commune_code', sa.String(length=20), nullable=True),
    sa.Column('new_commune_code', sa.String(length=5), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_lineage_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lineage')),
    sa.UniqueConstraint('source_system', 'source_table', 'source_key', name=op.f('uq_lineage_source_system_source_table_source_key'))
    )
    with op.batch_alter_table('lineage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lineage_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lineage_source_system_entity_outcome'), ['source_system', 'entity', 'outcome'], unique=False)

    op.create_table('quarantine',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=400), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw_payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_quarantine_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine')),
    sa.UniqueConstraint('source_system', 'source_table', 'source_key', name=op.f('uq_quarantine_source_system_source_table_source_key'))
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantine_batch_id'), ['batch_id'], unique=False)

    op.create_table('remap_decision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=400), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('old_province_code', sa.String(length=20), nullable=True),
    sa.Column('old_district_code', sa.String(length=20), nullable=True),
    sa.Column('old_commune_code', sa.String(length=20), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('new_commune_code', sa.String(length=5), nullable=True),
    sa.Column('new_province_code', sa.String(length=2), nullable=True),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_remap_decision_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remap_decision')),
    sa.UniqueConstraint('source_system', 'source_table', 'source_key', name=op.f('uq_remap_decision_source_system_source_table_source_key'))
    )
    with op.batch_alter_table('remap_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remap_decision_rule'), ['rule'], unique=False)

    op.create_table('account_alias',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=400), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('match_rule', sa.String(length=40), nullable=False),
    sa.Column('match_score', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_account_alias_account_id_account')),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_account_alias_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_alias')),
    sa.UniqueConstraint('source_system', 'source_table', 'source_key', name=op.f('uq_account_alias_source_system_source_table_source_key'))
    )
    with op.batch_alter_table('account_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_alias_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_alias_username'), ['username'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=400), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owner_id_number', sa.String(length=40), nullable=True),
    sa.Column('doc_type', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('doc_no', sa.Text(), nullable=True),
    sa.Column('issued_at', sa.Date(), nullable=True),
    sa.Column('issuer', sa.Text(), nullable=True),
    sa.Column('source_path', sa.Text(), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('recorded_sha256', sa.String(length=64), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('file_state', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_document_account_id_account')),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_document_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('source_system', 'source_table', 'source_key', name=op.f('uq_document_source_system_source_table_source_key'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_account_id'), ['account_id'], unique=False)

    op.create_table('dossier',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=400), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('dossier_no', sa.String(length=200), nullable=True),
    sa.Column('procedure_code', sa.String(length=100), nullable=True),
    sa.Column('procedure_name', sa.Text(), nullable=True),
    sa.Column('agency_code', sa.String(length=100), nullable=True),
    sa.Column('agency_name', sa.Text(), nullable=True),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('applicant_name', sa.Text(), nullable=True),
    sa.Column('applicant_id_number', sa.String(length=40), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('old_province_code', sa.String(length=20), nullable=True),
    sa.Column('old_district_code', sa.String(length=20), nullable=True),
    sa.Column('old_commune_code', sa.String(length=20), nullable=True),
    sa.Column('new_commune_code', sa.String(length=5), nullable=True),
    sa.Column('new_province_code', sa.String(length=2), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=True),
    sa.Column('modified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_dossier_account_id_account')),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_dossier_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier')),
    sa.UniqueConstraint('source_system', 'source_table', 'source_key', name=op.f('uq_dossier_source_system_source_table_source_key'))
    )
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_dossier_no'), ['dossier_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_new_commune_code'), ['new_commune_code'], unique=False)

    op.create_table('dossier_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=400), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('dossier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action_code', sa.String(length=100), nullable=True),
    sa.Column('action_name', sa.Text(), nullable=True),
    sa.Column('actor', sa.Text(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_dossier_event_batch_id_batch')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_dossier_event_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_event')),
    sa.UniqueConstraint('source_system', 'source_table', 'source_key', name=op.f('uq_dossier_event_source_system_source_table_source_key'))
    )
    with op.batch_alter_table('dossier_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_event_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('dossier_file',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_system', sa.String(length=100), nullable=False),
    sa.Column('source_table', sa.String(length=200), nullable=False),
    sa.Column('source_key', sa.String(length=400), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('dossier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=True),
    sa.Column('source_path', sa.Text(), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('recorded_sha256', sa.String(length=64), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('file_state', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_dossier_file_batch_id_batch')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_dossier_file_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_file')),
    sa.UniqueConstraint('source_system', 'source_table', 'source_key', name=op.f('uq_dossier_file_source_system_source_table_source_key'))
    )
    with op.batch_alter_table('dossier_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_file_dossier_id'), ['dossier_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dossier_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_file_dossier_id'))

    op.drop_table('dossier_file')
    with op.batch_alter_table('dossier_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_event_dossier_id'))

    op.drop_table('dossier_event')
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_new_commune_code'))
        batch_op.drop_index(batch_op.f('ix_dossier_dossier_no'))

    op.drop_table('dossier')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_account_id'))

    op.drop_table('document')
    with op.batch_alter_table('account_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_alias_username'))
        batch_op.drop_index(batch_op.f('ix_account_alias_account_id'))

    op.drop_table('account_alias')
    with op.batch_alter_table('remap_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remap_decision_rule'))

    op.drop_table('remap_decision')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantine_batch_id'))

    op.drop_table('quarantine')
    with op.batch_alter_table('lineage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lineage_source_system_entity_outcome'))
        batch_op.drop_index(batch_op.f('ix_lineage_batch_id'))

    op.drop_table('lineage')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tax_code'))
        batch_op.drop_index(batch_op.f('ix_account_legacy_id_number'))
        batch_op.drop_index(batch_op.f('ix_account_id_number'))

    op.drop_table('account')
    op.drop_table('source_snapshot')
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_state'))
        batch_op.drop_index(batch_op.f('ix_batch_run_id'))

    op.drop_table('batch')
    op.drop_table('review_item')
    op.drop_table('reconciliation_run')
    op.drop_table('procedure')
    with op.batch_alter_table('new_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_new_unit_province_code'))

    op.drop_table('new_unit')
    op.drop_table('migration_run')
    op.drop_table('agency')
