"""Domain errors and their rendering as RFC 9457 problem details (HTML only for dashboard pages)."""

from __future__ import annotations

import enum
import http
import logging
import re
from typing import Any

import flask_smorest
from flask import Flask, Response, json, render_template, request
from flask_babel import gettext as _
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "https://novacart.dev/problems/{code}"


class ErrorCode(enum.StrEnum):
    """Every `code` NovaCart answers with, in problem details and in the socket's `error` event.

    Clients branch on these, so a code never changes once shipped: add, never rename. The OpenAPI
    document lists them, and a test checks the React client's table of messages against them.
    """

    # HTTP-level
    BAD_REQUEST = "bad_request"
    INVALID_BODY = "invalid_body"
    UNAUTHORIZED = "unauthorized"
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REVOKED = "token_revoked"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    VALIDATION_ERROR = "validation_error"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    DATABASE_UNAVAILABLE = "database_unavailable"
    # auth and users
    INVALID_CREDENTIALS = "invalid_credentials"
    DUPLICATE_EMAIL = "duplicate_email"
    OWN_ROLE_CHANGE = "own_role_change"
    OWN_DEACTIVATION = "own_deactivation"
    # inventory
    INSUFFICIENT_STOCK = "insufficient_stock"
    DUPLICATE_SKU = "duplicate_sku"
    DUPLICATE_REVIEW = "duplicate_review"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    # orders, payments, webhooks
    ILLEGAL_TRANSITION = "illegal_transition"
    PAYMENT_NOT_ALLOWED = "payment_not_allowed"
    AMOUNT_MISMATCH = "amount_mismatch"
    TRACKING_MISMATCH = "tracking_mismatch"
    TOO_MANY_PENDING_ORDERS = "too_many_pending_orders"
    INVALID_SIGNATURE = "invalid_signature"
    STALE_SIGNATURE = "stale_signature"
    # notifications and promotions
    TYPE_DISABLED = "type_disabled"
    PROMOTION_NOT_CANCELLABLE = "promotion_not_cancellable"
    SEND_AT_PASSED = "send_at_passed"
    # the socket's `error` event
    INVALID_ROOM = "invalid_room"
    INVALID_ACK = "invalid_ack"
    TOO_MANY_IDS = "too_many_ids"


# The code of an HTTP-level failure that carries no code of its own.
HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


class DomainError(Exception):
    """An expected business failure. Services raise it and errors.py renders it."""

    status, code, title = 400, ErrorCode.BAD_REQUEST, "Request cannot be processed"

    def __init__(self, detail: Any, **extensions: Any):
        """`detail`: a text, or a lazy one (flask_babel.lazy_gettext) written in the reader's language."""
        super().__init__(detail)
        self.detail, self.extensions = detail, extensions


class NotFoundError(DomainError):
    status, code, title = 404, ErrorCode.NOT_FOUND, "Not found"


class PermissionDeniedError(DomainError):
    status, code, title = 403, ErrorCode.FORBIDDEN, "Forbidden"


class AuthenticationError(DomainError):
    status, code, title = 401, ErrorCode.UNAUTHORIZED, "Unauthorized"


class InvalidCredentialsError(AuthenticationError):
    code, title = ErrorCode.INVALID_CREDENTIALS, "Wrong e-mail or password"


class ConflictError(DomainError):
    status, code, title = 409, ErrorCode.CONFLICT, "Conflict"


class ValidationError(DomainError):
    """A rule on input that a schema cannot express; `errors` maps field → messages."""

    status, code, title = 422, ErrorCode.VALIDATION_ERROR, "Validation failed"

    def __init__(self, detail: Any, errors: dict[str, list[Any]]):
        super().__init__(detail, errors=errors)


class BadRequestError(DomainError):
    status, code, title = 400, ErrorCode.BAD_REQUEST, "Bad request"


class ServiceUnavailableError(DomainError):
    status, code, title = 503, ErrorCode.SERVICE_UNAVAILABLE, "Service unavailable"


def problem(
    status: int,
    title: str,
    *,
    code: str | None = None,
    detail: str | None = None,
    errors: dict | None = None,
    headers: dict | None = None,
    type_: str | None = None,
) -> Response:
    code = code or HTTP_CODES.get(status) or re.sub(r"\W+", "_", title.lower()).strip("_")
    body: dict[str, Any] = {
        "type": type_ or PROBLEM_TYPE.format(code=code),
        "title": title,
        "status": status,
        "detail": str(detail or title),  # a lazy text is written in the request's language here
        "code": code,
    }
    if request:
        body["instance"] = request.path
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def wants_json() -> bool:
    """Decide by path, not Accept: API clients always get JSON, dashboard pages HTML."""
    return not request.path.startswith("/dashboard")


def _flatten_validation_errors(messages: dict) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"email": [...]}}); the contract wants field → messages."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat.setdefault(prefix or "_schema", []).extend(value)
        else:
            flat.setdefault(prefix or "_schema", []).append(str(value))

    for location_errors in messages.values():
        walk("", location_errors)
    return flat


PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error under /api is sent (CONTRACT.md, "Conventions")."""

    type = fields.String(required=True, metadata={"description": "about:blank or a URI naming the problem"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True, metadata={"description": "Human text: show it, never branch on it."})
    code = fields.String(
        required=True, metadata={"enum": [c.value for c in ErrorCode], "description": "Stable: branch on it."}
    )
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Validation failures only: field → messages."},
    )

    class Meta:
        unknown = INCLUDE  # some problems carry more, e.g. `current_status`, `available`, `limit`


class ApiBlueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, whose documented error responses are problem details by default."""

    def alt_response(self, status_code, response=None, *, schema=None, content_type=None, **kwargs):
        if response is None and schema is None and int(status_code) >= 400:
            schema, content_type = ProblemSchema, PROBLEM_CONTENT_TYPE
            if int(status_code) == 429:
                kwargs.setdefault("headers", {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}})
        return super().alt_response(status_code, response, schema=schema, content_type=content_type, **kwargs)


class ProblemApi(flask_smorest.Api):
    """flask-smorest's Api, with its app-wide HTTP error handler rendering problem details and every
    documented error response described as what it is: application/problem+json with ProblemSchema."""

    ERROR_SCHEMA = ProblemSchema

    def _init_spec(self, *, extra_plugins=None, **kwargs) -> None:  # type: ignore[override]
        from novacart.schemas import SchemaExtrasPlugin, openapi_overrides

        super()._init_spec(extra_plugins=[*(extra_plugins or ()), SchemaExtrasPlugin()], **kwargs)
        self.ma_plugin.converter.add_attribute_function(openapi_overrides)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": "Problem"}}
                if status in (429, 503):
                    response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}}
                if status == 405:
                    response["headers"] = {"Allow": {"schema": {"type": "string"}, "description": "What is allowed"}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.schema("Problem", schema=ProblemSchema, lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            {"description": "A problem", "content": {PROBLEM_CONTENT_TYPE: {"schema": "Problem"}}},
            lazy=True,
        )

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        if isinstance(error, InternalServerError):
            original = getattr(error, "original_exception", None)
            if original is not None:
                logger.error("unhandled exception on %s %s", request.method, request.path, exc_info=original)
        if not wants_json():
            return render_template("errors/http.html", error=error), error.code
        data = getattr(error, "data", None) or {}
        headers = dict(data.get("headers") or {})
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        if error.code == 429:
            return _rate_limited(error)
        messages = data.get("messages") or data.get("errors")
        if error.code == 422 and messages:
            errors = _flatten_validation_errors(messages)
            if errors.get("_schema") == ["Invalid input type."]:
                return problem(
                    400, "Bad request", code=ErrorCode.INVALID_BODY, detail=_("The body must be a JSON object.")
                )
            return problem(422, "Validation failed", detail=_("The request has invalid fields."), errors=errors)
        if error.code == 400 and request.is_json is False and request.method in {"POST", "PUT", "PATCH"}:
            detail = _("The body must be JSON (Content-Type: application/json).")
        elif error.code == 400:
            detail = data.get("message") or _("The request body is not valid JSON.")
        elif error.code == 500:
            detail = _("Something went wrong on our side. It has been logged.")
        else:
            detail = data.get("message") or error.description
        return problem(error.code or 500, error.name, detail=detail, headers=headers)


def _rate_limited(error: HTTPException) -> Response:
    # The window's length: a client that waits this long is sure to be let in again (fixed windows).
    limit = getattr(getattr(error, "limit", None), "limit", None)
    retry_after = max(1, int(limit.get_expiry())) if limit is not None else 60
    detail = _(
        "Too many requests (%(limit)s). Try again in %(seconds)s s.",
        limit=limit or _("limit reached"),
        seconds=retry_after,
    )
    return problem(429, "Too many requests", detail=detail, headers={"Retry-After": str(retry_after)})


NUL_MESSAGE = "Text may not contain NUL characters."


def _nul_paths(value: Any, path: str = "") -> list[str]:
    """Where strings in a JSON value hold a NUL character: `items.0.name`, or `_schema` for the root."""
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    if isinstance(value, dict):
        found = [f"{path}.{key}".lstrip(".") for key in value if isinstance(key, str) and "\x00" in key]
        for key, item in value.items():
            found += _nul_paths(item, f"{path}.{key}".lstrip("."))
        return found
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _nul_paths(item, f"{path}.{index}".lstrip("."))]
    return []


def init_app(app: Flask) -> None:
    from flask_jwt_extended.exceptions import JWTExtendedException
    from jwt.exceptions import PyJWTError
    from sqlalchemy.exc import OperationalError

    from novacart.extensions import jwt

    @app.before_request
    def require_json_bodies():
        """A body sent to the API is JSON: anything else is a 400, never a body silently read as `{}`."""
        if (
            request.method in {"POST", "PUT", "PATCH"}
            and request.path.startswith("/api/")
            and request.content_length
            and not request.is_json
        ):
            detail = _("The body must be JSON (Content-Type: application/json).")
            return problem(400, "Bad request", code=ErrorCode.INVALID_BODY, detail=detail)
        if request.path.startswith("/api/"):
            # PostgreSQL cannot store or compare text holding NUL ("\u0000" in JSON, %00 in a URL): refused
            # here, for every field at once, instead of a 500 from the database (found by Schemathesis), and
            # the OpenAPI document says so (novacart.schemas.NO_NUL_PATTERN). A DELETE reads no query string:
            # one there is ignored, as any unknown parameter; a DELETE with a body documents 422.
            body = request.get_json(silent=True) if request.is_json else None
            fields = _nul_paths(body)
            if request.method != "DELETE":
                fields += [f"?{name}" for name, value in request.args.items(multi=True) if "\x00" in value]
            if fields:
                errors = dict.fromkeys(fields, [NUL_MESSAGE])
                return problem(422, "Validation failed", detail=_("The request has invalid fields."), errors=errors)
        return None

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        if not wants_json():
            return render_template("errors/http.html", error=error), error.status
        extensions = dict(error.extensions)
        errors = extensions.pop("errors", None)
        response = problem(error.status, error.title, code=error.code, detail=error.detail, errors=errors)
        if extensions:
            body = json.loads(response.get_data())
            body.update(extensions)
            response.set_data(json.dumps(body))
        return response

    def unauthorized(detail: str, code: ErrorCode = ErrorCode.UNAUTHORIZED):
        return problem(401, "Unauthorized", code=code, detail=detail, headers={"WWW-Authenticate": "Bearer"})

    jwt.unauthorized_loader(lambda reason: unauthorized(_("A bearer token is required.")))
    jwt.invalid_token_loader(lambda reason: unauthorized(_("The token is invalid."), ErrorCode.INVALID_TOKEN))
    jwt.expired_token_loader(lambda header, payload: unauthorized(_("The token has expired."), ErrorCode.TOKEN_EXPIRED))
    jwt.revoked_token_loader(
        lambda header, payload: unauthorized(_("The token has been revoked."), ErrorCode.TOKEN_REVOKED)
    )
    jwt.user_lookup_error_loader(lambda header, payload: unauthorized(_("The token's user no longer exists.")))
    jwt.needs_fresh_token_loader(lambda header, payload: unauthorized(_("A fresh token is required.")))

    @app.errorhandler(OperationalError)
    def handle_database_unavailable(error: OperationalError):
        # The database is down, restarting or locked past the busy timeout: a retryable 503, never a 500.
        from novacart.extensions import db

        logger.error("database unavailable on %s %s: %s", request.method, request.path, error.orig)
        db.session.rollback()
        if not wants_json():
            return render_template("errors/http.html", error=ServiceUnavailableError(_("Try again shortly."))), 503
        return problem(
            503,
            "Service unavailable",
            code=ErrorCode.DATABASE_UNAVAILABLE,
            detail=_("The database is briefly unavailable; try again in a few seconds."),
            headers={"Retry-After": "5"},
        )

    @app.errorhandler(RecursionError)
    def handle_too_deep(error: RecursionError):
        # JSON nested thousands deep exhausts the parser's recursion (json.loads in Flask and webargs):
        # the client's fault, a 400, not a 500.
        if request.method in {"POST", "PUT", "PATCH"} and request.is_json:
            return problem(
                400, "Bad request", code=ErrorCode.INVALID_BODY, detail=_("The JSON body is nested too deeply.")
            )
        logger.error("recursion error on %s %s", request.method, request.path, exc_info=error)
        return problem(500, "Internal Server Error", detail=_("Something went wrong on our side. It has been logged."))

    @app.errorhandler(JWTExtendedException)
    @app.errorhandler(PyJWTError)
    def handle_jwt_error(error: Exception):
        # Wrong token type (refresh as access), malformed headers and similar.
        return unauthorized(_("The token is invalid."), ErrorCode.INVALID_TOKEN)
