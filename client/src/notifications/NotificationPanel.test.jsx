import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { installFetch } from "../test/fetchMock.js";
import { customerTypes, makeNotification, renderApp, signIn } from "../test/fixtures.jsx";

const minutesAgo = (m) => new Date(Date.now() - m * 60_000).toISOString();

let api;

function serveNotifications(pages) {
  // pages: {all: [page...], unread: [page...]} keyed by cursor order
  api.on("GET", "/api/notifications", ({ query }) => {
    const list = query.unread_only === "true" ? pages.unread : pages.all;
    const index = query.cursor ? Number(query.cursor.replace("c", "")) : 0;
    return { body: list[index] };
  });
}

async function openPanel(user) {
  await user.click(await screen.findByRole("button", { name: /Notifications/ }));
  return screen.findByRole("dialog", { name: "Notifications" });
}

describe("notification panel", () => {
  beforeEach(() => {
    signIn();
    api = installFetch();
    api.on("GET", "/api/products", { body: { items: [], next_cursor: null } });
    api.on("GET", "/api/notifications/types", { body: customerTypes });
  });

  it("shows an empty state", async () => {
    serveNotifications({ all: [{ items: [], next_cursor: null, unread_count: 0 }] });
    const user = userEvent.setup();
    renderApp("/");

    const panel = await openPanel(user);

    expect(await within(panel).findByText("No notifications yet")).toBeInTheDocument();
    expect(within(panel).getByRole("button", { name: "Mark all as read" })).toBeDisabled();
  });

  it("shows a loading state until the first page arrives", async () => {
    let answer;
    api.on("GET", "/api/notifications", () => new Promise((resolve) => (answer = resolve)));
    const user = userEvent.setup();
    renderApp("/");

    const panel = await openPanel(user);

    expect(within(panel).getByText("Loading notifications…")).toBeInTheDocument();
    await act(async () => answer({ body: { items: [makeNotification({ title: "Hello" })], next_cursor: null, unread_count: 1 } }));
    expect(await within(panel).findByText("Hello")).toBeInTheDocument();
    expect(within(panel).queryByText("Loading notifications…")).not.toBeInTheDocument();
  });

  it("lists notifications newest first with relative times, type icons and the unread count", async () => {
    const newer = makeNotification({ id: 2, type: "back_in_stock", title: "Stapler is back", created_at: minutesAgo(2) });
    const older = makeNotification({ id: 1, type: "order_status", title: "Order #5 shipped", created_at: minutesAgo(120), is_read: true });
    serveNotifications({ all: [{ items: [newer, older], next_cursor: null, unread_count: 1 }] });
    const user = userEvent.setup();
    renderApp("/");

    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    const panel = await openPanel(user);

    const items = await within(panel).findAllByTestId("notification-item");
    expect(items.map((i) => i.dataset.id)).toEqual(["2", "1"]);
    expect(items[0]).toHaveTextContent("2 minutes ago");
    expect(items[1]).toHaveTextContent("2 hours ago");
    expect(items[0]).toHaveAttribute("data-read", "false");
    // The icon the server names for each type (GET /api/notifications/types), and the type's label.
    await waitFor(() => expect(items[0].querySelector(".type-icon--restock")).not.toBeNull());
    expect(items[1].querySelector(".type-icon--package")).not.toBeNull();
    expect(within(items[0]).getByRole("button", { name: /^Stapler is back.*, Back in stock, unread$/ })).toBeInTheDocument();
  });

  it("marks one notification read", async () => {
    const n = makeNotification({ id: 3, title: "Paid" });
    serveNotifications({ all: [{ items: [n], next_cursor: null, unread_count: 1 }] });
    api.on("PATCH", "/api/notifications/3/read", { body: { ...n, is_read: true } });
    const user = userEvent.setup();
    renderApp("/");
    const panel = await openPanel(user);

    await user.click(await within(panel).findByRole("button", { name: "Mark as read: Paid" }));

    expect(api.callsTo("PATCH", "/api/notifications/3/read")).toHaveLength(1);
    expect(within(panel).getByTestId("notification-item")).toHaveAttribute("data-read", "true");
    expect(screen.getByRole("button", { name: "Notifications" })).toBeInTheDocument();
    expect(screen.queryByTestId("unread-badge")).not.toBeInTheDocument();
  });

  it("opens the order a notification is about, marking it read", async () => {
    const n = makeNotification({ id: 4, title: "Order #5 shipped", data: { order_id: 5 } });
    serveNotifications({ all: [{ items: [n], next_cursor: null, unread_count: 1 }] });
    api.on("PATCH", "/api/notifications/4/read", { body: { ...n, is_read: true } });
    api.on("GET", "/api/orders/5", { body: { id: 5, status: "shipped", items: [], history: [], total_cents: 0, created_at: minutesAgo(60) } });
    const user = userEvent.setup();
    renderApp("/");
    const panel = await openPanel(user);

    await user.click(await within(panel).findByText("Order #5 shipped"));

    expect(screen.getByTestId("location")).toHaveTextContent("/orders/5");
    expect(api.callsTo("PATCH", "/api/notifications/4/read")).toHaveLength(1);
    expect(screen.queryByRole("dialog", { name: "Notifications" })).not.toBeInTheDocument();
  });

  it("opens the product of a back-in-stock notification", async () => {
    const n = makeNotification({ id: 6, type: "back_in_stock", title: "Back!", data: { product_id: 8 }, is_read: true });
    serveNotifications({ all: [{ items: [n], next_cursor: null, unread_count: 0 }] });
    api.on("GET", "/api/products/8", { body: { id: 8, name: "Stapler", stock: 3, price_cents: 500 } });
    const user = userEvent.setup();
    renderApp("/");
    const panel = await openPanel(user);

    await user.click(await within(panel).findByText("Back!"));

    expect(screen.getByTestId("location")).toHaveTextContent("/products/8");
    expect(api.callsTo("PATCH", /read$/)).toHaveLength(0);
  });

  it("marks all read", async () => {
    const items = [makeNotification({ id: 10 }), makeNotification({ id: 11 })];
    serveNotifications({ all: [{ items, next_cursor: null, unread_count: 2 }] });
    api.on("PATCH", "/api/notifications/mark-all-read", { body: { updated: 2 } });
    const user = userEvent.setup();
    renderApp("/");
    const panel = await openPanel(user);
    await within(panel).findAllByTestId("notification-item");

    await user.click(within(panel).getByRole("button", { name: "Mark all as read" }));

    expect(api.callsTo("PATCH", "/api/notifications/mark-all-read")).toHaveLength(1);
    for (const item of within(panel).getAllByTestId("notification-item")) expect(item).toHaveAttribute("data-read", "true");
    expect(screen.queryByTestId("unread-badge")).not.toBeInTheDocument();
  });

  it("deletes a notification", async () => {
    const items = [makeNotification({ id: 12, title: "Keep" }), makeNotification({ id: 13, title: "Remove me" })];
    serveNotifications({ all: [{ items, next_cursor: null, unread_count: 2 }] });
    api.on("DELETE", "/api/notifications/13", { status: 204 });
    const user = userEvent.setup();
    renderApp("/");
    const panel = await openPanel(user);

    await user.click(await within(panel).findByRole("button", { name: "Delete: Remove me" }));

    expect(api.callsTo("DELETE", "/api/notifications/13")).toHaveLength(1);
    expect(within(panel).getAllByTestId("notification-item")).toHaveLength(1);
    expect(screen.getByTestId("unread-badge")).toHaveTextContent("1");
  });

  it("filters to unread notifications", async () => {
    const read = makeNotification({ id: 20, title: "Old news", is_read: true });
    const unread = makeNotification({ id: 21, title: "Fresh" });
    serveNotifications({
      all: [{ items: [unread, read], next_cursor: null, unread_count: 1 }],
      unread: [{ items: [unread], next_cursor: null, unread_count: 1 }],
    });
    const user = userEvent.setup();
    renderApp("/");
    const panel = await openPanel(user);
    await within(panel).findByText("Old news");

    await user.click(within(panel).getByRole("button", { name: /^Unread/ }));

    await waitFor(() => expect(within(panel).queryByText("Old news")).not.toBeInTheDocument());
    expect(within(panel).getByText("Fresh")).toBeInTheDocument();
    expect(within(panel).getByRole("button", { name: /^Unread/ })).toHaveAttribute("aria-pressed", "true");
    expect(api.callsTo("GET", "/api/notifications").some((c) => c.query.unread_only === "true")).toBe(true);
  });

  it("loads more with the cursor", async () => {
    const first = Array.from({ length: 20 }, (_, i) => makeNotification({ id: 100 - i, created_at: minutesAgo(i + 1), is_read: true }));
    const second = [makeNotification({ id: 50, title: "From page two", created_at: minutesAgo(600), is_read: true })];
    serveNotifications({ all: [{ items: first, next_cursor: "c1", unread_count: 0 }, { items: second, next_cursor: null, unread_count: 0 }] });
    const user = userEvent.setup();
    renderApp("/");
    const panel = await openPanel(user);
    expect(await within(panel).findAllByTestId("notification-item")).toHaveLength(20);
    expect(api.callsTo("GET", "/api/notifications")[0].query.limit).toBe("20");

    await user.click(within(panel).getByRole("button", { name: "Load more" }));

    expect(await within(panel).findByText("From page two")).toBeInTheDocument();
    expect(within(panel).getAllByTestId("notification-item")).toHaveLength(21);
    expect(api.callsTo("GET", "/api/notifications").at(-1).query.cursor).toBe("c1");
    expect(within(panel).queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("loads more when the end of the list scrolls into view", async () => {
    const observers = [];
    vi.stubGlobal(
      "IntersectionObserver",
      class {
        constructor(callback) {
          this.callback = callback;
          observers.push(this);
        }
        observe() {}
        disconnect() {}
      },
    );
    serveNotifications({
      all: [
        { items: [makeNotification({ id: 2, is_read: true })], next_cursor: "c1", unread_count: 0 },
        { items: [makeNotification({ id: 1, title: "Scrolled in", created_at: minutesAgo(90), is_read: true })], next_cursor: null, unread_count: 0 },
      ],
    });
    const user = userEvent.setup();
    renderApp("/");
    const panel = await openPanel(user);
    await within(panel).findByRole("button", { name: "Load more" });

    await act(async () => observers.at(-1).callback([{ isIntersecting: true }]));

    expect(await within(panel).findByText("Scrolled in")).toBeInTheDocument();
  });

  it("closes on Escape and gives focus back to the bell", async () => {
    serveNotifications({ all: [{ items: [], next_cursor: null, unread_count: 0 }] });
    const user = userEvent.setup();
    renderApp("/");
    await openPanel(user);
    expect(screen.getByRole("heading", { name: "Notifications" })).toHaveFocus();

    await user.keyboard("{Escape}");

    expect(screen.queryByRole("dialog", { name: "Notifications" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: /Notifications/ })).toHaveFocus();
    expect(screen.getByRole("button", { name: /Notifications/ })).toHaveAttribute("aria-expanded", "false");
  });
});
