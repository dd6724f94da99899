"""The notification types: one entry each, and everything else derives from it.

An entry says who may receive the type (its audience), whether it can be turned off, which channels
it may use and which of them are on by default, its label, description and icon name, and its texts:
message templates with named parameters, per variant (an order's status, say). A trigger names a
type, a variant and the parameters; preferences, the schemas, `GET /api/notifications/types`, the
dashboard's feed and the React client (through that endpoint) derive everything else. Adding a type
is one `register(...)` here plus its trigger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from novacart import i18n
from novacart.auth.models import Role

IN_APP, EMAIL, PUSH = "in_app", "email", "push"
CHANNELS = (IN_APP, EMAIL, PUSH)
EVERYONE = frozenset(Role)
CUSTOMERS = frozenset({Role.CUSTOMER})
EMPLOYEES = frozenset({Role.STAFF, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})
DEFAULT_VARIANT = ""


@dataclass(frozen=True)
class Plural:
    """A text whose wording follows a count parameter: `Plural("%(count)s new order", "%(count)s new orders",
    "count")` (extracted by `make messages` as a singular and plural pair)."""

    singular: str
    plural: str
    count: str

    def __mod__(self, values: Mapping[str, Any]) -> str:
        return ngettext(self.singular, self.plural, int(values[self.count]), **values)


@dataclass(frozen=True)
class Texts:
    """A title and a message, each a translatable template with %(name)s parameters (lazy: the catalog
    of the locale in force is read when it is rendered)."""

    title: Any
    message: Any


@dataclass(frozen=True)
class NotificationType:
    name: str
    label: Any  # lazy texts: str() in the locale in force
    description: Any
    icon: str
    audience: frozenset[Role]
    always_on: bool = False
    channels: tuple[str, ...] = (IN_APP,)  # the channels this type may use
    default_channels: tuple[str, ...] = (IN_APP,)  # those on until the user turns them off
    texts: Mapping[str, Texts] = field(default_factory=dict)  # variant → texts; "" is the default

    def for_role(self, role: Role) -> bool:
        return role in self.audience

    def render(self, variant: str = DEFAULT_VARIANT, locale: str | None = None, **params: Any) -> tuple[str, str]:
        """The title and message of this variant in `locale` (else the locale in force), with `params`
        filled in: money (novacart.money.Money), dates and lazy texts written for that locale.

        Raises KeyError for a variant the type does not have (a programming error, not user input).
        """
        texts = self.texts[variant]
        with i18n.speaking(locale or i18n.current()):
            values = {key: i18n.localize(value) for key, value in params.items()}
            return _text(texts.title) % values, _text(texts.message) % values

    def has_variant(self, variant: str) -> bool:
        return variant in self.texts


def _text(text: Any) -> Any:
    """A lazy text as the locale in force writes it; a Plural as it is (it translates when filled in)."""
    return text if isinstance(text, Plural) else str(text)


REGISTRY: dict[str, NotificationType] = {}


def register(kind: NotificationType) -> NotificationType:
    if kind.name in REGISTRY:
        raise ValueError(f"notification type {kind.name!r} is registered twice")
    unknown = set(kind.channels) - set(CHANNELS) or set(kind.default_channels) - set(kind.channels)
    if unknown or IN_APP not in kind.channels:
        raise ValueError(f"{kind.name}: channels must include in_app and be among {CHANNELS}")
    REGISTRY[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a type (tests register throwaway ones)."""
    REGISTRY.pop(name, None)


def get(name: str) -> NotificationType:
    return REGISTRY[name]


def names() -> list[str]:
    return list(REGISTRY)


def for_role(role: Role) -> list[NotificationType]:
    return [kind for kind in REGISTRY.values() if kind.for_role(role)]


def always_on() -> frozenset[str]:
    return frozenset(name for name, kind in REGISTRY.items() if kind.always_on)


def known(names_: Iterable[str]) -> set[str]:
    """Which of `names_` are registered types."""
    return set(names_) & set(REGISTRY)


ORDER_STATUS = register(
    NotificationType(
        name="order_status",
        label=_l("Order updates"),
        description=_l("Your order's progress: received, paid, being prepared, shipped, delivered or cancelled."),
        icon="package",
        audience=CUSTOMERS,
        always_on=True,
        channels=(IN_APP, EMAIL, PUSH),
        default_channels=(IN_APP, EMAIL, PUSH),
        texts={
            "pending": Texts(
                _l("Order #%(order_id)s received"),
                _l("We received your order #%(order_id)s (%(total)s). Pay for it to have it prepared."),
            ),
            "paid": Texts(
                _l("Order #%(order_id)s is paid"),
                _l("We received your payment for order #%(order_id)s. We'll start preparing it shortly."),
            ),
            "preparing": Texts(
                _l("Order #%(order_id)s is being prepared"),
                _l("We're packing order #%(order_id)s in our warehouse."),
            ),
            "shipped": Texts(
                _l("Order #%(order_id)s has shipped"),
                _l("Your order #%(order_id)s has shipped — tracking %(tracking)s."),
            ),
            "delivered": Texts(
                _l("Order #%(order_id)s was delivered"),
                _l("Your order #%(order_id)s was delivered. Enjoy, and tell us what you think!"),
            ),
            "cancelled": Texts(
                _l("Order #%(order_id)s was cancelled"),
                _l("Your order #%(order_id)s was cancelled%(reason)s. Any reserved items were restocked."),
            ),
            "refunded": Texts(
                _l("Refund for order #%(order_id)s"),
                _l(
                    "We refunded %(amount)s for order #%(order_id)s, which was cancelled. "
                    "It reaches your account in a few days."
                ),
            ),
        },
    )
)

LOW_STOCK = register(
    NotificationType(
        name="low_stock",
        label=_l("Low stock"),
        description=_l("A product's stock fell to or below its threshold."),
        icon="alert",
        audience=EMPLOYEES,
        texts={
            "": Texts(
                _l("Low stock: %(name)s"),
                Plural(
                    "Only %(stock)s left of %(name)s (SKU %(sku)s); the threshold is %(threshold)s.",
                    "Only %(stock)s left of %(name)s (SKU %(sku)s); the threshold is %(threshold)s.",
                    "stock",
                ),
            ),
            "out": Texts(_l("Low stock: %(name)s"), _l("%(name)s (SKU %(sku)s) is out of stock.")),
        },
    )
)

NEW_REVIEW = register(
    NotificationType(
        name="new_review",
        label=_l("New reviews"),
        description=_l("A customer reviewed a product."),
        icon="star",
        audience=ADMINS,
        texts={
            "": Texts(
                _l("New %(rating)s★ review of %(product)s"),
                _l("%(author)s rated %(product)s %(rating)s/5: “%(excerpt)s”"),
            )
        },
    )
)

PAYMENT_RECEIVED = register(
    NotificationType(
        name="payment_received",
        label=_l("Payments received"),
        description=_l("A customer's payment was confirmed by the payment provider."),
        icon="card",
        audience=ADMINS,
        texts={
            "": Texts(
                _l("Payment received: order #%(order_id)s"),
                _l("%(amount)s paid for order #%(order_id)s (%(provider)s)."),
            )
        },
    )
)

BACK_IN_STOCK = register(
    NotificationType(
        name="back_in_stock",
        label=_l("Back in stock"),
        description=_l("A product on your waitlist can be ordered again."),
        icon="restock",
        audience=CUSTOMERS,
        channels=(IN_APP, EMAIL, PUSH),
        default_channels=(IN_APP, EMAIL, PUSH),
        texts={
            "": Texts(
                _l("Back in stock: %(name)s"),
                Plural(
                    "%(name)s is back in stock (%(stock)s available). Order before it runs out again.",
                    "%(name)s is back in stock (%(stock)s available). Order before it runs out again.",
                    "stock",
                ),
            )
        },
    )
)

PROMOTION = register(
    NotificationType(
        name="promotion",
        label=_l("Promotions"),
        description=_l("Offers that match your interests. Their text is written by our staff."),
        icon="tag",
        audience=CUSTOMERS,
        channels=(IN_APP, EMAIL, PUSH),
    )
)

NEW_ORDER = register(
    NotificationType(
        name="new_order",
        label=_l("New orders"),
        description=_l("A customer placed an order. Orders placed in a burst arrive together, in one digest."),
        icon="cart",
        audience=EMPLOYEES,
        texts={
            "": Texts(_l("New order #%(order_id)s"), _l("%(customer)s placed order #%(order_id)s (%(total)s).")),
            "digest": Texts(
                Plural("%(count)s new order", "%(count)s new orders", "count"),
                Plural(
                    "Order %(orders)s was placed since the last alert.",
                    "Orders %(orders)s were placed since the last alert.",
                    "count",
                ),
            ),
        },
    )
)

MESSAGE = register(
    NotificationType(
        name="message",
        label=_l("Messages"),
        description=_l("Someone wrote in the conversation on an order: our staff to you, or a customer to the shop."),
        icon="message",
        audience=EVERYONE,
        channels=(IN_APP, EMAIL, PUSH),
        default_channels=(IN_APP, EMAIL, PUSH),
        texts={
            # To the order's customer, from an employee; the text is quoted as its author typed it.
            "": Texts(_l("New message about order #%(order_id)s"), _l("%(author)s: %(excerpt)s")),
            "to_staff": Texts(_l("%(author)s wrote about order #%(order_id)s"), _l("%(excerpt)s")),
        },
    )
)
