"""Notifications API: /api/notifications/*, /api/promotions/*."""

from __future__ import annotations

from flask import current_app

from novacart import i18n
from novacart.auth.security import EMPLOYEES, auth_required, get_current_user
from novacart.errors import ApiBlueprint
from novacart.extensions import limiter
from novacart.notifications import delivery, inbox, preferences, promotions, push
from novacart.notifications.models import Notification, Promotion
from novacart.notifications.schemas import (
    AudienceArgsSchema,
    AudienceSchema,
    CountSchema,
    NotificationCreateSchema,
    NotificationPageSchema,
    NotificationQueryArgsSchema,
    NotificationSchema,
    NotificationTypeSchema,
    PreferencesSchema,
    PromotionCreateSchema,
    PromotionPageSchema,
    PromotionQueryArgsSchema,
    PromotionSchema,
    PublicKeySchema,
    PushEndpointSchema,
    PushSubscriptionSchema,
    UpdatedSchema,
)
from novacart.pagination import Page

api_bp = ApiBlueprint("notifications_api", __name__, url_prefix="/api", description="Notifications and promotions")


def _creation_limit() -> str:
    return current_app.config["NOTIFICATION_RATE_LIMIT"]


def _per_user() -> str:
    return f"user:{get_current_user().id}"


@api_bp.route("/notifications", methods=["GET"])
@auth_required()
@api_bp.arguments(NotificationQueryArgsSchema(), location="query")
@api_bp.response(200, NotificationPageSchema)
def list_notifications(args: dict) -> dict:
    """Your notifications, newest first, with your unread count."""
    user_id = get_current_user().id
    page: Page = inbox.find_by_user(
        user_id, unread_only=args["unread_only"], type_=args.get("type"), limit=args["limit"], after_id=args["after_id"]
    )
    return {"items": page.items, "next_cursor": page.next_cursor, "unread_count": inbox.unread_count(user_id)}


@api_bp.route("/notifications/unread-count", methods=["GET"])
@auth_required()
@api_bp.response(200, CountSchema)
def unread_count() -> dict:
    """How many of your notifications are unread."""
    return {"count": inbox.unread_count(get_current_user().id)}


@api_bp.route("/notifications", methods=["POST"])
@auth_required(EMPLOYEES)
@limiter.limit(_creation_limit, key_func=_per_user, scope="notifications-create")
@api_bp.arguments(NotificationCreateSchema())
@api_bp.response(201, NotificationSchema)
@api_bp.alt_response(409, description="The user turned this type off")
def create_notification(payload: dict) -> dict:
    """Send a notification to a user: stored, queued and pushed to their open clients."""
    return delivery.create(
        get_current_user().id,
        payload["user_id"],
        payload["type"],
        payload["title"],
        payload["message"],
        payload["data"],
    )


@api_bp.route("/notifications/<int:notification_id>/read", methods=["PATCH"])
@auth_required()
@api_bp.response(200, NotificationSchema)
def mark_read(notification_id: int) -> Notification:
    """Mark one of your notifications read (your other tabs follow)."""
    return inbox.mark_read(get_current_user().id, notification_id)


@api_bp.route("/notifications/mark-all-read", methods=["PATCH"])
@auth_required()
@api_bp.response(200, UpdatedSchema)
def mark_all_read() -> dict:
    """Mark all your notifications read."""
    return {"updated": inbox.mark_all_read(get_current_user().id)}


@api_bp.route("/notifications/<int:notification_id>", methods=["DELETE"])
@auth_required()
@api_bp.response(204)
def delete_notification(notification_id: int) -> None:
    """Delete one of your notifications."""
    inbox.delete_notification(get_current_user().id, notification_id)


@api_bp.route("/notifications/types", methods=["GET"])
@auth_required()
@api_bp.response(200, NotificationTypeSchema(many=True))
def list_types() -> list[dict]:
    """The notification types you may receive: label, description (in your language), icon, whether it is
    always on, its channels."""
    user = get_current_user()
    with i18n.speaking(user.locale):
        return preferences.types_for(user.role)


@api_bp.route("/notifications/preferences", methods=["GET"])
@auth_required()
@api_bp.response(200, PreferencesSchema)
def get_preferences() -> dict:
    """Which notification types you receive, and your interests (which promotions reach you)."""
    return preferences.get_preferences(get_current_user().id)


@api_bp.route("/notifications/preferences", methods=["PUT"])
@auth_required()
@api_bp.arguments(PreferencesSchema())
@api_bp.response(200, PreferencesSchema)
def update_preferences(payload: dict) -> dict:
    """Change some types and/or your interests; `order_status` cannot be turned off."""
    return preferences.update_preferences(
        get_current_user().id, payload.get("types"), payload.get("interests"), payload.get("channels")
    )


@api_bp.route("/push/public-key", methods=["GET"])
@auth_required()
@api_bp.response(200, PublicKeySchema)
@api_bp.alt_response(503, description="Web Push is not configured on this shop")
def push_public_key() -> dict:
    """The shop's VAPID public key, for `pushManager.subscribe({applicationServerKey})`."""
    return {"public_key": push.public_key()}


@api_bp.route("/push/subscriptions", methods=["POST"])
@auth_required()
@api_bp.arguments(PushSubscriptionSchema())
@api_bp.response(201)
def add_push_subscription(payload: dict) -> None:
    """Receive Web Push on this browser (idempotent per endpoint)."""
    keys = payload["keys"]
    push.subscribe(get_current_user().id, payload["endpoint"], keys["p256dh"], keys["auth"])


@api_bp.route("/push/subscriptions", methods=["DELETE"])
@auth_required()
@api_bp.arguments(PushEndpointSchema())
@api_bp.response(204)
def remove_push_subscription(payload: dict) -> None:
    """Stop Web Push on this browser."""
    push.unsubscribe(get_current_user().id, payload["endpoint"])


@api_bp.route("/promotions", methods=["POST"])
@auth_required(EMPLOYEES)
@api_bp.arguments(PromotionCreateSchema())
@api_bp.response(201, PromotionSchema)
def create_promotion(payload: dict) -> Promotion:
    """Send a promotion to customers whose interests match (all customers when none): now, or at `send_at`."""
    return promotions.create_promotion(
        get_current_user().id, payload["title"], payload["message"], payload.get("interests"), payload.get("send_at")
    )


@api_bp.route("/promotions", methods=["GET"])
@auth_required(EMPLOYEES)
@api_bp.arguments(PromotionQueryArgsSchema(), location="query")
@api_bp.response(200, PromotionPageSchema)
def list_promotions(args: dict) -> Page:
    """Scheduled and sent promotions, newest first."""
    return promotions.list_promotions(**args)


@api_bp.route("/promotions/audience", methods=["GET"])
@auth_required(EMPLOYEES)
@api_bp.arguments(AudienceArgsSchema(), location="query")
@api_bp.response(200, AudienceSchema)
def promotion_audience(args: dict) -> dict:
    """How many customers a promotion with these `interests` would reach."""
    return {"recipients": promotions.audience_size(args["interests"])}


@api_bp.route("/promotions/<int:promotion_id>/cancel", methods=["POST"])
@auth_required(EMPLOYEES)
@api_bp.response(200, PromotionSchema)
@api_bp.alt_response(409, description="Already sent or cancelled")
def cancel_promotion(promotion_id: int) -> Promotion:
    """Cancel a scheduled promotion."""
    return promotions.cancel_promotion(get_current_user().id, promotion_id)
