"""Proofs of origin on messages and withdrawals, and the release audit's figures

Revision ID: 0005_proofs
Revises: 0004_this_round
Create Date: 2026-12-05 13:09:52.887344

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_proofs'
down_revision = '0004_this_round'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proof', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('copy_proof', sa.LargeBinary(), nullable=True))

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawal_proof', sa.LargeBinary(), nullable=True))

    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.drop_column('audit')

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_proof')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('copy_proof')
        batch_op.drop_column('proof')
        batch_op.drop_column('sequence')

