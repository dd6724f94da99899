import { loadStripe } from "@stripe/stripe-js/pure";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { installFetch } from "../test/fetchMock.js";
import { renderApp, signIn } from "../test/fixtures.jsx";

// Stripe.js lives outside the system (it is loaded from js.stripe.com): the loader is replaced by a fake
// Stripe that records what the page asks of it.
vi.mock("@stripe/stripe-js/pure", () => ({ loadStripe: vi.fn() }));

const t0 = "2026-11-22T10:00:00+00:00";
const pendingOrder = {
  id: 7,
  user_id: 1,
  status: "pending",
  payment_status: "none",
  items: [{ product_id: 3, name: "Stapler", quantity: 2, unit_price_cents: 1250 }],
  total_cents: 2500,
  shipping_address: "1 Main St",
  tracking_number: null,
  created_at: t0,
  updated_at: t0,
  history: [{ status: "pending", at: t0, by: 1, note: null }],
};
const stripePayment = {
  payment_id: 5,
  order_id: 7,
  status: "pending",
  provider: "stripe",
  provider_ref: "pi_123",
  amount_cents: 2500,
  redirect_url: null,
  client_secret: "pi_123_secret_abc",
  publishable_key: "pk_test_shop",
};

/** A stand-in for the Stripe object Stripe.js makes: its Payment Element mounts a placeholder and is ready at once. */
function fakeStripe(confirmation = { paymentIntent: { id: "pi_123", status: "succeeded" } }) {
  const element = {
    mount: vi.fn((node) => {
      const fields = document.createElement("div");
      fields.textContent = "Stripe's card fields";
      node.append(fields);
    }),
    on: vi.fn((name, callback) => name === "ready" && queueMicrotask(callback)),
    destroy: vi.fn(),
  };
  const elements = { create: vi.fn(() => element) };
  return {
    element,
    elementsGroup: elements,
    elements: vi.fn(() => elements),
    confirmPayment: typeof confirmation === "function" ? vi.fn(confirmation) : vi.fn(async () => confirmation),
  };
}

let api;

async function renderOrder(path = "/orders/7") {
  const view = renderApp(path);
  await act(async () => {
    await view.socketFactory.last().serverConnect();
  });
  await screen.findByTestId("order-timeline");
  return view;
}

describe("paying with Stripe", () => {
  beforeEach(() => {
    loadStripe.mockReset();
    signIn();
    api = installFetch();
    api.on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
    api.on("GET", "/api/orders/7", { body: pendingOrder });
    api.on("GET", "/api/orders/7/messages", { body: { items: [], next_cursor: null } }); // no conversation yet
    api.on("POST", "/api/orders/7/pay", { body: stripePayment });
  });

  it("mounts Stripe's Payment Element for the PaymentIntent and confirms the payment with Stripe.js", async () => {
    const stripe = fakeStripe();
    loadStripe.mockResolvedValue(stripe);
    const user = userEvent.setup();
    await renderOrder();

    await user.click(await screen.findByRole("button", { name: "Pay now" }));

    // Stripe.js is loaded with the shop's publishable key, and its fields are shown for this PaymentIntent
    expect(await screen.findByText("Stripe's card fields")).toBeInTheDocument();
    expect(loadStripe).toHaveBeenCalledWith("pk_test_shop");
    expect(stripe.elements).toHaveBeenCalledWith({ clientSecret: "pi_123_secret_abc", locale: "en" });
    expect(stripe.elementsGroup.create).toHaveBeenCalledWith("payment");
    expect(screen.queryByRole("button", { name: "Pay now" })).not.toBeInTheDocument();

    await user.click(await screen.findByRole("button", { name: "Confirm payment" }));

    expect(stripe.confirmPayment).toHaveBeenCalledWith({
      elements: stripe.elementsGroup,
      confirmParams: { return_url: `${window.location.origin}/orders/7` },
      redirect: "if_required",
    });
    expect(await within(screen.getByTestId("stripe-payment")).findByRole("status")).toHaveTextContent("Payment confirmed");
    expect(screen.queryByRole("button", { name: "Confirm payment" })).not.toBeInTheDocument();
  });

  it("shows Stripe's reason when the card is declined, and lets the customer try again", async () => {
    const stripe = fakeStripe({ error: { type: "card_error", code: "card_declined", message: "Your card was declined." } });
    loadStripe.mockResolvedValue(stripe);
    const user = userEvent.setup();
    await renderOrder();
    await user.click(await screen.findByRole("button", { name: "Pay now" }));
    const confirm = await screen.findByRole("button", { name: "Confirm payment" });
    await waitFor(() => expect(confirm).toBeEnabled());

    await user.click(confirm);

    expect(await screen.findByRole("alert")).toHaveTextContent("Your card was declined.");
    expect(screen.getByRole("button", { name: "Confirm payment" })).toBeEnabled();
    stripe.confirmPayment.mockResolvedValueOnce({ paymentIntent: { id: "pi_123", status: "processing" } });
    await user.click(screen.getByRole("button", { name: "Confirm payment" }));
    expect(await within(screen.getByTestId("stripe-payment")).findByRole("status")).toHaveTextContent("Your payment is being processed");
    expect(stripe.confirmPayment).toHaveBeenCalledTimes(2);
  });

  it("says so when Stripe.js cannot be loaded", async () => {
    loadStripe.mockRejectedValue(new Error("Failed to load Stripe.js"));
    const user = userEvent.setup();
    await renderOrder();

    await user.click(await screen.findByRole("button", { name: "Pay now" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("could not be loaded");
    expect(screen.queryByRole("button", { name: "Confirm payment" })).not.toBeInTheDocument();
  });

  it("never loads Stripe.js when the shop's provider confirms by itself", async () => {
    api.on("POST", "/api/orders/7/pay", { body: { ...stripePayment, provider: "sandbox", provider_ref: "sbx_1", client_secret: null, publishable_key: null } });
    const user = userEvent.setup();
    await renderOrder();

    await user.click(await screen.findByRole("button", { name: "Pay now" }));

    expect(await screen.findByText(/Payment started \(reference 5\)/)).toBeInTheDocument();
    expect(loadStripe).not.toHaveBeenCalled();
    expect(screen.queryByTestId("stripe-payment")).not.toBeInTheDocument();
  });

  it("tells the customer how it went when Stripe sends them back to the order", async () => {
    await renderOrder("/orders/7?payment_intent=pi_123&redirect_status=failed");
    expect(await screen.findByRole("alert")).toHaveTextContent("The payment did not go through");
    expect(loadStripe).not.toHaveBeenCalled();
  });

  it("takes the Payment Element down when the order is paid and the form goes", async () => {
    const stripe = fakeStripe();
    loadStripe.mockResolvedValue(stripe);
    const user = userEvent.setup();
    const { socketFactory } = await renderOrder();
    await user.click(await screen.findByRole("button", { name: "Pay now" }));
    await screen.findByText("Stripe's card fields");

    // Stripe's webhook paid the order: the server says so on the socket, and the page re-reads the order
    api.on("GET", "/api/orders/7", { body: { ...pendingOrder, status: "paid", payment_status: "succeeded" } });
    act(() => socketFactory.last().fire("orderUpdate", { order_id: 7, status: "paid", previous_status: "pending", at: t0 }));

    await waitFor(() => expect(screen.getByTestId("order-status")).toHaveTextContent("paid"));
    expect(screen.queryByTestId("stripe-payment")).not.toBeInTheDocument();
    expect(stripe.element.destroy).toHaveBeenCalled();
  });
});
