"""The provider signing key (custody like the recipient key), the signed key sets, and the
daily tallies of events anyone can cause (G2, G8)

Revision ID: 0002_this_round
Revises: 0001_console
Create Date: 2026-12-05 11:19:09.230532

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_this_round'
down_revision = '0001_console'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('audit_tallies',
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('action', 'day')
    )
    op.create_table('key_sets',
    sa.Column('sequence', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('sequence'),
    sa.UniqueConstraint('digest')
    )
    op.create_table('signing_keys',
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('verify_key', sa.LargeBinary(), nullable=False),
    sa.Column('recovery_blob', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key_id')
    )
    op.create_table('signing_key_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('advisor_id', sa.String(length=32), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('sealed_key', sa.LargeBinary(), nullable=False),
    sa.Column('granted_by', sa.String(length=32), nullable=False),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['advisor_id'], ['advisors.id'], ),
    sa.ForeignKeyConstraint(['key_id'], ['signing_keys.key_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('advisor_id', 'key_id')
    )
    with op.batch_alter_table('signing_key_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signing_key_grants_advisor_id'), ['advisor_id'], unique=False)




def downgrade():
    
    with op.batch_alter_table('signing_key_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signing_key_grants_advisor_id'))

    op.drop_table('signing_key_grants')
    op.drop_table('signing_keys')
    op.drop_table('key_sets')
    op.drop_table('audit_tallies')

