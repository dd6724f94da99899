"""A real SMTP server (aiosmtpd) and a stand-in push service on 127.0.0.1, for the channel tests."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import jwt as pyjwt
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def vapid_private_pem() -> str:
    """A fresh VAPID key, as the shop's VAPID_PRIVATE_KEY: Web Push configured for a test system."""
    from py_vapid import Vapid02

    key = Vapid02()
    key.generate_keys()
    return key.private_pem().decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.cond = threading.Condition()
        # True: answer every recipient with 550, as a server refusing a bad address does; a string: that reply
        self.refuse: bool | str = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse:
            return self.refuse if isinstance(self.refuse, str) else "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a free port: `url` for SMTP_URL; wait_for(n) blocks until n messages arrived."""

    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.inbox = _Inbox()
        extra = {"tls_context": tls} if tls else {}  # offers STARTTLS with it
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port or _free_port(), **extra)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        if getattr(self.controller, "_thread", None) is not None:  # stopping twice is harmless
            self.controller.stop()

    @property
    def messages(self) -> list:
        with self.inbox.cond:
            return list(self.inbox.messages)

    def wait_for(self, count: int, timeout: float = 20) -> list:
        deadline = time.monotonic() + timeout
        with self.inbox.cond:
            while len(self.inbox.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{count} e-mails expected in {timeout}s, got {len(self.inbox.messages)}")
                self.inbox.cond.wait(remaining)
            return list(self.inbox.messages)


def self_signed_tls_context(directory) -> ssl.SSLContext:
    """A server's TLS context with a fresh self-signed certificate for 127.0.0.1, which no client trusts."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp.crt", directory / "smtp.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PushReceiver:
    """A browser's push subscription: its keys, and what it decrypts."""

    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def keys(self) -> dict[str, str]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(public), "auth": b64url(self.auth)}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


def check_vapid(authorization: str, endpoint_origin: str) -> dict[str, Any]:
    """Verify a `vapid t=<jwt>, k=<key>` header (RFC 8292): signature by k, audience, expiry. Returns the claims."""
    scheme, _, params = authorization.partition(" ")
    assert scheme.lower() == "vapid", authorization
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    return pyjwt.decode(parts["t"], public, algorithms=["ES256"], audience=endpoint_origin)


class PushService:
    """A stand-in push service: records every request; answers `status` (201 unless told otherwise)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 201
        self.cond = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with service.cond:
                    status = service.status
                    service.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                            "answered": status,
                        }
                    )
                    service.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def endpoint(self, name: str = "sub") -> str:
        return f"{self.origin}/push/{name}"

    def start(self) -> PushService:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{count} pushes expected in {timeout}s, got {len(self.requests)}")
                self.cond.wait(remaining)
            return list(self.requests)
