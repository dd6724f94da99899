"""users.locale, and order_alerts: staff hear of new orders at once, then in digests

Revision ID: c4d8e1f2a3b4
Revises: a71c4e2d9f10
Create Date: 2026-11-30 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import novacart.db


# revision identifiers, used by Alembic.
revision = 'c4d8e1f2a3b4'
down_revision = 'a71c4e2d9f10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), server_default='en', nullable=False))

    op.create_table(
        'order_alerts',
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('placed_at', novacart.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('alerted_at', novacart.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_alerts_order_id_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_alerts')),
    )
    with op.batch_alter_table('order_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_alerts_alerted_at'), ['alerted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('order_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_alerts_alerted_at'))
    op.drop_table('order_alerts')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
