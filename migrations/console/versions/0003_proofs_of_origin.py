"""Withdrawals held for their proof check, proofs on messages, contactable cases

Revision ID: 0003_proofs
Revises: 0002_this_round
Create Date: 2026-12-05 13:09:57.409513

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_proofs'
down_revision = '0002_this_round'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proof', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('genuine', sa.Boolean(), nullable=True))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contactable', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_claimed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_proof', sa.LargeBinary(), nullable=True))



def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_proof')
        batch_op.drop_column('withdrawal_claimed_on')
        batch_op.drop_column('contactable')

    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_column('genuine')
        batch_op.drop_column('proof')
        batch_op.drop_column('sequence')

