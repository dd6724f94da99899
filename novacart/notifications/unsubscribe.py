"""The unsubscribe link of every e-mail: /unsubscribe/<signed token>, usable without signing in.

GET shows what the link turns off, with a button; POST turns it off (the button, or a mail client's
one-click unsubscribe, RFC 8058). A GET alone changes nothing, so a link scanner that follows every
link in a message cannot unsubscribe anyone.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from novacart import i18n, ops
from novacart.auth import services as auth_services
from novacart.errors import DomainError
from novacart.notifications import mail, preferences, types

unsubscribe_bp = Blueprint("unsubscribe", __name__)


def _read(token: str) -> tuple[int, types.NotificationType, str]:
    read = mail.read_unsubscribe_token(token)
    if read is None or read[1] not in types.REGISTRY:
        abort(404)
    user_id, type_, channel = read
    return user_id, types.REGISTRY[type_], channel


@unsubscribe_bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """Turn one type off on one channel for the user the link was made for."""
    from flask import request

    user_id, kind, channel = _read(token)
    done = False
    if request.method == "POST":
        try:
            auth_services.get_user(user_id)
            preferences.set_channel(user_id, kind.name, channel, False)
        except DomainError:
            abort(404)
        done = True
    user = auth_services.users_by_ids([user_id]).get(user_id)
    with i18n.speaking(
        user.locale if user else i18n.current()
    ):  # the page speaks the language of the user the link was made for
        page = render_template(
            "unsubscribe.html",
            kind=kind,
            channel=channel,
            done=done,
            preferences_url=current_app.config["PUBLIC_URL"].rstrip("/") + "/preferences",
        )
    return ops.secured(current_app.make_response(page))
