/** Shared test data and a render helper for the whole app inside a MemoryRouter. */
import { render } from "@testing-library/react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { AppProviders, AppRoutes } from "../App.jsx";
import { installFetch } from "./fetchMock.js";
import { createSocketFactory } from "./fakeSocket.js";

export function fakeJwt(claims = {}) {
  const encode = (obj) => btoa(JSON.stringify(obj)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ sub: "1", exp: Math.floor(Date.now() / 1000) + 900, ...claims })}.signature`;
}

export const customer = { id: 1, email: "ada@example.com", name: "Ada", role: "customer", interests: [], created_at: "2026-01-01T00:00:00+00:00" };

export function signIn(user = customer, { accessClaims } = {}) {
  window.localStorage.setItem("novacart.accessToken", fakeJwt(accessClaims));
  window.localStorage.setItem("novacart.refreshToken", fakeJwt({ exp: Math.floor(Date.now() / 1000) + 86400 * 30, type: "refresh" }));
  window.localStorage.setItem("novacart.user", JSON.stringify(user));
}

let nextId = 1000;
export function makeNotification(overrides = {}) {
  const id = overrides.id ?? nextId++;
  return {
    id,
    user_id: 1,
    type: "order_status",
    title: `Notification ${id}`,
    message: "Something happened",
    data: {},
    is_read: false,
    read_at: null,
    created_at: new Date().toISOString(),
    ...overrides,
  };
}

/** Shows the current location, so tests can assert on navigation. */
export function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{`${location.pathname}${location.search}`}</output>;
}

/** Render the real app at `path`; returns the render result plus the fake socket factory. */
export function renderApp(path = "/", { socketFactory = createSocketFactory(), socketOptions } = {}) {
  const result = render(
    <MemoryRouter initialEntries={[path]}>
      <AppProviders socketFactory={socketFactory} socketOptions={socketOptions}>
        <AppRoutes />
        <Routes>
          <Route path="*" element={<LocationProbe />} />
        </Routes>
      </AppProviders>
    </MemoryRouter>,
  );
  return { ...result, socketFactory };
}

/** GET /api/notifications/types as the server's registry answers a customer (novacart/notifications/types.py). */
export const customerTypes = [
  {
    type: "order_status",
    label: "Order updates",
    description: "Your order's progress: received, paid, being prepared, shipped, delivered or cancelled.",
    icon: "package",
    always_on: true,
    channels: ["in_app", "email", "push"],
  },
  {
    type: "back_in_stock",
    label: "Back in stock",
    description: "A product on your waitlist can be ordered again.",
    icon: "restock",
    always_on: false,
    channels: ["in_app", "email", "push"],
  },
  {
    type: "promotion",
    label: "Promotions",
    description: "Offers that match your interests. Their text is written by our staff.",
    icon: "tag",
    always_on: false,
    channels: ["in_app", "email", "push"],
  },
];

/** A signed-in customer and the API the preferences page reads: an empty bell, the types, `preferences`. */
export function servePreferencesPage(preferences) {
  signIn();
  const api = installFetch();
  api.on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
  api.on("GET", "/api/notifications/types", { body: customerTypes });
  api.on("GET", "/api/notifications/preferences", { body: preferences });
  return api;
}
