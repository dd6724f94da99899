"""Web Push in a real browser (headless Chromium) against the whole running system.

The customer turns on "Notify me on this device" on the preferences page; the page registers the
service worker (/sw.js, under the page's CSP), subscribes with the shop's VAPID key and hands the
subscription to the server. The customer leaves; their order's notification goes unseen, so the
worker pushes it, encrypted, to the push service; the service worker shows it.

Chromium's own push service is Google's, which these tests must not (and cannot) reach: in a
Playwright context (incognito) `pushManager.subscribe` is refused outright, and in a persistent profile
it waits on Google's servers. So the one part of the browser replaced here is the push service behind
`PushManager`: an init script answers `subscribe` with a subscription whose endpoint is the tests'
stand-in push service on 127.0.0.1 and whose keys the test holds. The test decrypts what the server
pushed there and hands it to the real service worker through the DevTools protocol
(`ServiceWorker.deliverPushMessage`), as the browser's push service would.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.channels_support import PushReceiver, PushService, check_vapid
from tests.e2e.browser import VIEWPORT, Console, screenshot_dir
from tests.e2e.harness import wait_until
from tests.e2e.test_browser import log_in
from tests.system.harness import database

try:
    from playwright.sync_api import expect
except ImportError:  # reported by the `browser` fixture (conftest.py)
    expect = None

pytestmark = pytest.mark.e2e

PUSH_WAIT_S = 10 + 20  # PUSH_AFTER_SECONDS (default 10), then the worker's check and send on a busy machine

# The browser's push service, replaced: subscribe() answers a subscription to the tests' stand-in (its
# endpoint and keys come from the test), remembered across this origin's pages like a real one.
PUSH_SERVICE_STAND_IN = """
(() => {
  const subscription = %(subscription)s;
  const STORED = "e2e.pushSubscription";
  const base64url = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  class StandInSubscription {
    constructor(applicationServerKey) {
      this.endpoint = subscription.endpoint;
      this.expirationTime = null;
      this.options = { userVisibleOnly: true, applicationServerKey };
    }
    toJSON() {
      return { endpoint: this.endpoint, expirationTime: null, keys: subscription.keys };
    }
    async unsubscribe() {
      localStorage.removeItem(STORED);
      return true;
    }
  }
  const restore = () => {
    const key = localStorage.getItem(STORED);
    if (!key) return null;
    const bytes = Uint8Array.from(atob(key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    return new StandInSubscription(bytes.buffer);
  };
  PushManager.prototype.subscribe = async function (options) {
    if (options?.userVisibleOnly !== true) throw new DOMException("userVisibleOnly is required", "NotAllowedError");
    const key = new Uint8Array(options.applicationServerKey).buffer;
    localStorage.setItem(STORED, base64url(key));
    return new StandInSubscription(key);
  };
  PushManager.prototype.getSubscription = async function () {
    return restore();
  };
})();
"""

SHOWN_NOTIFICATIONS = """
async () => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications();
  return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
}
"""


@pytest.fixture
def push_service():
    service = PushService().start()
    yield service
    service.stop()


@pytest.fixture
def device(request, browser, system, push_service):
    """A browser profile that allows notifications, whose push service is the stand-in; yields
    (context, console, receiver): the receiver holds the subscription's private keys."""
    receiver = PushReceiver()
    subscription = {"endpoint": push_service.endpoint("chromium"), "keys": receiver.keys()}
    context = browser.new_context(base_url=system.url, viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(15_000)
    context.grant_permissions(["notifications"], origin=system.url)
    context.add_init_script(PUSH_SERVICE_STAND_IN % {"subscription": json.dumps(subscription)})
    console = Console()
    failed_before = request.session.testsfailed
    yield context, console, receiver
    if request.session.testsfailed > failed_before:
        print(*console.lines, *console.page_errors, system.logs(), sep="\n")
    context.close()
    assert console.page_errors == [], "uncaught errors in the page"


class Registrations:
    """The service worker registrations the DevTools protocol reports for a page's browser context."""

    def __init__(self, context, page) -> None:
        self.session = context.new_cdp_session(page)
        self.seen: dict[str, dict] = {}
        self.versions: list[dict] = []
        self.lock = threading.Lock()
        self.session.on("ServiceWorker.workerRegistrationUpdated", self._registrations)
        self.session.on("ServiceWorker.workerVersionUpdated", self._versions)
        self.session.send("ServiceWorker.enable")

    def _registrations(self, event: dict) -> None:
        with self.lock:
            for registration in event["registrations"]:
                self.seen[registration["registrationId"]] = registration

    def _versions(self, event: dict) -> None:
        with self.lock:
            self.versions.extend(event["versions"])

    def active_for(self, scope: str) -> str | None:
        """The id of the live registration for `scope` whose worker is activated, or None."""
        with self.lock:
            ids = [r["registrationId"] for r in self.seen.values() if r["scopeURL"] == scope and not r["isDeleted"]]
            activated = {v["registrationId"] for v in self.versions if v["status"] == "activated"}
        return next((i for i in ids if i in activated), None)


def subscriptions_of(system, user_id: int) -> list[dict]:
    engine = database(system)
    try:
        with engine.connect() as conn:
            sql = sa.text("SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = :user")
            rows = conn.execute(sql, {"user": user_id})
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def test_the_device_switch_subscribes_and_the_service_worker_shows_an_unseen_notification(
    device, system, push_service, product, tmp_path
):
    context, console, receiver = device
    customer = system.register("Nadia Rossi")
    page = context.new_page()
    console.attach(page, "customer")

    # given: the preferences page, which asked the browser nothing on load
    log_in(page, customer, then="/preferences")
    device_switch = page.get_by_role("switch", name="Notify me on this device")
    expect(device_switch).to_be_enabled()
    expect(device_switch).not_to_be_checked()
    assert page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r === undefined)")
    registrations = Registrations(context, page)

    # when: the customer turns it on
    device_switch.click()

    # then: the switch is on, the service worker runs for the whole site, and the server holds the subscription
    expect(device_switch).to_be_checked()
    scope = f"{system.url}/"
    registration_id = wait_until(lambda: registrations.active_for(scope), timeout=15, what="an active service worker")
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => new URL(r.active.scriptURL).pathname)") == "/sw.js"
    saved = wait_until(
        lambda: subscriptions_of(system, customer["id"]), timeout=10, what="the subscription, on the server"
    )
    assert saved == [{"endpoint": push_service.endpoint("chromium"), **receiver.keys()}]
    public_key = system.api("GET", "/api/push/public-key", customer["token"]).json()["public_key"]
    assert page.evaluate("localStorage.getItem('e2e.pushSubscription')") == public_key  # subscribed with the shop's key
    assert not [line for line in console.lines if "Content Security Policy" in line], console.lines
    page.screenshot(path=screenshot_dir(tmp_path) / "preferences.png", full_page=True, animations="disabled")

    # when: the customer leaves the shop (no page to show it), and their order's notification goes unseen
    page.goto("/healthz")
    order_id = system.place_order(customer["token"], {product(stock=5): 1})
    notification = wait_until(
        lambda: next(
            (
                n
                for n in system.api("GET", "/api/notifications", customer["token"]).json()["items"]
                if n["data"].get("order_id") == order_id
            ),
            None,
        ),
        what="the order's notification",
    )

    # then: the server pushes it, encrypted for this browser and signed with the shop's VAPID key
    [sent] = push_service.wait_for(1, timeout=PUSH_WAIT_S)
    assert sent["path"] == urlsplit(push_service.endpoint("chromium")).path
    check_vapid(sent["headers"]["authorization"], push_service.origin)
    payload = receiver.decrypt(sent["body"])
    assert payload == notification

    # when: the push service hands it to the browser
    registrations.session.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": system.url, "registrationId": registration_id, "data": json.dumps(payload)},
    )

    # then: the service worker shows it, tagged with its id and linking to the order
    shown = wait_until(lambda: page.evaluate(SHOWN_NOTIFICATIONS), timeout=10, what="the notification shown")
    assert shown == [
        {
            "title": notification["title"],
            "body": notification["message"],
            "tag": str(notification["id"]),
            "data": {"url": f"/orders/{order_id}"},
        }
    ]
    assert notification["title"] == f"Order #{order_id} received"

    # when: the customer comes back and turns it off
    page.goto("/preferences")
    expect(device_switch).to_be_checked()  # this device's subscription, from the earlier visit
    device_switch.click()

    # then: the server forgets the subscription
    expect(device_switch).not_to_be_checked()
    wait_until(lambda: subscriptions_of(system, customer["id"]) == [], timeout=10, what="the subscription deleted")
