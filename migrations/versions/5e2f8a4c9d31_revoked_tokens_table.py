"""revoked_tokens: the token blocklist in the database

Revision ID: 5e2f8a4c9d31
Revises: 3c1d9e7a5b20
Create Date: 2026-11-23 17:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import novacart.db


# revision identifiers, used by Alembic.
revision = '5e2f8a4c9d31'
down_revision = '3c1d9e7a5b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('revoked_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('expires_at', novacart.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_revoked_tokens'))
    )
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_tokens_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_tokens_expires_at'))

    op.drop_table('revoked_tokens')
