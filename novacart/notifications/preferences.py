"""Which notification types a user receives, and their interests (which promotions reach them).

The types, who may receive them and which cannot be turned off all come from the registry
(novacart/notifications/types.py). A type turned off is neither stored nor pushed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
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
    """The types a user of `role` may receive, as GET /api/notifications/types lists them (labels and
    descriptions in the locale in force)."""
    return [
        {
            "type": kind.name,
            "label": str(kind.label),
            "description": str(kind.description),
            "icon": kind.icon,
            "always_on": kind.always_on,
            "channels": list(kind.channels),
        }
        for kind in types.for_role(role)
    ]


def channel_on(kind: types.NotificationType, channel: str, overrides: dict[str, dict[str, bool]] | None) -> bool:
    """Whether a user with these overrides gets `kind` on `channel`: their own choice, else the type's default."""
    if channel not in kind.channels:
        return False
    chosen = (overrides or {}).get(channel, {}).get(kind.name)
    return chosen if isinstance(chosen, bool) else channel in kind.default_channels


def get_preferences(user_id: int) -> dict[str, Any]:
    """The user's switch for every type they may receive, per channel too, and their interests."""
    user = auth_services.get_user(user_id)
    pref = db.session.get(NotificationPreference, user_id)
    off = set(pref.disabled_types or []) if pref else set()
    overrides = pref.channel_overrides if pref else None
    kinds = types.for_role(user.role)
    return {
        "types": {kind.name: kind.name not in off for kind in kinds},
        "channels": {
            channel: {kind.name: channel_on(kind, channel, overrides) for kind in kinds if channel in kind.channels}
            for channel in (types.EMAIL, types.PUSH)
        },
        "interests": list(user.interests or []),
    }


def _apply_channels(pref: NotificationPreference, channels: dict[str, dict[str, bool]]) -> None:
    """Raises ValidationError for a channel or a type that cannot go together."""
    problems = [
        f"{type_} cannot be sent by {channel}."
        for channel, switches in channels.items()
        for type_ in switches
        if type_ not in types.REGISTRY or channel not in types.REGISTRY[type_].channels
    ]
    if problems:
        raise ValidationError(_l("Some types cannot use that channel."), {"channels": problems})
    merged = {channel: dict(values) for channel, values in (pref.channel_overrides or {}).items()}
    for channel, switches in channels.items():
        merged.setdefault(channel, {}).update(switches)
    pref.channel_overrides = merged


@transactional
def set_channel(user_id: int, type_: str, channel: str, on: bool) -> None:
    """Turn one type on one channel on or off (the unsubscribe link). Raises ValidationError."""
    pref = db.session.get(NotificationPreference, user_id) or NotificationPreference(user_id=user_id)
    _apply_channels(pref, {channel: {type_: on}})
    db.session.add(pref)


@transactional
def update_preferences(
    user_id: int,
    switches: dict[str, bool] | None,
    interests: list[str] | None,
    channels: dict[str, dict[str, bool]] | None = None,
) -> dict[str, Any]:
    """Turn types on or off (in-app), per channel too, and replace the interests; every part optional.

    Raises ValidationError for an unknown type, for turning off an always-on (transactional) one in
    the app, or for a type on a channel it cannot use.
    """
    user = auth_services.get_user(user_id)
    if channels:
        pref = db.session.get(NotificationPreference, user_id) or NotificationPreference(user_id=user_id)
        _apply_channels(pref, channels)
        db.session.add(pref)
    if switches:
        unknown = sorted(set(switches) - types.known(switches))
        if unknown:
            raise ValidationError(_l("Unknown notification types."), {"types": [f"Unknown type: {t}" for t in unknown]})
        forced = sorted(t for t, on in switches.items() if not on and t in types.always_on())
        if forced:
            raise ValidationError(
                _l("Order updates are transactional and cannot be turned off."),
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
