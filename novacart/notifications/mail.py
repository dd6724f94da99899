"""E-mail: a notification written as a message (plain text and HTML) and sent through SMTP_URL.

Without SMTP_URL, messages are written as .eml files under MAIL_DIR (instance/mail/), so a developer
can open them. Every message links back to what it is about (an order, a product) and carries a
one-click unsubscribe link for its type on e-mail (RFC 8058), which works without signing in.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer

from novacart import i18n
from novacart.notifications import types

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "novacart-unsubscribe"


class TransientMailError(Exception):
    """The mail server could not take the message now (down, busy, 4xx): try again later."""


class PermanentMailError(Exception):
    """The mail server refused the message for good (5xx: a bad address, a rejected message)."""


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    name: str
    locale: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, type_: str, channel: str) -> str:
    return _serializer().dumps([user_id, type_, channel])


def read_unsubscribe_token(token: str) -> tuple[int, str, str] | None:
    """(user id, type, channel) from a token this shop signed, else None."""
    try:
        user_id, type_, channel = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(type_, str) or channel not in types.CHANNELS:
        return None
    return user_id, type_, channel


def link_for(notification: dict[str, Any]) -> str | None:
    """Where the notification leads in the shop: its order, else its product (the React client's routes)."""
    data = notification.get("data") or {}
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    if isinstance(data.get("order_id"), int):
        return f"{base}/orders/{data['order_id']}"
    if isinstance(data.get("product_id"), int):
        return f"{base}/products/{data['product_id']}"
    return base + "/"


def compose(recipient: Recipient, notification: dict[str, Any]) -> EmailMessage:
    """The message for one notification: subject = its title, text and HTML in the recipient's language."""
    with i18n.speaking(recipient.locale):
        return _compose(recipient, notification)


def _compose(recipient: Recipient, notification: dict[str, Any]) -> EmailMessage:
    kind = types.REGISTRY.get(notification["type"])
    unsubscribe = (
        f"{current_app.config['PUBLIC_URL'].rstrip('/')}/unsubscribe/"
        f"{unsubscribe_token(recipient.user_id, notification['type'], types.EMAIL)}"
    )
    context = {
        "recipient": recipient,
        "notification": notification,
        "label": str(kind.label) if kind else notification["type"],
        "link": link_for(notification),
        "unsubscribe": unsubscribe,
        "preferences": f"{current_app.config['PUBLIC_URL'].rstrip('/')}/preferences",
    }
    message = EmailMessage()
    message["Subject"] = notification["title"]
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = f"{recipient.name} <{recipient.email}>" if recipient.name else recipient.email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"n{notification['id']}", domain="novacart")
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-NovaCart-Notification"] = str(notification["id"])
    message.set_content(render_template("mail/notification.txt", **context))
    message.add_alternative(render_template("mail/notification.html", **context), subtype="html")
    return message


class _HandingOver:
    """smtplib's DATA, split before the final dot: `handing_over()` runs once the server holds the whole
    message but has not taken it. Until the dot a dropped connection makes the server discard it (RFC
    5321, 4.1.1.4); after it the message is the server's. So the caller can record the one moment that
    decides whether a killed send may be repeated: a lost worker before it sent nothing."""

    handing_over: Callable[[], None]

    def data(self, msg: bytes) -> tuple[int, bytes]:
        self.putcmd("data")  # type: ignore[attr-defined]
        code, reply = self.getreply()  # type: ignore[attr-defined]
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = re.sub(rb"(?m)^\.", b"..", msg)  # dot-stuffing, as smtplib's
        self.send(body if body.endswith(b"\r\n") else body + b"\r\n")  # type: ignore[attr-defined]
        try:
            self.handing_over()
        except BaseException:
            self.close()  # without the dot (a QUIT now would be read as the message's text): discarded
            raise
        self.send(b".\r\n")  # type: ignore[attr-defined]
        return self.getreply()  # type: ignore[attr-defined]


class _SMTP(_HandingOver, smtplib.SMTP):
    pass


class _SMTPS(_HandingOver, smtplib.SMTP_SSL):
    pass


def deliver(message: EmailMessage, handing_over: Callable[[], None] = lambda: None) -> None:
    """Hand the message to SMTP_URL, or write it under MAIL_DIR. `handing_over` runs at the last moment
    the message can still be held back (see _HandingOver); what it raises stops the send. Raises
    Transient/PermanentMailError."""
    url = current_app.config["SMTP_URL"]
    if not url:
        directory = Path(current_app.config["MAIL_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{message['X-NovaCart-Notification']}.eml"
        partial = directory / f".{name}.partial"
        partial.write_bytes(bytes(message))
        try:
            handing_over()
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(directory / name)
        return
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        if parts.scheme == "smtps":
            server: _SMTP | _SMTPS = _SMTPS(host, port, timeout=15, context=ssl.create_default_context())
        else:
            server = _SMTP(host, port, timeout=15)
        server.handing_over = handing_over
        with server:
            server.ehlo()  # what the server offers is known only after EHLO
            encrypted = parts.scheme == "smtps"
            if not encrypted and server.has_extn("starttls"):
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
                encrypted = True
            if parts.username:
                if not encrypted:
                    raise PermanentMailError(f"{host} offers no STARTTLS: the password is not sent in clear")
                server.login(unquote(parts.username), unquote(parts.password or ""))
            server.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if all(code >= 500 for code in codes):
            raise PermanentMailError(f"recipient refused ({codes[0]})") from error
        raise TransientMailError(f"recipient deferred ({codes[0]})") from error
    except smtplib.SMTPResponseException as error:
        if error.smtp_code >= 500:
            raise PermanentMailError(f"message refused ({error.smtp_code})") from error
        raise TransientMailError(f"server busy ({error.smtp_code})") from error
    except (smtplib.SMTPException, OSError) as error:
        raise TransientMailError(f"mail server unreachable ({type(error).__name__})") from error
