"""Promotions: staff-written offers sent now or at a set time to the customers whose interests match."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from novacart import i18n
from novacart.auth.models import Role, User
from novacart.db import on_commit, run_after_commit, transactional, utcnow
from novacart.errors import ConflictError, ErrorCode, NotFoundError, ValidationError
from novacart.extensions import db
from novacart.notifications import delivery, preferences, types
from novacart.notifications.models import Notification, Promotion, PromotionStatus
from novacart.pagination import Page, paginate

logger = logging.getLogger(__name__)


class PromotionNotCancellableError(ConflictError):
    code, title = ErrorCode.PROMOTION_NOT_CANCELLABLE, "Promotion cannot be cancelled"


SEND_AT_GRACE = timedelta(seconds=60)  # a send_at this little in the past is a clock's drift: it means now


class SendAtPassedError(ValidationError):
    code = ErrorCode.SEND_AT_PASSED


def _matches(user_interests: Sequence[str] | None, wanted: set[str]) -> bool:
    # both sides went through preferences.normalise_interests when they were stored
    return not wanted or bool(wanted.intersection(user_interests or ()))


def _customer_batches(interests: Sequence[str], batch: int) -> Iterable[list[int]]:
    """Ids of active customers whose interests match (all customers when none are given), in batches."""
    wanted = set(preferences.normalise_interests(interests))
    # For everyone, the interests are not read at all: decoding each customer's JSON list was a fifth of
    # the worker's CPU in a 10,000-customer fan-out (py-spy).
    columns = (User.id, User.interests) if wanted else (User.id,)
    after = 0
    while True:
        rows = db.session.execute(
            select(*columns)
            .where(User.role == Role.CUSTOMER, User.is_active_account.is_(True), User.id > after)
            .order_by(User.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        after = rows[-1][0]
        yield [row[0] for row in rows] if not wanted else [uid for uid, got in rows if _matches(got, wanted)]


def audience_size(interests: Sequence[str]) -> int:
    """How many customers a promotion with these interests would reach (before preferences)."""
    return sum(len(ids) for ids in _customer_batches(interests, 5000))


@transactional
def create_promotion(
    actor_id: int, title: str, message: str, interests: list[str] | None, send_at: datetime | None
) -> Promotion:
    """Schedule a promotion at `send_at`, or send it now without one.

    Raises SendAtPassedError for a `send_at` in the past (beyond a minute of clock drift).
    """
    now = utcnow()
    if send_at is not None and send_at < now - SEND_AT_GRACE:
        raise SendAtPassedError(
            _l("That time has passed: pick a later one, or send now."),
            {"send_at": [_l("That time has passed: pick a later one, or send now.")]},
        )
    promotion = Promotion(
        title=title.strip(),
        message=message.strip(),
        interests=preferences.normalise_interests(interests),
        send_at=send_at if send_at and send_at > now else now,
        status=PromotionStatus.SCHEDULED,
        created_by=actor_id,
    )
    db.session.add(promotion)
    db.session.flush()
    if promotion.send_at <= now:
        from novacart.notifications import tasks as notification_tasks

        promotion_id = promotion.id
        on_commit(lambda: notification_tasks.send_promotion.delay(promotion_id))
    return promotion


def list_promotions(*, limit: int, after_id: int | None, status: str | None = None) -> Page:
    stmt = select(Promotion)
    if status:
        stmt = stmt.where(Promotion.status == status)
    return paginate(stmt, Promotion.id, limit=limit, after_id=after_id, newest_first=True)


@transactional
def cancel_promotion(actor_id: int, promotion_id: int) -> Promotion:
    """Cancel a scheduled promotion. Raises NotFoundError, PromotionNotCancellableError."""
    promotion = db.session.get(Promotion, promotion_id)
    if promotion is None:
        raise NotFoundError(_l("Promotion %(id)s does not exist.", id=promotion_id))
    claimed = db.session.execute(
        update(Promotion)
        .where(Promotion.id == promotion_id, Promotion.status == PromotionStatus.SCHEDULED)
        .values(status=PromotionStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise PromotionNotCancellableError(
            _l(
                "Promotion %(id)s is already %(status)s.",
                id=promotion_id,
                status=i18n.status_word(promotion.status, "promotion"),
            )
        )
    db.session.refresh(promotion)
    logger.info("user %s cancelled promotion %s", actor_id, promotion_id)
    return promotion


def claim_due_promotions() -> list[int]:
    """Atomically move due scheduled promotions to `sending`; each is claimed by exactly one caller."""
    due = list(
        db.session.scalars(
            select(Promotion.id).where(Promotion.status == PromotionStatus.SCHEDULED, Promotion.send_at <= utcnow())
        )
    )
    claimed = []
    for promotion_id in due:
        result = db.session.execute(
            update(Promotion)
            .where(Promotion.id == promotion_id, Promotion.status == PromotionStatus.SCHEDULED)
            .values(status=PromotionStatus.SENDING, progress_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if result.rowcount == 1:
            claimed.append(promotion_id)
    return claimed


def claim_stalled_promotions() -> list[int]:
    """Claim promotions whose fan-out stopped making progress (its worker died), each by exactly one caller.

    Claiming moves `progress_at` to now, so a second beat (or the next poll) leaves it to the resumed task.
    """
    stalled = func.coalesce(Promotion.progress_at, Promotion.send_at) < utcnow() - timedelta(
        seconds=current_app.config["PROMOTION_STALLED_SECONDS"]
    )
    candidates = list(
        db.session.scalars(select(Promotion.id).where(Promotion.status == PromotionStatus.SENDING, stalled))
    )
    claimed = []
    for promotion_id in candidates:
        result = db.session.execute(
            update(Promotion)
            .where(Promotion.id == promotion_id, Promotion.status == PromotionStatus.SENDING, stalled)
            .values(progress_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if result.rowcount == 1:
            logger.warning("promotion %s stalled mid fan-out; resuming it", promotion_id)
            claimed.append(promotion_id)
    return claimed


def send_promotion(promotion_id: int) -> int:
    """Fan a promotion out to its audience in batches (one commit and one emit round per batch).

    Idempotent: users who already have it are skipped, so a retried or duplicated task sends nobody twice.
    Returns the number of recipients.
    """
    promotion = db.session.get(Promotion, promotion_id)
    if promotion is None or promotion.status in (PromotionStatus.CANCELLED, PromotionStatus.SENT):
        return promotion.recipients or 0 if promotion else 0
    if promotion.status == PromotionStatus.SCHEDULED:
        if promotion.send_at > utcnow():
            return 0
        promotion.status = PromotionStatus.SENDING
        promotion.progress_at = utcnow()
        db.session.commit()
    title, message, interests = promotion.title, promotion.message, list(promotion.interests or [])
    source_key = f"promo:{promotion_id}"
    data = {"promotion_id": promotion_id}
    for batch in _customer_batches(interests, current_app.config["FANOUT_BATCH_SIZE"]):
        delivery.create_many(batch, types.PROMOTION.name, title, message, data, source_key=source_key)
        db.session.execute(update(Promotion).where(Promotion.id == promotion_id).values(progress_at=utcnow()))
        run_after_commit()  # one batch: its rows committed, then emitted
    recipients = db.session.scalar(select(func.count()).where(Notification.source_key == source_key)) or 0
    db.session.execute(
        update(Promotion)
        .where(Promotion.id == promotion_id)
        .values(status=PromotionStatus.SENT, recipients=recipients, sent_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    logger.info("promotion %s sent to %d customers", promotion_id, recipients)
    return recipients
