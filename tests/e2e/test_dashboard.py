"""The employee dashboard in a real browser (headless Chromium) against the whole running system.

Web (two gevent processes), a Celery worker, beat and Redis run as processes (the session's `system`).
A staff member works only through the dashboard's pages; customers act through the REST API and listen
with python-socketio clients. Waits are bounded: Playwright's expect with timeouts and the harness' Recorder.

The README's screenshot of the orders board is taken here (docs/screenshots with UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager

import pytest

from tests.e2e.browser import BLOCK_WEBSOCKET, PASSWORD, Console, screenshot_dir
from tests.e2e.harness import wait_until

try:
    from playwright.sync_api import expect
except ImportError:  # reported by the `browser` fixture (conftest.py): a skip locally, a failure under CI
    expect = None

pytestmark = pytest.mark.e2e

ADDRESS = "12 Stationery Road, Springfield"
XSS = "<img src=x onerror=alert(1)>"
LIVE_MS = 10_000  # first load + Socket.IO handshake on a busy 2-core machine
UPDATE_MS = 5_000  # an event travelling worker → Redis → web → browser, plus the row's fetch


@contextmanager
def dashboard_tab(request, browser, system, tmp_path, *, locale: str = "en-GB", timezone_id: str = "Europe/London"):
    """A browser tab on the system, with a post-mortem (screenshot, console, logs) if the test failed."""
    context = browser.new_context(
        base_url=system.url,
        viewport={"width": 1440, "height": 900},
        locale=locale,
        timezone_id=timezone_id,
        color_scheme="light",
    )
    context.set_default_timeout(15_000)
    console = Console()
    page = context.new_page()
    console.attach(page, "dashboard")
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:  # post-mortem: what the tab showed and said
        try:
            page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
        except Exception as error:  # noqa: BLE001 - a crashed tab must not hide the real failure
            print(f"no screenshot: {error}")
        print(f"screenshot in {tmp_path}", *console.lines, *console.page_errors, system.logs(), sep="\n")
    context.close()
    assert console.page_errors == [], "uncaught errors in the page"


@pytest.fixture
def staff_page(request, browser, system, staff_user, tmp_path):
    """A staff member's browser tab, signed in to the dashboard with the live connection up."""
    with dashboard_tab(request, browser, system, tmp_path) as page:
        sign_in(page, staff_user["email"])
        yield page


def sign_in(page, email: str) -> None:
    page.goto("/dashboard/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/orders/$"))
    wait_live(page)


def wait_live(page) -> None:
    expect(page.locator("#live-status")).to_have_text("Live", timeout=LIVE_MS)


def mark_no_reload(page) -> None:
    """A flag that only survives while the page is not reloaded or navigated away from."""
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def place_order(system, customer, lines: dict[int, int], address: str = ADDRESS) -> int:
    return system.place_order(customer["token"], lines, address)


def move(system, staff_user, order_id: int, *statuses: str) -> None:
    for status in statuses:
        response = system.api("PATCH", f"/api/orders/{order_id}/status", staff_user["token"], json={"status": status})
        assert response.status_code == 200, response.text


def add_products(system, staff_user, catalogue: list[tuple[str, int]], category: str = "office") -> list[int]:
    """Products (name, price in cents) with plenty in stock, added through the API → their ids."""
    ids = []
    for name, price in catalogue:
        body = {
            "sku": f"SHOT-{uuid.uuid4().hex[:8]}",
            "name": name,
            "category": category,
            "price_cents": price,
            "stock": 200,
            "low_stock_threshold": 5,
        }
        response = system.api("POST", "/api/products", staff_user["token"], json=body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def status_of(row):
    return row.locator("[data-status-badge]")


# -- tests ---------------------------------------------------------------------------------------------


def test_orders_board_screenshot(system, staff_page, staff_user, tmp_path_factory):
    """The README's picture: a busy board, one order just arrived (highlighted). First, so its orders are on top."""
    page = staff_page
    catalogue = [
        ("A4 copy paper, 500 sheets", 599),
        ("Gel pens, black, 12 pack", 749),
        ("HP 305 black ink cartridge", 1499),
        ("Lever-arch binder, A4", 399),
        ("Ergonomic office chair", 24900),
        ("Sticky notes, 12 pads", 899),
        ("LED desk lamp", 3499),
    ]
    ids = add_products(system, staff_user, catalogue)
    people = [
        (
            "Nora Lindqvist",
            "40 Market Square, Norwich NR2 1ND",
            {ids[2]: 1},
            ("paid", "preparing", "shipped", "delivered"),
        ),
        ("Samuel Adeyemi", "12 Tannery Lane, Bristol BS1 6QA", {ids[6]: 2}, ("paid", "preparing", "shipped")),
        (
            "Olivia Bennett",
            "14 Harbour Row, Portsmouth PO1 3AX",
            {ids[0]: 4, ids[1]: 2},
            ("paid", "preparing", "shipped"),
        ),
        ("Marcus Chen", "Flat 2, 88 Mill Lane, Leeds LS6 2AB", {ids[4]: 1}, ("paid", "preparing")),
        ("Priya Raman", "3 Orchard Close, Bath BA2 4QT", {ids[2]: 2, ids[3]: 5}, ("paid",)),
        ("Tom Fischer", "221 King's Road, Reading RG1 4LX", {ids[5]: 3}, ("cancelled",)),
        ("Ines Moreau", "7 Abbey Walk, Durham DH1 3EY", {ids[0]: 10}, ("paid", "preparing")),
        ("Hannah Okafor", "9 Castle Street, Cardiff CF10 1BS", {ids[6]: 1, ids[0]: 1}, ()),
        ("Leo Martins", "51 Bridge End, York YO1 7HA", {ids[1]: 6}, ("paid", "preparing", "shipped", "delivered")),
        ("Ruth Campbell", "2 Thistle Court, Edinburgh EH1 2NG", {ids[3]: 3, ids[1]: 1}, ("paid",)),
    ]
    for name, address, lines, moves in people:
        customer = system.register(name)
        move(system, staff_user, place_order(system, customer, lines, address), *moves)
    # signed in as an employee with a real name
    email = f"sam.okoye-{uuid.uuid4().hex[:6]}@novacart.test"
    system.flask("users", "create", "--email", email, "--password", PASSWORD, "--role", "staff", "--name", "Sam Okoye")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/dashboard/login$"))
    sign_in(page, email)
    # one more arrives while the board is open: it slides in highlighted
    newcomer = system.register("Grace Liu")
    order_id = place_order(system, newcomer, {ids[3]: 10, ids[5]: 2}, "6 Elm Grove, Oxford OX2 6RS")
    expect(page.locator(f"#order-{order_id}")).to_have_class(re.compile(r"\bflash-row\b"), timeout=UPDATE_MS)
    page.wait_for_timeout(250)  # mid-highlight
    target = screenshot_dir(tmp_path_factory.mktemp("screenshots")) / "dashboard-orders.png"
    page.screenshot(path=target)
    assert target.stat().st_size > 10_000


def test_staff_ships_an_order_with_buttons_and_the_customers_socket_gets_the_notification(
    system, staff_page, product, recorders
):
    # given a customer's order on the board, and the customer listening on their own socket
    page = staff_page
    customer = system.register("Alice")
    order_id = place_order(system, customer, {product(): 2})
    listener = recorders(customer["token"]).connect()
    page.goto(f"/dashboard/orders/?q={customer['email']}")
    wait_live(page)
    mark_no_reload(page)
    row = page.locator(f"#order-{order_id}")
    expect(status_of(row)).to_have_text("pending")
    # when the staff member moves it along, one click per step
    for button, status in (("Mark paid", "paid"), ("Start preparing", "preparing"), ("Ship", "shipped")):
        row.get_by_role("button", name=button, exact=True).click()
        expect(status_of(row)).to_have_text(status, timeout=UPDATE_MS)
    # then the customer's socket hears of the shipment, with its tracking number
    [note] = listener.wait_for(
        "notification", lambda n: n["type"] == "order_status" and n["data"]["status"] == "shipped", timeout=10
    )
    assert note["data"]["order_id"] == order_id and note["data"]["tracking_number"].startswith("1Z")
    listener.wait_for("orderUpdate", lambda u: u["order_id"] == order_id and u["status"] == "shipped")
    # and the board shows the tracking number and only the legal next step, without a reload
    expect(row).to_contain_text(note["data"]["tracking_number"])
    expect(row.locator("button[name=status]")).to_have_count(1)
    expect(row.get_by_role("button", name="Mark delivered")).to_be_visible()
    assert same_document(page)


def test_a_new_order_placed_through_the_api_appears_on_the_open_board(system, staff_page, product):
    # given the open board
    page = staff_page
    page.goto("/dashboard/orders/")
    wait_live(page)
    mark_no_reload(page)
    total_before = int(page.locator('[data-status-count="all"]').inner_text())
    # when a customer orders through the API
    customer = system.register("Bruno")
    order_id = place_order(system, customer, {product(): 3}, "7 Ledger Street, Inkford")
    # then its row appears at the top, highlighted, with the customer and the address
    row = page.locator(f"#order-{order_id}")
    expect(row).to_be_visible(timeout=UPDATE_MS)
    expect(row).to_have_class(re.compile(r"\bflash-row\b"))
    expect(page.locator("#orders-board tbody tr").first).to_have_id(f"order-{order_id}")
    expect(row).to_contain_text(customer["email"])
    expect(row).to_contain_text("7 Ledger Street")
    expect(status_of(row)).to_have_text("pending")
    expect(page.locator('[data-status-count="all"]')).to_have_text(str(total_before + 1))
    # and a status change made elsewhere (the API) updates the same row in place
    staff = system.employee("staff")
    move(system, staff, order_id, "paid")
    expect(status_of(row)).to_have_text("paid", timeout=UPDATE_MS)
    expect(page.locator(f"#order-{order_id}")).to_have_count(1)
    assert same_document(page)


def test_a_product_named_like_markup_is_shown_as_text_and_opens_no_dialog(system, staff_page, product):
    # given a product whose name is an XSS attempt, ordered by a customer
    page = staff_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    product_id = product(name=XSS)
    customer = system.register("Mallory")
    order_id = place_order(system, customer, {product_id: 1}, "<script>alert(2)</script>")
    # when the staff member looks at the inventory, the product, the board and the order
    for path, scope in (
        ("/dashboard/inventory/?q=onerror", f"#product-{product_id}"),
        (f"/dashboard/inventory/{product_id}", "main"),
        (f"/dashboard/orders/?q={customer['email']}", f"#order-{order_id}"),
        (f"/dashboard/orders/{order_id}", "main"),
    ):
        page.goto(path)
        # then the name is text on the page, no <img> was created and nothing ran
        expect(page.locator(scope).get_by_text(XSS).first).to_be_visible()
        assert page.locator("img[src='x']").count() == 0
    expect(page.locator("main").get_by_text("<script>alert(2)</script>").first).to_be_visible()
    page.wait_for_timeout(500)  # a broken image's onerror would have fired by now
    assert dialogs == []


def test_a_notification_arrives_live_in_the_feed_and_the_navigation_count(system, staff_page, staff_user):
    # given the staff member's open feed
    page = staff_page
    page.goto("/dashboard/notifications/")
    wait_live(page)
    mark_no_reload(page)
    count = page.locator("#nav-unread")
    before = int(count.get_attribute("data-count"))
    # when a low-stock notification is created for them
    body = {
        "user_id": staff_user["id"],
        "type": "low_stock",
        "title": "Low stock: <b>Monitor arm</b>",
        "message": "Only 1 left of Monitor arm (SKU FUR-MONITOR-ARM).",
        "data": {"product_id": 1},
    }
    response = system.api("POST", "/api/notifications", staff_user["token"], json=body)
    assert response.status_code == 201, response.text
    notification_id = response.json()["id"]
    # then the count goes up, a toast shows it, and it tops the feed, as text
    expect(count).to_have_text(str(before + 1), timeout=UPDATE_MS)
    expect(page.locator(".toast").filter(has_text="Low stock: <b>Monitor arm</b>")).to_be_visible()
    item = page.locator(f"#notification-{notification_id}")
    expect(item).to_be_visible(timeout=UPDATE_MS)
    expect(page.locator("#feed > li").first).to_have_id(f"notification-{notification_id}")
    # and reading it brings the count back down, without a reload
    item.get_by_role("button", name="Mark read").click()
    expect(count).to_have_text(str(before))
    expect(item).not_to_have_class(re.compile(r"\bunread\b"))
    assert same_document(page)


def test_the_dashboard_socket_uses_websocket_only(system, browser, staff_user):
    # given a staff member's tab that records its connections
    context = browser.new_context(base_url=system.url)
    page = context.new_page()
    sockets, polls = [], []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.on("request", lambda r: polls.append(r.url) if "transport=polling" in r.url else None)
    try:
        # when they sign in and the page goes live
        sign_in(page, staff_user["email"])
        # then the live connection is one WebSocket and engine.io never long-polled
        assert [url for url in sockets if "/socket.io/" in url], sockets
        assert polls == []
    finally:
        context.close()


def test_without_websocket_the_dashboard_polls_and_still_shows_new_notifications(system, browser, staff_user):
    # given a browser that cannot hold a WebSocket
    context = browser.new_context(base_url=system.url)
    context.add_init_script(BLOCK_WEBSOCKET["refused"])
    page = context.new_page()
    try:
        page.goto("/dashboard/login")
        page.get_by_label("E-mail").fill(staff_user["email"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/dashboard/notifications/")
        # then after two refused attempts it polls, and says so
        expect(page.locator("#live-status")).to_have_text("Live (polling)", timeout=LIVE_MS)
        mark_no_reload(page)
        count = page.locator("#nav-unread")
        before = int(count.get_attribute("data-count"))
        # when a notification is created for them
        title = f"Low stock {uuid.uuid4().hex[:6]}: envelopes"
        # (with a product, as every low_stock notification has: the session's other tests read it)
        body = {
            "user_id": staff_user["id"],
            "type": "low_stock",
            "title": title,
            "message": "Only 2 left.",
            "data": {"product_id": 1},
        }
        response = system.api("POST", "/api/notifications", staff_user["token"], json=body)
        assert response.status_code == 201, response.text
        # then within a polling interval it shows: a toast, the count, the top of the feed
        poll_ms = 3_000 + UPDATE_MS
        expect(page.locator(".toast").filter(has_text=title)).to_be_visible(timeout=poll_ms)

        # The count is the server's, up by at least this one (the session's other tests may still be adding
        # notifications for this staff user: the badge follows those too).
        def badge_shows_the_servers_count() -> bool:
            shown = int(count.get_attribute("data-count") or -1)
            server = system.api("GET", "/api/notifications/unread-count", staff_user["token"]).json()["count"]
            return shown == server and shown >= before + 1

        wait_until(badge_shows_the_servers_count, timeout=poll_ms / 1000, interval=0.2, what="the unread count")
        expect(page.locator(f"#notification-{response.json()['id']}")).to_be_visible(timeout=poll_ms)
        assert same_document(page)
    finally:
        context.close()
