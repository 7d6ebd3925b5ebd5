"""The signed recipient key set intake verifies before every seal (G2), and the console's
audit-chain heads kept append-only at intake (G8)

Revision ID: 0004_this_round
Revises: 0003_standards
Create Date: 2026-12-05 11:19:07.493409

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_this_round'
down_revision = '0003_standards'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('audit_heads',
    sa.Column('recipient_id', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipients.id'], ),
    sa.PrimaryKeyConstraint('recipient_id', 'seq')
    )
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_set', sa.LargeBinary(), nullable=True))




def downgrade():
    
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.drop_column('key_set')

    op.drop_table('audit_heads')

