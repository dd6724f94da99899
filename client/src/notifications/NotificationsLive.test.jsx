/** The provider, bell, toasts and connection indicator together, driven through a fake socket. */
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { installFetch } from "../test/fetchMock.js";
import { makeNotification, renderApp, signIn } from "../test/fixtures.jsx";

let api;

let stored;

/** The server's side: store the notification (the database is the truth), then push it. */
function deliver(socket, notification) {
  stored.unshift(notification);
  socket.fire("notification", notification);
}

function start(initial = []) {
  stored = [...initial];
  api.on("GET", "/api/notifications", ({ query }) => {
    const items = query.unread_only === "true" ? stored.filter((n) => !n.is_read) : stored;
    return { body: { items, next_cursor: null, unread_count: stored.filter((n) => !n.is_read).length } };
  });
  const view = renderApp("/");
  return { ...view, socket: () => view.socketFactory.last() };
}

async function connect(socket) {
  await act(async () => {
    await socket.serverConnect();
  });
}

describe("live notifications", () => {
  beforeEach(() => {
    signIn();
    api = installFetch();
    api.on("GET", "/api/products", { body: { items: [], next_cursor: null } });
  });

  it("connects with the access token and shows the connection state", async () => {
    const { socket } = start();
    expect(await screen.findByTestId("connection-status")).toHaveTextContent("connecting");

    await connect(socket());

    expect(socket().authPayload.token).toBe(window.localStorage.getItem("novacart.accessToken"));
    expect(screen.getByTestId("connection-status")).toHaveTextContent(/^connected$/);
  });

  it("toasts a new notification, adds it to the badge and list, and acknowledges it", async () => {
    const { socket } = start();
    await connect(socket());

    act(() => deliver(socket(), makeNotification({ id: 41, title: "Order #9 shipped", data: { order_id: 9 } })));

    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveTextContent("Order #9 shipped");
    expect(within(screen.getByTestId("toasts")).getAllByTestId("toast")).toHaveLength(1);
    expect(screen.getByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    await waitFor(() => expect(socket().sentOf("notification:ack")).toEqual([{ ids: [41] }]));

    await userEvent.click(screen.getByRole("button", { name: /Notifications/ }));
    expect(await screen.findAllByTestId("notification-item")).toHaveLength(1);
  });

  it("shows a replayed notification in the list but does not toast it", async () => {
    const { socket } = start();
    await connect(socket());

    act(() =>
      deliver(socket(), makeNotification({ id: 42, title: "While you were away", created_at: new Date(Date.now() - 600_000).toISOString() })),
    );

    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
    await waitFor(() => expect(socket().sentOf("notification:ack")).toEqual([{ ids: [42] }]));
  });

  it("does not toast a notification the list already showed", async () => {
    const listed = makeNotification({ id: 43, title: "Already listed" });
    const { socket } = start([listed]);
    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    await connect(socket());

    act(() => socket().fire("notification", listed));

    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
  });

  it("shows the same notification once however often it arrives", async () => {
    const { socket } = start();
    await connect(socket());
    const n = makeNotification({ id: 44 });

    act(() => {
      socket().fire("notification", n);
      socket().fire("notification", n);
    });

    expect(await screen.findAllByTestId("toast")).toHaveLength(1);
    expect(screen.getByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
  });

  it("applies reads and deletes made in another tab", async () => {
    const a = makeNotification({ id: 45, title: "A" });
    const b = makeNotification({ id: 46, title: "B" });
    const { socket } = start([b, a]);
    await connect(socket());
    await userEvent.click(await screen.findByRole("button", { name: "Notifications, 2 unread" }));
    await screen.findAllByTestId("notification-item");

    act(() => socket().fire("notification:read", { ids: [45], unread_count: 1 }));
    expect(screen.getByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    expect(screen.getAllByTestId("notification-item").find((i) => i.dataset.id === "45")).toHaveAttribute("data-read", "true");

    act(() => socket().fire("notification:deleted", { id: 46, unread_count: 0 }));
    expect(screen.getAllByTestId("notification-item")).toHaveLength(1);
    expect(screen.queryByTestId("unread-badge")).not.toBeInTheDocument();
  });

  it("keeps a read made elsewhere when the recount it overtook answers late", async () => {
    let answerRecount;
    api.on("GET", "/api/notifications/unread-count", () => new Promise((resolve) => (answerRecount = resolve)));
    const { socket } = start();
    await connect(socket());
    act(() => deliver(socket(), makeNotification({ id: 48, title: "Your loyalty points are ready" })));
    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    // a second after the burst the count is re-read; the server counts 1, and the answer is slow to come back
    await waitFor(() => expect(api.callsTo("GET", "/api/notifications/unread-count")).toHaveLength(1), { timeout: 3000 });

    // meanwhile the customer marks everything read in another browser, and the server says so
    act(() => socket().fire("notification:read", { ids: [48], unread_count: 0 }));
    expect(screen.queryByTestId("unread-badge")).not.toBeInTheDocument();
    await act(async () => answerRecount({ body: { count: 1 } }));

    expect(screen.queryByTestId("unread-badge")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Notifications" })).toBeInTheDocument();
  });

  it("falls back to polling when the socket cannot connect, toasts what polling finds, then goes live again", async () => {
    const { socket } = start();
    const found = makeNotification({ id: 47, title: "Found by polling", created_at: new Date(Date.now() + 1000).toISOString() });
    api.on("GET", "/api/notifications", ({ query }) => ({
      body: query.unread_only === "true" ? { items: [found], next_cursor: null, unread_count: 1 } : { items: [], next_cursor: null, unread_count: 0 },
    }));
    await screen.findByTestId("connection-status");

    act(() => {
      socket().fail("websocket error");
      socket().fail("websocket error");
    });

    expect(await screen.findByText("offline — polling")).toHaveAttribute("data-testid", "connection-status");
    expect(await screen.findByTestId("toast")).toHaveTextContent("Found by polling");
    expect(screen.getByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    expect(api.callsTo("GET", "/api/notifications").some((c) => c.query.unread_only === "true")).toBe(true);

    await connect(socket());
    expect(screen.getByTestId("connection-status")).toHaveTextContent(/^connected$/);
    await waitFor(() => expect(socket().sentOf("notification:ack")).toEqual([{ ids: [47] }]));
  });
});
