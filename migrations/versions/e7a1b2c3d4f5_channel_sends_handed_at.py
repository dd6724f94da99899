"""channel_sends.handed_at: when an e-mail was let go (its final dot), so a killed worker's send is not repeated

Revision ID: e7a1b2c3d4f5
Revises: d5e9f3a4b6c7
Create Date: 2026-12-01 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import novacart.db


# revision identifiers, used by Alembic.
revision = 'e7a1b2c3d4f5'
down_revision = 'd5e9f3a4b6c7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('channel_sends', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_at', novacart.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('channel_sends', schema=None) as batch_op:
        batch_op.drop_column('handed_at')
