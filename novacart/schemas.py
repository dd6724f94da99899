"""Schema building blocks shared by the domains' marshmallow schemas."""

from __future__ import annotations

from typing import Any, ClassVar

from apispec import BasePlugin
from marshmallow import Schema, ValidationError, fields, validates_schema


class JsonBoolean(fields.Boolean):
    """A boolean in a JSON body: true or false, not 0, 1, "yes" or "on" (those are for query strings)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# Every text the API reads refuses NUL (novacart.errors, before any handler: PostgreSQL cannot store it),
# so the document says so: a fuzzer then knows a string holding one is not valid data.
NO_NUL_PATTERN = "^[^\\u0000]*$"


def openapi_overrides(self, field: fields.Field, ret: dict, **_: Any) -> dict:
    """apispec attribute function, run after the built-in ones: a string without a pattern of its own
    (a Regexp validator's) refuses NUL, and a field's `metadata["openapi"]` wins (e.g. a Dict's explicit
    `properties` and `additionalProperties: false`)."""
    extra: dict[str, Any] = {}
    if isinstance(field, fields.String) and "pattern" not in ret and "format" not in ret:
        extra["pattern"] = NO_NUL_PATTERN
    return extra | dict(field.metadata.get("openapi", {}))


class ChangesSchema(Schema):
    """A partial update: any of its fields, but at least one (an empty body changes nothing: 422)."""

    OPENAPI: ClassVar[dict[str, Any]] = {"minProperties": 1}

    @validates_schema
    def _at_least_one(self, data: dict, **_: Any) -> None:
        if not data:
            raise ValidationError(f"Send at least one of: {', '.join(self.fields)}.", "_schema")


class SchemaExtrasPlugin(BasePlugin):
    """Puts a schema class's `OPENAPI` keywords (minProperties, …) into the OpenAPI document."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        schema = kwargs.get("schema")
        schema_class = schema if isinstance(schema, type) else type(schema) if schema is not None else None
        extras = getattr(schema_class, "OPENAPI", None)
        return dict(extras) if extras else None
