"""Every notification NovaCart writes, in each recipient's language (CONTRACT.md, "Languages").

Each trigger × each locale: the title and message a user reads are in their language, carry the order
number as that language writes it, the product name as typed, and amounts in the shop's currency (EUR)
written for the locale. Staff-typed text stays as typed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from novacart.db import utcnow
from novacart.extensions import db
from novacart.notifications import tasks
from novacart.notifications.models import OrderAlert

ADDRESS = "Via Roma 1, 20121 Milano"
PRODUCT = "Quaderno Moleskine A5"
PENS = "Penna gel Pilot G-2"
NBSP = "\xa0"

# What each locale writes. {n}: the order number, {m}: the second order's, {p}: the product's name.
EXPECTED = {
    "en": {
        "pending": ("Order #{n} received", "We received your order #{n} (€25.00). Pay for it to have it prepared."),
        "paid": ("Order #{n} is paid", "We received your payment for order #{n}. We'll start preparing it shortly."),
        "preparing": ("Order #{n} is being prepared", "We're packing order #{n} in our warehouse."),
        "shipped": ("Order #{n} has shipped", "Your order #{n} has shipped — tracking {t}."),
        "delivered": (
            "Order #{n} was delivered",
            "Your order #{n} was delivered. Enjoy, and tell us what you think!",
        ),
        "cancelled": (
            "Order #{m} was cancelled",
            "Your order #{m} was cancelled. Any reserved items were restocked.",
        ),
        "refunded": (
            "Refund for order #{m}",
            "We refunded €25.00 for order #{m}, which was cancelled. It reaches your account in a few days.",
        ),
        "new_order": ("New order #{n}", "Ada Rossi placed order #{n} (€25.00)."),
        "digest": ("1 new order", "Order #{m} was placed since the last alert."),
        "payment_received": ("Payment received: order #{n}", "€25.00 paid for order #{n} (sandbox)."),
        "low_stock": ("Low stock: {p}", "Only 2 left of {p} (SKU {s}); the threshold is 2."),
        "out_of_stock": ("Low stock: {q}", "{q} (SKU PIL-G2) is out of stock."),
        "new_review": ("New 5★ review of {p}", "Ada Rossi rated {p} 5/5: “Ottimo!”"),
        "back_in_stock": (
            "Back in stock: {p}",
            "{p} is back in stock (4 available). Order before it runs out again.",
        ),
        "message": ("New message about order #{n}", "Bea Bianchi: Spedito oggi."),
        "message_to_staff": ("Ada Rossi wrote about order #{n}", "Grazie mille!"),
    },
    "it": {
        "pending": (
            "Abbiamo ricevuto il tuo ordine n. {n}",
            "Abbiamo ricevuto il tuo ordine n. {n} (25,00 €). Completa il pagamento e lo prepareremo.",
        ),
        "paid": (
            "Il tuo ordine n. {n} è stato pagato",
            "Abbiamo ricevuto il pagamento dell'ordine n. {n}. A breve inizieremo a prepararlo.",
        ),
        "preparing": (
            "Il tuo ordine n. {n} è in preparazione",
            "Stiamo preparando il pacco dell'ordine n. {n} nel nostro magazzino.",
        ),
        "shipped": (
            "Il tuo ordine n. {n} è stato spedito",
            "Il tuo ordine n. {n} è stato spedito: numero di tracciamento {t}.",
        ),
        "delivered": (
            "Il tuo ordine n. {n} è stato consegnato",
            "Il tuo ordine n. {n} è stato consegnato. Speriamo che ti piaccia: facci sapere cosa ne pensi!",
        ),
        "cancelled": (
            "Il tuo ordine n. {m} è stato annullato",
            "Il tuo ordine n. {m} è stato annullato. Gli articoli riservati sono tornati disponibili.",
        ),
        "refunded": (
            "Rimborso per l'ordine n. {m}",
            "Ti abbiamo rimborsato 25,00 € per l'ordine n. {m}, che è stato annullato. "
            "L'importo arriverà sul tuo conto entro pochi giorni.",
        ),
        "new_order": ("Nuovo ordine n. {n}", "Ada Rossi ha effettuato l'ordine n. {n} (25,00 €)."),
        "digest": ("1 nuovo ordine", "Dall'ultimo avviso è arrivato l'ordine n. {m}."),
        "payment_received": (
            "Pagamento ricevuto: ordine n. {n}",
            "Pagamento di 25,00 € ricevuto per l'ordine n. {n} (sandbox).",
        ),
        "low_stock": ("Scorte basse: {p}", "Restano solo 2 pezzi di {p} (SKU {s}); la soglia è 2."),
        "out_of_stock": ("Scorte basse: {q}", "{q} (SKU PIL-G2) è esaurito."),
        "new_review": ("Nuova recensione da 5★ per {p}", "Ada Rossi ha dato a {p} 5/5: «Ottimo!»"),
        "back_in_stock": (
            "Di nuovo disponibile: {p}",
            "{p} è di nuovo disponibile (4 pezzi). Ordinalo prima che finisca di nuovo.",
        ),
        "message": ("Nuovo messaggio sull'ordine n. {n}", "Bea Bianchi: Spedito oggi."),
        "message_to_staff": ("Ada Rossi ha scritto sull'ordine n. {n}", "Grazie mille!"),
    },
    "es": {
        "pending": (
            "Hemos recibido tu pedido n.º {n}",
            "Hemos recibido tu pedido n.º {n} (25,00 €). Págalo para que lo preparemos.",
        ),
        "paid": (
            "Tu pedido n.º {n} está pagado",
            "Hemos recibido el pago del pedido n.º {n}. Empezaremos a prepararlo en breve.",
        ),
        "preparing": (
            "Estamos preparando tu pedido n.º {n}",
            "Estamos empaquetando el pedido n.º {n} en nuestro almacén.",
        ),
        "shipped": (
            "Tu pedido n.º {n} ha sido enviado",
            "Tu pedido n.º {n} ha sido enviado: número de seguimiento {t}.",
        ),
        "delivered": (
            "Tu pedido n.º {n} ha sido entregado",
            "Tu pedido n.º {n} ha sido entregado. ¡Que lo disfrutes, y cuéntanos qué te parece!",
        ),
        "cancelled": (
            "Tu pedido n.º {m} ha sido cancelado",
            "Tu pedido n.º {m} ha sido cancelado. Los artículos reservados han vuelto al stock.",
        ),
        "refunded": (
            "Reembolso del pedido n.º {m}",
            "Te hemos reembolsado 25,00 € del pedido n.º {m}, que se canceló. Llegará a tu cuenta en unos días.",
        ),
        "new_order": ("Nuevo pedido n.º {n}", "Ada Rossi ha realizado el pedido n.º {n} (25,00 €)."),
        "digest": ("1 pedido nuevo", "Desde el último aviso se ha realizado el pedido n.º {m}."),
        "payment_received": ("Pago recibido: pedido n.º {n}", "Se han pagado 25,00 € por el pedido n.º {n} (sandbox)."),
        "low_stock": ("Stock bajo: {p}", "Solo quedan 2 unidades de {p} (SKU {s}); el umbral es 2."),
        "out_of_stock": ("Stock bajo: {q}", "{q} (SKU PIL-G2) está agotado."),
        "new_review": ("Nueva reseña de 5★ de {p}", "Ada Rossi ha valorado {p} con 5/5: «Ottimo!»"),
        "back_in_stock": (
            "De nuevo disponible: {p}",
            "{p} vuelve a estar disponible (4 unidades). Haz tu pedido antes de que se agote otra vez.",
        ),
        "message": ("Nuevo mensaje sobre el pedido n.º {n}", "Bea Bianchi: Spedito oggi."),
        "message_to_staff": ("Ada Rossi ha escrito sobre el pedido n.º {n}", "Grazie mille!"),
    },
    "vi": {
        "pending": (
            "Chúng tôi đã nhận được đơn hàng #{n} của bạn",
            "Chúng tôi đã nhận được đơn hàng #{n} (25,00 €) của bạn. Hãy thanh toán để chúng tôi chuẩn bị hàng.",
        ),
        "paid": (
            "Đơn hàng #{n} của bạn đã được thanh toán",
            "Chúng tôi đã nhận được thanh toán cho đơn hàng #{n} và sẽ sớm bắt đầu chuẩn bị.",
        ),
        "preparing": ("Đơn hàng #{n} của bạn đang được chuẩn bị", "Chúng tôi đang đóng gói đơn hàng #{n} tại kho."),
        "shipped": (
            "Đơn hàng #{n} của bạn đã được gửi đi",
            "Đơn hàng #{n} của bạn đã được gửi đi — mã vận đơn {t}.",
        ),
        "delivered": (
            "Đơn hàng #{n} của bạn đã được giao",
            "Đơn hàng #{n} của bạn đã được giao. Chúc bạn hài lòng, và hãy cho chúng tôi biết cảm nhận nhé!",
        ),
        "cancelled": (
            "Đơn hàng #{m} của bạn đã bị hủy",
            "Đơn hàng #{m} của bạn đã bị hủy. Các sản phẩm đã giữ chỗ đã được hoàn lại kho.",
        ),
        "refunded": (
            "Hoàn tiền cho đơn hàng #{m}",
            "Chúng tôi đã hoàn 25,00 € cho đơn hàng #{m} đã bị hủy. Tiền sẽ về tài khoản của bạn trong vài ngày.",
        ),
        "new_order": ("Đơn hàng mới #{n}", "Ada Rossi đã đặt đơn hàng #{n} (25,00 €)."),
        "digest": ("1 đơn hàng mới", "Kể từ lần thông báo trước đã có các đơn hàng #{m}."),
        "payment_received": ("Đã nhận thanh toán: đơn hàng #{n}", "Đã thanh toán 25,00 € cho đơn hàng #{n} (sandbox)."),
        "low_stock": ("Sắp hết hàng: {p}", "Chỉ còn 2 sản phẩm {p} (SKU {s}); ngưỡng cảnh báo là 2."),
        "out_of_stock": ("Sắp hết hàng: {q}", "{q} (SKU PIL-G2) đã hết hàng."),
        "new_review": ("Đánh giá 5★ mới cho {p}", "Ada Rossi đã chấm {p} 5/5: “Ottimo!”"),
        "back_in_stock": (
            "Có hàng trở lại: {p}",
            "{p} đã có hàng trở lại (còn 4 sản phẩm). Hãy đặt hàng trước khi hết lần nữa.",
        ),
        "message": ("Tin nhắn mới về đơn hàng #{n}", "Bea Bianchi: Spedito oggi."),
        "message_to_staff": ("Ada Rossi đã viết về đơn hàng #{n}", "Grazie mille!"),
    },
}


def _speaks(client, headers, locale: str) -> None:
    response = client.patch("/api/auth/me", json={"locale": locale}, headers=headers)
    assert response.status_code == 200 and response.get_json()["locale"] == locale


def _notes(client, headers, type_: str) -> list[dict]:
    """The user's notifications of `type_`, oldest first."""
    items = client.get("/api/notifications", query_string={"type": type_, "limit": 100}, headers=headers)
    return list(reversed(items.get_json()["items"]))


def _place(client, headers, product_id: int) -> int:
    body = {"items": [{"product_id": product_id, "quantity": 2}], "shipping_address": ADDRESS}
    response = client.post("/api/orders", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _window_passes() -> None:
    """As if NEW_ORDER_DIGEST_SECONDS went by since the last new-order alert."""
    db.session.execute(
        update(OrderAlert).where(OrderAlert.alerted_at.is_not(None)).values(alerted_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()


@pytest.mark.parametrize("locale", ["en", "it", "es", "vi"])
def test_every_trigger_writes_in_the_recipients_language(client, make_user, make_product, locale):
    # given a customer, a staff member and an admin who all speak `locale`, and a product
    _, ada = make_user("customer", name="Ada Rossi")
    _, bea = make_user("staff", name="Bea Bianchi")
    _, admin = make_user("admin", name="Carla Verdi")
    for headers in (ada, bea, admin):
        _speaks(client, headers, locale)
    product_id = make_product(stock=9, price_cents=1250, threshold=2, name=PRODUCT, sku="MOL-A5")
    # when Ada orders, pays, and staff move the order along to her door
    n = _place(client, ada, product_id)
    assert client.post(f"/api/orders/{n}/pay", headers=ada).status_code in (200, 202)
    for status in ("preparing", "shipped", "delivered"):
        assert client.patch(f"/api/orders/{n}/status", json={"status": status}, headers=bea).status_code == 200
    tracking = client.get(f"/api/orders/{n}", headers=ada).get_json()["tracking_number"]
    # and a second order, placed within the new-order window, paid and then cancelled (so refunded)
    m = _place(client, ada, product_id)
    assert client.post(f"/api/orders/{m}/pay", headers=ada).status_code in (200, 202)
    assert client.post(f"/api/orders/{m}/cancel", headers=ada).status_code == 200
    _window_passes()
    tasks.send_new_order_digest()
    # and the stock runs low, Ada reviews, joins the waitlist of the sold-out product, it comes back
    client.post(f"/api/products/{product_id}/stock", json={"delta": -5, "reason": "count"}, headers=bea)
    client.post(f"/api/products/{product_id}/reviews", json={"rating": 5, "body": "Ottimo!"}, headers=ada)
    client.post(f"/api/products/{product_id}/stock", json={"delta": -2, "reason": "count"}, headers=bea)
    pens_id = make_product(stock=3, threshold=2, name=PENS, sku="PIL-G2")
    client.post(f"/api/products/{pens_id}/stock", json={"delta": -3, "reason": "count"}, headers=bea)
    assert client.post(f"/api/products/{product_id}/waitlist", headers=ada).status_code in (200, 201)
    client.post(f"/api/products/{product_id}/stock", json={"delta": 4, "reason": "delivery"}, headers=bea)
    # and they write to each other about the first order
    assert client.post(f"/api/orders/{n}/messages", json={"text": "Spedito oggi."}, headers=bea).status_code == 201
    assert client.post(f"/api/orders/{n}/messages", json={"text": "Grazie mille!"}, headers=ada).status_code == 201

    # then each of them reads it all in their language
    expect = {
        key: tuple(text.format(n=n, m=m, p=PRODUCT, q=PENS, s="MOL-A5", t=tracking) for text in texts)
        for key, texts in EXPECTED[locale].items()
    }

    def seen(note: dict) -> tuple[str, str]:
        return note["title"], note["message"].replace(NBSP, " ")

    def status_notes(order_id: int) -> dict[str, dict]:
        notes = [note for note in _notes(client, ada, "order_status") if note["data"]["order_id"] == order_id]
        return {note["data"].get("payment_status") or note["data"]["status"]: note for note in notes}

    first, second = status_notes(n), status_notes(m)
    for status in ("pending", "paid", "preparing", "shipped", "delivered"):
        assert seen(first[status]) == expect[status], status
    assert seen(second["cancelled"]) == expect["cancelled"] and seen(second["refunded"]) == expect["refunded"]
    first_alert, digest = _notes(client, bea, "new_order")
    assert seen(first_alert) == expect["new_order"] and seen(digest) == expect["digest"]
    assert seen(_notes(client, admin, "payment_received")[0]) == expect["payment_received"]
    low = {note["data"]["stock"]: note for note in _notes(client, bea, "low_stock")}  # 2 left; 0 of the pens
    assert seen(low[2]) == expect["low_stock"] and seen(low[0]) == expect["out_of_stock"]
    assert [seen(note) for note in _notes(client, admin, "new_review")] == [expect["new_review"]]
    assert [seen(note) for note in _notes(client, ada, "back_in_stock")] == [expect["back_in_stock"]]
    assert [seen(note) for note in _notes(client, ada, "message")] == [expect["message"]]
    assert seen(_notes(client, bea, "message")[-1]) == expect["message_to_staff"]


@pytest.mark.parametrize(
    ("locale", "reason"),
    [
        ("en", "(not paid within 30 minutes)"),
        ("it", "(non pagato entro 30 minuti)"),
        ("es", "(no se pagó en 30 minutos)"),
        ("vi", "(không được thanh toán trong vòng 30 phút)"),
    ],
)
def test_an_expired_order_says_why_in_the_customers_language(app, client, make_user, make_product, locale, reason):
    from novacart.orders import tasks as order_tasks
    from novacart.orders.models import Order

    _, ada = make_user("customer")
    _speaks(client, ada, locale)
    order_id = _place(client, ada, make_product())
    placed = utcnow() - timedelta(seconds=app.config["PENDING_ORDER_TTL_SECONDS"] + 1)
    db.session.execute(update(Order).where(Order.id == order_id).values(created_at=placed))
    db.session.commit()
    assert order_tasks.expire_unpaid_orders() == 1
    [cancelled] = [note for note in _notes(client, ada, "order_status") if note["data"]["status"] == "cancelled"]
    assert reason in cancelled["message"]


def test_a_reason_typed_by_staff_stays_as_typed(client, make_user, make_product):
    _, ada = make_user("customer")
    _, bea = make_user("staff")
    _speaks(client, ada, "it")
    order_id = _place(client, ada, make_product())
    body = {"status": "cancelled", "note": "Out of print, sorry"}
    assert client.patch(f"/api/orders/{order_id}/status", json=body, headers=bea).status_code == 200
    [cancelled] = [note for note in _notes(client, ada, "order_status") if note["data"]["status"] == "cancelled"]
    assert cancelled["message"] == (
        f"Il tuo ordine n. {order_id} è stato annullato (Out of print, sorry). "
        "Gli articoli riservati sono tornati disponibili."
    )
