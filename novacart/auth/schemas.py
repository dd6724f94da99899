"""Auth input and output shapes."""

from marshmallow import Schema, fields, validate

from novacart.auth.models import LOCALES, Role
from novacart.pagination import PageArgsSchema, page_schema
from novacart.schemas import ChangesSchema, JsonBoolean

EMAIL = fields.Email(required=True, validate=validate.Length(max=254))


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.String()
    name = fields.String()
    role = fields.Enum(Role, by_value=True)
    locale = fields.String(metadata={"enum": list(LOCALES)})
    is_active = fields.Boolean(attribute="is_active_account")
    interests = fields.List(fields.String())
    created_at = fields.DateTime()


UserPageSchema = page_schema(UserSchema, "UserPage")


class UserQueryArgsSchema(PageArgsSchema):
    role = fields.Enum(Role, by_value=True)
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Part of the e-mail or name."})
    is_active = fields.Boolean()


LOCALE = fields.String(
    validate=validate.OneOf(LOCALES),
    metadata={"description": "The language NovaCart writes to this user in."},
)
NAME = fields.String(validate=validate.Length(min=1, max=120))


class RegisterSchema(Schema):
    email = EMAIL
    password = fields.String(required=True, validate=validate.Length(min=8, max=128), load_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    locale = fields.String(
        validate=validate.OneOf(LOCALES),
        metadata={"description": "Omitted: the best match of Accept-Language among the supported ones, else en."},
    )


class ProfileUpdateSchema(ChangesSchema):
    name = NAME
    locale = LOCALE


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128), load_only=True)


class LogoutSchema(Schema):
    refresh_token = fields.String(validate=validate.Length(max=4096))


class TokensSchema(Schema):
    user = fields.Nested(UserSchema)
    access_token = fields.String()
    refresh_token = fields.String()


class AccessTokenSchema(Schema):
    access_token = fields.String()


class UserUpdateSchema(ChangesSchema):
    role = fields.Enum(Role, by_value=True)
    is_active = JsonBoolean(
        metadata={"description": "false: the user's tokens and dashboard session are refused, their sockets dropped."}
    )
