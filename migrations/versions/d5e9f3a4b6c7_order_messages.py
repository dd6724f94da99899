"""order_messages: the conversation on an order between its customer and the shop

Revision ID: d5e9f3a4b6c7
Revises: d5e6f7a8b9c0
Create Date: 2026-11-30 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import novacart.db


# revision identifiers, used by Alembic.
revision = 'd5e9f3a4b6c7'
down_revision = 'd5e6f7a8b9c0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'order_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('author_role', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', novacart.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_order_messages_author_id_users')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_messages_order_id_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_messages')),
        # Ids are never reused (CONTRACT.md): SQLite needs AUTOINCREMENT for that; other databases ignore it.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('order_messages', schema=None) as batch_op:
        batch_op.create_index('ix_order_messages_order_id_id', ['order_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('order_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_order_messages_order_id_id')
    op.drop_table('order_messages')
