"""Order, payment and webhook shapes."""

from marshmallow import Schema, fields, validate

from novacart.orders.models import MESSAGE_MAX_CHARS, OrderPaymentStatus, OrderStatus
from novacart.pagination import MAX_ID, PageArgsSchema, page_schema
from novacart.wire import MessagePayload

MAX_QUANTITY = 1000
MAX_LINES = 50


class OrderLineSchema(Schema):
    product_id = fields.Integer()
    name = fields.String()
    quantity = fields.Integer()
    unit_price_cents = fields.Integer()


class OrderHistorySchema(Schema):
    status = fields.String()
    at = fields.DateTime()
    by = fields.Integer(allow_none=True, metadata={"description": "The acting user's id; null for a provider."})
    note = fields.String(allow_none=True)


class OrderSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    status = fields.String()
    items = fields.List(fields.Nested(OrderLineSchema))
    total_cents = fields.Integer()
    shipping_address = fields.String()
    tracking_number = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    history = fields.List(fields.Nested(OrderHistorySchema))
    payment_status = fields.String(
        metadata={
            "enum": [s.value for s in OrderPaymentStatus],
            "description": "What the order's payments add up to; a cancelled order's money is refunded.",
        }
    )


OrderPageSchema = page_schema(OrderSchema, "OrderPage")


class OrderLineInputSchema(Schema):
    product_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class OrderCreateSchema(Schema):
    items = fields.List(
        fields.Nested(OrderLineInputSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES)
    )
    shipping_address = fields.String(required=True, validate=validate.Length(min=5, max=500))


class OrderQueryArgsSchema(PageArgsSchema):
    status = fields.Enum(OrderStatus, by_value=True)
    user_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Staff and admins only."}
    )


class OrderStatusUpdateSchema(Schema):
    status = fields.Enum(OrderStatus, by_value=True, required=True)
    note = fields.String(validate=validate.Length(max=500))
    tracking_number = fields.String(
        validate=validate.Length(min=4, max=64),
        metadata={
            "description": "Only with `shipped` (422 otherwise): the carrier's number; omitted, the carrier "
            "creates a shipment."
        },
    )


class CancelSchema(Schema):
    note = fields.String(validate=validate.Length(max=500))


class PaymentSchema(Schema):
    payment_id = fields.Integer()
    order_id = fields.Integer()
    status = fields.String()
    provider = fields.String()
    provider_ref = fields.String()
    amount_cents = fields.Integer()
    redirect_url = fields.String(allow_none=True)
    client_secret = fields.String(
        allow_none=True, metadata={"description": "For the browser to confirm the payment with the provider."}
    )
    publishable_key = fields.String(
        allow_none=True,
        metadata={
            "description": "The provider's public key for its browser library (Stripe.js with `stripe`); "
            "null for providers that need nothing in the browser."
        },
    )


class WebhookEventSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    created = fields.Integer()
    data = fields.Dict(required=True)


class WebhookResultSchema(Schema):
    received = fields.Boolean()
    duplicate = fields.Boolean()


class TrimmedString(fields.String):
    """A string whose surrounding whitespace is dropped before it is validated (and stored)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


MessageSchema = MessagePayload
MessagePageSchema = page_schema(MessageSchema, "MessagePage")


class MessageCreateSchema(Schema):
    text = TrimmedString(
        required=True,
        validate=validate.Length(
            min=1, max=MESSAGE_MAX_CHARS, error="1 to {max} characters, not counting spaces around them."
        ),
        metadata={
            "description": "As typed, without the spaces and line breaks around it; markup is kept as text.",
            "openapi": {"pattern": r"^\s*[^\s\u0000][^\u0000]*$"},  # not only spaces; no NUL
        },
    )
