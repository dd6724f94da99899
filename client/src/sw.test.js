/**
 * The service worker's handlers, run against a stand-in for its global scope: `registration`
 * (showNotification), `clients` (the open tabs) and its events. The push service and the browser's
 * notification centre are outside the client.
 */
import { describe, expect, it, vi } from "vitest";
import { listen, onNotificationClick, onPush } from "./sw.js";

const ORIGIN = "https://shop.example.test";

/** A worker scope: an EventTarget with a registration that records notifications, and open tabs. */
function workerScope(tabs = []) {
  const scope = new EventTarget();
  scope.location = new URL(`${ORIGIN}/sw.js`);
  scope.shown = [];
  scope.registration = {
    showNotification: vi.fn(async (title, options) => {
      scope.shown.push({ title, ...options });
    }),
  };
  scope.opened = [];
  scope.clients = {
    matchAll: vi.fn(async () => tabs),
    openWindow: vi.fn(async (url) => {
      scope.opened.push(url);
      return { url };
    }),
    claim: vi.fn(async () => {}),
  };
  scope.skipWaiting = vi.fn(async () => {});
  return scope;
}

/** A tab of the shop (or elsewhere); `controlled: false` makes navigate() fail, as for a tab the worker does not control. */
function tab(url, { controlled = true } = {}) {
  const client = {
    url,
    focused: false,
    focus: vi.fn(async () => {
      client.focused = true;
      return client;
    }),
    navigate: vi.fn(async (to) => {
      if (!controlled) throw new TypeError("This service worker is not the client's active service worker.");
      client.url = to;
      return client;
    }),
  };
  return client;
}

/** A push as the browser hands it over: `data` with json() and text() (PushMessageData), and waitUntil. */
function pushEvent(payload) {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  const event = new Event("push");
  event.data =
    payload === undefined
      ? null
      : {
          text: () => text,
          json: () => JSON.parse(text),
        };
  event.waitUntil = vi.fn();
  return event;
}

function clickEvent(shown) {
  const event = new Event("notificationclick");
  event.notification = { ...shown, close: vi.fn() };
  event.waitUntil = vi.fn();
  return event;
}

const shipped = {
  id: 42,
  user_id: 7,
  type: "order_status",
  title: "Order #12 has shipped",
  message: "Your order #12 is on its way.",
  data: { order_id: 12, status: "shipped", previous_status: "preparing" },
  is_read: false,
  read_at: null,
  created_at: "2026-11-22T10:15:00+00:00",
};

describe("service worker: push", () => {
  it("shows the notification the push carries: its title, its message, its id as the tag, its order's page", async () => {
    const scope = workerScope();
    const event = pushEvent(shipped);

    onPush(event, scope);
    await event.waitUntil.mock.calls[0][0];

    expect(scope.registration.showNotification).toHaveBeenCalledWith("Order #12 has shipped", {
      body: "Your order #12 is on its way.",
      tag: "42",
      data: { url: "/orders/12" },
      timestamp: Date.parse("2026-11-22T10:15:00+00:00"),
    });
    // The browser keeps the worker alive until the notification is shown.
    expect(event.waitUntil).toHaveBeenCalledWith(scope.registration.showNotification.mock.results[0].value);
  });

  it("links a back-in-stock push to its product, and one about neither to the home page", async () => {
    const scope = workerScope();

    onPush(pushEvent({ ...shipped, id: 5, type: "back_in_stock", title: "Pens are back", data: { product_id: 3 } }), scope);
    onPush(pushEvent({ ...shipped, id: 6, type: "promotion", title: "Sale", data: {} }), scope);

    await vi.waitFor(() => expect(scope.shown).toHaveLength(2));
    expect(scope.shown.map(({ title, tag, data }) => [title, tag, data.url])).toEqual([
      ["Pens are back", "5", "/products/3"],
      ["Sale", "6", "/"],
    ]);
  });

  it("still shows something for a push that is not a notification object, as the browser demands", async () => {
    const scope = workerScope();

    onPush(pushEvent("Plain words"), scope);
    onPush(pushEvent(undefined), scope);
    onPush(pushEvent([1, 2]), scope);

    await vi.waitFor(() => expect(scope.shown).toHaveLength(3));
    expect(scope.shown.map(({ title, body, tag, data }) => [title, body, tag, data.url])).toEqual([
      ["NovaCart", "Plain words", undefined, "/"],
      ["NovaCart", "You have a new notification.", undefined, "/"],
      ["NovaCart", "[1,2]", undefined, "/"],
    ]);
  });
});

describe("service worker: the fallback's language", () => {
  it("says the fallback in the browser's language among the shop's, else in English", async () => {
    const shown = [];
    for (const language of ["it-IT", "es", "vi-VN", "de-DE"]) {
      const scope = workerScope();
      scope.navigator = { language };
      onPush(pushEvent(undefined), scope);
      await vi.waitFor(() => expect(scope.shown).toHaveLength(1));
      shown.push(scope.shown[0].body);
    }
    expect(shown).toEqual(["Hai una nuova notifica.", "Tienes una notificación nueva.", "Bạn có một thông báo mới.", "You have a new notification."]);
  });
});

describe("service worker: notification click", () => {
  it("focuses the tab already showing the order", async () => {
    const other = tab(`${ORIGIN}/`);
    const showing = tab(`${ORIGIN}/orders/12`);
    const scope = workerScope([other, showing]);
    const event = clickEvent({ data: { url: "/orders/12" } });

    onNotificationClick(event, scope);
    await event.waitUntil.mock.calls[0][0];

    expect(event.notification.close).toHaveBeenCalled();
    expect(showing.focus).toHaveBeenCalled();
    expect(other.navigate).not.toHaveBeenCalled();
    expect(scope.clients.openWindow).not.toHaveBeenCalled();
    expect(scope.clients.matchAll).toHaveBeenCalledWith({ type: "window", includeUncontrolled: true });
  });

  it("brings an open tab of the shop to the product's page", async () => {
    const elsewhere = tab("https://elsewhere.example.test/orders/12");
    const shop = tab(`${ORIGIN}/cart`);
    const scope = workerScope([elsewhere, shop]);
    const event = clickEvent({ data: { url: "/products/3" } });

    onNotificationClick(event, scope);
    await event.waitUntil.mock.calls[0][0];

    expect(shop.navigate).toHaveBeenCalledWith(`${ORIGIN}/products/3`);
    expect(shop.focused).toBe(true);
    expect(elsewhere.navigate).not.toHaveBeenCalled();
    expect(scope.clients.openWindow).not.toHaveBeenCalled();
  });

  it("opens a window on the page when no tab of the shop is open, or none can be moved", async () => {
    const none = workerScope([]);
    const stuck = tab(`${ORIGIN}/`, { controlled: false });
    const uncontrolled = workerScope([stuck]);
    const first = clickEvent({ data: { url: "/orders/12" } });
    const second = clickEvent({ data: { url: "/orders/12" } });

    onNotificationClick(first, none);
    onNotificationClick(second, uncontrolled);
    await Promise.all([first.waitUntil.mock.calls[0][0], second.waitUntil.mock.calls[0][0]]);

    expect(none.opened).toEqual([`${ORIGIN}/orders/12`]);
    expect(uncontrolled.opened).toEqual([`${ORIGIN}/orders/12`]);
  });

  it("never leaves the shop: a link to another site opens the home page", async () => {
    const scope = workerScope([]);
    const event = clickEvent({ data: { url: "https://evil.example.test/phish" } });

    onNotificationClick(event, scope);
    await event.waitUntil.mock.calls[0][0];

    expect(scope.opened).toEqual([`${ORIGIN}/`]);
  });

  it("opens the home page for a notification without data", async () => {
    const scope = workerScope([]);
    const event = clickEvent({});

    onNotificationClick(event, scope);
    await event.waitUntil.mock.calls[0][0];

    expect(scope.opened).toEqual([`${ORIGIN}/`]);
  });
});

describe("service worker: wiring", () => {
  it("listens to push and notificationclick, and takes over at once when installed", async () => {
    const shop = tab(`${ORIGIN}/`);
    const scope = workerScope([shop]);
    listen(scope);

    scope.dispatchEvent(new Event("install"));
    const activate = Object.assign(new Event("activate"), { waitUntil: vi.fn() });
    scope.dispatchEvent(activate);
    const push = pushEvent(shipped);
    scope.dispatchEvent(push);
    await push.waitUntil.mock.calls[0][0];
    const click = clickEvent(scope.shown[0]);
    scope.dispatchEvent(click);
    await click.waitUntil.mock.calls[0][0];

    expect(scope.skipWaiting).toHaveBeenCalled();
    expect(scope.clients.claim).toHaveBeenCalled();
    expect(scope.shown.map((n) => n.title)).toEqual(["Order #12 has shipped"]);
    expect(shop.navigate).toHaveBeenCalledWith(`${ORIGIN}/orders/12`);
  });
});
