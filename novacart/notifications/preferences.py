"""Which notification types a user receives, and their interests (which promotions reach them).

The types, who may receive them and which cannot be turned off all come from the registry
(novacart/notifications/types.py). A type turned off is neither stored nor pushed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from novacart.auth import services as auth_services
from novacart.auth.models import Role
from novacart.db import transactional
from novacart.errors import ValidationError
from novacart.extensions import db
from novacart.notifications import types
from novacart.notifications.models import NotificationPreference

_PREFS = NotificationPreference.__table__


def normalise_interests(interests: Sequence[str] | None) -> list[str]:
    """Interests as stored and matched: trimmed, lower-case, unique, sorted."""
    return sorted({i.strip().lower() for i in interests or () if i and i.strip()})


def disabled_types(user_id: int) -> set[str]:
    pref = db.session.get(NotificationPreference, user_id)
    return set(pref.disabled_types or []) if pref else set()


def turned_off(type_: str, disabled: list[str] | None) -> bool:
    return type_ not in types.always_on() and type_ in (disabled or [])


def users_with_type_disabled(user_ids: Sequence[int], type_: str) -> set[int]:
    """Which of `user_ids` turned `type_` off (one query for the whole batch)."""
    if type_ in types.always_on() or not user_ids:
        return set()
    rows = db.session.execute(select(_PREFS.c.user_id, _PREFS.c.disabled_types).where(_PREFS.c.user_id.in_(user_ids)))
    return {user_id for user_id, disabled in rows if turned_off(type_, disabled)}


def types_for(role: Role) -> list[dict[str, Any]]:
    """The types a user of `role` may receive, as GET /api/notifications/types lists them."""
    return [
        {
            "type": kind.name,
            "label": kind.label,
            "description": kind.description,
            "icon": kind.icon,
            "always_on": kind.always_on,
            "channels": list(kind.channels),
        }
        for kind in types.for_role(role)
    ]


def get_preferences(user_id: int) -> dict[str, Any]:
    """The user's switch for every type they may receive, and their interests."""
    user = auth_services.get_user(user_id)
    off = disabled_types(user_id)
    return {
        "types": {kind.name: kind.name not in off for kind in types.for_role(user.role)},
        "interests": list(user.interests or []),
    }


@transactional
def update_preferences(user_id: int, switches: dict[str, bool] | None, interests: list[str] | None) -> dict[str, Any]:
    """Turn types on or off and replace the interests; both parts optional.

    Raises ValidationError for an unknown type or for turning off an always-on (transactional) one.
    """
    user = auth_services.get_user(user_id)
    if switches:
        unknown = sorted(set(switches) - types.known(switches))
        if unknown:
            raise ValidationError("Unknown notification types.", {"types": [f"Unknown type: {t}" for t in unknown]})
        forced = sorted(t for t, on in switches.items() if not on and t in types.always_on())
        if forced:
            raise ValidationError(
                "Order updates are transactional and cannot be turned off.",
                {"types": [f"{t} cannot be turned off." for t in forced]},
            )
        pref = db.session.get(NotificationPreference, user_id) or NotificationPreference(user_id=user_id)
        off = set(pref.disabled_types or [])
        off |= {t for t, on in switches.items() if not on}
        off -= {t for t, on in switches.items() if on}
        pref.disabled_types = sorted(off)
        db.session.add(pref)
    if interests is not None:
        user.interests = normalise_interests(interests)
    db.session.flush()
    return get_preferences(user_id)
