import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { problem } from "../test/fetchMock.js";
import { KEYS, OTHER_PUBLIC_KEY, PUBLIC_KEY, installPushBrowser } from "../test/fakePush.js";
import { customer, renderApp, servePreferencesPage } from "../test/fixtures.jsx";
import { WORKER_START_MS, base64UrlToBytes, enableDevicePush } from "./device.js";

let api;

beforeEach(() => {
  api = servePreferencesPage({ types: { order_status: true, back_in_stock: true, promotion: true }, channels: { email: {}, push: {} }, interests: [] });
  api.on("GET", "/api/push/public-key", { body: { public_key: PUBLIC_KEY } });
  api.on("POST", "/api/push/subscriptions", { status: 201 });
  api.on("DELETE", "/api/push/subscriptions", { status: 204 });
});

afterEach(() => {
  vi.useRealTimers();
});

const theSwitch = () => screen.getByRole("switch", { name: "Notify me on this device" });

/** The switch once the page has asked the browser where this device stands. */
async function settledSwitch(state) {
  await waitFor(() => expect(document.querySelector(".prefs__device")).toHaveAttribute("data-state", state));
  return theSwitch();
}

/** Open the preferences page and turn this device's push on, as the customer does. */
async function turnedOn(user) {
  renderApp("/preferences");
  await user.click(await settledSwitch("off"));
  await waitFor(() => expect(theSwitch()).toBeChecked());
}

describe("notify me on this device", () => {
  it("asks the browser nothing on load: no permission prompt, no service worker", async () => {
    const browser = installPushBrowser();
    renderApp("/preferences");

    const toggle = await settledSwitch("off");
    expect(toggle).not.toBeChecked();
    expect(toggle).toBeEnabled();
    expect(browser.calls.requestPermission).toBe(0);
    expect(browser.calls.register).toEqual([]);
    expect(api.callsTo("GET", "/api/push/public-key")).toEqual([]);
  });

  it("on a click: asks for permission, registers /sw.js for the whole site, subscribes with the shop's key and tells the server", async () => {
    const browser = installPushBrowser();
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await settledSwitch("off"));

    await waitFor(() => expect(theSwitch()).toBeChecked());
    expect(browser.calls.requestPermission).toBe(1);
    expect(browser.calls.register).toEqual([["/sw.js", { scope: "/" }]]);
    expect(browser.calls.subscribe).toHaveLength(1);
    expect(browser.calls.subscribe[0].userVisibleOnly).toBe(true);
    expect(Array.from(browser.calls.subscribe[0].applicationServerKey)).toEqual(Array.from(base64UrlToBytes(PUBLIC_KEY)));
    expect(api.callsTo("POST", "/api/push/subscriptions").map((c) => c.body)).toEqual([
      { endpoint: browser.subscription.endpoint, keys: KEYS },
    ]);
    expect(theSwitch()).toBeEnabled();
  });

  it("turning it off: the server forgets the subscription, then the browser drops it", async () => {
    const browser = installPushBrowser({ permission: "granted" });
    const user = userEvent.setup();
    await turnedOn(user);
    const subscription = browser.subscription;

    await user.click(theSwitch());

    await waitFor(() => expect(theSwitch()).not.toBeChecked());
    expect(api.callsTo("DELETE", "/api/push/subscriptions").map((c) => c.body)).toEqual([{ endpoint: subscription.endpoint }]);
    expect(subscription.unsubscribe).toHaveBeenCalledTimes(1);
    expect(browser.subscription).toBeNull();
  });

  it("keeps it on when the server cannot be told that it is off, and says why", async () => {
    const browser = installPushBrowser({ permission: "granted" });
    const user = userEvent.setup();
    await turnedOn(user);
    api.on("DELETE", "/api/push/subscriptions", () => Promise.reject(new TypeError("Failed to fetch")));

    await user.click(theSwitch());

    expect(await screen.findByRole("alert")).toHaveTextContent("Could not reach the server.");
    expect(theSwitch()).toBeChecked();
    expect(browser.subscription.unsubscribe).not.toHaveBeenCalled();
  });

  it("shows on for this account's subscription from an earlier visit", async () => {
    const browser = installPushBrowser({ permission: "granted" });
    await turnedOn(userEvent.setup());
    const subscription = browser.subscription;

    // a later visit
    document.body.innerHTML = "";
    renderApp("/preferences");

    expect(await settledSwitch("on")).toBeChecked();
    expect(subscription.unsubscribe).not.toHaveBeenCalled();
  });

  it("drops a subscription another account left on this browser, so its notifications never show here", async () => {
    const browser = installPushBrowser({ permission: "granted" });
    const left = browser.subscribed();
    window.localStorage.setItem("novacart.pushUser", String(customer.id + 1));
    renderApp("/preferences");

    expect(await settledSwitch("off")).not.toBeChecked();
    expect(left.unsubscribe).toHaveBeenCalledTimes(1);
    expect(api.callsTo("POST", "/api/push/subscriptions")).toEqual([]);
  });

  it("subscribes again when the browser's subscription was made with a key the shop no longer uses", async () => {
    const browser = installPushBrowser({ permission: "granted" });
    const stale = browser.subscribed(OTHER_PUBLIC_KEY); // e.g. made in another tab before the shop changed keys

    const subscription = await enableDevicePush(customer.id);

    expect(stale.unsubscribe).toHaveBeenCalledTimes(1);
    expect(browser.calls.subscribe).toHaveLength(1);
    expect(subscription).not.toBe(stale);
    expect(api.callsTo("POST", "/api/push/subscriptions").map((c) => c.body.endpoint)).toEqual([subscription.endpoint]);
  });

  it("keeps the browser's subscription when it was made with the shop's key", async () => {
    const browser = installPushBrowser({ permission: "granted" });
    const current = browser.subscribed(PUBLIC_KEY);

    expect(await enableDevicePush(customer.id)).toBe(current);
    expect(current.unsubscribe).not.toHaveBeenCalled();
    expect(browser.calls.subscribe).toEqual([]);
  });

  it("says what to do when this browser has no push support", async () => {
    installPushBrowser({ supported: false });
    renderApp("/preferences");

    const toggle = await settledSwitch("unsupported");
    expect(toggle).toBeDisabled();
    expect(toggle).toHaveAccessibleDescription(/This browser cannot show push notifications\. Use a recent Chrome, Edge, Firefox or Safari/);
  });

  it("says how to unblock notifications when the browser refuses them, without asking", async () => {
    const browser = installPushBrowser({ permission: "denied" });
    renderApp("/preferences");

    const toggle = await settledSwitch("denied");
    expect(toggle).toBeDisabled();
    expect(toggle).toHaveAccessibleDescription(/Notifications are blocked for this site\. Allow them in your browser's site settings/);
    expect(browser.calls.requestPermission).toBe(0);
  });

  it("says how to unblock them when the user blocks them at the prompt", async () => {
    const browser = installPushBrowser({ answer: "denied" });
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await settledSwitch("off"));

    const toggle = await settledSwitch("denied");
    expect(toggle).not.toBeChecked();
    expect(toggle).toHaveAccessibleDescription(/Notifications are blocked for this site/);
    expect(browser.calls.register).toEqual([]);
    expect(api.callsTo("POST", "/api/push/subscriptions")).toEqual([]);
  });

  it("stays off when the prompt is dismissed, and asks again on the next click", async () => {
    const browser = installPushBrowser({ answer: "default" });
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await settledSwitch("off"));

    expect(await screen.findByRole("alert")).toHaveTextContent("You did not allow notifications. Turn the switch on again to be asked again.");
    expect(theSwitch()).not.toBeChecked();
    await user.click(theSwitch());
    await waitFor(() => expect(browser.calls.requestPermission).toBe(2));
  });

  it("says so when the browser's push service cannot be reached", async () => {
    installPushBrowser({ subscribeError: new DOMException("Registration failed - push service error", "AbortError") });
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await settledSwitch("off"));

    expect(await screen.findByRole("alert")).toHaveTextContent("Your browser could not reach its push service. Please try again later.");
    expect(theSwitch()).not.toBeChecked();
    expect(api.callsTo("POST", "/api/push/subscriptions")).toEqual([]);
  });

  it("gives up, and says so, when the service worker never starts", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const browser = installPushBrowser({ activates: false });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    renderApp("/preferences");
    await user.click(await settledSwitch("off"));
    await waitFor(() => expect(browser.calls.register).toHaveLength(1));

    await act(async () => vi.advanceTimersByTime(WORKER_START_MS));

    expect(await screen.findByRole("alert")).toHaveTextContent("Notifications could not be set up in this browser. Reload the page and try again.");
    expect(theSwitch()).not.toBeChecked();
    expect(theSwitch()).toBeEnabled();
    expect(browser.calls.subscribe).toEqual([]);
  });

  it("says so when the shop has no push key configured", async () => {
    const browser = installPushBrowser();
    api.on("GET", "/api/push/public-key", problem(503, "service_unavailable", { detail: "Web Push is not configured on this shop (VAPID_PRIVATE_KEY)." }));
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await settledSwitch("off"));

    expect(await screen.findByRole("alert")).toHaveTextContent("This shop does not send push notifications yet.");
    expect(browser.calls.subscribe).toEqual([]);
    expect(theSwitch()).not.toBeChecked();
  });

  it("shows the server's refusal of the subscription", async () => {
    installPushBrowser();
    api.on("POST", "/api/push/subscriptions", problem(422, "validation_error", { detail: "A push endpoint must be an https URL." }));
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await settledSwitch("off"));

    expect(await screen.findByRole("alert")).toHaveTextContent("A push endpoint must be an https URL.");
    expect(theSwitch()).not.toBeChecked();
  });

  it("says it is setting up while it does, and takes no second click meanwhile", async () => {
    installPushBrowser();
    let answerKey;
    api.on("GET", "/api/push/public-key", () => new Promise((resolve) => (answerKey = resolve)));
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await settledSwitch("off"));

    expect(await screen.findByText("Setting up…")).toBeInTheDocument();
    expect(theSwitch()).toBeDisabled();
    await waitFor(() => expect(answerKey).toBeTypeOf("function"));
    answerKey({ body: { public_key: PUBLIC_KEY } });
    await waitFor(() => expect(theSwitch()).toBeChecked());
    expect(screen.queryByText("Setting up…")).not.toBeInTheDocument();
  });

  it("signing out stops this browser's pushes: the server forgets the subscription and the browser drops it", async () => {
    const browser = installPushBrowser({ permission: "granted" });
    api.on("POST", "/api/auth/logout", { status: 204 });
    const user = userEvent.setup();
    await turnedOn(user);
    const subscription = browser.subscription;

    await user.click(screen.getByRole("button", { name: "Log out" }));

    await waitFor(() => expect(api.callsTo("POST", "/api/auth/logout")).toHaveLength(1));
    expect(api.callsTo("DELETE", "/api/push/subscriptions").map((c) => c.body)).toEqual([{ endpoint: subscription.endpoint }]);
    expect(subscription.unsubscribe).toHaveBeenCalledTimes(1);
    const order = api.calls.map((c) => `${c.method} ${c.path}`);
    expect(order.indexOf("DELETE /api/push/subscriptions")).toBeLessThan(order.indexOf("POST /api/auth/logout"));
  });
});
