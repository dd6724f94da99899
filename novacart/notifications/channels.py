"""Other channels: e-mail and Web Push for what no open page showed within a delay, once per channel.

In-app comes first. Beat's sweep checks, per channel its type may use, each notification older than
EMAIL_AFTER_SECONDS / PUSH_AFTER_SECONDS (a delay of 0 checks at once, see `schedule`). The check
sends only what is still unacknowledged (no client showed it), whose user keeps the channel on for
the type, and that has no row for the channel yet. Sending claims a `channel_sends` row first
(`sending`, unique per notification and channel), then sends, then marks it `sent` or `failed`: a
retried or duplicated task sends nothing twice. A transient failure leaves `sending` with the time
of the next attempt (`retry_at`), which the sweep starts.

A worker killed mid-send leaves `sending` without `retry_at`; after CHANNEL_STUCK_AFTER_SECONDS the
sweep looks at `handed_at`, written just before the mail server gets the message's final dot (see
mail._HandingOver). Without it the server never had the whole message and discarded what it had: the
e-mail is sent again. With it the server had everything but the dot: the e-mail counts as sent and is
not repeated. Only a kill in the instant between that write and the dot loses an e-mail; none goes
twice (docs/reliability.md, "Worker SIGKILL mid e-mail batch"). A push has no such moment: a kill
after the push service took it repeats it, and the service worker's `tag` (the notification's id)
shows the second in place of the first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from novacart import metrics
from novacart.auth.models import User
from novacart.db import on_commit, utcnow
from novacart.extensions import db
from novacart.notifications import mail, preferences, push, types
from novacart.notifications.models import ChannelSend, Delivery, Notification, NotificationPreference, SendStatus

logger = logging.getLogger(__name__)

OTHER_CHANNELS = (types.EMAIL, types.PUSH)
DELAY_SETTING = {types.EMAIL: "EMAIL_AFTER_SECONDS", types.PUSH: "PUSH_AFTER_SECONDS"}
_SENDS = ChannelSend.__table__
_N = Notification.__table__
_D = Delivery.__table__
_U = User.__table__
_P = NotificationPreference.__table__


def delay(channel: str) -> float:
    return float(current_app.config[DELAY_SETTING[channel]])


def schedule(created: Sequence[dict[str, Any]]) -> None:
    """After the commit, check these new notifications at once on each channel whose delay is 0. Caller commits.

    A channel with a delay is checked by beat's sweep (every CHANNEL_SWEEP_SECONDS) once the delay has
    passed. There is no countdown task: a Celery worker holding ETA tasks when its Redis restarts stops
    consuming (celery/celery#1307, #2731), and then every task behind them waits too; the fault test of a
    Redis restart lost nine order updates that way.
    """
    from novacart.notifications import tasks

    for channel in OTHER_CHANNELS:
        if delay(channel) > 0:
            continue  # the sweep's (production): nothing to do in the fan-out's own path
        ids = [row["id"] for row in created if channel in _channels_of(row["type"])]
        if ids:
            on_commit(lambda c=channel, i=ids: tasks.check_channel.delay(c, i))


def _channels_of(type_: str) -> tuple[str, ...]:
    kind = types.REGISTRY.get(type_)
    return kind.channels if kind else ()


def check(channel: str, notification_ids: Iterable[int]) -> int:
    """Send on `channel` those of these notifications still unseen whose users keep it on. Returns how many
    sends were started. Commits."""
    from novacart.notifications import tasks

    ids = sorted(set(notification_ids))
    if not ids:
        return 0
    rows = db.session.execute(
        select(_N.c.id, _N.c.type, _U.c.is_active_account, _P.c.channel_overrides)
        .join(_D, _D.c.notification_id == _N.c.id)  # still queued: no client acknowledged it
        .join(_U, _U.c.id == _N.c.user_id)
        .outerjoin(_P, _P.c.user_id == _N.c.user_id)
        .where(_N.c.id.in_(ids))
        .where(~exists().where(and_(_SENDS.c.notification_id == _N.c.id, _SENDS.c.channel == channel)))
    ).all()
    seen = len(ids) - len(rows)
    if seen:
        metrics.CHANNEL_SENDS.labels(channel=channel, outcome="seen").inc(seen)
    to_send, off = [], []
    for notification_id, type_, active, overrides in rows:
        kind = types.REGISTRY.get(type_)
        if kind and active and preferences.channel_on(kind, channel, overrides):
            to_send.append(notification_id)
        else:
            off.append(notification_id)
    if off:
        _record(off, channel, SendStatus.OFF)
        metrics.CHANNEL_SENDS.labels(channel=channel, outcome="off").inc(len(off))
    db.session.commit()
    for notification_id in to_send:
        tasks.send_channel.delay(notification_id, channel, None)
    return len(to_send)


def _record(notification_ids: list[int], channel: str, status: SendStatus) -> None:
    """Insert final rows for these notifications, skipping any another check wrote meanwhile. Caller commits."""
    for notification_id in notification_ids:
        try:
            with db.session.begin_nested():
                db.session.execute(
                    insert(_SENDS).values(notification_id=notification_id, channel=channel, status=status)
                )
        except IntegrityError:
            pass


@dataclass(frozen=True)
class Outcome:
    status: SendStatus | None  # None: a transient failure, try again
    error: str | None = None


def claim(notification_id: int, channel: str, token: str) -> bool:
    """Own the send of this notification on this channel: a new `sending` row, or the one this token
    already holds (a retry). False if another task owns it or it is done. Commits."""
    row = db.session.execute(
        select(_SENDS.c.status, _SENDS.c.claimed_by, _SENDS.c.handed_at).where(
            _SENDS.c.notification_id == notification_id, _SENDS.c.channel == channel
        )
    ).first()
    if row is not None:
        db.session.rollback()
        ours = row.status == SendStatus.SENDING and row.claimed_by == token
        if ours and row.handed_at is not None:  # this task again, after its worker died past the point of no return
            _count_as_sent(notification_id, channel, token)
            return False
        return ours
    try:
        db.session.execute(
            insert(_SENDS).values(
                notification_id=notification_id, channel=channel, status=SendStatus.SENDING, claimed_by=token
            )
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def send(notification_id: int, channel: str, token: str) -> Outcome:
    """Send one claimed notification on its channel; the caller records the outcome with `finish`."""
    from novacart.notifications.delivery import to_wire

    row = db.session.execute(
        select(_N, _U.c.email, _U.c.name, _U.c.locale, _D.c.notification_id.label("queued"))
        .join(_U, _U.c.id == _N.c.user_id)
        .outerjoin(_D, _D.c.notification_id == _N.c.id)
        .where(_N.c.id == notification_id)
    ).first()
    if row is None:
        return Outcome(SendStatus.OFF, "notification deleted")
    if row.queued is None:
        return Outcome(SendStatus.OFF, "seen in the app meanwhile")
    notification = to_wire(row._mapping)
    db.session.rollback()
    if channel == types.EMAIL:
        recipient = mail.Recipient(row.user_id, row.email, row.name, row.locale)
        try:
            mail.deliver(mail.compose(recipient, notification), lambda: _hand_over(notification_id, channel, token))
        except mail.PermanentMailError as error:
            return Outcome(SendStatus.FAILED, str(error))
        except (mail.TransientMailError, ClaimLost) as error:
            return Outcome(None, str(error))
        except OperationalError as error:  # the hand-over's write (SQLite busy, PostgreSQL gone): nothing sent
            db.session.rollback()
            return Outcome(None, f"database unavailable at hand-over ({type(error.orig).__name__})")
        return Outcome(SendStatus.SENT)
    result = push.send(row.user_id, notification)
    if result.delivered:
        return Outcome(SendStatus.SENT)
    if result.transient:
        return Outcome(None, result.transient)
    if result.permanent:
        return Outcome(SendStatus.FAILED, result.permanent)
    return Outcome(SendStatus.OFF, "no push subscription")


class ClaimLost(Exception):
    """The sweep gave this send to another task meanwhile (its worker looked dead): this one stops."""


def _update_owned(notification_id: int, channel: str, token: str, **values: Any) -> bool:
    """Update the `sending` row this token owns; False if it is not (or no longer) its own. Caller commits."""
    return bool(
        db.session.execute(
            update(ChannelSend)
            .where(
                ChannelSend.notification_id == notification_id,
                ChannelSend.channel == channel,
                ChannelSend.claimed_by == token,
                ChannelSend.status == SendStatus.SENDING,
            )
            .values(**values, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def _hand_over(notification_id: int, channel: str, token: str) -> None:
    """Record that the message is being let go, while this token still owns the row. Commits."""
    owned = _update_owned(notification_id, channel, token, handed_at=utcnow())
    db.session.commit()
    if not owned:
        raise ClaimLost("another task took this send over")


def _count_as_sent(notification_id: int, channel: str, token: str) -> None:
    """A send whose worker died after handing the message over: the server has it. Commits."""
    counted = _update_owned(
        notification_id,
        channel,
        token,
        status=SendStatus.SENT,
        retry_at=None,
        last_error="worker lost after the mail server had the message: counted as sent",
    )
    db.session.commit()
    if counted:
        logger.info(
            "%s of notification %s: handed over before its worker died, counted as sent", channel, notification_id
        )
        metrics.CHANNEL_SENDS.labels(channel=channel, outcome=str(SendStatus.SENT)).inc()


def finish(
    notification_id: int, channel: str, token: str, outcome: Outcome, *, attempts: int, retry_in: float | None = None
) -> None:
    """Record how a claimed send ended, or when it is tried again (`retry_in` seconds), while this token
    still owns the row. Commits."""
    values: dict[str, Any] = {"attempts": attempts, "last_error": (outcome.error or None) and outcome.error[:500]}
    if outcome.status is not None:
        values["status"] = outcome.status
    values["retry_at"] = utcnow() + timedelta(seconds=retry_in) if retry_in is not None else None
    if outcome.status is None:
        values["handed_at"] = None  # the server did not take it (or hung up before saying): sent again
    _update_owned(notification_id, channel, token, **values)
    db.session.commit()
    metrics.CHANNEL_SENDS.labels(channel=channel, outcome=(outcome.status or "retry").__str__()).inc()


def sweep(batch: int = 1000) -> int:
    """Beat's pass: check what waited out its channel's delay, start the retries that are due, and retry
    sends whose worker died. Commits."""
    from novacart.notifications import tasks

    now, started = utcnow(), 0
    horizon = now - timedelta(hours=current_app.config["CHANNEL_HORIZON_HOURS"])
    for channel in OTHER_CHANNELS:
        capable = [kind.name for kind in types.REGISTRY.values() if channel in kind.channels]
        due = now - timedelta(seconds=delay(channel) + 1)
        ids = list(
            db.session.scalars(
                select(_N.c.id)
                .join(_D, _D.c.notification_id == _N.c.id)
                .where(_N.c.created_at < due, _N.c.created_at > horizon, _N.c.type.in_(capable))
                .where(~exists().where(and_(_SENDS.c.notification_id == _N.c.id, _SENDS.c.channel == channel)))
                .order_by(_N.c.id)
                .limit(batch)
            )
        )
        db.session.rollback()
        if ids:
            started += check(channel, ids)
    stuck_before = now - timedelta(seconds=current_app.config["CHANNEL_STUCK_AFTER_SECONDS"])
    # A transient failure left its row `sending` with the time of its next attempt (`retry_at`): the attempt
    # starts here once that time has come. A row without one that has not moved for a long while lost its
    # worker mid-send.
    due_or_stuck = or_(_SENDS.c.retry_at <= now, and_(_SENDS.c.retry_at.is_(None), _SENDS.c.updated_at < stuck_before))
    stuck = db.session.execute(
        select(_SENDS.c.notification_id, _SENDS.c.channel, _SENDS.c.claimed_by, _SENDS.c.attempts, _SENDS.c.handed_at)
        .where(_SENDS.c.status == SendStatus.SENDING, due_or_stuck)
        .limit(batch)
    ).all()
    db.session.rollback()
    for notification_id, channel, old_token, attempts, handed_at in stuck:
        if handed_at is not None:  # its worker died once the mail server had the message: not sent again
            _count_as_sent(notification_id, channel, old_token)
            continue
        token = f"sweep-{uuid.uuid4().hex}"
        moved = _update_owned(notification_id, channel, old_token, claimed_by=token, retry_at=None)
        db.session.commit()
        if moved:
            logger.info("%s of notification %s: attempt %d", channel, notification_id, (attempts or 0) + 1)
            tasks.send_channel.delay(notification_id, channel, token, (attempts or 0) + 1)
            started += 1
    return started


def recent_failures(limit: int = 10) -> list[dict[str, Any]]:
    """The latest failed sends, for the Operations page."""
    rows = db.session.execute(
        select(_SENDS.c.notification_id, _SENDS.c.channel, _SENDS.c.last_error, _SENDS.c.updated_at)
        .where(_SENDS.c.status == SendStatus.FAILED)
        .order_by(_SENDS.c.updated_at.desc())
        .limit(limit)
    ).all()
    return [dict(row._mapping) for row in rows]


def counts_since(since) -> dict[str, dict[str, int]]:
    """Sends per channel and status since `since` (the Operations page)."""
    counts = {channel: dict.fromkeys([s.value for s in SendStatus], 0) for channel in OTHER_CHANNELS}
    rows = db.session.execute(
        select(_SENDS.c.channel, _SENDS.c.status, func.count())
        .where(_SENDS.c.updated_at >= since)
        .group_by(_SENDS.c.channel, _SENDS.c.status)
    )
    for channel, status, count in rows:
        counts.setdefault(channel, {})[status] = count
    return counts
