/** The customer's order list: first page, "load more", live refetch on order events, empty and error states. */
import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { installFetch, problem } from "../test/fetchMock.js";
import { makeNotification, renderApp, signIn } from "../test/fixtures.jsx";

let api;

function order(id, status = "pending") {
  return { id, status, total_cents: 1000 + id, created_at: "2026-11-20T10:00:00+00:00" };
}

function rows() {
  return screen.getAllByTestId("order-row").map((row) => row.textContent);
}

async function connect(view) {
  await act(async () => {
    await view.socketFactory.last().serverConnect();
  });
}

describe("OrdersPage", () => {
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

  it("shows a status change as it happens, without a reload", async () => {
    let status = "pending";
    api.on("GET", "/api/orders", () => ({ body: { items: [order(7, status)], next_cursor: null } }));
    const view = renderApp("/orders");
    await screen.findAllByTestId("order-row");
    await connect(view);

    status = "paid";
    act(() => view.socketFactory.last().fire("orderUpdate", { order_id: 7, status: "paid", previous_status: "pending" }));
    await waitFor(() => expect(rows()[0]).toContain("paid"));

    status = "preparing";
    act(() => view.socketFactory.last().fire("notification", makeNotification({ type: "order_status", data: { order_id: 7, status: "preparing" } })));
    await waitFor(() => expect(rows()[0]).toContain("preparing"));
  });

  it("does not reload for notifications about other things", async () => {
    api.on("GET", "/api/orders", { body: { items: [order(7)], next_cursor: null } });
    const view = renderApp("/orders");
    await screen.findAllByTestId("order-row");
    await connect(view);
    const before = api.callsTo("GET", "/api/orders").length;

    act(() => view.socketFactory.last().fire("notification", makeNotification({ type: "promotion" })));

    await screen.findByTestId("toast");
    expect(api.callsTo("GET", "/api/orders")).toHaveLength(before);
  });
});
