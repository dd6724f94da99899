"""Other channels: per-channel preferences, one row per (notification, channel) sent, push subscriptions

Revision ID: d5e6f7a8b9c0
Revises: c4d8e1f2a3b4
Create Date: 2026-11-30 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import novacart.db


# revision identifiers, used by Alembic.
revision = 'd5e6f7a8b9c0'
down_revision = 'c4d8e1f2a3b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_overrides', sa.JSON(), server_default='{}', nullable=False))

    op.create_table(
        'channel_sends',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('retry_at', novacart.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', novacart.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', novacart.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_channel_sends_notification_id_notifications'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_sends')),
        sa.UniqueConstraint('notification_id', 'channel', name='uq_channel_sends_notification_channel'),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('channel_sends', schema=None) as batch_op:
        batch_op.create_index('ix_channel_sends_status_updated_at', ['status', 'updated_at'], unique=False)

    op.create_table(
        'push_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('endpoint', sa.String(length=2048), nullable=False),
        sa.Column('p256dh', sa.String(length=200), nullable=False),
        sa.Column('auth', sa.String(length=100), nullable=False),
        sa.Column('created_at', novacart.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_subscriptions_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
        sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint')),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscriptions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_user_id'))
    op.drop_table('push_subscriptions')
    with op.batch_alter_table('channel_sends', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_sends_status_updated_at')
    op.drop_table('channel_sends')
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_column('channel_overrides')
