"""Orders at their edges: the staff filter by status, a tracking number where none belongs, paying twice."""

from __future__ import annotations

from tests.helpers import assert_problem

ADDRESS = "1 Paper Street, 75001 Paris"


def place(client, headers, product_id: int) -> int:
    body = {"items": [{"product_id": product_id, "quantity": 1}], "shipping_address": ADDRESS}
    return client.post("/api/orders", json=body, headers=headers).get_json()["id"]


def test_staff_filter_orders_by_status(client, customer, staff, make_product):
    product_id = make_product()
    pending, paid = place(client, customer[1], product_id), place(client, customer[1], product_id)
    client.patch(f"/api/orders/{paid}/status", json={"status": "paid"}, headers=staff[1])

    def listed(status: str) -> list[int]:
        return [o["id"] for o in client.get(f"/api/orders?status={status}", headers=staff[1]).get_json()["items"]]

    assert listed("paid") == [paid] and listed("pending") == [pending] and listed("shipped") == []


def test_a_tracking_number_is_only_for_shipping(client, customer, staff, make_product):
    order_id = place(client, customer[1], make_product())
    body = {"status": "paid", "tracking_number": "1ZEARLY00"}
    problem = assert_problem(
        client.patch(f"/api/orders/{order_id}/status", json=body, headers=staff[1]), 422, "validation_error"
    )
    assert "tracking_number" in problem["errors"]
    assert client.get(f"/api/orders/{order_id}", headers=customer[1]).get_json()["status"] == "pending"


def test_shipping_with_a_tracking_number_keeps_it(client, customer, staff, make_product):
    order_id = place(client, customer[1], make_product())
    for status in ("paid", "preparing"):
        client.patch(f"/api/orders/{order_id}/status", json={"status": status}, headers=staff[1])
    body = {"status": "shipped", "tracking_number": "1ZGIVEN123"}
    shipped = client.patch(f"/api/orders/{order_id}/status", json=body, headers=staff[1]).get_json()
    assert shipped["status"] == "shipped" and shipped["tracking_number"] == "1ZGIVEN123"


def test_paying_again_while_a_payment_is_pending_continues_that_payment(app, client, customer, make_product):
    from sqlalchemy import func, select

    from novacart.extensions import db
    from novacart.orders.models import Payment

    order_id = place(client, customer[1], make_product(price_cents=300))
    # given a provider that has not confirmed yet (the sandbox's webhook fails: nobody listens there)
    app.config["SANDBOX_WEBHOOK_BASE_URL"] = "http://127.0.0.1:9/"
    try:
        first = client.post(f"/api/orders/{order_id}/pay", headers=customer[1]).get_json()
        again = client.post(f"/api/orders/{order_id}/pay", headers=customer[1]).get_json()
    finally:
        app.config["SANDBOX_WEBHOOK_BASE_URL"] = ""
    # then the second is the same payment, not a second charge
    assert again["payment_id"] == first["payment_id"] and again["provider_ref"] == first["provider_ref"]
    assert again["status"] == "pending" and again["redirect_url"] is None
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.order_id == order_id)) == 1
