"""Safe to deploy: ids never reused on SQLite, orders' payment_status, access changes for sockets

- Every table with an integer id is rebuilt on SQLite with AUTOINCREMENT, so a deleted row's id is
  never handed out again (PostgreSQL's sequences never reuse one; nothing changes there).
- orders.payment_status, filled in from each order's payments.
- users.access_changed_at and revoked_tokens.revoked_at: what each web process's access watcher asks for.
- waitlist_entries.fulfilled_event_id is cleared when beat prunes its outbox event (ON DELETE SET NULL).

Revision ID: a71c4e2d9f10
Revises: 5e2f8a4c9d31
Create Date: 2026-11-30 18:00:00.000000

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import novacart.db


# revision identifiers, used by Alembic.
revision = 'a71c4e2d9f10'
down_revision = '5e2f8a4c9d31'
branch_labels = None
depends_on = None

# Tables whose integer ids leave the database or key other rows, parents before children.
ID_TABLES = [
    'users', 'products', 'outbox_events', 'promotions', 'orders', 'notifications', 'payments',
    'order_lines', 'order_status_changes', 'stock_movements', 'waitlist_entries', 'reviews', 'webhook_events',
]
ID_MARGIN = 1000
WAITLIST_FK = 'fk_waitlist_entries_fulfilled_event_id_outbox_events'


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _rebuild_ids(autoincrement: bool) -> None:
    """SQLite only: copy each table into one declared with(out) AUTOINCREMENT (Alembic's batch mode).

    Before this, SQLite kept no record of ids handed out and deleted since: the newest rows' ids may
    already have been reused once. Each sequence therefore starts ID_MARGIN past the highest id left,
    so that no id a client may still remember from before the upgrade is handed out again.
    env.py turns foreign keys off around migrations on SQLite: dropping a parent table would otherwise
    cascade into its children.
    """
    for table in ID_TABLES:
        with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}):
            pass
    if autoincrement:
        bind = op.get_bind()
        for table in ID_TABLES:
            bind.exec_driver_sql(f"DELETE FROM sqlite_sequence WHERE name = '{table}'")
            bind.exec_driver_sql(
                f"INSERT INTO sqlite_sequence (name, seq) SELECT '{table}', COALESCE(MAX(id), 0) + {ID_MARGIN} "
                f"FROM {table}"
            )


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_changed_at', novacart.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_access_changed_at'), ['access_changed_at'], unique=False)

    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', novacart.db.UTCDateTime(timezone=True), nullable=True))
    revoked = sa.table('revoked_tokens', sa.column('revoked_at', sa.DateTime(timezone=True)))
    op.execute(revoked.update().values(revoked_at=datetime.now(UTC)))
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.alter_column('revoked_at', existing_type=novacart.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f('ix_revoked_tokens_revoked_at'), ['revoked_at'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_status', sa.String(length=16), server_default='none', nullable=False))
    for payment_status, order_status in (('failed', 'failed'), ('pending', 'pending'), ('succeeded', 'succeeded')):
        op.execute(
            f"UPDATE orders SET payment_status = '{order_status}' WHERE id IN "
            f"(SELECT order_id FROM payments WHERE status = '{payment_status}')"
        )

    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_constraint(WAITLIST_FK, type_='foreignkey')
        batch_op.create_foreign_key(WAITLIST_FK, 'outbox_events', ['fulfilled_event_id'], ['id'], ondelete='SET NULL')

    if _sqlite():
        _rebuild_ids(autoincrement=True)


def downgrade():
    if _sqlite():
        _rebuild_ids(autoincrement=False)

    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_constraint(WAITLIST_FK, type_='foreignkey')
        batch_op.create_foreign_key(WAITLIST_FK, 'outbox_events', ['fulfilled_event_id'], ['id'])

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('payment_status')

    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_tokens_revoked_at'))
        batch_op.drop_column('revoked_at')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_access_changed_at'))
        batch_op.drop_column('access_changed_at')
