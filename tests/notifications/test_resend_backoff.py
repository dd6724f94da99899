"""Re-sending unacknowledged notifications: after DELIVERY_RESEND_AFTER_SECONDS, then with doubling gaps."""

from __future__ import annotations

import datetime as dt

import time_machine

from tests.notifications.conftest import events


def test_an_unacknowledged_notification_is_resent_with_doubling_gaps(app, client, customer, staff, socket_for):
    user_id, headers = customer
    # 10 s, so that the four gaps (150 s in all) stay inside the access token's life: the socket stays
    base, app.config["DELIVERY_RESEND_AFTER_SECONDS"] = app.config["DELIVERY_RESEND_AFTER_SECONDS"], 10
    try:
        sends = _resends(client, user_id, headers, staff, socket_for, 10)
    finally:
        app.config["DELIVERY_RESEND_AFTER_SECONDS"] = base
    # then each gap was waited out in full, once
    assert sends == [(1, 0, 1), (2, 0, 1), (4, 0, 1), (8, 0, 1)]


def _resends(client, user_id, headers, staff, socket_for, base: float) -> list[tuple[int, int, int]]:
    """(gap, re-sent just before it, re-sent just after it) for gaps of 1, 2, 4 and 8 × `base`."""
    from novacart.notifications import tasks

    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        body = {"user_id": user_id, "type": "promotion", "title": "Unread", "message": "m"}
        note = client.post("/api/notifications", json=body, headers=staff[1]).get_json()
        sock = socket_for(headers)
        sock.get_received()  # the replay at connect: shown, never acknowledged

        def resent_after(seconds: float) -> int:
            clock.move_to(start + dt.timedelta(seconds=seconds))
            count = tasks.resend_unacknowledged()
            pushed = [n["id"] for n in events(sock, "notification")]
            assert pushed == [note["id"]] * count
            return count

        # when beat sweeps just before and just after each gap: 1, 2, 4 and 8 × the base delay since the last send
        sent_at, sends = 0.0, []
        for gap in (1, 2, 4, 8):
            due = sent_at + gap * base
            sends.append((gap, resent_after(due - 1), resent_after(due + 1)))
            sent_at = due + 1
    return sends


def test_an_acknowledged_notification_is_never_resent(app, client, customer, staff, socket_for):
    from novacart.notifications import tasks
    from tests.notifications.conftest import wait_for_queue_depth

    user_id, headers = customer
    body = {"user_id": user_id, "type": "promotion", "title": "Read at once", "message": "m"}
    note = client.post("/api/notifications", json=body, headers=staff[1]).get_json()
    sock = socket_for(headers)
    sock.emit("notification:ack", {"ids": [note["id"]]})
    wait_for_queue_depth(0)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)):
        assert tasks.resend_unacknowledged() == 0
