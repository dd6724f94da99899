"""The API in the reader's language: problem details follow Accept-Language (codes never change), type
labels follow the signed-in user's locale, e-mails and the unsubscribe page the recipient's."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem


@pytest.mark.parametrize(
    ("accept", "detail"),
    [
        (None, "Product 999999 does not exist."),
        ("en-GB,en;q=0.9", "Product 999999 does not exist."),
        ("it-IT,it;q=0.9,en;q=0.5", "Il prodotto 999999 non esiste."),
        ("es", "El producto 999999 no existe."),
        ("vi-VN", "Sản phẩm 999999 không tồn tại."),
        ("fr-FR,de;q=0.8", "Product 999999 does not exist."),
    ],
)
def test_a_problems_detail_follows_accept_language_and_its_code_does_not(client, accept, detail):
    headers = {"Accept-Language": accept} if accept else {}
    body = assert_problem(client.get("/api/products/999999", headers=headers), 404, "not_found")
    assert body["detail"] == detail


def test_business_refusals_and_http_failures_are_translated_too(client, customer, make_product):
    italian = {**customer[1], "Accept-Language": "it"}
    product = make_product(stock=1, name="Penna gel Pilot G-2")
    order = {"items": [{"product_id": product, "quantity": 5}], "shipping_address": "Via Roma 1, Milano"}
    body = assert_problem(client.post("/api/orders", json=order, headers=italian), 409, "insufficient_stock")
    assert body["detail"] == "Resta solo 1 pezzo di Penna gel Pilot G-2."
    body = assert_problem(client.get("/api/auth/me", headers={"Accept-Language": "es"}), 401, "unauthorized")
    assert body["detail"] == "Se necesita un token de acceso (Bearer)."
    body = assert_problem(client.post("/api/orders", data="x", headers=italian), 400, "invalid_body")
    assert body["detail"] == "Il corpo deve essere JSON (Content-Type: application/json)."


def test_type_labels_come_in_the_users_own_language(client, customer):
    assert client.patch("/api/auth/me", json={"locale": "it"}, headers=customer[1]).status_code == 200
    # the account's language, whatever the browser says
    types = client.get("/api/notifications/types", headers={**customer[1], "Accept-Language": "en"}).get_json()
    labels = {kind["type"]: (kind["label"], kind["description"]) for kind in types}
    assert labels["order_status"][0] == "Aggiornamenti sugli ordini"
    assert labels["back_in_stock"] == (
        "Di nuovo disponibile",
        "Un prodotto della tua lista d'attesa si può di nuovo ordinare.",
    )
    assert labels["promotion"][0] == "Promozioni"


def test_an_email_is_written_in_the_recipients_language(app):
    from novacart.notifications import mail

    recipient = mail.Recipient(7, "ada@example.test", "Ada Rossi", "it")
    notification = {
        "id": 41,
        "type": "order_status",
        "title": "Il tuo ordine n. 3 è stato spedito",
        "message": "Il tuo ordine n. 3 è stato spedito: numero di tracciamento SBX-1.",
        "data": {"order_id": 3},
    }
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        message = mail.compose(recipient, notification)
    assert message["Subject"] == "Il tuo ordine n. 3 è stato spedito"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Ciao Ada Rossi,") and "Vedi nel negozio: " in text
    assert "«Aggiornamenti sugli ordini» è attivo per e-mail" in text and "Non ricevere più queste e-mail: " in text
    assert '<html lang="it">' in html and "Vedi nel negozio" in html and "See it in the shop" not in html


def test_the_unsubscribe_page_speaks_the_recipients_language(app, client, make_user):
    from novacart.notifications import mail

    user_id, headers = make_user("customer")
    client.patch("/api/auth/me", json={"locale": "es"}, headers=headers)
    with app.app_context():
        token = mail.unsubscribe_token(user_id, "order_status", "email")
    page = client.get(f"/unsubscribe/{token}", headers={"Accept-Language": "it"}).get_data(as_text=True)
    assert "¿Dejar de recibir estos correos?" in page and "Darse de baja" in page and '<html lang="es">' in page
    done = client.post(f"/unsubscribe/{token}").get_data(as_text=True)
    assert "Te has dado de baja" in done and "«Novedades de tus pedidos» por correo electrónico" in done
