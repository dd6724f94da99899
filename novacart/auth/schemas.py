"""Auth input and output shapes."""

from marshmallow import Schema, fields, validate

from novacart.auth.models import Role

EMAIL = fields.Email(required=True, validate=validate.Length(max=254))


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.String()
    name = fields.String()
    role = fields.Enum(Role, by_value=True)
    interests = fields.List(fields.String())
    created_at = fields.DateTime()


class RegisterSchema(Schema):
    email = EMAIL
    password = fields.String(required=True, validate=validate.Length(min=8, max=128), load_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))


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


class RoleUpdateSchema(Schema):
    role = fields.Enum(Role, by_value=True, required=True)
