/** My orders: live refresh once per change (orderUpdate), re-reads while offline, "load more", its failure, empty. */
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installFetch, problem } from "../test/fetchMock.js";
import { makeNotification, renderApp, signIn } from "../test/fixtures.jsx";

const t0 = "2026-11-22T10:00:00+00:00";
const t1 = "2026-11-22T10:05:00+00:00";

let api;
let status;

const reads = () => api.callsTo("GET", "/api/orders");

function order(id, orderStatus = "pending") {
  return { id, status: orderStatus, total_cents: 1000 + id, created_at: t0, updated_at: t0 };
}

function rows() {
  return screen.getAllByTestId("order-row").map((row) => row.textContent);
}

describe("my orders", () => {
  beforeEach(() => {
    signIn();
    api = installFetch();
    status = "pending";
    api.on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
    api.on("GET", "/api/orders", () => ({
      body: { items: [{ id: 7, user_id: 1, status, total_cents: 2500, created_at: t0, updated_at: t0 }], next_cursor: null },
    }));
  });
  afterEach(() => vi.useRealTimers());

  it("refreshes the list once per change, on orderUpdate only", async () => {
    const view = renderApp("/orders");
    const socket = view.socketFactory.last();
    await act(async () => {
      await socket.serverConnect();
    });
    await waitFor(() => expect(reads()).toHaveLength(2)); // the first read and the catch-up at connect
    status = "paid";

    act(() => {
      socket.fire("notification", makeNotification({ id: 900, type: "order_status", data: { order_id: 7, status: "paid" } }));
      socket.fire("orderUpdate", { order_id: 7, status: "paid", previous_status: "pending", at: t1 });
      socket.fire("orderUpdate", { order_id: 7, status: "paid", previous_status: "pending", at: t1 });
    });

    const row = screen.getByTestId("order-row");
    await waitFor(() => expect(within(row).getByText("paid")).toBeInTheDocument());
    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    await act(async () => {});
    expect(reads()).toHaveLength(3);
  });

  it("re-reads the list while the socket is down, and stops once it is back", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const view = renderApp("/orders");
    expect(await screen.findByText("Order #7")).toBeInTheDocument();
    expect(reads()).toHaveLength(1);
    status = "paid";

    await act(async () => vi.advanceTimersByTime(5000));

    await waitFor(() => expect(within(screen.getByTestId("order-row")).getByText("paid")).toBeInTheDocument());
    expect(reads()).toHaveLength(2);

    await act(async () => {
      await view.socketFactory.last().serverConnect();
    });
    await waitFor(() => expect(reads()).toHaveLength(3)); // the catch-up at connect
    await act(async () => vi.advanceTimersByTime(15_000));
    await act(async () => {});
    expect(reads()).toHaveLength(3);
  });
});

describe("my orders, page by page", () => {
  beforeEach(() => {
    signIn();
    api = installFetch();
    api.on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
  });

  it("lists the first page, then loads more with the cursor until there is no more", async () => {
    api.on("GET", "/api/orders", ({ query }) =>
      query.cursor === "c2" ? { body: { items: [order(1, "delivered")], next_cursor: null } } : { body: { items: [order(3), order(2)], next_cursor: "c2" } },
    );
    renderApp("/orders");

    await screen.findAllByTestId("order-row");
    expect(rows()).toHaveLength(2);
    expect(document.title).toBe("My orders · NovaCart");
    await userEvent.click(screen.getByRole("button", { name: "Load more orders" }));

    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rows()[2]).toContain("Order #1");
    expect(rows()[2]).toContain("delivered");
    expect(api.callsTo("GET", "/api/orders").map((c) => c.query.cursor)).toEqual([undefined, "c2"]);
    expect(screen.queryByRole("button", { name: "Load more orders" })).not.toBeInTheDocument();
  });

  it("says so when loading more fails, and keeps what it shows", async () => {
    api.on("GET", "/api/orders", ({ query }) => (query.cursor ? problem(503, "service_unavailable", { detail: "Try again" }) : { body: { items: [order(2)], next_cursor: "c1" } }));
    renderApp("/orders");
    await screen.findAllByTestId("order-row");

    await userEvent.click(screen.getByRole("button", { name: "Load more orders" }));

    expect(await screen.findByRole("alert")).toBeInTheDocument();
    expect(rows()).toHaveLength(1);
    expect(screen.getByRole("button", { name: "Load more orders" })).toBeEnabled();
  });

  it("offers to start shopping when there are no orders", async () => {
    api.on("GET", "/api/orders", { body: { items: [], next_cursor: null } });
    renderApp("/orders");

    expect(await screen.findByRole("link", { name: "Start shopping" })).toHaveAttribute("href", "/");
    expect(screen.queryByTestId("order-row")).not.toBeInTheDocument();
  });
});
