"""standards: analysts, their sessions, releases, exports; referrals.urgent and two indexes

Revision ID: 0003_standards
Revises: 0002_api_tokens
Create Date: 2026-11-25

Hand-written to match app.models.standards and the Referral changes: the provider's triage
flag (`urgent`, reported with the acknowledgement) and two covering indexes, so the counts
behind each released period are index-only scans (docs/benchmarks.md).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_standards'
down_revision = '0002_api_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analysts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('totp_secret', sa.LargeBinary(), nullable=True),
    sa.Column('invite_hash', sa.String(length=64), nullable=True),
    sa.Column('invite_expires_on', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email'),
    sa.UniqueConstraint('invite_hash')
    )
    op.create_table('analyst_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('analyst_sessions', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_analyst_sessions_expires_on'), ['expires_on'], unique=False
        )

    op.create_table('releases',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('provider_id', sa.String(length=32), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('released_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'provider_id', 'period', 'table_name', name='uq_releases_once')
    )
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_releases_period'), ['period'], unique=False)

    op.create_table('exports',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('analyst_id', sa.String(length=32), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('file_format', sa.String(length=8), nullable=False),
    sa.Column('exported_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['analyst_id'], ['analysts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exports_analyst_id'), ['analyst_id'], unique=False)

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), nullable=True))
    # After the new column exists: the first index covers it.
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(
            'ix_referrals_standards_received',
            ['received_on', 'service', 'status', 'acknowledged_on', 'first_contact_on', 'urgent'],
            unique=False,
        )
        batch_op.create_index(
            'ix_referrals_standards_closed', ['closed_on', 'received_on', 'closure_reason'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_standards_closed')
        batch_op.drop_index('ix_referrals_standards_received')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('urgent')

    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exports_analyst_id'))
    op.drop_table('exports')

    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_releases_period'))
    op.drop_table('releases')

    with op.batch_alter_table('analyst_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analyst_sessions_expires_on'))
    op.drop_table('analyst_sessions')

    op.drop_table('analysts')
