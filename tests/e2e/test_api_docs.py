"""The API's documentation works with no internet access: every asset comes from NovaCart itself."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.browser import VIEWPORT

pytestmark = pytest.mark.e2e


@pytest.fixture
def offline_page(browser, system):
    """A page whose requests to any host but NovaCart's are aborted, recording them and console errors."""
    context = browser.new_context(base_url=system.url, viewport=VIEWPORT)
    page = context.new_page()
    own = urlsplit(system.url).netloc
    blocked: list[str] = []
    errors: list[str] = []

    def route(route_) -> None:
        if urlsplit(route_.request.url).netloc == own:
            route_.continue_()
        else:
            blocked.append(route_.request.url)
            route_.abort()

    page.route("**/*", route)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page, blocked, errors
    context.close()


def test_swagger_ui_renders_offline_under_the_strict_csp(offline_page):
    from playwright.sync_api import expect

    page, blocked, errors = offline_page
    page.goto("/api/docs")
    expect(page.get_by_text("NovaCart API").first).to_be_visible()
    # the operations of the document are listed, by path
    expect(page.locator(".opblock-summary-path", has_text="/api/orders/{order_id}/pay").first).to_be_visible()
    page.locator(".opblock-summary-path", has_text="/api/notifications/types").first.click()
    # its error responses are described as problem details
    expect(page.locator("option[value='application/problem+json']").first).to_be_attached()
    assert blocked == [] and [e for e in errors if "Content Security Policy" in e] == []


def test_the_asyncapi_page_lists_every_event_offline(offline_page):
    from playwright.sync_api import expect

    from novacart import wire

    page, blocked, errors = offline_page
    page.goto("/api/asyncapi")
    for event in wire.EVENTS:
        expect(page.locator("h2 code", has_text=event.name).first).to_be_visible()
    assert blocked == [] and errors == []
