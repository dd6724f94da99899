"""Web Push: the VAPID key, browsers' subscriptions, and sending a notification to them (RFC 8030/8291/8292).

Each subscription gets the `notification` object, encrypted for it (aes128gcm) and signed with the
shop's VAPID key. A push service answering 404 or 410 has forgotten the subscription: it is deleted.
Endpoints are `https` URLs outside NovaCart's own networks (an endpoint is a URL the worker will POST
to: a subscription must not make it reach an internal service), unless WEBPUSH_ALLOW_ANY_ENDPOINT.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask_babel import lazy_gettext as _l
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, select

from novacart.db import transactional
from novacart.errors import ErrorCode, ServiceUnavailableError, ValidationError
from novacart.extensions import db
from novacart.notifications.models import PushSubscription

logger = logging.getLogger(__name__)


class PushNotConfiguredError(ServiceUnavailableError):
    code = ErrorCode.SERVICE_UNAVAILABLE


class EndpointRefusedError(ValidationError):
    pass


@dataclass(frozen=True)
class PushResult:
    delivered: int  # subscriptions the push service accepted
    removed: int  # subscriptions it said are gone (404/410), deleted here
    transient: str | None  # a failure worth retrying (429, 5xx, a network error), or None
    permanent: str | None  # a failure retrying cannot fix, or None


@cache
def _vapid_from(key: str) -> Vapid02:
    if "BEGIN" in key:
        return Vapid02.from_pem(key.encode())
    return Vapid02.from_string(key)


def vapid() -> Vapid02 | None:
    """The shop's VAPID key: VAPID_PRIVATE_KEY, or in development one made under instance/ on first use."""
    key = current_app.config.get("VAPID_PRIVATE_KEY")
    if not key and current_app.config["CONFIG_NAME"] in ("development", "testing"):
        path = Path(current_app.instance_path) / "vapid-private.pem"
        if not path.exists():
            generated = Vapid02()
            generated.generate_keys()
            path.write_bytes(generated.private_pem())
            path.chmod(0o600)
        key = path.read_text()
    return _vapid_from(key) if key else None


def public_key() -> str:
    """The VAPID public key as browsers want it for `applicationServerKey`: base64url, uncompressed point."""
    key = vapid()
    if key is None:
        raise PushNotConfiguredError(_l("Web Push is not configured on this shop (VAPID_PRIVATE_KEY)."))
    raw = key.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _refuse(reason: str) -> EndpointRefusedError:
    return EndpointRefusedError(reason, {"endpoint": [reason]})


def check_endpoint(endpoint: str, *, resolve: bool = True) -> None:
    """Refuse an endpoint the worker must not POST to. Raises EndpointRefusedError.

    `https` only, and no address of NovaCart's own networks (loopback, private, link-local, reserved),
    whether written as an address or a name that resolves to one (`resolve`: looked up, never connected).
    """
    if current_app.config["WEBPUSH_ALLOW_ANY_ENDPOINT"]:
        return
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname:
        raise _refuse("A push endpoint must be an https URL.")
    try:
        addresses = [ipaddress.ip_address(parts.hostname)]
    except ValueError:
        if not resolve:
            return
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            raise _refuse("The push endpoint's host does not resolve.") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not address.is_global or address.is_multicast:
            raise _refuse("A push endpoint must be on the public internet.")


@transactional
def subscribe(user_id: int, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Keep a browser's subscription for the user (idempotent per endpoint; it moves to the user who sent it
    last, as the browser now belongs to them). Raises EndpointRefusedError."""
    check_endpoint(endpoint)
    subscription = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if subscription is None:
        subscription = PushSubscription(user_id=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        db.session.add(subscription)
    else:
        subscription.user_id, subscription.p256dh, subscription.auth = user_id, p256dh, auth
    db.session.flush()
    return subscription


@transactional
def unsubscribe(user_id: int, endpoint: str) -> None:
    """Forget one of the user's subscriptions (idempotent; another user's is left alone)."""
    db.session.execute(
        delete(PushSubscription).where(PushSubscription.user_id == user_id, PushSubscription.endpoint == endpoint)
    )


def send(user_id: int, notification: dict[str, Any]) -> PushResult:
    """Push `notification` to every subscription of the user. Deletes the gone ones; commits that."""
    key = vapid()
    subscriptions = list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)))
    if key is None or not subscriptions:
        return PushResult(0, 0, None, None if key else "Web Push is not configured")
    delivered, gone, transient, permanent = 0, [], None, None
    payload = json.dumps(notification, separators=(",", ":"))
    for subscription in subscriptions:
        try:
            check_endpoint(subscription.endpoint)
            webpush(
                {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                data=payload,
                vapid_private_key=key,
                vapid_claims={"sub": current_app.config["VAPID_SUBJECT"]},
                ttl=24 * 3600,
                timeout=10,
            )
            delivered += 1
        except EndpointRefusedError as error:
            permanent = error.detail
            gone.append(subscription.id)
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else None
            if status in (404, 410):
                gone.append(subscription.id)
            elif status is None or status == 429 or status >= 500:
                transient = f"push service answered {status or 'nothing'}"
            else:
                permanent = f"push service refused the message ({status})"
        except OSError as error:  # requests' connection errors
            transient = f"push service unreachable ({type(error).__name__})"
    if gone:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        logger.info("deleted %d push subscriptions of user %s: gone or refused", len(gone), user_id)
    db.session.commit()
    return PushResult(delivered, len(gone), transient if not delivered else None, permanent if not delivered else None)
