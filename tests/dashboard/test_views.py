"""The employee dashboard through Flask's test client: access, CSRF, every page and form, escaping."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from novacart.auth import services as auth_services
from novacart.auth.models import Role, User
from novacart.extensions import db
from novacart.inventory import services as inventory_services
from novacart.inventory.models import Product, StockMovement
from novacart.notifications import delivery, inbox, preferences, promotions
from novacart.notifications.models import Notification, Promotion
from novacart.orders import services as order_services
from novacart.orders.models import Order
from tests.dashboard.conftest import PASSWORD, csrf_token, sign_in_client, submit

FETCH = {"X-Requested-With": "fetch"}
XSS = "<img src=x onerror=alert(1)>"

GET_PAGES = [
    "/dashboard/",
    "/dashboard/orders/",
    "/dashboard/orders/{order}",
    "/dashboard/orders/{order}/row",
    "/dashboard/inventory/",
    "/dashboard/inventory/new",
    "/dashboard/inventory/{product}",
    "/dashboard/inventory/{product}/row",
    "/dashboard/notifications/",
    "/dashboard/notifications/{notification}/item",
    "/dashboard/notifications/unread-count",
    "/dashboard/promotions/",
    "/dashboard/promotions/audience?interests=paper",
    "/dashboard/operations/",
]

POSTS = [
    ("/dashboard/logout", {}),
    ("/dashboard/orders/{order}/status", {"status": "paid"}),
    ("/dashboard/orders/{order}/messages", {"text": "Hello"}),
    (
        "/dashboard/inventory/new",
        {"sku": "NEW-1", "name": "New", "category": "paper", "price": "1.00", "stock": "1", "low_stock_threshold": "1"},
    ),
    (
        "/dashboard/inventory/{product}",
        {"sku": "RENAMED", "name": "Renamed", "category": "paper", "price": "1.00", "low_stock_threshold": "1"},
    ),
    ("/dashboard/inventory/{product}/stock", {"delta": "5", "reason": "delivery"}),
    ("/dashboard/inventory/{product}/deactivate", {}),
    ("/dashboard/inventory/{product}/reactivate", {}),
    ("/dashboard/notifications/{notification}/read", {}),
    ("/dashboard/notifications/read-all", {}),
    ("/dashboard/promotions/", {"title": "Sale", "message": "Now", "when": "now", "tz_offset": "0"}),
    ("/dashboard/promotions/{promotion}/cancel", {}),
    ("/dashboard/operations/users/{customer}/role", {"role": "staff"}),
]


@pytest.fixture
def world(make_user, make_product, place_order):
    """A customer with a pending order, a product, a scheduled promotion and an admin with a notification."""
    customer_id, _ = make_user("customer", name="Carla Customer", email=f"carla-{uuid.uuid4().hex[:6]}@example.test")
    product_id = make_product(stock=10, threshold=2, name="A4 copy paper")
    order_id = place_order(customer_id, {product_id: 2})
    promotion = promotions.create_promotion(None, "Later", "Soon", [], datetime.now(UTC) + timedelta(days=1))
    return {"customer": customer_id, "product": product_id, "order": order_id, "promotion": promotion.id}


def page_text(response) -> str:
    return response.get_data(as_text=True)


def fill(path: str, ids: dict) -> str:
    return path.format(**ids)


def field_block(text: str, name: str) -> str:
    """The markup of one form field (label, input, hint, error) as the `field` macro renders it."""
    match = re.search(rf'<div class="field[^"]*">\s*<label[^>]*for="{name}"[^>]*>.*?</div>', text, re.S)
    assert match, f"no field {name}"
    return match.group(0)


def notify(user_id: int, title: str = "Hello", type_: str = "low_stock", **data) -> int:
    return delivery.create(None, user_id, type_, title, f"{title}!", data or None)["id"]


# -- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", GET_PAGES)
def test_pages_redirect_an_anonymous_visitor_to_the_login_page(anonymous, world, path):
    # given an admin's notification, so every id exists
    response = anonymous.get(fill(path, {**world, "notification": 1}))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dashboard/login?next=")


def test_background_requests_of_an_anonymous_visitor_get_401_not_a_redirect(anonymous, world):
    response = anonymous.get(f"/dashboard/orders/{world['order']}/row", headers=FETCH)
    assert response.status_code == 401


@pytest.mark.parametrize("path", GET_PAGES)
def test_pages_refuse_a_customer_session_with_403(sign_in, admin, world, path):
    # given a staff member signed in, who is then made a customer by an admin
    staff_id, client = sign_in("staff")
    auth_services.update_user(admin[0], staff_id, role=Role.CUSTOMER)
    notification_id = notify(staff_id)
    # when
    response = client.get(fill(path, {**world, "notification": notification_id}))
    # then
    assert response.status_code == 403
    assert "for NovaCart employees" in page_text(response)
    assert 'class="error-page"' in page_text(response)


def test_operations_are_for_admins_only(sign_in, world):
    _, staff_client = sign_in("staff")
    assert staff_client.get("/dashboard/operations/").status_code == 403
    response = submit(staff_client, f"/dashboard/operations/users/{world['customer']}/role", {"role": "admin"})
    assert response.status_code == 403
    assert db.session.get(User, world["customer"]).role == Role.CUSTOMER


def test_staff_sees_no_operations_link_but_an_admin_does(sign_in):
    _, staff_client = sign_in("staff")
    _, admin_client = sign_in("admin")
    assert "/dashboard/operations/" not in page_text(staff_client.get("/dashboard/orders/"))
    assert "/dashboard/operations/" in page_text(admin_client.get("/dashboard/orders/"))


# -- signing in and out ---------------------------------------------------------------------------


def test_login_signs_an_employee_in_with_a_session_cookie(app, make_user):
    make_user("staff", email="sam@example.test", name="Sam Staff")
    client, response = sign_in_client(app, "sam@example.test")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/orders/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/dashboard/orders/")
    assert page.status_code == 200 and "Sam Staff" in page_text(page)


def test_login_refuses_a_customer_and_keeps_them_signed_out(app, make_user):
    make_user("customer", email="cora@example.test")
    client, response = sign_in_client(app, "cora@example.test")
    assert response.status_code == 403
    assert "for NovaCart employees" in page_text(response)
    assert client.get("/dashboard/orders/").status_code == 302


def test_login_with_a_wrong_password_says_so_and_signs_nobody_in(app, make_user):
    make_user("staff", email="sam@example.test")
    client, response = sign_in_client(app, "sam@example.test", "wrong-password")
    assert response.status_code == 200
    assert "Wrong e-mail or password." in page_text(response)
    assert client.get("/dashboard/orders/").status_code == 302


def test_login_validation_errors_are_shown_next_to_the_fields(anonymous):
    token = csrf_token(anonymous.get("/dashboard/login"))
    response = anonymous.post("/dashboard/login", data={"email": "not-an-email", "password": "", "csrf_token": token})
    assert response.status_code == 422
    text = page_text(response)
    assert "Not an e-mail." in field_block(text, "email")
    assert "Enter your password." in field_block(text, "password")


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/dashboard/inventory/", "/dashboard/inventory/"),
        ("http://localhost/dashboard/promotions/?x=1", "/dashboard/promotions/?x=1"),
        ("https://evil.example/dashboard/", "/dashboard/orders/"),
        ("//evil.example/dashboard/", "/dashboard/orders/"),
        ("/api/auth/me", "/dashboard/orders/"),
    ],
)
def test_login_returns_to_next_only_inside_the_dashboard(anonymous, make_user, next_url, landing):
    make_user("staff", email="sam@example.test")
    page = anonymous.get("/dashboard/login", query_string={"next": next_url})
    data = {"email": "sam@example.test", "password": PASSWORD, "next": next_url, "csrf_token": csrf_token(page)}
    response = anonymous.post("/dashboard/login", data=data)
    assert response.status_code == 302 and response.headers["Location"] == landing


def test_anonymous_visitor_returns_to_the_page_they_asked_for(anonymous, make_user):
    make_user("staff", email="sam@example.test")
    login_url = anonymous.get("/dashboard/inventory/?stock=out").headers["Location"]
    page = anonymous.get(login_url)
    data = {"email": "sam@example.test", "password": PASSWORD, "csrf_token": csrf_token(page)}
    data["next"] = re.search(r'name="next" type="hidden" value="([^"]*)"', page_text(page)).group(1)
    response = anonymous.post("/dashboard/login", data={k: html.unescape(v) for k, v in data.items()})
    assert response.headers["Location"] == "/dashboard/inventory/?stock=out"


def test_login_is_rate_limited(app, anonymous, make_user):
    make_user("staff", email="sam@example.test")
    token = csrf_token(anonymous.get("/dashboard/login"))
    data = {"email": "sam@example.test", "password": "wrong", "csrf_token": token}
    statuses = [anonymous.post("/dashboard/login", data=data).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429


def test_logout_ends_the_session(sign_in):
    _, client = sign_in("staff")
    response = submit(client, "/dashboard/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/login"
    assert client.get("/dashboard/orders/").status_code == 302


def test_logout_is_a_post_only(sign_in):
    _, client = sign_in("staff")
    assert client.get("/dashboard/logout").status_code in (404, 405)  # the shop's catch-all answers GETs
    assert client.get("/dashboard/orders/").status_code == 200


# -- CSRF -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "data"), POSTS)
def test_posts_without_a_csrf_token_are_refused_with_400(sign_in, world, path, data):
    # given a signed-in admin and a notification of theirs
    admin_id, client = sign_in("admin")
    ids = {**world, "notification": notify(admin_id)}
    # when
    response = client.post(fill(path, ids), data=data)
    # then nothing changed
    assert response.status_code == 400
    assert "CSRF" in page_text(response)
    assert db.session.get(Order, world["order"]).status == "pending"
    product = db.session.get(Product, world["product"])
    assert (product.name, product.stock, product.is_active) == ("A4 copy paper", 8, True)
    assert db.session.get(Promotion, world["promotion"]).status == "scheduled"
    assert db.session.get(User, world["customer"]).role == Role.CUSTOMER
    assert inbox.unread_count(admin_id) == 1
    assert client.get("/dashboard/orders/").status_code == 200  # still signed in


def test_a_csrf_token_from_another_session_is_refused(sign_in, world):
    _, alice = sign_in("staff")
    _, bob = sign_in("staff")
    token = csrf_token(alice.get("/dashboard/orders/"))
    response = bob.post(f"/dashboard/orders/{world['order']}/status", data={"status": "paid", "csrf_token": token})
    assert response.status_code == 400
    assert db.session.get(Order, world["order"]).status == "pending"


def test_login_without_a_csrf_token_is_refused(anonymous, make_user):
    make_user("staff", email="sam@example.test")
    response = anonymous.post("/dashboard/login", data={"email": "sam@example.test", "password": PASSWORD})
    assert response.status_code == 400
    assert anonymous.get("/dashboard/orders/").status_code == 302


def test_the_json_api_needs_no_csrf_token(client, make_user, staff, make_product):
    make_user("customer", email="api@example.test")
    response = client.post("/api/auth/login", json={"email": "api@example.test", "password": PASSWORD})
    assert response.status_code == 200
    product_id = make_product()
    response = client.post(f"/api/products/{product_id}/stock", json={"delta": 1, "reason": "x"}, headers=staff[1])
    assert response.status_code == 200


# -- orders -----------------------------------------------------------------------------------------


def test_board_shows_each_order_with_customer_lines_total_and_address(sign_in, make_user, make_product, place_order):
    customer_id, _ = make_user("customer", email="dora@example.test", name="Dora Diaz")
    paper, pens = make_product(name="A4 copy paper", price_cents=599), make_product(name="Gel pens", price_cents=749)
    order_id = place_order(customer_id, {paper: 2, pens: 1}, "5 Quill Lane\nInkford")
    _, client = sign_in("staff")
    text = page_text(client.get("/dashboard/orders/"))
    row = re.search(rf'<tr id="order-{order_id}".*?</tr>', text, re.S).group(0)
    for expected in (
        "Dora Diaz",
        "dora@example.test",
        "A4 copy paper",
        "Gel pens",
        "€19.47",
        "5 Quill Lane",
        "pending",
    ):
        assert expected in row, expected


def buttons(text: str, order_id: int) -> list[str]:
    row = re.search(rf'<tr id="order-{order_id}".*?</tr>', text, re.S).group(0)
    return re.findall(r'name="status" value="(\w+)"', row)


@pytest.mark.parametrize(
    ("moves", "offered"),
    [
        ([], ["paid", "cancelled"]),
        (["paid"], ["preparing", "cancelled"]),
        (["paid", "preparing"], ["shipped", "cancelled"]),
        (["paid", "preparing", "shipped"], ["delivered"]),
        (["paid", "preparing", "shipped", "delivered"], []),
        (["cancelled"], []),
    ],
)
def test_board_offers_only_the_legal_next_statuses(sign_in, world, moves, offered):
    staff_id, client = sign_in("staff")
    for status in moves:
        order_services.change_status(staff_id, world["order"], status)
    assert buttons(page_text(client.get("/dashboard/orders/")), world["order"]) == offered
    detail = page_text(client.get(f"/dashboard/orders/{world['order']}"))
    assert re.findall(r'name="status" value="(\w+)"', detail) == offered


def test_board_filters_by_status_and_searches_by_number_email_and_name(sign_in, make_user, make_product, place_order):
    # given two customers' orders, one of them paid
    staff_id, client = sign_in("staff")
    ann, _ = make_user("customer", email="ann@shop.test", name="Ann Archer")
    ben, _ = make_user("customer", email="ben@shop.test", name="Ben Baker")
    product = make_product(stock=50)
    ann_order, ben_order = place_order(ann, {product: 1}), place_order(ben, {product: 1})
    order_services.change_status(staff_id, ben_order, "paid")

    def listed(**query) -> set[int]:
        text = page_text(client.get("/dashboard/orders/", query_string=query))
        return {int(n) for n in re.findall(r'<tr id="order-(\d+)"', text)}

    assert listed() == {ann_order, ben_order}
    assert listed(status="paid") == {ben_order}
    assert listed(status="pending") == {ann_order}
    assert listed(q=f"#{ann_order}") == {ann_order}
    assert listed(q=str(ben_order)) == {ben_order}
    assert listed(q="ANN@shop") == {ann_order}
    assert listed(q="baker") == {ben_order}
    assert listed(q="baker", status="pending") == set()
    assert listed(q="%") == set()
    assert listed(status="bogus") == {ann_order, ben_order}


def test_board_counts_orders_per_status(sign_in, world):
    _, client = sign_in("staff")
    text = page_text(client.get("/dashboard/orders/"))
    assert re.search(r'data-status-count="all">1<', text)
    assert re.search(r'data-status-count="pending">1<', text)
    assert re.search(r'data-status-count="paid">0<', text)


def test_status_button_moves_the_order_and_the_customer_is_notified(sign_in, world):
    # given
    staff_id, client = sign_in("staff")
    order_services.change_status(staff_id, world["order"], "paid")
    order_services.change_status(staff_id, world["order"], "preparing")
    # when the Ship button is pressed
    response = submit(
        client, f"/dashboard/orders/{world['order']}/status", {"status": "shipped", "next": "/dashboard/orders/"}
    )
    # then
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/orders/"
    order = db.session.get(Order, world["order"])
    assert order.status == "shipped" and order.tracking_number
    assert order.history[-1].by == staff_id
    notes = inbox.find_by_user(world["customer"], limit=10).items
    assert notes[0].type == "order_status" and notes[0].data["status"] == "shipped"
    assert f"Order #{order.id} is now shipped." in page_text(client.get("/dashboard/orders/"))


def test_status_button_from_the_page_script_gets_the_new_row(sign_in, world):
    _, client = sign_in("staff")
    response = submit(client, f"/dashboard/orders/{world['order']}/status", {"status": "paid"}, headers=FETCH)
    assert response.status_code == 200
    text = page_text(response)
    assert text.lstrip().startswith(f'<tr id="order-{world["order"]}"')
    assert buttons(text, world["order"]) == ["preparing", "cancelled"]


def test_status_change_with_a_note_is_kept_in_the_history(sign_in, world):
    _, client = sign_in("staff")
    submit(client, f"/dashboard/orders/{world['order']}/status", {"status": "cancelled", "note": "Customer called"})
    order = db.session.get(Order, world["order"])
    assert order.status == "cancelled" and order.history[-1].note == "Customer called"
    assert db.session.get(Product, world["product"]).stock == 10  # restocked by the service
    assert "Customer called" in page_text(client.get(f"/dashboard/orders/{world['order']}"))


def test_illegal_status_change_is_refused_with_the_services_reason(sign_in, world):
    _, client = sign_in("staff")
    response = submit(
        client, f"/dashboard/orders/{world['order']}/status", {"status": "delivered"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "cannot become delivered" in page_text(response)
    assert db.session.get(Order, world["order"]).status == "pending"
    response = submit(client, f"/dashboard/orders/{world['order']}/status", {"status": "delivered"}, headers=FETCH)
    assert response.status_code == 409 and response.get_json()["code"] == "illegal_transition"


def test_unknown_status_is_a_validation_error(sign_in, world):
    _, client = sign_in("staff")
    response = submit(client, f"/dashboard/orders/{world['order']}/status", {"status": "lost"}, headers=FETCH)
    assert response.status_code == 422 and response.get_json()["code"] == "validation_error"


def test_order_detail_shows_lines_total_address_and_history(sign_in, world):
    staff_id, client = sign_in("staff", name="Sam Staff")
    order_services.change_status(staff_id, world["order"], "paid", "Paid by bank transfer")
    text = page_text(client.get(f"/dashboard/orders/{world['order']}"))
    for expected in (
        "A4 copy paper",
        "€10.00",
        "12 Stationery Road",
        "Springfield",
        "Carla Customer",
        "Order placed",
        "Paid by bank transfer",
        "Sam Staff",
    ):
        assert expected in text, expected


def test_row_fragment_is_empty_once_the_order_leaves_the_boards_filter(sign_in, world):
    staff_id, client = sign_in("staff")
    url = f"/dashboard/orders/{world['order']}/row"
    assert client.get(url, query_string={"status": "pending"}).status_code == 200
    order_services.change_status(staff_id, world["order"], "paid")
    assert client.get(url, query_string={"status": "pending"}).status_code == 204
    assert client.get(url, query_string={"status": "paid"}).status_code == 200
    assert client.get(url, query_string={"q": "nobody-matches"}).status_code == 204


def test_unknown_order_shows_the_404_page_inside_the_dashboard(sign_in):
    _, client = sign_in("staff")
    for path in ("/dashboard/orders/999999", "/dashboard/no-such-page"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html"
        text = page_text(response)
        assert 'class="error-page"' in text and 'id="nav-unread"' in text and "Back to the orders board" in text


# -- inventory --------------------------------------------------------------------------------------


def test_inventory_marks_low_and_out_of_stock_rows_and_shows_waitlists(sign_in, make_product, make_user):
    ok, low, out = make_product(stock=10, threshold=2), make_product(stock=2, threshold=2), make_product(stock=0)
    for _ in range(3):
        inventory_services.join_waitlist(make_user("customer")[0], out)
    _, client = sign_in("staff")
    text = page_text(client.get("/dashboard/inventory/"))

    def row(product_id: int) -> str:
        return re.search(rf'<tr id="product-{product_id}"[^>]*>.*?</tr>', text, re.S).group(0)

    def waitlist_cell(product_id: int) -> str:  # the seventh column: SKU, name, category, price, stock, threshold
        return re.findall(r"<td[^>]*>(.*?)</td>", row(product_id), re.S)[6].strip()

    assert "stock-ok" in row(ok) and "stock-low" in row(low) and "stock-out" in row(out)
    assert waitlist_cell(out) == "3"
    assert waitlist_cell(ok) == "—" and waitlist_cell(low) == "—"


def test_inventory_filters_and_hides_deactivated_products_unless_asked(sign_in, make_product):
    pens, paper = make_product(name="Gel pens", category="writing"), make_product(name="A4 paper", stock=0)
    old = make_product(name="Old stapler")
    inventory_services.deactivate_product(None, old)
    _, client = sign_in("staff")

    def listed(**query) -> set[int]:
        text = page_text(client.get("/dashboard/inventory/", query_string=query))
        return {int(n) for n in re.findall(r'<tr id="product-(\d+)"', text)}

    assert listed() == {pens, paper}
    assert listed(inactive="1") == {pens, paper, old}
    assert listed(q="gel") == {pens}
    assert listed(category="writing") == {pens}
    assert listed(stock="out") == {paper}
    assert listed(stock="in") == {pens}


def test_create_product_shows_validation_errors_next_to_the_fields(sign_in):
    _, client = sign_in("staff")
    data = {"sku": "bad sku!", "name": "", "category": "paper", "price": "-1", "stock": "x", "low_stock_threshold": "2"}
    response = submit(client, "/dashboard/inventory/new", data, form_page="/dashboard/inventory/new")
    assert response.status_code == 422
    text = page_text(response)
    assert "Letters, digits, dot, dash, underscore" in field_block(text, "sku")
    assert "Enter a name." in field_block(text, "name")
    assert "From 0 to 1,000,000." in field_block(text, "price")
    assert "field-error" in field_block(text, "stock")
    assert "field-error" not in field_block(text, "category")
    assert db.session.query(Product).count() == 0


def test_create_product_with_a_taken_sku_says_so_next_to_the_sku(sign_in, make_product):
    make_product(sku="PAP-A4")
    _, client = sign_in("staff")
    data = {
        "sku": "pap-a4",
        "name": "Copy",
        "category": "paper",
        "price": "5.99",
        "stock": "1",
        "low_stock_threshold": "1",
    }
    response = submit(client, "/dashboard/inventory/new", data, form_page="/dashboard/inventory/new")
    assert response.status_code == 409
    assert "already in use" in field_block(page_text(response), "sku")


def test_create_edit_deactivate_and_reactivate_a_product(sign_in):
    staff_id, client = sign_in("staff")
    # create
    data = {
        "sku": "DESK-LAMP",
        "name": "Desk lamp",
        "category": "desk",
        "price": "34.99",
        "stock": "12",
        "low_stock_threshold": "3",
        "description": "LED",
    }
    response = submit(client, "/dashboard/inventory/new", data, form_page="/dashboard/inventory/new")
    product = db.session.query(Product).one()
    assert response.status_code == 302 and response.headers["Location"] == f"/dashboard/inventory/{product.id}"
    assert (product.price_cents, product.stock, product.low_stock_threshold) == (3499, 12, 3)
    movement = db.session.query(StockMovement).one()
    assert (movement.reason, movement.actor_id) == ("opening stock", staff_id)
    # edit
    page = f"/dashboard/inventory/{product.id}"
    edit = {**data, "name": "LED desk lamp", "price": "29.50"}
    edit.pop("stock")
    assert submit(client, page, edit, form_page=page).status_code == 302
    db.session.refresh(product)
    assert (product.name, product.price_cents, product.stock) == ("LED desk lamp", 2950, 12)
    # an invalid edit is shown next to the field and changes nothing
    response = submit(client, page, {**edit, "low_stock_threshold": "-1"}, form_page=page)
    assert response.status_code == 422 and "field-error" in field_block(page_text(response), "low_stock_threshold")
    # deactivate, then put back on sale
    assert submit(client, f"{page}/deactivate", form_page=page).status_code == 302
    db.session.refresh(product)
    assert product.is_active is False
    assert "deactivated" in page_text(client.get(page))
    assert submit(client, f"{page}/reactivate", form_page=page).status_code == 302
    db.session.refresh(product)
    assert product.is_active is True


def test_adjust_stock_with_a_reason_shows_in_the_stock_history(sign_in, world):
    staff_id, client = sign_in("staff", name="Sam Staff")
    page = f"/dashboard/inventory/{world['product']}"
    response = submit(client, f"{page}/stock", {"delta": "24", "reason": "Delivery from Papyrus Ltd"}, form_page=page)
    assert response.status_code == 302
    assert db.session.get(Product, world["product"]).stock == 32
    text = page_text(client.get(page))
    history = text[text.index("Stock history") :]
    assert "Delivery from Papyrus Ltd" in history and "+24" in history and "Sam Staff" in history
    assert f"order #{world['order']}" in history and "opening stock" in history


def test_adjust_stock_from_the_list_returns_the_new_row(sign_in, world):
    _, client = sign_in("staff")
    response = submit(
        client, f"/dashboard/inventory/{world['product']}/stock", {"delta": "-7", "reason": "damaged"}, headers=FETCH
    )
    assert response.status_code == 200
    row = page_text(response)
    assert "stock-low" in row and '<span class="stock-value">1</span>' in row


def test_adjust_stock_below_zero_is_refused(sign_in, world):
    _, client = sign_in("staff")
    url = f"/dashboard/inventory/{world['product']}/stock"
    response = submit(client, url, {"delta": "-9", "reason": "count"}, headers=FETCH)
    assert response.status_code == 409 and response.get_json()["code"] == "insufficient_stock"
    response = submit(
        client, url, {"delta": "-9", "reason": "count", "next": "/dashboard/inventory/"}, follow_redirects=True
    )
    assert "Only 8 of A4 copy paper left." in page_text(response)
    assert db.session.get(Product, world["product"]).stock == 8


def test_adjust_stock_validation_errors_are_shown_next_to_the_fields(sign_in, world):
    _, client = sign_in("staff")
    page = f"/dashboard/inventory/{world['product']}"
    response = submit(client, f"{page}/stock", {"delta": "0", "reason": ""}, form_page=page)
    assert response.status_code == 422
    text = page_text(response)
    assert "Must not be 0." in field_block(text, "delta")
    assert "Say why the stock changes." in field_block(text, "reason")


# -- notifications ----------------------------------------------------------------------------------


def test_feed_shows_the_employees_own_notifications_and_the_unread_count(sign_in, make_user):
    staff_id, client = sign_in("staff")
    other_id, _ = make_user("staff")
    mine = notify(staff_id, "Low stock: pens", product_id=1)
    notify(other_id, "Someone else's")
    text = page_text(client.get("/dashboard/notifications/"))
    assert "Low stock: pens" in text and "Someone else" not in text
    assert f'id="notification-{mine}"' in text and 'href="/dashboard/inventory/1"' in text
    assert re.search(r'id="nav-unread"[^>]*data-count="1"', text)
    assert f'data-latest-notification="{mine}"' in text


def test_mark_read_and_mark_all_read(sign_in):
    staff_id, client = sign_in("staff")
    first, _second, _third = (notify(staff_id, f"n{i}") for i in range(3))
    assert client.get("/dashboard/notifications/unread-count").get_json() == {"count": 3}
    response = submit(client, f"/dashboard/notifications/{first}/read", headers=FETCH)
    assert response.get_json() == {"unread_count": 2}
    assert db.session.get(Notification, first).is_read
    unread = page_text(client.get("/dashboard/notifications/?unread=1"))
    assert f'id="notification-{first}"' not in unread and "n1" in unread
    response = submit(client, "/dashboard/notifications/read-all", follow_redirects=True)
    assert "2 notifications marked read." in page_text(response)
    assert inbox.unread_count(staff_id) == 0


def test_marking_someone_elses_notification_read_is_a_404(sign_in, make_user):
    _, client = sign_in("staff")
    other = notify(make_user("staff")[0])
    response = submit(client, f"/dashboard/notifications/{other}/read", headers=FETCH)
    assert response.status_code == 404
    assert not db.session.get(Notification, other).is_read


def test_feed_item_fragment_is_only_for_the_owner(sign_in, make_user):
    staff_id, client = sign_in("staff")
    mine, other = notify(staff_id, "Mine"), notify(make_user("staff")[0], "Theirs")
    assert "Mine" in page_text(client.get(f"/dashboard/notifications/{mine}/item"))
    assert client.get(f"/dashboard/notifications/{other}/item").status_code == 204


def test_feed_filters_by_type(sign_in):
    staff_id, client = sign_in("staff")
    notify(staff_id, "Stock", "low_stock")
    notify(staff_id, "Money", "payment_received")
    text = page_text(client.get("/dashboard/notifications/?type=payment_received"))
    assert "Money" in text and ">Stock<" not in text


# -- promotions -------------------------------------------------------------------------------------


@pytest.fixture
def shoppers(make_user):
    ids = [make_user("customer")[0] for _ in range(3)]
    preferences.update_preferences(ids[0], None, ["paper", "ink"])
    preferences.update_preferences(ids[1], None, ["paper"])
    return ids


def test_audience_endpoint_counts_the_customers_a_promotion_reaches(sign_in, shoppers):
    _, client = sign_in("staff")
    assert client.get("/dashboard/promotions/audience").get_json()["recipients"] == 3
    body = client.get("/dashboard/promotions/audience?interests=Paper, ink").get_json()
    assert body == {"recipients": 2, "interests": ["ink", "paper"]}
    assert client.get("/dashboard/promotions/audience?interests=ink").get_json()["recipients"] == 1
    assert client.get("/dashboard/promotions/audience?interests=gardening").get_json()["recipients"] == 0
    assert re.search(r'id="audience-count">3<', page_text(client.get("/dashboard/promotions/")))


def test_a_promotion_sent_now_reaches_matching_customers_and_lists_its_recipients(sign_in, shoppers):
    _, client = sign_in("staff")
    data = {"title": "Paper week", "message": "20% off paper", "interests": "paper", "when": "now", "tz_offset": "0"}
    response = submit(client, "/dashboard/promotions/", data, form_page="/dashboard/promotions/", follow_redirects=True)
    assert response.status_code == 200
    promotion = db.session.query(Promotion).one()
    assert (promotion.status, promotion.recipients, promotion.interests) == ("sent", 2, ["paper"])
    assert [n.title for n in inbox.find_by_user(shoppers[1], limit=5).items] == ["Paper week"]
    row = re.search(rf'<tr id="promotion-{promotion.id}">.*?</tr>', page_text(response), re.S).group(0)
    assert "Paper week" in row and "sent" in row and '<td class="num">2</td>' in row


def test_a_scheduled_promotion_shows_its_reach_and_can_be_cancelled(sign_in, shoppers):
    _, client = sign_in("staff")
    local = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0, tzinfo=None)
    data = {
        "title": "Ink days",
        "message": "Soon",
        "interests": "ink",
        "when": "later",
        "send_at": local.strftime("%Y-%m-%dT%H:%M"),
        "tz_offset": "-60",
    }  # the browser is at UTC+1
    submit(client, "/dashboard/promotions/", data, form_page="/dashboard/promotions/")
    promotion = db.session.query(Promotion).one()
    assert promotion.status == "scheduled"
    assert promotion.send_at == local.replace(tzinfo=UTC) - timedelta(hours=1)
    page = page_text(client.get("/dashboard/promotions/"))
    assert "≈ 1" in re.search(rf'<tr id="promotion-{promotion.id}">.*?</tr>', page, re.S).group(0)
    response = submit(client, f"/dashboard/promotions/{promotion.id}/cancel", form_page="/dashboard/promotions/")
    assert response.status_code == 302
    db.session.refresh(promotion)
    assert promotion.status == "cancelled"
    response = submit(
        client,
        f"/dashboard/promotions/{promotion.id}/cancel",
        form_page="/dashboard/promotions/",
        follow_redirects=True,
    )
    assert "already cancelled" in page_text(response)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "", "message": "m", "when": "now"}, "title", "Enter a title."),
        ({"title": "t", "message": "", "when": "now"}, "message", "Enter the message."),
        ({"title": "t", "message": "m", "when": "later"}, "send_at", "Pick the date and time"),
        (
            {"title": "t", "message": "m", "when": "later", "send_at": "2020-01-01T10:00"},
            "send_at",
            "That time has passed",
        ),
        ({"title": "t", "message": "m", "when": "now", "interests": "x" * 41}, "interests", "at most 40 characters"),
    ],
)
def test_promotion_validation_errors_are_shown_next_to_the_fields(sign_in, data, field, message):
    _, client = sign_in("staff")
    response = submit(client, "/dashboard/promotions/", {"tz_offset": "0", **data}, form_page="/dashboard/promotions/")
    assert response.status_code == 422
    text = page_text(response)
    block = text[text.index(f'name="{field}"') :]
    assert message in block[: block.index("</div>") if field != "send_at" else block.index("</fieldset>")]
    assert db.session.query(Promotion).count() == 0


# -- operations -------------------------------------------------------------------------------------


def test_operations_shows_sockets_queue_health_and_todays_notifications(sign_in):
    admin_id, client = sign_in("admin")
    notify(admin_id, "a", "low_stock")
    notify(admin_id, "b", "low_stock")
    notify(admin_id, "c", "new_review")
    text = page_text(client.get("/dashboard/operations/"))
    assert re.search(r'id="ops-queue-depth">3<', text)
    assert re.search(r'id="ops-sockets">\d+<', text) and "this web process" in text
    assert "Database" in text and "Redis" in text and text.count('class="stat health-ok"') == 2
    counts = re.search(r'<table class="table compact per-type">.*?</table>', text, re.S).group(0)
    assert re.findall(r'<td class="num[^"]*">(\d+)</td>', counts) == ["0", "2", "1", "0", "0", "0", "0", "0", "3"]


def test_admin_promotes_and_demotes_users_but_not_themselves(sign_in, make_user):
    admin_id, client = sign_in("admin")
    user_id, _ = make_user("customer", email="newhire@example.test", name="New Hire")
    page = page_text(client.get("/dashboard/operations/?q=newhire"))
    assert "newhire@example.test" in page and f'id="user-{admin_id}"' not in page
    response = submit(
        client,
        f"/dashboard/operations/users/{user_id}/role",
        {"role": "staff"},
        form_page="/dashboard/operations/",
        follow_redirects=True,
    )
    assert "is now staff" in page_text(response)
    assert db.session.get(User, user_id).role == Role.STAFF
    submit(
        client, f"/dashboard/operations/users/{user_id}/role", {"role": "customer"}, form_page="/dashboard/operations/"
    )
    assert db.session.get(User, user_id).role == Role.CUSTOMER
    response = submit(
        client,
        f"/dashboard/operations/users/{admin_id}/role",
        {"role": "staff"},
        form_page="/dashboard/operations/",
        follow_redirects=True,
    )
    assert "Ask another admin" in page_text(response)
    assert db.session.get(User, admin_id).role == Role.ADMIN
    response = submit(
        client,
        f"/dashboard/operations/users/{user_id}/role",
        {"role": "owner"},
        form_page="/dashboard/operations/",
        follow_redirects=True,
    )
    assert "Not a valid choice" in page_text(response)


def test_operations_filters_users_by_role(sign_in, make_user):
    _, client = sign_in("admin")
    make_user("customer", email="c@example.test")
    text = page_text(client.get("/dashboard/operations/?role=customer"))
    assert "c@example.test" in text and "role-admin" not in text


# -- what users typed, and the page's security ----------------------------------------------------


def test_everything_users_typed_is_escaped(sign_in, make_user, make_product, place_order):
    # given a product, an address, a customer name and a notification full of markup
    admin_id, client = sign_in("admin")
    customer_id, _ = make_user("customer", name='<b onmouseover="alert(2)">Eve</b>')
    product_id = make_product(name=XSS, category="<i>cat</i>")
    order_id = place_order(customer_id, {product_id: 1}, "<script>alert(3)</script>")
    notification_id = notify(admin_id, "<script>alert(4)</script>", product_id=product_id)
    inventory_services.post_review(customer_id, product_id, 5, "<svg onload=alert(5)>")
    pages = [
        "/dashboard/orders/",
        f"/dashboard/orders/{order_id}",
        f"/dashboard/orders/{order_id}/row",
        "/dashboard/inventory/",
        f"/dashboard/inventory/{product_id}",
        "/dashboard/notifications/",
        f"/dashboard/notifications/{notification_id}/item",
        "/dashboard/operations/",
    ]
    for path in pages:
        text = page_text(client.get(path))
        for raw in (XSS, "<script>alert", "<b onmouseover", "<svg onload", "<i>cat"):
            assert raw not in text, (path, raw)
    assert html.escape(XSS, quote=False).replace("&#x27;", "'") in page_text(client.get("/dashboard/inventory/"))
    assert "&lt;svg onload=alert(5)&gt;" in page_text(client.get("/dashboard/notifications/"))


@pytest.mark.parametrize(
    "path",
    [p for p in GET_PAGES if "/row" not in p and "/item" not in p and "audience" not in p and "count" not in p]
    + ["/dashboard/login", "/dashboard/missing"],
)
def test_pages_have_a_strict_csp_and_no_inline_script_or_style(sign_in, world, path):
    admin_id, client = sign_in("admin")
    response = client.get(fill(path, {**world, "notification": notify(admin_id)}), follow_redirects=True)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = page_text(response)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline script"
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"<[^>]+\sstyle\s*=", text), "inline style"
    assert "<style" not in text


def test_the_dashboards_static_files_are_served(client):
    for path in ("/static/js/dashboard.js", "/static/css/dashboard.css", "/static/vendor/socket.io.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_a_dashboard_socket_is_authenticated_by_the_session_and_joins_the_staff_room(
    app, sign_in, make_user, make_product, place_order
):
    from flask import g

    from novacart.extensions import socketio

    # given a staff member's browser session
    _, client = sign_in("staff")
    g.pop("_login_user", None)
    sock = socketio.test_client(app, flask_test_client=client)
    try:
        assert sock.is_connected()
        sock.get_received()
        # when a customer places an order
        place_order(make_user("customer")[0], {make_product(): 1})
        # then the board hears of it
        updates = [e["args"][0] for e in sock.get_received() if e["name"] == "orderUpdate"]
        assert updates and updates[-1]["status"] == "pending" and updates[-1]["previous_status"] is None
    finally:
        sock.disconnect()


def test_a_database_outage_shows_a_503_page_not_a_crash(app, sign_in):
    from sqlalchemy import create_engine

    # given a signed-in employee, then a database that cannot be reached (a closed port)
    _, client = sign_in("staff")
    broken = create_engine("postgresql+psycopg://nobody:x@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    engines = db._app_engines[app]
    healthy = engines[None]
    engines[None] = broken
    db.session.remove()
    try:
        # when
        response = client.get("/dashboard/orders/")
        # then
        assert response.status_code == 503 and response.mimetype == "text/html"
        assert 'class="error-page"' in page_text(response)
        assert "Content-Security-Policy" in response.headers
    finally:
        engines[None] = healthy
        db.session.remove()
