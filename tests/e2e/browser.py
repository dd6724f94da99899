"""Headless Chromium (Debian's package) driven by Playwright, for the browser tests of the React client.

Never `playwright install`: the browser is the system's `chromium`, which `make setup` installs. When it
(or the playwright package) is missing, the browser tests fail: a missing browser is a broken set-up,
not a reason to go green. Skipping them takes an explicit `SKIP_BROWSER=1` (scripts/test.sh says so).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "password123"  # what System.register() and System.employee() give everyone

# Two ways a browser can be without WebSocket, as init scripts that replace window.WebSocket:
# - "refused": the connection fails the way a refused upgrade does (error, then close 1006, never open);
#   each attempt is a `connect_error`, and the client falls back after two of them;
# - "throws": the constructor throws (as for a blocked scheme). engine.io emits that error before it
#   listens to the transport, so Socket.IO hears nothing until its 20 s timeout: the client's own 5 s
#   fallback timer is what saves it.
BLOCK_WEBSOCKET = {
    "refused": """
(() => {
  class RefusedWebSocket extends EventTarget {
    constructor(url) {
      super();
      Object.assign(this, { url, readyState: 0, protocol: "", extensions: "", bufferedAmount: 0, binaryType: "blob" });
      setTimeout(() => {
        this.readyState = 3;
        const error = new Event("error");
        this.onerror?.(error);
        this.dispatchEvent(error);
        const close = new CloseEvent("close", { code: 1006, reason: "", wasClean: false });
        this.onclose?.(close);
        this.dispatchEvent(close);
      }, 20);
    }
    send() { throw new DOMException("WebSocket is not open", "InvalidStateError"); }
    close() {}
  }
  Object.assign(RefusedWebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  Object.defineProperty(window, "WebSocket", { value: RefusedWebSocket, configurable: true, writable: true });
})();
""",
    "throws": """
(() => {
  function BlockedWebSocket() { throw new DOMException("WebSocket blocked by the test", "SecurityError"); }
  Object.assign(BlockedWebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  Object.defineProperty(window, "WebSocket", { value: BlockedWebSocket, configurable: true, writable: true });
})();
""",
}


def skipping() -> bool:
    return os.environ.get("SKIP_BROWSER", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """No browser: a failure, unless SKIP_BROWSER=1 asked for the browser tests to be skipped."""
    if skipping():
        pytest.skip(f"browser tests skipped (SKIP_BROWSER=1): {reason}")
    pytest.fail(
        f"browser tests cannot run: {reason} (make setup installs Chromium; SKIP_BROWSER=1 skips)", pytrace=False
    )


def chromium_path() -> str | None:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    return found if os.path.isfile(found) and os.access(found, os.X_OK) else None


def launch(playwright: Any):
    path = chromium_path()
    if path is None:
        unavailable("Chromium is not installed (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)


def screenshot_dir(fallback: Path) -> Path:
    """docs/screenshots when UPDATE_SCREENSHOTS=1 (to refresh the README's images), else `fallback`.

    Every run takes the screenshots; only an explicit request overwrites the committed ones, so a test
    run leaves the working tree as it found it.
    """
    if os.environ.get("UPDATE_SCREENSHOTS", "").strip().lower() in {"1", "true", "yes"}:
        target = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    else:
        target = fallback
    target.mkdir(parents=True, exist_ok=True)
    return target


class Console:
    """What a page said: console errors and uncaught exceptions, for assertions and post-mortems."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.page_errors: list[str] = []

    def attach(self, page: Any, name: str) -> None:
        page.on("console", lambda msg: self.lines.append(f"[{name}] {msg.type}: {msg.text}"))
        page.on("pageerror", lambda error: self.page_errors.append(f"[{name}] {error}"))
