"""A local stand-in for the Stripe API endpoints NovaCart calls, and Stripe's side of its webhook.

An HTTP server on 127.0.0.1 in the test process; NovaCart reaches it through STRIPE_API_BASE. It answers
as Stripe's API does: form-encoded requests authenticated with the secret key as a Bearer token, JSON
objects back, errors as `{"error": {type, code, message}}`, and an `Idempotency-Key` honoured (the same key
answers the first response again, so a retried request changes nothing). It keeps the PaymentIntents and
Refunds it made and records every request.

Playing Stripe's part: `succeed()` takes the customer's money for a PaymentIntent, `event()` writes the
event Stripe would send about it, and `signed()` signs a body as Stripe signs its webhooks
(`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the endpoint's secret), written out
here from Stripe's documentation rather than borrowed from NovaCart's code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

SECRET_KEY = "sk_test_standin_secret_0123456789abcdef"
PUBLISHABLE_KEY = "pk_test_standin_publishable_0123456789abcdef"
WEBHOOK_SECRET = "whsec_standin_0123456789abcdef0123456789abcdef"


@dataclass
class Call:
    """One request the stand-in received: `params` are the form's keys as sent (`metadata[order_id]`)."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    status: int = 0


@dataclass
class StripeStandIn:
    secret_key: str = SECRET_KEY
    calls: list[Call] = field(default_factory=list)
    intents: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    # While > 0, that many API calls answer 500 api_error without doing anything (Stripe having a bad moment).
    failing: int = 0
    # While > 0, that many API calls do their work, then answer 500 as if the answer were lost on the way.
    losing: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._idempotent: dict[str, tuple[int, dict]] = {}
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._handle(self, "GET")

            def do_POST(self) -> None:
                standin._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests assert on `calls`
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="stripe-standin", daemon=True)

    # -- running --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> StripeStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def settings(self) -> dict[str, str]:
        """The environment of a NovaCart process that takes payments with Stripe, reaching this stand-in."""
        return {
            "PAYMENT_PROVIDER": "stripe",
            "STRIPE_SECRET_KEY": self.secret_key,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.url,
        }

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.intents.clear()
            self.refunds.clear()
            self._idempotent.clear()
            self.failing = self.losing = 0

    # -- what happened ----------------------------------------------------------------------------

    def calls_to(self, method: str, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.path == path]

    def wait_for_calls(self, method: str, path: str, count: int = 1, timeout: float = 10) -> list[Call]:
        """The calls to `method path`, once there are `count` of them; TimeoutError after `timeout` seconds."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.calls_to(method, path)) >= count, timeout):
                raise TimeoutError(f"{count} × {method} {path} did not arrive within {timeout} s: {self.calls}")
            return self.calls_to(method, path)

    # -- Stripe's part ----------------------------------------------------------------------------

    def succeed(self, intent_id: str) -> dict:
        """The customer confirmed and Stripe took the money: the PaymentIntent succeeds."""
        with self._lock:
            intent = self.intents[intent_id]
            intent.update(status="succeeded", amount_received=intent["amount"])
            return dict(intent)

    def fail(self, intent_id: str) -> dict:
        """The card was declined: the PaymentIntent wants another payment method."""
        with self._lock:
            intent = self.intents[intent_id]
            intent.update(
                status="requires_payment_method",
                last_payment_error={"code": "card_declined", "message": "Your card was declined."},
            )
            return dict(intent)

    def event(self, event_type: str, intent: dict, event_id: str | None = None) -> dict:
        """The event Stripe sends about `intent` (a PaymentIntent's JSON)."""
        return {
            "id": event_id or f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "type": event_type,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": intent},
        }

    @staticmethod
    def signed(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> dict[str, str]:
        """The headers Stripe sends `body` with."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": f"t={timestamp},v1={mac}"}

    # -- the API ----------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        params = dict(parse_qsl(request.rfile.read(length).decode(), keep_blank_values=True))
        call = Call(method, request.path.split("?")[0], params, dict(request.headers.items()))
        status, body = self._answer(call)
        call.status = status
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        request.send_header("Request-Id", f"req_{secrets.token_hex(8)}")
        request.end_headers()
        request.wfile.write(payload)

    def _answer(self, call: Call) -> tuple[int, dict]:
        if call.headers.get("Authorization") != f"Bearer {self.secret_key}":
            return _error(401, "invalid_request_error", "api_key_invalid", "Invalid API Key provided.")
        with self._lock:
            if self.failing > 0:
                self.failing -= 1
                return _error(500, "api_error", None, "Something went wrong on Stripe's end.")
            key = call.headers.get("Idempotency-Key")
            if call.method == "POST" and key in self._idempotent:
                return self._idempotent[key]
            answer = self._route(call)
            if call.method == "POST" and key:
                self._idempotent[key] = answer
            if self.losing > 0:
                self.losing -= 1
                return _error(500, "api_error", None, "Something went wrong on Stripe's end.")
            return answer

    def _route(self, call: Call) -> tuple[int, dict]:
        if (call.method, call.path) == ("POST", "/v1/payment_intents"):
            return self._create_intent(call.params)
        if call.method == "GET" and (match := re.fullmatch(r"/v1/payment_intents/(pi_\w+)", call.path)):
            intent = self.intents.get(match[1])
            if intent is None:
                return _error(404, "invalid_request_error", "resource_missing", "No such payment_intent.")
            return 200, intent
        if (call.method, call.path) == ("POST", "/v1/refunds"):
            return self._create_refund(call.params)
        return _error(404, "invalid_request_error", None, f"Unrecognized request URL ({call.method}: {call.path}).")

    def _create_intent(self, params: dict[str, str]) -> tuple[int, dict]:
        if not params.get("amount", "").isdigit() or int(params["amount"]) < 1:
            return _error(400, "invalid_request_error", "parameter_invalid_integer", "Invalid integer: amount")
        if not re.fullmatch(r"[a-z]{3}", params.get("currency", "")):
            return _error(400, "invalid_request_error", "parameter_invalid_empty", "Invalid currency")
        intent_id = f"pi_{secrets.token_hex(12)}"
        metadata = {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")}
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "amount_received": 0,
            "currency": params["currency"],
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
            "description": params.get("description"),
            "metadata": metadata,
            "status": "requires_payment_method",
            "livemode": False,
            "created": int(time.time()),
        }
        self.intents[intent_id] = intent
        return 200, intent

    def _create_refund(self, params: dict[str, str]) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return _error(400, "invalid_request_error", "charge_not_found", "This PaymentIntent has no charge.")
        refunded = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"])
        amount = int(params.get("amount") or intent["amount_received"] - refunded)
        if refunded >= intent["amount_received"]:
            return _error(400, "invalid_request_error", "charge_already_refunded", "Already refunded.")
        if amount > intent["amount_received"] - refunded:
            return _error(400, "invalid_request_error", "amount_too_large", "Refund amount is too large.")
        refund = {
            "id": f"re_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
            "metadata": {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")},
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        return 200, refund


def _error(status: int, kind: str, code: str | None, message: str) -> tuple[int, dict]:
    return status, {"error": {"type": kind, "code": code, "message": message}}
