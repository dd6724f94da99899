import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { installFetch, problem } from "../test/fetchMock.js";
import { renderApp, signIn } from "../test/fixtures.jsx";

let api;

beforeEach(() => {
  signIn();
  api = installFetch();
  api.on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
  api.on("GET", "/api/notifications/preferences", {
    body: { types: { order_status: true, back_in_stock: true, promotion: false, payment_received: true, new_review: true, low_stock: true }, interests: ["paper"] },
  });
});

describe("preferences", () => {
  it("shows a switch per type, with order updates always on", async () => {
    renderApp("/preferences");

    const orders = await screen.findByRole("switch", { name: "Order updates" });
    expect(orders).toBeChecked();
    expect(orders).toBeDisabled();
    expect(screen.getByRole("switch", { name: "Back in stock" })).toBeChecked();
    expect(screen.getByRole("switch", { name: "Promotions" })).not.toBeChecked();
    // A customer is never sent the operational types, so they are not offered.
    expect(screen.queryByRole("switch", { name: "Low stock" })).not.toBeInTheDocument();
  });

  it("saves switches and interests, never sending order_status", async () => {
    api.on("PUT", "/api/notifications/preferences", ({ body }) => ({ body: { types: { order_status: true, ...body.types }, interests: body.interests } }));
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await screen.findByRole("switch", { name: "Promotions" }));
    await user.click(screen.getByRole("button", { name: "Remove interest paper" }));
    await user.type(screen.getByLabelText("Add interest"), "Ink{Enter}");
    await user.click(screen.getByRole("button", { name: "Add interest furniture" }));
    await user.click(screen.getByRole("button", { name: "Save preferences" }));

    expect(await screen.findByText("Preferences saved.")).toBeInTheDocument();
    expect(api.callsTo("PUT", "/api/notifications/preferences")[0].body).toEqual({
      types: { back_in_stock: true, promotion: true },
      interests: ["ink", "furniture"],
    });
  });

  it("shows a validation problem", async () => {
    api.on("PUT", "/api/notifications/preferences", problem(422, "validation_error", { detail: "order_status cannot be turned off." }));
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await screen.findByRole("button", { name: "Save preferences" }));

    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("order_status cannot be turned off."));
  });
});
