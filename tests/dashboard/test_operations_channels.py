"""The Operations page shows e-mail and push sends per channel, and the last failures with their reason."""

from __future__ import annotations

from tests.channels_support import SmtpServer
from tests.notifications.test_channels import _sends, _shipped_notification


def test_operations_shows_sends_per_channel_and_the_last_failures(app, client, customer, staff, make_product, sign_in):
    # given an e-mail that failed for good (the mail server refuses the recipient)
    server = SmtpServer().start()
    app.config["SMTP_URL"] = server.url
    server.inbox.refuse = True
    try:
        note = _shipped_notification(client, customer, staff, make_product)
    finally:
        app.config["SMTP_URL"] = None
        server.stop()
    assert _sends(note["id"])["email"] == "failed"
    # then the admins' Operations page counts it and says why
    _, admin = sign_in("admin")
    page = admin.get("/dashboard/operations/").get_data(as_text=True)
    assert 'id="ops-channel-failures"' in page and f"#{note['id']}" in page and "refused (550)" in page
