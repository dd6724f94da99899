"""An Italian staff member's dashboard is Italian, in a real browser (headless Chromium) against the whole
running system: the sign-in page (from the browser's language), the board, live rows and toasts, money,
and the header's language menu. Takes the README's screenshot of the Italian board (docs/screenshots with
UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.browser import PASSWORD, screenshot_dir
from tests.e2e.test_dashboard import LIVE_MS, UPDATE_MS, add_products, dashboard_tab, move, place_order

try:
    from playwright.sync_api import expect
except ImportError:  # reported by the `browser` fixture (conftest.py)
    expect = None

pytestmark = pytest.mark.e2e

# Words of the English dashboard that must not show on an Italian one.
ENGLISH = ("Orders", "Inventory", "Promotions", "Sign out", "Next step", "Mark paid", "Customer", "Ship to")


@pytest.fixture
def italian_page(request, browser, system, tmp_path):
    """An Italian staff member's browser (it-IT), signed out; yields (page, the staff member's e-mail)."""
    email = f"giulia.ferrari-{uuid.uuid4().hex[:6]}@novacart.test"
    system.flask(
        "users", "create", "--email", email, "--password", PASSWORD, "--role", "staff", "--name", "Giulia Ferrari"
    )
    login = system.api("POST", "/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    response = system.api("PATCH", "/api/auth/me", login["access_token"], json={"locale": "it"})
    assert response.status_code == 200 and response.json()["locale"] == "it"
    with dashboard_tab(request, browser, system, tmp_path, locale="it-IT", timezone_id="Europe/Rome") as page:
        yield page, email


CATALOGUE = [
    ("Risma carta A4, 500 fogli", 599),
    ("Penne gel nere, confezione da 12", 749),
    ("Cartuccia HP 305 nero", 1499),
    ("Raccoglitore ad anelli A4", 399),
    ("Lampada da scrivania LED", 3499),
]


def test_an_italian_staff_members_dashboard_is_italian(system, italian_page, staff_user, tmp_path_factory):
    page, email = italian_page
    ids = add_products(system, staff_user, CATALOGUE, category="ufficio")
    placed: list[int] = []
    for name, address, lines, moves in (
        ("Marco Bianchi", "Via Garibaldi 12, 10122 Torino", {ids[2]: 1}, ("paid", "preparing", "shipped")),
        ("Chiara Russo", "Corso Buenos Aires 45, 20124 Milano", {ids[0]: 4, ids[1]: 2}, ("paid", "preparing")),
        ("Luca Romano", "Via dei Mille 8, 80121 Napoli", {ids[4]: 1}, ("paid",)),
        ("Sofia Colombo", "Piazza Maggiore 3, 40124 Bologna", {ids[3]: 5}, ()),
    ):
        placed.append(place_order(system, system.register(name), lines, address))
        move(system, staff_user, placed[-1], *moves)
    first = placed[0]  # rang every employee at once (the others wait for the digest)

    # the sign-in page speaks the browser's language
    page.goto("/dashboard/login")
    expect(page.get_by_role("heading", name="Accesso dipendenti")).to_be_visible()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(re.compile(r"/dashboard/orders/$"))
    # then the board is Italian: navigation, live status, statuses, buttons, money, dates
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.locator("#live-status")).to_have_text("In tempo reale", timeout=LIVE_MS)
    navigation = page.get_by_role("navigation", name="Pannello")
    for label in ("Ordini", "Magazzino", "Notifiche", "Promozioni"):
        expect(navigation.get_by_role("link", name=re.compile(label))).to_be_visible()
    expect(page.get_by_role("button", name="Esci")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Prossimo passo")).to_be_visible()
    # one more order arrives while the board is open: its row slides in, in Italian, with euros as Italy writes them
    newcomer = system.register("Giorgia Ricci")
    order_id = place_order(system, newcomer, {ids[1]: 2, ids[3]: 1}, "Via Roma 1, 00184 Roma")
    row = page.locator(f"#order-{order_id}")
    expect(row).to_have_class(re.compile(r"\bflash-row\b"), timeout=UPDATE_MS)
    expect(row).to_contain_text(f"n. {order_id}")
    expect(row).to_contain_text("18,97\u00a0€")
    expect(row.locator("[data-status-badge]")).to_have_text("in attesa di pagamento")
    expect(row.get_by_role("button", name="Segna come pagato")).to_be_visible()
    page.wait_for_timeout(250)  # mid-highlight
    target = screenshot_dir(tmp_path_factory.mktemp("screenshots")) / "dashboard-orders-it.png"
    page.screenshot(path=target)
    assert target.stat().st_size > 10_000
    text = page.locator("main").inner_text() + page.locator("header").inner_text()
    assert [word for word in ENGLISH if re.search(rf"\b{word}\b", text)] == []
    # one click marks it paid, the row answers in Italian
    row.get_by_role("button", name="Segna come pagato").click()
    expect(row.locator("[data-status-badge]")).to_have_text("pagato", timeout=UPDATE_MS)
    # the worker wrote the staff's new-order alert in Italian: at once after a quiet spell, or in the digest
    # that ends the window other tests' orders opened (60 s, as in production; the feed updates live)
    page.get_by_role("navigation", name="Pannello").get_by_role("link", name=re.compile("Notifiche")).click()
    alone = f"Marco Bianchi ha effettuato l'ordine n. {first} (14,99\u00a0€)."
    in_digest = re.compile(rf"Dall'ultimo avviso sono arrivati gli ordini .*\bn\. {first}\b")
    alert = page.locator("#feed li", has_text=alone).or_(page.locator("#feed li", has_text=in_digest))
    expect(alert.first).to_be_visible(timeout=90_000)
    # the language menu: Español re-renders the page in Spanish, and it stays so
    expect(page.locator("#live-status")).to_have_text("In tempo reale", timeout=LIVE_MS)  # the page's script runs
    page.get_by_label("Lingua").select_option("es")
    expect(page.locator("html")).to_have_attribute("lang", "es", timeout=LIVE_MS)  # a POST, a redirect, a page
    expect(page.get_by_role("heading", name="Notificaciones")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
