"""New orders for staff: the first after a quiet spell rings at once, a burst rings once per window.

Fifty orders a minute must not ring fifty times. Each placed order is recorded (order_alerts); when no
alert went out in the last NEW_ORDER_DIGEST_SECONDS, the waiting orders are claimed and announced at
once (usually just this one). Otherwise they wait, and beat's digest sweep (every few seconds) claims
everything waiting once the window since the last alert has passed, and sends one `new_order`
notification naming them all (`data.order_ids`). So staff hear of every order, at most once per window
during a burst, and never later than a window plus a sweep.

The claim is a conditional UPDATE (`alerted_at IS NULL`), so two workers never announce one order twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update

from novacart import i18n
from novacart.auth import services as auth_services
from novacart.auth.models import Role
from novacart.db import run_after_commit, utcnow
from novacart.extensions import db
from novacart.money import Money
from novacart.notifications import delivery, types
from novacart.notifications.models import OrderAlert

logger = logging.getLogger(__name__)

_ALERTS = OrderAlert.__table__
STAFF_AND_ADMINS = (Role.STAFF, Role.ADMIN)


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["NEW_ORDER_DIGEST_SECONDS"])


def _window_open() -> bool:
    """Whether an alert went out less than a window ago (then new orders wait for the digest)."""
    last = db.session.scalar(select(func.max(_ALERTS.c.alerted_at)))
    if last is not None and last.tzinfo is None:  # aggregates bypass the column type on SQLite
        last = last.replace(tzinfo=utcnow().tzinfo)
    return last is not None and utcnow() - last < _window()


def _claim_waiting() -> list[int]:
    now = utcnow()
    claimed = db.session.scalars(
        update(OrderAlert)
        .where(OrderAlert.alerted_at.is_(None))
        .values(alerted_at=now)
        .returning(OrderAlert.order_id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


def order_placed(order_id: int, customer_id: int, total_cents: int) -> None:
    """Record a new order for staff's alert: announced at once after a quiet spell, else in the digest."""
    exists = db.session.scalar(select(_ALERTS.c.order_id).where(_ALERTS.c.order_id == order_id))
    if exists is not None:
        return  # the event was dispatched before: its alert is sent or waiting
    db.session.execute(insert(_ALERTS).values(order_id=order_id, placed_at=utcnow()))
    if _window_open():
        db.session.commit()
        return
    claimed = _claim_waiting()
    if claimed == [order_id]:
        customer = auth_services.users_by_ids([customer_id]).get(customer_id)
        delivery.notify(
            delivery.employee_ids(STAFF_AND_ADMINS),
            types.NEW_ORDER,
            {"order_id": order_id},
            source_key=f"new-order:{order_id}",
            order_id=order_id,
            customer=customer.name if customer else _l("A customer"),
            total=Money(total_cents),
        )
        run_after_commit()
    elif claimed:
        _send_digest(claimed)


def _send_digest(order_ids: list[int]) -> None:
    delivery.notify(
        delivery.employee_ids(STAFF_AND_ADMINS),
        types.NEW_ORDER,
        {"order_ids": order_ids},
        source_key=f"new-orders:{order_ids[0]}",  # each order is claimed once: its first id names the digest
        variant="digest",
        count=len(order_ids),
        orders=i18n.OrderNumbers(tuple(order_ids)),
    )
    run_after_commit()


def send_due_digest() -> int:
    """Beat's sweep: once the window since the last alert has passed, announce every waiting order."""
    waiting = db.session.scalar(select(func.count()).select_from(_ALERTS).where(_ALERTS.c.alerted_at.is_(None)))
    if not waiting or _window_open():
        db.session.rollback()
        return 0
    claimed = _claim_waiting()
    if claimed:
        _send_digest(claimed)
        logger.info("announced %d new orders in one digest", len(claimed))
    else:
        db.session.commit()
    return len(claimed)


def prune(older_than: timedelta) -> int:
    """Forget alerts sent longer ago than `older_than` (kept meanwhile so a re-dispatched event stays quiet)."""
    deleted = db.session.execute(_ALERTS.delete().where(_ALERTS.c.alerted_at < utcnow() - older_than)).rowcount
    db.session.commit()
    return deleted
