"""Every Socket.IO event on the wire: its name, its direction and its payload's schema (CONTRACT.md, "Real time").

Emitters name events by these constants (`realtime.emit(wire.ORDER_UPDATE, …)`), the inbound handlers
register under their names, `/api/asyncapi.json` is generated from this module (novacart/asyncapi.py),
and the end-to-end tests validate every payload they receive against that document. The REST API
returns the same `notification` object (NotificationPayload), so there is one definition of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from marshmallow import Schema, fields

SERVER_TO_CLIENT: Literal["send"] = "send"
CLIENT_TO_SERVER: Literal["receive"] = "receive"


class NotificationPayload(Schema):
    """The contract's `notification` object."""

    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"description": "One of GET /api/notifications/types."})
    title = fields.String(required=True)
    message = fields.String(required=True)
    data = fields.Dict(
        required=True, metadata={"description": "What a client needs to link it: order_id, product_id, …"}
    )
    is_read = fields.Boolean(required=True)
    read_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class OrderUpdatePayload(Schema):
    order_id = fields.Integer(required=True)
    status = fields.String(required=True)
    previous_status = fields.String(required=True, allow_none=True, metadata={"description": "null: just placed"})
    at = fields.DateTime(required=True)


class MessageAuthorPayload(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.String(
        required=True,
        metadata={"enum": ["customer", "staff", "admin"], "description": "The author's role when they wrote it."},
    )


class MessagePayload(Schema):
    """The contract's `message` object: one message of an order's conversation."""

    id = fields.Integer(required=True)
    order_id = fields.Integer(required=True)
    from_ = fields.Nested(
        MessageAuthorPayload,
        required=True,
        attribute="from",
        data_key="from",
        metadata={"description": "Its author: {id, name, role}."},
    )
    text = fields.String(
        required=True,
        metadata={"description": "As its author typed it (trimmed), 1-2,000 characters: show it as text, not markup."},
    )
    at = fields.DateTime(required=True)


class ReadPayload(Schema):
    ids = fields.List(fields.Integer(), required=True)
    unread_count = fields.Integer(required=True)


class DeletedPayload(Schema):
    id = fields.Integer(required=True)
    unread_count = fields.Integer(required=True)


class ErrorPayload(Schema):
    code = fields.String(required=True, metadata={"description": "Stable, e.g. forbidden, invalid_ack, too_many_ids"})
    message = fields.String(required=True)
    room = fields.String(allow_none=True)


class AckPayload(Schema):
    ids = fields.List(fields.Integer(), required=True, metadata={"description": "At most 500 ids per event."})


class JoinRoomPayload(Schema):
    room = fields.String(required=True, metadata={"description": "order:<id>"})


@dataclass(frozen=True)
class WireEvent:
    name: str
    direction: Literal["send", "receive"]  # from the server's side: it sends, or it receives
    schema: type[Schema]
    summary: str
    rooms: str = ""

    def __str__(self) -> str:
        return self.name


NOTIFICATION = WireEvent(
    "notification",
    SERVER_TO_CLIENT,
    NotificationPayload,
    "A notification, to every socket of its user; sent again until a client acknowledges it.",
    "user:<id>",
)
ORDER_UPDATE = WireEvent(
    "orderUpdate",
    SERVER_TO_CLIENT,
    OrderUpdatePayload,
    "An order was placed or changed status.",
    "the customer's user:<id>, order:<id> and staff",
)
NOTIFICATION_READ = WireEvent(
    "notification:read",
    SERVER_TO_CLIENT,
    ReadPayload,
    "Another tab or device of the user read these notifications.",
    "user:<id>",
)
NOTIFICATION_DELETED = WireEvent(
    "notification:deleted",
    SERVER_TO_CLIENT,
    DeletedPayload,
    "Another tab or device of the user deleted a notification.",
    "user:<id>",
)
MESSAGE_RECEIVED = WireEvent(
    "messageReceived",
    SERVER_TO_CLIENT,
    MessagePayload,
    "A message was written on an order: a customer's reaches staff and admins, an employee's the order's customer.",
    "`staff` (a customer's message) or the customer's user:<id> (an employee's), and order:<id>",
)
ERROR = WireEvent("error", SERVER_TO_CLIENT, ErrorPayload, "A client event was refused; to that socket only.")
NOTIFICATION_ACK = WireEvent(
    "notification:ack",
    CLIENT_TO_SERVER,
    AckPayload,
    "These notifications were shown: take them off the user's delivery queue.",
)
JOIN_ROOM = WireEvent(
    "joinRoom",
    CLIENT_TO_SERVER,
    JoinRoomPayload,
    "Follow an order: own orders only (staff: any). Refused with `error`.",
)

EVENTS: list[WireEvent] = [
    NOTIFICATION,
    ORDER_UPDATE,
    NOTIFICATION_READ,
    NOTIFICATION_DELETED,
    MESSAGE_RECEIVED,
    ERROR,
    NOTIFICATION_ACK,
    JOIN_ROOM,
]
