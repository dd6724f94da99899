/** Labels, icons and the preferences list come from GET /api/notifications/types, never from the client's code. */
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { installFetch, problem } from "../test/fetchMock.js";
import { customer, customerTypes, fakeJwt, makeNotification, renderApp, signIn } from "../test/fixtures.jsx";

const throwaway = {
  type: "throwaway_test",
  label: "Throwaway",
  description: "A type only this test knows about.",
  icon: "unknown-icon",
  always_on: false,
  channels: ["in_app"],
};

let api;

function serveNotifications(items) {
  api.on("GET", "/api/notifications", { body: { items, next_cursor: null, unread_count: items.filter((n) => !n.is_read).length } });
}

async function openPanel(user) {
  await user.click(await screen.findByRole("button", { name: /Notifications/ }));
  return screen.findByRole("dialog", { name: "Notifications" });
}

beforeEach(() => {
  signIn();
  api = installFetch();
  api.on("GET", "/api/products", { body: { items: [], next_cursor: null } });
  api.on("GET", "/api/orders", { body: { items: [], next_cursor: null } });
  api.on("GET", "/api/notifications/types", { body: customerTypes });
  api.on("GET", "/api/notifications/preferences", {
    body: { types: { order_status: true, back_in_stock: true, promotion: true }, interests: [] },
  });
  serveNotifications([]);
});

describe("notification types from the server", () => {
  it("shows a type the client has never heard of: in preferences, and labelled in the bell's list with a generic icon", async () => {
    api.on("GET", "/api/notifications/types", { body: [...customerTypes, throwaway] });
    api.on("GET", "/api/notifications/preferences", {
      body: { types: { order_status: true, back_in_stock: true, promotion: true, throwaway_test: true }, interests: [] },
    });
    api.on("PUT", "/api/notifications/preferences", ({ body }) => ({ body: { types: { order_status: true, ...body.types }, interests: body.interests } }));
    serveNotifications([makeNotification({ id: 41, type: "throwaway_test", title: "Something new happened" })]);
    const user = userEvent.setup();
    renderApp("/preferences");

    const toggle = await screen.findByRole("switch", { name: "In app for Throwaway" });
    expect(toggle).toBeChecked();
    expect(toggle).toHaveAccessibleDescription("A type only this test knows about.");
    await user.click(toggle);
    await user.click(screen.getByRole("button", { name: "Save preferences" }));
    expect(await screen.findByText("Preferences saved.")).toBeInTheDocument();
    expect(api.callsTo("PUT", "/api/notifications/preferences")[0].body.types).toEqual({ throwaway_test: false });

    const panel = await openPanel(user);
    const row = await within(panel).findByTestId("notification-item");
    expect(row).toHaveAttribute("data-type", "throwaway_test");
    expect(within(row).getByRole("button", { name: /^Something new happened.*, Throwaway, unread$/ })).toBeInTheDocument();
    expect(row.querySelector(".type-icon")).toHaveAttribute("data-icon", "generic");
  });

  it("shows a live notification of an unknown type as a toast with the generic icon", async () => {
    api.on("GET", "/api/notifications/types", { body: [...customerTypes, throwaway] });
    const view = renderApp("/");
    const socket = view.socketFactory.last();
    await act(async () => {
      await socket.serverConnect();
    });
    await waitFor(() => expect(api.callsTo("GET", "/api/notifications/types")).toHaveLength(1));

    act(() => socket.fire("notification", makeNotification({ id: 42, type: "throwaway_test", title: "Brand new kind" })));

    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveTextContent("Brand new kind");
    expect(toast.querySelector(".type-icon")).toHaveAttribute("data-icon", "generic");
  });

  it("draws the icon the server names for a type, not one chosen by the type's name", async () => {
    api.on("GET", "/api/notifications/types", {
      body: [
        { ...throwaway, type: "new_order", label: "New orders", icon: "package" },
        { ...customerTypes[1], icon: "star" },
      ],
    });
    serveNotifications([
      makeNotification({ id: 2, type: "new_order", title: "Order #9 placed" }),
      makeNotification({ id: 1, type: "back_in_stock", title: "Stapler is back", created_at: new Date(Date.now() - 60_000).toISOString() }),
    ]);
    const user = userEvent.setup();
    renderApp("/");

    const panel = await openPanel(user);
    await waitFor(() => expect(within(panel).getAllByTestId("notification-item")[0].querySelector(".type-icon")).toHaveAttribute("data-icon", "package"));
    const [newOrder, restocked] = within(panel).getAllByTestId("notification-item");
    expect(newOrder.querySelector(".type-icon--package")).not.toBeNull();
    expect(within(newOrder).getByRole("button", { name: /New orders, unread$/ })).toBeInTheDocument();
    expect(restocked.querySelector(".type-icon--star")).not.toBeNull();
  });

  it("still lists notifications when the types cannot be loaded, as 'notification' with the generic icon", async () => {
    api.on("GET", "/api/notifications/types", problem(500, "internal_error"));
    serveNotifications([makeNotification({ id: 5, type: "back_in_stock", title: "Stapler is back" })]);
    const user = userEvent.setup();
    renderApp("/");

    const panel = await openPanel(user);
    const row = await within(panel).findByTestId("notification-item");
    expect(within(row).getByRole("button", { name: /Stapler is back.*, notification, unread$/ })).toBeInTheDocument();
    expect(row.querySelector(".type-icon")).toHaveAttribute("data-icon", "generic");
  });

  it("fetches the types once per session, and again for the next user", async () => {
    const staff = { ...customer, id: 2, email: "staff@example.com", name: "Sam", role: "staff" };
    const staffTypes = [{ type: "low_stock", label: "Low stock", description: "Stock fell to its threshold.", icon: "alert", always_on: false, channels: ["in_app"] }];
    api.on("GET", "/api/notifications/types", ({ headers }) => ({ body: headers.Authorization?.includes(".staff.") ? staffTypes : customerTypes }));
    api.on("POST", "/api/auth/login", { body: { user: staff, access_token: `${fakeJwt({ sub: "2" })}.staff.`, refresh_token: fakeJwt({ type: "refresh" }) } });
    const user = userEvent.setup();
    renderApp("/");

    await openPanel(user);
    await user.click(screen.getByRole("link", { name: "Preferences" }));
    expect(await screen.findByRole("switch", { name: "In app for Promotions" })).toBeInTheDocument();
    await user.click(screen.getByRole("link", { name: "My orders" }));
    await user.click(screen.getByRole("link", { name: "Preferences" }));
    expect(await screen.findByRole("switch", { name: "In app for Promotions" })).toBeInTheDocument();
    expect(api.callsTo("GET", "/api/notifications/types")).toHaveLength(1);

    await user.click(screen.getByRole("button", { name: "Log out" }));
    await user.type(await screen.findByLabelText("Email"), "staff@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    await user.click(await screen.findByRole("link", { name: "Preferences" }));

    expect(await screen.findByRole("switch", { name: "In app for Low stock" })).toBeInTheDocument();
    expect(screen.queryByRole("switch", { name: "In app for Promotions" })).not.toBeInTheDocument();
    expect(api.callsTo("GET", "/api/notifications/types")).toHaveLength(2);
  });
});
