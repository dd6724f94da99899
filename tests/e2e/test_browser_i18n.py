"""The React client in the shop's languages, in a real browser (headless Chromium) against the running system.

An Italian customer (their account's `locale` is `it`) logs in from an English browser: the client follows the
account, so the shop, the bell and the order page are Italian, money is `4,99 €`, and a live "spedito" toast
arrives when staff ship the order. Switching to Spanish in the header re-renders the page without a reload and
saves the choice on the account. The screenshots of the Italian client are taken along the way
(docs/screenshots with UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e import test_browser
from tests.e2e.harness import wait_until
from tests.e2e.test_browser import (
    CONNECT_MS,
    LIVE_DEADLINE_S,
    fill_login_form,
    mark_document,
    move,
    order_being_prepared,
    same_document,
)

try:
    from playwright.sync_api import expect
except ImportError:  # reported by the `browser` fixture (conftest.py)
    expect = None

pytestmark = pytest.mark.e2e

# The browser tests' fixtures: one browser profile per test, and where screenshots go.
tabs = test_browser.tabs
screenshots = test_browser.screenshots


def set_locale(system, user, locale: str) -> None:
    response = system.api("PATCH", "/api/auth/me", user["token"], json={"locale": locale})
    assert response.status_code == 200, response.text
    assert response.json()["locale"] == locale


def log_in_italian(page, customer, then: str = "/") -> None:
    """Log in from the (English) login page; the client then speaks the account's language."""
    page.goto(f"/login?next={then}")
    fill_login_form(page, customer)
    expect(page).to_have_url(re.compile(re.escape(then) + r"$"))
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_test_id("connection-status")).to_have_text("connesso", timeout=CONNECT_MS)


def test_an_italian_customer_sees_the_shop_the_bell_and_a_live_spedito_toast_in_italian(
    tabs, system, staff_user, product, screenshots
):
    customer = system.register("Giulia Russo")
    set_locale(system, customer, "it")
    paper = product(stock=40, threshold=5, name="Carta per fotocopie A4 riciclata, 500 fogli")
    order_id = order_being_prepared(system, staff_user, customer, paper)

    page = tabs.open()
    log_in_italian(page, customer)

    # the shop
    expect(page.get_by_role("heading", name="Articoli per l'ufficio", level=1)).to_be_visible()
    card = page.get_by_test_id("product-card").filter(has_text="Carta per fotocopie A4 riciclata")
    expect(card).to_contain_text("4,99\u00a0€")
    expect(card.get_by_role("button", name="Aggiungi al carrello")).to_be_visible()
    expect(page.get_by_role("link", name="I miei ordini")).to_be_visible()
    expect(page.get_by_role("combobox", name="Lingua")).to_have_value("it")
    assert page.title() == "Negozio · NovaCart"

    # the bell
    bell = page.get_by_role("button", name=re.compile(r"^Notifiche"))
    expect(bell).to_have_accessible_name("Notifiche, 3 da leggere")
    bell.click()
    panel = page.get_by_role("dialog", name="Notifiche")
    expect(panel.get_by_role("button", name="Segna tutte come lette")).to_be_visible()
    expect(panel.get_by_test_id("notification-item")).to_have_count(3)
    expect(panel.get_by_role("link", name="Impostazioni delle notifiche")).to_be_visible()
    page.screenshot(path=screenshots / "it-shop-bell.png", animations="disabled")
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)

    # the order page, live
    page.get_by_role("link", name="I miei ordini").click()
    page.get_by_role("link", name=f"Ordine n. {order_id}").click()
    expect(page.get_by_role("heading", name=f"Ordine n. {order_id}", level=1)).to_be_visible()
    expect(page.get_by_test_id("order-status")).to_have_text("in preparazione")
    expect(page.get_by_test_id("toast")).to_have_count(0)
    mark_document(page)

    move(system, staff_user, order_id, "shipped")
    toast = page.get_by_test_id("toast").filter(has_text=str(order_id))
    toast.wait_for(state="visible", timeout=LIVE_DEADLINE_S * 1000)
    expect(page.get_by_test_id("order-status")).to_have_text("spedito", timeout=LIVE_DEADLINE_S * 1000)
    expect(page.get_by_test_id("order-timeline").locator('li[data-status="shipped"]')).to_contain_text("spedito")
    expect(page.get_by_role("button", name="Notifiche, 4 da leggere")).to_be_visible()
    expect(toast.get_by_role("button", name="Apri")).to_be_visible()
    assert same_document(page), "the page was reloaded"
    page.screenshot(path=screenshots / "it-order-toast.png", animations="disabled")

    # The toast's words are the server's, written in the customer's language when the notification is made.
    expect(toast).to_contain_text("spedito")
    expect(toast).to_contain_text(f"n. {order_id}")


def test_switching_to_spanish_in_the_header_re_renders_without_a_reload_and_is_saved(tabs, system, product):
    customer = system.register("Giulia Russo")
    set_locale(system, customer, "it")
    product(stock=3, threshold=5, name="Evidenziatori gialli (4)")

    page = tabs.open()
    log_in_italian(page, customer)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Articoli per l'ufficio")
    card = page.get_by_test_id("product-card").filter(has_text="Evidenziatori gialli (4)")
    expect(card).to_contain_text("Ne restano solo 3")
    mark_document(page)

    page.get_by_role("combobox", name="Lingua").select_option("es")

    expect(heading).to_have_text("Material de oficina")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(card).to_contain_text("Solo quedan 3")
    expect(card).to_contain_text("4,99\u00a0€")
    expect(page.get_by_role("button", name=re.compile(r"^Notificaciones"))).to_be_visible()
    expect(page.get_by_test_id("connection-status")).to_have_text("conectado")
    expect(page.get_by_role("combobox", name="Idioma")).to_have_value("es")
    assert same_document(page), "the page was reloaded"
    # the choice is the account's now: the server has it, and a fresh page in this browser starts in Spanish
    wait_until(
        lambda: system.api("GET", "/api/auth/me", customer["token"]).json()["locale"] == "es",
        what="the account's locale saved as es",
    )
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Material de oficina")
