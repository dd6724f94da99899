"""The notification engine at its edges: reading twice, empty acks, promotions listed, cancelled and sent early."""

from __future__ import annotations

import datetime as dt

from tests.helpers import assert_problem
from tests.notifications.conftest import events


def later(hours: float = 1) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat()


def test_reading_a_read_notification_again_tells_no_tab(client, customer, staff, socket_for):
    user_id, headers = customer
    body = {"user_id": user_id, "type": "promotion", "title": "Once", "message": "m"}
    note = client.post("/api/notifications", json=body, headers=staff[1]).get_json()
    sock = socket_for(headers)
    sock.get_received()
    # when
    first = client.patch(f"/api/notifications/{note['id']}/read", headers=headers)
    again = client.patch(f"/api/notifications/{note['id']}/read", headers=headers)
    # then
    assert first.status_code == again.status_code == 200
    assert again.get_json()["read_at"] == first.get_json()["read_at"]
    assert events(sock, "notification:read") == [{"ids": [note["id"]], "unread_count": 0}]


def test_an_empty_ack_is_accepted_and_changes_nothing(client, customer, staff, socket_for):
    from tests.notifications.conftest import wait_for_queue_depth

    user_id, headers = customer
    body = {"user_id": user_id, "type": "promotion", "title": "Kept", "message": "m"}
    client.post("/api/notifications", json=body, headers=staff[1])
    sock = socket_for(headers)
    sock.emit("notification:ack", {"ids": []})
    assert events(sock, "error") == []
    wait_for_queue_depth(1)


def test_promotions_are_listed_by_status_and_an_unknown_one_cannot_be_cancelled(client, staff):
    now = client.post("/api/promotions", json={"title": "Now", "message": "m"}, headers=staff[1]).get_json()
    scheduled = client.post(
        "/api/promotions", json={"title": "Later", "message": "m", "send_at": later()}, headers=staff[1]
    ).get_json()

    def listed(**query) -> list[int]:
        return [
            p["id"] for p in client.get("/api/promotions", query_string=query, headers=staff[1]).get_json()["items"]
        ]

    assert listed() == [scheduled["id"], now["id"]]
    assert listed(status="scheduled") == [scheduled["id"]]
    assert listed(status="sent") == [now["id"]]
    assert_problem(client.post("/api/promotions/987654/cancel", headers=staff[1]), 404, "not_found")


def test_a_promotion_task_that_runs_before_send_at_sends_nothing_and_the_schedule_still_holds(client, customer, staff):
    from novacart.notifications import tasks

    promo = client.post(
        "/api/promotions", json={"title": "Not yet", "message": "m", "send_at": later()}, headers=staff[1]
    ).get_json()
    # when a stray copy of the task runs early
    assert tasks.send_promotion(promo["id"]) == 0
    # then nobody has it, and it is still scheduled (and so cancellable)
    assert client.get("/api/notifications", headers=customer[1]).get_json()["items"] == []
    assert client.post(f"/api/promotions/{promo['id']}/cancel", headers=staff[1]).status_code == 200
    assert tasks.send_promotion(promo["id"]) == 0
    assert tasks.send_promotion(987654) == 0
