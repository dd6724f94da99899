"""The dashboard's forms (Flask-WTF: every form carries a CSRF token).

Shape validation only, mirroring the API's schemas; the rules live in the services, whose errors the
views show next to the form.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NoneOf,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from novacart.auth.models import LOCALES, Role
from novacart.dashboard.texts import ROLE_LABELS
from novacart.inventory.schemas import MAX_PRICE as MAX_PRICE_CENTS
from novacart.inventory.schemas import MAX_STOCK
from novacart.notifications.preferences import normalise_interests
from novacart.orders.models import MESSAGE_MAX_CHARS, OrderStatus

MAX_PRICE = Decimal(MAX_PRICE_CENTS) / 100  # the API's cap, in the currency's units
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = StringField(
        _l("E-mail"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your e-mail.")),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message=_l("Not an e-mail.")),
        ],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)])
    next = HiddenField()


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token (mark read, deactivate, cancel, sign out)."""


class OrderStatusForm(FlaskForm):
    status = HiddenField(validators=[AnyOf([s.value for s in OrderStatus], message=_l("Unknown status."))])
    note = StringField(_l("Note"), filters=[_strip], validators=[Optional(), Length(max=500)])
    tracking_number = StringField(_l("Tracking number"), filters=[_strip], validators=[Optional(), Length(max=64)])


class MessageForm(FlaskForm):
    text = TextAreaField(
        _l("Reply"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Write something: the message is empty.")),
            Length(max=MESSAGE_MAX_CHARS, message=_l("At most %(max)d characters.")),
        ],
    )


class ProductForm(FlaskForm):
    sku = StringField(
        _l("SKU"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter a SKU.")),
            Regexp(SKU_PATTERN, message=_l("Letters, digits, dot, dash, underscore; up to 64.")),
        ],
    )
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    category = StringField(
        _l("Category"), filters=[_strip], validators=[DataRequired(_l("Enter a category.")), Length(max=80)]
    )
    price = DecimalField(
        _l("Price"),
        places=2,
        validators=[
            InputRequired(_l("Enter a price.")),
            NumberRange(min=0, max=MAX_PRICE, message=_l("From 0 to 1,000,000.")),
        ],
    )
    low_stock_threshold = IntegerField(
        _l("Low-stock threshold"),
        default=5,
        validators=[InputRequired(_l("Enter a threshold.")), NumberRange(min=0, max=MAX_STOCK)],
    )
    description = TextAreaField(_l("Description"), filters=[_strip], validators=[Optional(), Length(max=5000)])

    def price_cents(self) -> int:
        return int((self.price.data * 100).to_integral_value())

    def details(self) -> dict:
        """The product's fields as the inventory services take them."""
        return {
            "sku": self.sku.data,
            "name": self.name.data,
            "category": self.category.data,
            "description": self.description.data or "",
            "price_cents": self.price_cents(),
            "low_stock_threshold": self.low_stock_threshold.data,
        }


class ProductCreateForm(ProductForm):
    stock = IntegerField(
        _l("Opening stock"),
        default=0,
        validators=[InputRequired(_l("Enter the opening stock.")), NumberRange(0, MAX_STOCK)],
    )


class StockAdjustForm(FlaskForm):
    delta = IntegerField(
        _l("Change"),
        validators=[
            InputRequired(_l("Enter how many to add (or remove with a minus).")),
            NumberRange(min=-MAX_STOCK, max=MAX_STOCK),
            NoneOf([0], message=_l("Must not be 0.")),
        ],
    )
    reason = StringField(
        _l("Reason"), filters=[_strip], validators=[DataRequired(_l("Say why the stock changes.")), Length(max=200)]
    )


class PromotionForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    message = TextAreaField(
        _l("Message"), filters=[_strip], validators=[DataRequired(_l("Enter the message.")), Length(max=2000)]
    )
    interests = StringField(
        _l("Interests"),
        filters=[_strip],
        validators=[Optional(), Length(max=2000)],
        description=_l("Comma-separated, e.g. paper, ink. Empty: every customer."),
    )
    when = RadioField(
        _l("Send"), choices=[SelectChoice("now", _l("Now")), SelectChoice("later", _l("At a time"))], default="now"
    )
    send_at = DateTimeLocalField(_l("Send at"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()])
    tz_offset = HiddenField(default="0")  # the browser's Date.getTimezoneOffset(), set by dashboard.js

    def interest_list(self) -> list[str]:
        return parse_interests(self.interests.data)

    def validate_interests(self, field) -> None:
        items = parse_interests(field.data)
        if len(items) > 50:
            raise ValidationError(_l("At most 50 interests."))
        if any(len(item) > 40 for item in items):
            raise ValidationError(_l("Each interest is at most 40 characters."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.when.data == "later" and self.send_at.data is None and not self.send_at.errors:
            self.send_at.errors = [*self.send_at.errors, _l("Pick the date and time to send it.")]
            return False
        return valid

    def validate_tz_offset(self, field) -> None:
        try:
            minutes = int(field.data or 0)
        except ValueError:
            raise ValidationError(_l("Not a time-zone offset.")) from None
        if not -14 * 60 <= minutes <= 14 * 60:
            raise ValidationError(_l("Not a time-zone offset."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLE_LABELS[r.value]) for r in Role])


class ActiveForm(FlaskForm):
    active = SelectField(_l("Active"), choices=[SelectChoice("1", _l("Active")), SelectChoice("0", _l("Deactivated"))])


class LanguageForm(FlaskForm):
    """The header's language menu: the employee's `locale`."""

    locale = SelectField(_l("Language"), choices=list(LOCALES))
    next = HiddenField()


def parse_interests(raw: str | None) -> list[str]:
    """'Paper, ink ,, paper' → ['ink', 'paper'], as interests are stored."""
    return normalise_interests((raw or "").split(","))
