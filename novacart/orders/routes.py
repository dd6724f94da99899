"""Orders API: /api/orders/*, and the providers' signed webhooks: /api/webhooks/*."""

from __future__ import annotations

from flask import current_app, json, request
from marshmallow import ValidationError as SchemaValidationError

from novacart.auth.security import CUSTOMERS, EMPLOYEES, auth_required, get_current_user
from novacart.errors import ApiBlueprint, BadRequestError, ValidationError
from novacart.extensions import limiter
from novacart.orders import messages, providers, services, signing
from novacart.orders.models import Order
from novacart.orders.schemas import (
    CancelSchema,
    MessageCreateSchema,
    MessagePageSchema,
    MessageSchema,
    OrderCreateSchema,
    OrderPageSchema,
    OrderQueryArgsSchema,
    OrderSchema,
    OrderStatusUpdateSchema,
    PaymentSchema,
    WebhookEventSchema,
    WebhookResultSchema,
)
from novacart.pagination import Page, PageArgsSchema

api_bp = ApiBlueprint("orders_api", __name__, url_prefix="/api", description="Orders, payments and shipping")


def _order_limit() -> str:
    return current_app.config["ORDER_RATE_LIMIT"]


def _message_limit() -> str:
    return current_app.config["MESSAGE_RATE_LIMIT"]


def _per_user() -> str:
    return f"user:{get_current_user().id}"


@api_bp.route("/orders", methods=["POST"])
@auth_required(CUSTOMERS)
@limiter.limit(_order_limit, key_func=_per_user, scope="orders-create")
@api_bp.arguments(OrderCreateSchema())
@api_bp.response(201, OrderSchema)
@api_bp.alt_response(409, description="An item is short of stock or no longer sold; or too many unpaid orders")
@api_bp.alt_response(429, description="Too many orders placed recently")
def create_order(payload: dict) -> Order:
    """Place an order; its stock is reserved at once, all or nothing.

    A customer holds at most `MAX_PENDING_ORDERS` unpaid orders (409 `too_many_pending_orders`); an
    order left unpaid for `PENDING_ORDER_TTL_SECONDS` is cancelled and its stock returned.
    """
    lines = [services.LineInput(**line) for line in payload["items"]]
    return services.place_order(get_current_user().id, lines, payload["shipping_address"])


@api_bp.route("/orders", methods=["GET"])
@auth_required()
@api_bp.arguments(OrderQueryArgsSchema(), location="query")
@api_bp.response(200, OrderPageSchema)
def list_orders(args: dict) -> Page:
    """Orders, newest first: a customer's own; staff and admins all, filtered by `status` and `user_id`."""
    return services.list_orders(get_current_user(), **args)


@api_bp.route("/orders/<int:order_id>", methods=["GET"])
@auth_required()
@api_bp.response(200, OrderSchema)
def get_order(order_id: int) -> Order:
    """One order with its status history."""
    return services.get_order(get_current_user(), order_id)


@api_bp.route("/orders/<int:order_id>/status", methods=["PATCH"])
@auth_required(EMPLOYEES)
@api_bp.arguments(OrderStatusUpdateSchema())
@api_bp.response(200, OrderSchema)
@api_bp.alt_response(409, description="Illegal status change")
def change_status(payload: dict, order_id: int) -> Order:
    """Move an order along pending → paid → preparing → shipped → delivered, or cancel it."""
    return services.change_status(
        get_current_user().id, order_id, payload["status"], payload.get("note"), payload.get("tracking_number")
    )


@api_bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@auth_required()
@api_bp.arguments(CancelSchema(), required=False)
@api_bp.response(200, OrderSchema)
@api_bp.alt_response(409, description="The order can no longer be cancelled")
def cancel_order(payload: dict | None, order_id: int) -> Order:
    """Cancel an order and restock it (its customer while pending or paid; staff until it ships)."""
    return services.cancel_order(get_current_user().id, order_id, (payload or {}).get("note"))


@api_bp.route("/orders/<int:order_id>/pay", methods=["POST"])
@auth_required()
@api_bp.response(200, PaymentSchema)
@api_bp.alt_response(409, description="The order is not pending")
@api_bp.alt_response(503, description="The payment provider did not answer; nothing was charged")
def pay_order(order_id: int) -> dict:
    """Start paying a pending order; the provider confirms through its webhook.

    Asked again while that payment is pending, it answers the same payment. With `PAYMENT_PROVIDER=stripe`
    the answer carries the PaymentIntent's `client_secret` and the `publishable_key` for Stripe.js.
    """
    return services.start_payment(get_current_user().id, order_id)


@api_bp.route("/orders/<int:order_id>/messages", methods=["GET"])
@auth_required()
@api_bp.arguments(PageArgsSchema(), location="query")
@api_bp.response(200, MessagePageSchema)
@api_bp.alt_response(404, description="No such order, or another customer's")
def list_messages(args: dict, order_id: int) -> Page:
    """The order's conversation between its customer and the shop, newest first (its customer, staff, admins)."""
    return messages.list_messages(get_current_user().id, order_id, **args)


@api_bp.route("/orders/<int:order_id>/messages", methods=["POST"])
@auth_required()
@limiter.limit(_message_limit, key_func=_per_user, scope="order-messages")
@api_bp.arguments(MessageCreateSchema())
@api_bp.response(201, MessageSchema)
@api_bp.alt_response(404, description="No such order, or another customer's")
@api_bp.alt_response(429, description="Too many messages written recently")
def post_message(payload: dict, order_id: int) -> dict:
    """Write in the order's conversation (its customer, staff, admins).

    A customer's message reaches staff and admins, an employee's the order's customer: live
    (`messageReceived`) and as a `message` notification. The text is kept as typed, without the spaces
    around it: 1 to 2,000 characters.
    """
    return messages.post_message(get_current_user().id, order_id, payload["text"])


def _verified_event(kind: str) -> dict:
    body = request.get_data(cache=True)
    signing.verify(
        providers.webhook_secret(kind),
        request.headers.get(signing.HEADER),
        body,
        tolerance=current_app.config["WEBHOOK_TOLERANCE_SECONDS"],
    )
    try:
        raw = json.loads(body)
    except ValueError as exc:
        raise BadRequestError("The body is not valid JSON.") from exc
    if not isinstance(raw, dict):
        raise BadRequestError("The body must be a JSON object.")
    return _event(raw)


def _event(raw: dict) -> dict:
    try:
        return WebhookEventSchema().load(raw)
    except SchemaValidationError as exc:
        raise ValidationError("The event is malformed.", exc.normalized_messages()) from exc


SIGNATURE_PARAMETER = {
    "in": "header",
    "name": signing.HEADER,
    "required": True,
    "description": 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> with the provider\'s shared secret; '
    "older than 5 minutes is stale (400).",
    "schema": {"type": "string", "pattern": r"^t=\d+,v1=[0-9a-f]{64}$"},
}


@api_bp.route("/webhooks/payments", methods=["POST"])
@api_bp.doc(parameters=[SIGNATURE_PARAMETER])
@api_bp.response(200, WebhookResultSchema)
@api_bp.alt_response(400, description="Bad or stale signature")
def payment_webhook() -> dict:
    """The payment provider's signed events (`payment.succeeded`, `payment.failed`); each event id once."""
    event = _verified_event("payments")
    processed = services.handle_payment_event(current_app.config["PAYMENT_PROVIDER"], event)
    return {"received": True, "duplicate": not processed}


@api_bp.route("/webhooks/shipping", methods=["POST"])
@api_bp.doc(parameters=[SIGNATURE_PARAMETER])
@api_bp.response(200, WebhookResultSchema)
@api_bp.alt_response(400, description="Bad or stale signature")
def shipping_webhook() -> dict:
    """The carrier's signed events (`shipment.shipped`, `shipment.delivered`); each event id once."""
    event = _verified_event("shipping")
    processed = services.handle_shipping_event(current_app.config["SHIPPING_CARRIER"], event)
    return {"received": True, "duplicate": not processed}


STRIPE_SIGNATURE_PARAMETER = {
    "in": "header",
    "name": providers.STRIPE_SIGNATURE_HEADER,
    "required": True,
    "description": 'Stripe\'s signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> with the '
    "endpoint's signing secret (STRIPE_WEBHOOK_SECRET); older than 5 minutes is stale (400).",
    "schema": {"type": "string"},
}


@api_bp.route("/webhooks/stripe", methods=["POST"])
@api_bp.doc(parameters=[STRIPE_SIGNATURE_PARAMETER])
@api_bp.response(200, WebhookResultSchema)
@api_bp.alt_response(400, description="Bad or stale signature, or Stripe webhooks not set up")
@api_bp.alt_response(404, description="A PaymentIntent NovaCart created, but no payment has it")
@api_bp.alt_response(409, description="The amount or currency does not match the payment")
def stripe_webhook() -> dict:
    """Stripe's signed events: `payment_intent.succeeded` pays the order, `payment_intent.payment_failed`
    marks the payment failed; each event id once. Other events are acknowledged and ignored.

    Verified with `stripe.Webhook.construct_event` and `STRIPE_WEBHOOK_SECRET`. Money that arrives for an
    order cancelled meanwhile, or already paid, is refunded through Stripe.
    """
    provider = providers.StripePaymentProvider()
    signature = request.headers.get(providers.STRIPE_SIGNATURE_HEADER)
    event = provider.verified_event(request.get_data(cache=True), signature)
    if event is None:
        return {"received": True, "duplicate": False}
    processed = services.handle_payment_event(provider.name, _event(event))
    return {"received": True, "duplicate": not processed}
