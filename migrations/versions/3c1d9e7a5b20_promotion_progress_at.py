"""promotions.progress_at: resume a fan-out whose worker died

Revision ID: 3c1d9e7a5b20
Revises: 8b537970bdb8
Create Date: 2026-11-23 16:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import novacart.db


# revision identifiers, used by Alembic.
revision = '3c1d9e7a5b20'
down_revision = '8b537970bdb8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_at', novacart.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_column('progress_at')
