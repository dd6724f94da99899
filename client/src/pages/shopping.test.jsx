import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { installFetch, problem } from "../test/fetchMock.js";
import { renderApp, signIn } from "../test/fixtures.jsx";

const stapler = { id: 3, sku: "ST-1", name: "Stapler", description: "Staples 20 sheets", category: "desk", price_cents: 1250, stock: 4, low_stock_threshold: 5, is_active: true };
const paper = { id: 4, sku: "PA-1", name: "A4 paper", description: "500 sheets", category: "paper", price_cents: 499, stock: 0, low_stock_threshold: 10, is_active: true };
const pen = { id: 5, sku: "PE-1", name: "Blue pen", description: "", category: "pens", price_cents: 150, stock: 80, low_stock_threshold: 10, is_active: true };

let api;

beforeEach(() => {
  api = installFetch();
  api.on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
  api.on("GET", "/api/products", ({ query }) => {
    let items = [stapler, paper, pen];
    if (query.category) items = items.filter((p) => p.category === query.category);
    if (query.q) items = items.filter((p) => p.name.toLowerCase().includes(query.q.toLowerCase()));
    if (query.in_stock === "true") items = items.filter((p) => p.stock > 0);
    if (query.limit === "100") return { body: { items, next_cursor: null } };
    return query.cursor ? { body: { items: items.slice(2), next_cursor: null } } : { body: { items: items.slice(0, 2), next_cursor: items.length > 2 ? "p2" : null } };
  });
  api.on("GET", "/api/products/3", { body: stapler });
  api.on("GET", "/api/products/4", { body: paper });
});

describe("shop", () => {
  it("lists products with their stock and loads more", async () => {
    const user = userEvent.setup();
    renderApp("/");

    const cards = await screen.findAllByTestId("product-card");
    expect(cards).toHaveLength(2);
    expect(within(cards[0]).getByTestId("stock")).toHaveTextContent("Only 4 left");
    expect(within(cards[1]).getByTestId("stock")).toHaveTextContent("Out of stock");

    await user.click(screen.getByRole("button", { name: "Load more products" }));
    expect(await screen.findByText("Blue pen")).toBeInTheDocument();
    expect(api.calls.find((c) => c.query.cursor === "p2")).toBeTruthy();
  });

  it("filters by category, search and stock", async () => {
    const user = userEvent.setup();
    renderApp("/");
    await screen.findAllByTestId("product-card");
    await waitFor(() => expect(within(screen.getByLabelText("Category")).getAllByRole("option")).toHaveLength(4));

    await user.selectOptions(screen.getByLabelText("Category"), "paper");
    await waitFor(() => expect(screen.getAllByTestId("product-card")).toHaveLength(1));
    expect(screen.getByTestId("location")).toHaveTextContent("/?category=paper");

    await user.selectOptions(screen.getByLabelText("Category"), "");
    await user.type(screen.getByLabelText("Search products"), "pen");
    await user.click(screen.getByRole("button", { name: "Search" }));
    expect(await screen.findByText("Blue pen")).toBeInTheDocument();
    expect(api.calls.at(-1).query).toMatchObject({ q: "pen" });

    await user.click(screen.getByLabelText("In stock only"));
    await waitFor(() => expect(api.calls.at(-1).query).toMatchObject({ q: "pen", in_stock: "true" }));
  });

  it("places an order from the cart", async () => {
    signIn();
    api.on("POST", "/api/orders", ({ body }) => ({ status: 201, body: { id: 7, status: "pending", items: body.items, history: [], total_cents: 2500, created_at: new Date().toISOString() } }));
    api.on("GET", "/api/orders/7", { body: { id: 7, status: "pending", items: [], history: [], total_cents: 2500, created_at: new Date().toISOString() } });
    const user = userEvent.setup();
    renderApp("/products/3");

    await user.clear(await screen.findByLabelText("Quantity"));
    await user.type(screen.getByLabelText("Quantity"), "2");
    await user.click(screen.getByRole("button", { name: "Add to cart" }));
    await user.click(screen.getByRole("link", { name: /^Cart/ }));
    await user.type(screen.getByLabelText("Shipping address"), "1 Main St");
    await user.click(screen.getByRole("button", { name: "Place order" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/orders/7"));
    expect(api.callsTo("POST", "/api/orders")[0].body).toEqual({ items: [{ product_id: 3, quantity: 2 }], shipping_address: "1 Main St" });
  });

  it("says clearly when stock is short, and marks the line", async () => {
    signIn();
    window.localStorage.setItem("novacart.cart", JSON.stringify([{ product_id: 3, name: "Stapler", price_cents: 1250, quantity: 9 }]));
    api.on("POST", "/api/orders", problem(409, "insufficient_stock", { title: "Not enough stock", detail: "Only 4 of Stapler left.", product_id: 3, available: 4 }));
    const user = userEvent.setup();
    renderApp("/cart");

    await user.type(screen.getByLabelText("Shipping address"), "1 Main St");
    await user.click(screen.getByRole("button", { name: "Place order" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Not enough stock.");
    expect(alert).toHaveTextContent("Only 4 of Stapler left.");
    expect(within(screen.getByRole("row", { name: /Stapler/ })).getByText("Not enough stock")).toBeInTheDocument();
  });

  it("shows field errors next to the address", async () => {
    signIn();
    window.localStorage.setItem("novacart.cart", JSON.stringify([{ product_id: 3, name: "Stapler", price_cents: 1250, quantity: 1 }]));
    api.on("POST", "/api/orders", problem(422, "validation_error", { errors: { shipping_address: ["Shorter than minimum length 5."] } }));
    const user = userEvent.setup();
    renderApp("/cart");

    await user.type(screen.getByLabelText("Shipping address"), "x");
    await user.click(screen.getByRole("button", { name: "Place order" }));

    expect(await screen.findByText("Shorter than minimum length 5.")).toBeInTheDocument();
    expect(screen.getByLabelText("Shipping address")).toHaveAccessibleDescription("Shorter than minimum length 5.");
  });
});

describe("product page", () => {
  it("joins and leaves the back-in-stock waitlist of a sold-out product", async () => {
    signIn();
    api.on("POST", "/api/products/4/waitlist", { status: 201, body: {} });
    api.on("DELETE", "/api/products/4/waitlist", { status: 204 });
    const user = userEvent.setup();
    renderApp("/products/4");

    await user.click(await screen.findByRole("button", { name: "Notify me when back in stock" }));
    expect(await screen.findByText(/we'll notify you/)).toBeInTheDocument();
    expect(api.callsTo("POST", "/api/products/4/waitlist")).toHaveLength(1);

    await user.click(screen.getByRole("button", { name: "Leave the waitlist" }));
    expect(await screen.findByRole("button", { name: "Notify me when back in stock" })).toBeInTheDocument();
    expect(api.callsTo("DELETE", "/api/products/4/waitlist")).toHaveLength(1);
  });

  it("sends a signed-out visitor to log in before joining the waitlist", async () => {
    const user = userEvent.setup();
    renderApp("/products/4");

    await user.click(await screen.findByRole("button", { name: "Notify me when back in stock" }));

    expect(screen.getByTestId("location")).toHaveTextContent("/login?next=%2Fproducts%2F4");
  });

  it("posts a review and shows field errors", async () => {
    signIn();
    let attempt = 0;
    api.on("POST", "/api/products/3/reviews", () =>
      ++attempt === 1 ? problem(422, "validation_error", { errors: { body: ["Length must be between 1 and 2000."] } }) : { status: 201, body: { id: 1 } },
    );
    const user = userEvent.setup();
    renderApp("/products/3");

    await user.selectOptions(await screen.findByLabelText("Rating"), "4");
    await user.click(screen.getByRole("button", { name: "Submit review" }));
    expect(await screen.findByText("Length must be between 1 and 2000.")).toBeInTheDocument();

    await user.type(screen.getByLabelText("Review"), "Sturdy and reliable.");
    await user.click(screen.getByRole("button", { name: "Submit review" }));

    expect(await screen.findByText(/Your review has been posted/)).toBeInTheDocument();
    expect(api.callsTo("POST", "/api/products/3/reviews")[1].body).toEqual({ rating: 4, body: "Sturdy and reliable." });
  });
});
