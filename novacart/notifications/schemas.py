"""Notification, preference and promotion shapes. The `notification` object itself is wire.NotificationPayload."""

from marshmallow import Schema, fields, validate

from novacart.notifications import types as registry
from novacart.notifications.models import PromotionStatus
from novacart.pagination import MAX_ID, PageArgsSchema, page_schema
from novacart.schemas import ChangesSchema, JsonBoolean
from novacart.wire import NotificationPayload


class RegisteredType(validate.OneOf):
    """One of the registry's types, read when validating (so a type registered later counts too)."""

    def __init__(self) -> None:
        super().__init__([], error="Not a notification type: {input}.")

    @property
    def choices(self):  # type: ignore[override]  (apispec reads it for the document's enum)
        return registry.names()

    @choices.setter
    def choices(self, _value) -> None:
        pass

    @property
    def choices_text(self) -> str:  # type: ignore[override]
        return ", ".join(registry.names())

    @choices_text.setter
    def choices_text(self, _value) -> None:
        pass


NotificationSchema = NotificationPayload


class NotificationPageSchema(page_schema(NotificationSchema, "NotificationPageBase")):
    unread_count = fields.Integer()


class NotificationQueryArgsSchema(PageArgsSchema):
    unread_only = fields.Boolean(load_default=False)
    type = fields.String(validate=RegisteredType())


class NotificationCreateSchema(Schema):
    user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    type = fields.String(required=True, validate=RegisteredType())
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    message = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    data = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), load_default=dict)


class NotificationTypeSchema(Schema):
    type = fields.String(metadata={"enum": registry.names()})
    label = fields.String(metadata={"description": "In your language."})
    description = fields.String()
    icon = fields.String(metadata={"description": "An icon name; the client draws it."})
    always_on = fields.Boolean(metadata={"description": "Transactional: cannot be turned off in the app."})
    channels = fields.List(fields.String(validate=validate.OneOf(registry.CHANNELS)))


class CountSchema(Schema):
    count = fields.Integer()


class UpdatedSchema(Schema):
    updated = fields.Integer()


INTERESTS = fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=50))


class PreferencesSchema(ChangesSchema):
    types = fields.Dict(
        keys=fields.String(validate=RegisteredType()),
        values=JsonBoolean(),
        metadata={
            "description": "Which types you receive (partial on PUT); order_status cannot be turned off (422).",
            "openapi": {
                "properties": {
                    name: {"type": "boolean", **({"enum": [True]} if kind.always_on else {})}
                    for name, kind in registry.REGISTRY.items()
                },
                "additionalProperties": False,
            },
        },
    )
    channels = fields.Dict(
        keys=fields.String(validate=validate.OneOf([registry.EMAIL, registry.PUSH])),
        values=fields.Dict(keys=fields.String(validate=RegisteredType()), values=JsonBoolean()),
        metadata={
            "description": "Per channel, which types also come by e-mail or Web Push when no open page showed "
            "them in time (partial on PUT). order_status's e-mail can be turned off.",
            "openapi": {
                "properties": {
                    channel: {
                        "type": "object",
                        "properties": {
                            kind.name: {"type": "boolean"}
                            for kind in registry.REGISTRY.values()
                            if channel in kind.channels
                        },
                        "additionalProperties": False,
                    }
                    for channel in (registry.EMAIL, registry.PUSH)
                },
                "additionalProperties": False,
            },
        },
    )
    interests = INTERESTS


class PushSubscriptionKeysSchema(Schema):
    p256dh = fields.String(required=True, validate=validate.Length(min=16, max=200))
    auth = fields.String(required=True, validate=validate.Length(min=8, max=100))


class PushSubscriptionSchema(Schema):
    endpoint = fields.String(
        required=True,
        validate=[validate.URL(schemes={"https", "http"}, require_tld=False), validate.Length(max=2048)],
        metadata={"description": "https, on the public internet (422 otherwise)."},
    )
    keys = fields.Nested(PushSubscriptionKeysSchema, required=True)


class PushEndpointSchema(Schema):
    endpoint = fields.String(required=True, validate=validate.Length(min=1, max=2048))


class PublicKeySchema(Schema):
    public_key = fields.String(metadata={"description": "VAPID, base64url: the browser's applicationServerKey."})


class PromotionCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    message = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    interests = INTERESTS
    send_at = fields.AwareDateTime(
        default_timezone=None,
        metadata={"description": "ISO 8601 with timezone; omitted: now. In the past (beyond a minute): 422."},
    )


class PromotionSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    message = fields.String()
    interests = fields.List(fields.String())
    send_at = fields.DateTime()
    status = fields.String(metadata={"enum": [s.value for s in PromotionStatus]})
    recipients = fields.Integer(allow_none=True)
    created_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


PromotionPageSchema = page_schema(PromotionSchema, "PromotionPage")


class PromotionQueryArgsSchema(PageArgsSchema):
    status = fields.Enum(PromotionStatus, by_value=True)


class AudienceArgsSchema(Schema):
    interests = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list)


class AudienceSchema(Schema):
    recipients = fields.Integer()
