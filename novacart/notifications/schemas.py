"""Notification, preference and promotion shapes."""

from marshmallow import Schema, fields, validate

from novacart.notifications.models import NotificationType
from novacart.pagination import MAX_ID, PageArgsSchema, page_schema

TYPES = [t.value for t in NotificationType]


class NotificationSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    type = fields.String(validate=validate.OneOf(TYPES))
    title = fields.String()
    message = fields.String()
    data = fields.Dict()
    is_read = fields.Boolean()
    read_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class NotificationPageSchema(page_schema(NotificationSchema, "NotificationPageBase")):
    unread_count = fields.Integer()


class NotificationQueryArgsSchema(PageArgsSchema):
    unread_only = fields.Boolean(load_default=False)
    type = fields.String(validate=validate.OneOf(TYPES))


class NotificationCreateSchema(Schema):
    user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    message = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    data = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), load_default=dict)


class CountSchema(Schema):
    count = fields.Integer()


class UpdatedSchema(Schema):
    updated = fields.Integer()


class PreferencesSchema(Schema):
    types = fields.Dict(keys=fields.String(), values=fields.Boolean())
    interests = fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=50))


class PromotionCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    message = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    interests = fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=50))
    send_at = fields.AwareDateTime(
        default_timezone=None, metadata={"description": "ISO 8601 with timezone; omitted: now"}
    )


class PromotionSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    message = fields.String()
    interests = fields.List(fields.String())
    send_at = fields.DateTime()
    status = fields.String()
    recipients = fields.Integer(allow_none=True)
    created_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


PromotionPageSchema = page_schema(PromotionSchema, "PromotionPage")


class PromotionQueryArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(["scheduled", "sending", "sent", "cancelled"]))


class AudienceArgsSchema(Schema):
    interests = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list)


class AudienceSchema(Schema):
    recipients = fields.Integer()
