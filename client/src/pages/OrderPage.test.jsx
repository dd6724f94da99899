import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { installFetch, problem } from "../test/fetchMock.js";
import { makeNotification, renderApp, signIn } from "../test/fixtures.jsx";
import { timelineSteps } from "./OrderPage.jsx";

const t0 = "2026-11-22T10:00:00+00:00";
const t1 = "2026-11-22T10:05:00+00:00";
const t2 = "2026-11-22T11:00:00+00:00";

function order(overrides = {}) {
  return {
    id: 7,
    user_id: 1,
    status: "pending",
    items: [{ product_id: 3, name: "Stapler", quantity: 2, unit_price_cents: 1250 }],
    total_cents: 2500,
    shipping_address: "1 Main St\nSpringfield",
    tracking_number: null,
    created_at: t0,
    updated_at: t0,
    history: [{ status: "pending", at: t0, by: "customer", note: null }],
    ...overrides,
  };
}

let api;
let current;

async function renderOrder() {
  const view = renderApp("/orders/7");
  const socket = view.socketFactory.last();
  await act(async () => {
    await socket.serverConnect();
  });
  await screen.findByTestId("order-timeline");
  return { ...view, socket };
}

describe("order page", () => {
  beforeEach(() => {
    signIn();
    api = installFetch();
    current = order();
    api.on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
    api.on("GET", "/api/orders/7", () => ({ body: current }));
    api.on("GET", "/api/orders/7/messages", { body: { items: [], next_cursor: null } });
  });

  it("shows the items, total, address and a timeline of what has happened", async () => {
    await renderOrder();

    expect(screen.getByRole("heading", { name: "Order #7" })).toBeInTheDocument();
    expect(screen.getByText("Stapler")).toBeInTheDocument();
    expect(screen.getAllByText("€25.00").length).toBeGreaterThan(0);
    const steps = within(screen.getByTestId("order-timeline")).getAllByRole("listitem");
    expect(steps.map((s) => s.dataset.status)).toEqual(["pending"]);
    expect(steps[0]).toHaveAttribute("aria-current", "step");
    expect(screen.getByTestId("order-timeline")).not.toHaveTextContent("shipped");
  });

  it("joins the order's room", async () => {
    const { socket } = await renderOrder();
    expect(socket.sentOf("joinRoom")).toContainEqual({ room: "order:7" });
  });

  it("moves the timeline live on orderUpdate", async () => {
    const { socket } = await renderOrder();
    current = order({
      status: "paid",
      updated_at: t1,
      history: [...current.history, { status: "paid", at: t1, by: "payment provider", note: null }],
    });

    act(() => socket.fire("orderUpdate", { order_id: 7, status: "paid", previous_status: "pending", at: t1 }));

    await waitFor(() => expect(within(screen.getByTestId("order-timeline")).getAllByRole("listitem")).toHaveLength(2));
    expect(screen.getByTestId("order-timeline")).toHaveTextContent("paid");
    expect(screen.getByTestId("order-status")).toHaveTextContent("paid");
    expect(screen.queryByRole("button", { name: "Pay now" })).not.toBeInTheDocument();
  });

  it("refreshes the order once per change: on orderUpdate, however often it arrives, never on the notification", async () => {
    const { socket } = await renderOrder();
    // The first read, and the catch-up read when the socket connected.
    await waitFor(() => expect(api.callsTo("GET", "/api/orders/7")).toHaveLength(2));
    const paid = { order_id: 7, status: "paid", previous_status: "pending", at: t1 };
    current = order({ status: "paid", updated_at: t1, history: [...current.history, { status: "paid", at: t1, by: "payment provider", note: null }] });

    // One change reaches the customer as the order_status notification and as orderUpdate (by the user's
    // room and the order's, which a server may deliver twice).
    act(() => {
      socket.fire("notification", makeNotification({ id: 900, type: "order_status", title: "Order #7 is paid", data: { order_id: 7, status: "paid", previous_status: "pending" } }));
      socket.fire("orderUpdate", paid);
      socket.fire("orderUpdate", { ...paid });
    });

    await waitFor(() => expect(screen.getByTestId("order-status")).toHaveTextContent("paid"));
    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    // Every read those events started has reached fetch by now (each takes the same steps as the one that
    // already answered): one change, one GET.
    await act(async () => {});
    expect(api.callsTo("GET", "/api/orders/7")).toHaveLength(3);

    // The next change is the next GET.
    current = order({ status: "preparing", updated_at: t2, history: [...current.history, { status: "preparing", at: t2, by: "staff", note: null }] });
    act(() => socket.fire("orderUpdate", { order_id: 7, status: "preparing", previous_status: "paid", at: t2 }));
    await waitFor(() => expect(screen.getByTestId("order-status")).toHaveTextContent("preparing"));
    await act(async () => {});
    expect(api.callsTo("GET", "/api/orders/7")).toHaveLength(4);
  });

  it("does not refresh on an order_status notification alone", async () => {
    const { socket } = await renderOrder();
    await waitFor(() => expect(api.callsTo("GET", "/api/orders/7")).toHaveLength(2));

    act(() => socket.fire("notification", makeNotification({ id: 901, type: "order_status", title: "Order #7 is paid", data: { order_id: 7, status: "paid" } })));
    // The bell has taken the notification in; an order page that listened to it would have asked by now.
    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    await act(async () => {});

    expect(api.callsTo("GET", "/api/orders/7")).toHaveLength(2);
  });

  it("ignores updates about other orders", async () => {
    const { socket } = await renderOrder();
    const reads = api.callsTo("GET", "/api/orders/7").length;

    act(() => socket.fire("orderUpdate", { order_id: 8, status: "paid", previous_status: "pending", at: t1 }));

    expect(api.callsTo("GET", "/api/orders/7")).toHaveLength(reads);
  });

  it("shows the tracking number once shipped", async () => {
    current = order({
      status: "shipped",
      tracking_number: "1Z999AA10123456784",
      history: [
        { status: "pending", at: t0, by: "customer", note: null },
        { status: "paid", at: t1, by: "payment provider", note: null },
        { status: "preparing", at: t1, by: "staff", note: null },
        { status: "shipped", at: t2, by: "carrier", note: "Left the warehouse" },
      ],
    });
    await renderOrder();

    expect(screen.getByTestId("tracking-number")).toHaveTextContent("1Z999AA10123456784");
    const timeline = screen.getByTestId("order-timeline");
    expect(within(timeline).getAllByRole("listitem").map((s) => s.dataset.status)).toEqual(["pending", "paid", "preparing", "shipped"]);
    expect(timeline).toHaveTextContent("Left the warehouse");
  });

  it("starts a payment with Pay now while pending", async () => {
    api.on("POST", "/api/orders/7/pay", { body: { payment_id: 12, order_id: 7, status: "pending", redirect_url: null } });
    await renderOrder();

    await userEvent.click(screen.getByRole("button", { name: "Pay now" }));

    expect(api.callsTo("POST", "/api/orders/7/pay")).toHaveLength(1);
    expect(await screen.findByText(/Payment started \(reference 12\)/)).toBeInTheDocument();
  });

  it("shows a problem when the payment cannot start", async () => {
    api.on("POST", "/api/orders/7/pay", problem(409, "payment_not_allowed", { detail: "Order #7 is paid; only a pending order can be paid." }));
    await renderOrder();

    await userEvent.click(screen.getByRole("button", { name: "Pay now" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("only a pending order can be paid");
  });

  it("says when the order does not exist", async () => {
    api.on("GET", "/api/orders/7", problem(404, "not_found", { detail: "Order 7 does not exist." }));
    renderApp("/orders/7");

    expect(await screen.findByRole("alert")).toHaveTextContent("Order 7 does not exist.");
  });
});

describe("timelineSteps", () => {
  it("starts with pending and ends with the current status even when history lacks them", () => {
    const steps = timelineSteps({ status: "paid", created_at: t0, updated_at: t1, history: [] });
    expect(steps.map((s) => s.status)).toEqual(["pending", "paid"]);
  });
});
