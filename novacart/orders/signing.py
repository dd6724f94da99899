"""Webhook signatures: `X-NovaCart-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`."""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from novacart.errors import BadRequestError, ErrorCode

HEADER = "X-NovaCart-Signature"
# ASCII only: str.isdigit() accepts "²" and "٣", and hmac.compare_digest raises on non-ASCII text.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


class InvalidSignatureError(BadRequestError):
    code, title = ErrorCode.INVALID_SIGNATURE, "Invalid signature"


class StaleSignatureError(BadRequestError):
    code, title = ErrorCode.STALE_SIGNATURE, "Stale signature"


def compute(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value a provider sends with `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={compute(secret, timestamp, body)}"


def verify(secret: str, header: str | None, body: bytes, *, tolerance: int, now: float | None = None) -> None:
    """Raise InvalidSignatureError or StaleSignatureError unless `header` signs `body` recently with `secret`."""
    if not header:
        raise InvalidSignatureError(f"The {HEADER} header is missing.")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and _TIMESTAMP.fullmatch(value):
            timestamp = int(value)
        elif key == "v1" and _SIGNATURE.fullmatch(value):
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidSignatureError(f"The {HEADER} header is malformed.")
    expected = compute(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignatureError("The signature does not match the body.")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise StaleSignatureError(f"The signature is older than {tolerance} s (or from the future).")
