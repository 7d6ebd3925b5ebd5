"""delivery API tokens

Revision ID: 0002_api_tokens
Revises: 0001_intake
Create Date: 2026-11-25

Hand-written to match app.models.intake.ApiToken: one row per bearer token of a recipient,
holding only the SHA-256 of its secret.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_api_tokens'
down_revision = '0001_intake'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('recipient_id', sa.String(length=32), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipients.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_api_tokens_recipient_id'), ['recipient_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_recipient_id'))

    op.drop_table('api_tokens')
