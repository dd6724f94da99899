import { act, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installFetch } from "../test/fetchMock.js";
import { makeNotification, renderApp, signIn } from "../test/fixtures.jsx";

const t0 = "2026-11-22T10:00:00+00:00";
const t1 = "2026-11-22T10:05:00+00:00";

let api;
let status;

const reads = () => api.callsTo("GET", "/api/orders");

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
