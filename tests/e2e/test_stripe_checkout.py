"""The React client paying with Stripe in headless Chromium, under the page's real Content-Security-Policy.

The system runs as processes with PAYMENT_PROVIDER=stripe; Stripe's API, for the server, is the local
stand-in (tests/stripe_standin.py). In the browser, Playwright answers the requests to Stripe's origins
with a small fake Stripe.js: its script from js.stripe.com (fetched by @stripe/stripe-js's loader), its
card frame from js.stripe.com, its confirmation call to api.stripe.com. Chromium applies the page's CSP to
those URLs all the same, so the test shows the policy lets Stripe.js load, frame and call, and that the
sandbox shop's pages refuse it. Every other host is aborted: nothing leaves the machine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.browser import PASSWORD, VIEWPORT
from tests.e2e.harness import System
from tests.stripe_standin import StripeStandIn

pytestmark = pytest.mark.e2e

STRIPE_JS = re.compile(r"^https://js\.stripe\.com/[a-z0-9]+/stripe\.js(\?.*)?$")
CARD_FRAME = "https://js.stripe.com/v3/elements-inner-card-fake.html"
# Just enough of Stripe.js for the client: elements(), a Payment Element that mounts Stripe's card frame,
# and confirmPayment(), which confirms the PaymentIntent with Stripe's API from the browser.
FAKE_STRIPE_JS = """
window.Stripe = function (publishableKey) {
  return {
    elements({ clientSecret }) {
      return {
        clientSecret,
        create(type) {
          let frame = null;
          const listeners = {};
          return {
            on(name, callback) { listeners[name] = callback; },
            mount(node) {
              frame = document.createElement("iframe");
              frame.title = "Secure payment input frame";
              frame.src = "CARD_FRAME";
              frame.addEventListener("load", () => listeners.ready && listeners.ready());
              node.append(frame);
            },
            destroy() { if (frame) frame.remove(); },
          };
        },
      };
    },
    async confirmPayment({ elements }) {
      const id = elements.clientSecret.split("_secret_")[0];
      const body = new URLSearchParams({ key: publishableKey, client_secret: elements.clientSecret });
      const response = await fetch(`https://api.stripe.com/v1/payment_intents/${id}/confirm`, { method: "POST", body });
      return { paymentIntent: await response.json() };
    },
  };
};
""".replace("CARD_FRAME", CARD_FRAME)


@pytest.fixture(scope="module")
def card_shop(stripe_api: StripeStandIn) -> Iterator[System]:
    from tests.system.conftest import _boot

    with ExitStack() as stack:
        yield _boot(stack, beat=False, extra_env=stripe_api.settings()).system


def _customer_with_an_order(system: System) -> tuple[dict, int]:
    staff, customer = system.employee("staff"), system.register("Card payer")
    product_id = system.add_product(staff["token"], price_cents=2490, name="Leather notebook")
    return customer, system.place_order(customer["token"], {product_id: 1})


def _log_in(page, customer: dict, then: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"/login?next={then}")
    page.get_by_label("Email").fill(customer["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(then) + r"$"))


def test_the_client_confirms_a_stripe_payment_with_stripe_js_under_its_csp(browser, card_shop, stripe_api):
    from playwright.sync_api import expect

    stripe_api.reset()
    system = card_shop
    customer, order_id = _customer_with_an_order(system)
    context = browser.new_context(base_url=system.url, viewport=VIEWPORT)
    page = context.new_page()
    own = urlsplit(system.url).netloc
    stripe_requests: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    def confirm(route, intent_id: str) -> None:
        # Stripe takes the money, answers the browser, and tells the shop through its webhook.
        intent = stripe_api.succeed(intent_id)
        body = json.dumps(stripe_api.event("payment_intent.succeeded", intent)).encode()
        delivered = requests.post(
            system.url + "/api/webhooks/stripe", data=body, headers=StripeStandIn.signed(body), timeout=10
        )
        assert delivered.status_code == 200, delivered.text
        public = {key: intent[key] for key in ("id", "object", "amount", "currency", "status")}
        route.fulfill(json=public, headers={"Access-Control-Allow-Origin": system.url})

    def route(route_) -> None:
        url = route_.request.url
        if urlsplit(url).netloc == own:
            return route_.continue_()
        if STRIPE_JS.match(url):
            stripe_requests.append("script")
            return route_.fulfill(body=FAKE_STRIPE_JS, content_type="application/javascript")
        if url == CARD_FRAME:
            stripe_requests.append("card frame")
            return route_.fulfill(body="<!doctype html><p>card number</p>", content_type="text/html")
        if match := re.fullmatch(r"https://api\.stripe\.com/v1/payment_intents/(pi_\w+)/confirm", url):
            stripe_requests.append("confirm")
            return confirm(route_, match[1])
        blocked.append(url)
        return route_.abort()

    context.route("**/*", route)
    try:
        _log_in(page, customer, f"/orders/{order_id}")
        # when the customer pays: Stripe's form appears in its own frame, and they confirm
        page.get_by_role("button", name="Pay now").click()
        expect(page.locator("iframe[title='Secure payment input frame']")).to_be_visible()
        page.get_by_role("button", name="Confirm payment").click()
        # then the order turns paid on the page, moved by Stripe's webhook
        expect(page.get_by_test_id("order-status")).to_have_text("paid", timeout=15_000)
        expect(page.get_by_test_id("stripe-payment")).to_have_count(0)
    finally:
        context.close()
    [created] = stripe_api.calls_to("POST", "/v1/payment_intents")
    assert created.params["amount"] == "2490" and created.params["currency"] == "eur"
    assert stripe_requests == ["script", "card frame", "confirm"]
    assert blocked == [] and [e for e in errors if "Content Security Policy" in e] == [], errors
    order = system.api("GET", f"/api/orders/{order_id}", customer["token"]).json()
    assert (order["status"], order["payment_status"]) == ("paid", "succeeded")


def test_a_sandbox_shops_pages_refuse_stripe_js(browser, system):
    # given the session's system, which takes payments with the sandbox
    context = browser.new_context(base_url=system.url, viewport=VIEWPORT)
    page = context.new_page()
    context.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(system.url) else route.abort()
    )
    try:
        page.goto("/")
        # when a script from js.stripe.com is added to the page
        refused = page.evaluate(
            """() => new Promise((resolve) => {
                 document.addEventListener(
                   "securitypolicyviolation", (e) => resolve([e.violatedDirective, e.blockedURI]));
                 const script = document.createElement("script");
                 script.src = "https://js.stripe.com/endive/stripe.js";
                 document.head.append(script);
               })"""
        )
    finally:
        context.close()
    # then the page's CSP refuses it
    assert refused == ["script-src-elem", "https://js.stripe.com/endive/stripe.js"]
