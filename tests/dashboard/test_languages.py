"""The dashboard in the employee's language: pages, forms, flash messages and the language menu."""

from __future__ import annotations

import re

from tests.dashboard.conftest import submit

ENGLISH_NAVIGATION = ("Inventory", "Promotions", "Sign out", "Mark paid", "Next step")


def _text(response) -> str:
    """The page's visible words: no tags, scripts' data or attributes."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _order(client, make_user, make_product) -> int:
    _, customer = make_user("customer", name="Ada Rossi")
    product = make_product(price_cents=1250, name="Quaderno Moleskine A5")
    body = {"items": [{"product_id": product, "quantity": 2}], "shipping_address": "Via Roma 1, Milano"}
    response = client.post("/api/orders", json=body, headers=customer)
    assert response.status_code == 201
    return response.get_json()["id"]


def test_the_language_menu_turns_the_whole_dashboard_italian(sign_in, client, make_user, make_product):
    # given an English-speaking staff member and an order
    order_id = _order(client, make_user, make_product)
    user_id, dash = sign_in("staff")
    board = dash.get("/dashboard/orders/")
    assert '<html lang="en">' in board.get_data(as_text=True) and "Sign out" in _text(board)
    # when they pick Italiano in the header's menu
    response = submit(dash, "/dashboard/language", {"locale": "it", "next": "/dashboard/orders/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/orders/")
    # then every page speaks Italian: navigation, statuses, buttons, money
    board = dash.get("/dashboard/orders/")
    html, text = board.get_data(as_text=True), _text(board)
    assert '<html lang="it">' in html
    for words in ("Ordini", "Magazzino", "Notifiche", "Promozioni", "Esci", "Prossimo passo", "Segna come pagato"):
        assert words in text, words
    assert "In attesa di pagamento" in text  # the status tab
    assert "25,00 €" in text  # (no-break spaces read as spaces) and f"n. {order_id}" in text
    assert not [word for word in ENGLISH_NAVIGATION if word in text]
    detail = _text(dash.get(f"/dashboard/orders/{order_id}"))
    assert f"Ordine n. {order_id}" in detail and "Conversazione" in detail and "Cronologia" in detail
    assert "Scrivi a Ada Rossi" in dash.get(f"/dashboard/orders/{order_id}").get_data(as_text=True)
    # and the choice is the account's: the API says so too
    from novacart.auth.models import User
    from novacart.extensions import db

    assert db.session.get(User, user_id).locale == "it"


def test_flash_messages_and_form_errors_follow_the_language(sign_in, make_product, client):
    product_id = make_product(stock=5, name="Penna gel Pilot G-2")
    _, dash = sign_in("staff")
    submit(dash, "/dashboard/language", {"locale": "it"})
    page = f"/dashboard/inventory/{product_id}"
    # a stock change: the flash is Italian, the product's name as typed
    done = submit(dash, f"{page}/stock", {"delta": "3", "reason": "Consegna"}, form_page=page, follow_redirects=True)
    assert "Le scorte di Penna gel Pilot G-2 ora sono 8." in _text(done)
    # a form without its reason: our message and WTForms' own, both in Italian
    refused = submit(dash, f"{page}/stock", {"delta": "x", "reason": ""}, form_page=page, follow_redirects=True)
    text = _text(refused)
    assert "Indica perché cambiano le scorte." in text
    assert "Not a valid integer" not in text and "intero" in text


def test_spanish_and_vietnamese_pages(sign_in, make_product):
    product_id = make_product(price_cents=499, name="Grapadora")
    for locale, words in (("es", ("Precio", "En €", "Historial de stock", "4,99")), ("vi", ("Giá", "Lịch sử tồn kho"))):
        _, dash = sign_in("staff")
        submit(dash, "/dashboard/language", {"locale": locale})
        text = _text(dash.get(f"/dashboard/inventory/{product_id}"))
        for word in words:
            assert word in text, (locale, word)
        assert "Stock history" not in text


def test_an_unknown_language_changes_nothing(sign_in):
    user_id, dash = sign_in("staff")
    submit(dash, "/dashboard/language", {"locale": "fr"})
    assert '<html lang="en">' in dash.get("/dashboard/orders/").get_data(as_text=True)


def test_the_sign_in_page_follows_the_browser(anonymous):
    page = anonymous.get("/dashboard/login", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"})
    assert "Accesso dipendenti" in _text(page) and "Accedi" in _text(page)


def test_what_novacart_wrote_in_histories_and_error_pages_is_italian_too(sign_in, client, make_user, make_product):
    _, customer = make_user("customer")
    product = make_product(stock=5, name="Evidenziatori Stabilo")
    body = {"items": [{"product_id": product, "quantity": 1}], "shipping_address": "Via Po 2, Torino"}
    order_id = client.post("/api/orders", json=body, headers=customer).get_json()["id"]
    assert client.post(f"/api/orders/{order_id}/cancel", headers=customer).status_code == 200
    _, dash = sign_in("staff")
    submit(dash, "/dashboard/language", {"locale": "it"})
    history = _text(dash.get(f"/dashboard/orders/{order_id}"))
    assert "Ordine effettuato" in history and "Annullato dal cliente" in history and "il sistema" not in history
    movements = _text(dash.get(f"/dashboard/inventory/{product}"))
    assert "scorte iniziali" in movements or "Nessun movimento" in movements
    assert f"ordine n. {order_id} annullato" in movements and f"ordine n. {order_id} " in movements
    missing = dash.get("/dashboard/orders/999999")
    assert missing.status_code == 404 and "Pagina non trovata" in _text(missing)
    assert "Torna alla bacheca ordini" in _text(missing)
