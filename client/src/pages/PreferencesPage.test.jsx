import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { installFetch, problem } from "../test/fetchMock.js";
import { customerTypes, renderApp, signIn } from "../test/fixtures.jsx";

let api;

beforeEach(() => {
  signIn();
  api = installFetch();
  api.on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
  api.on("GET", "/api/notifications/types", { body: customerTypes });
  api.on("GET", "/api/notifications/preferences", {
    body: { types: { order_status: true, back_in_stock: true, promotion: false }, interests: ["paper"] },
  });
});

describe("preferences", () => {
  it("shows a switch per type the server lists, with its description, always-on types locked", async () => {
    renderApp("/preferences");

    const orders = await screen.findByRole("switch", { name: "Order updates" });
    expect(orders).toBeChecked();
    expect(orders).toBeDisabled();
    expect(orders).toHaveAccessibleDescription(/Your order's progress.*Always on\./);
    expect(screen.getByRole("switch", { name: "Back in stock" })).toBeChecked();
    expect(screen.getByRole("switch", { name: "Back in stock" })).toBeEnabled();
    expect(screen.getByRole("switch", { name: "Promotions" })).not.toBeChecked();
    // Only the types of the user's role are listed by the server, so only those are offered.
    expect(screen.getAllByRole("switch")).toHaveLength(3);
  });

  it("takes always-on from the server, not from the type's name", async () => {
    api.on("GET", "/api/notifications/types", {
      body: customerTypes.map((t) => ({ ...t, always_on: t.type === "back_in_stock" })),
    });
    renderApp("/preferences");

    expect(await screen.findByRole("switch", { name: "Back in stock" })).toBeDisabled();
    expect(screen.getByRole("switch", { name: "Order updates" })).toBeEnabled();
  });

  it("saves switches and interests, never sending an always-on type", async () => {
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

  it("says it is loading until both the types and the preferences have arrived", async () => {
    let answerTypes;
    api.on("GET", "/api/notifications/types", () => new Promise((resolve) => (answerTypes = resolve)));
    renderApp("/preferences");

    expect(await screen.findByText("Loading preferences…")).toBeInTheDocument();
    await waitFor(() => expect(api.callsTo("GET", "/api/notifications/preferences")).toHaveLength(1));
    await waitFor(() => expect(answerTypes).toBeTypeOf("function"));
    expect(screen.queryByRole("switch")).not.toBeInTheDocument();

    await act(async () => answerTypes({ body: customerTypes }));

    expect(await screen.findByRole("switch", { name: "Promotions" })).toBeInTheDocument();
    expect(screen.queryByText("Loading preferences…")).not.toBeInTheDocument();
  });

  it("shows the error when the types cannot be loaded, and tries again", async () => {
    api.on("GET", "/api/notifications/types", problem(503, "service_unavailable", { detail: "Try again shortly." }));
    const user = userEvent.setup();
    renderApp("/preferences");

    expect(await screen.findByRole("alert")).toHaveTextContent("The server had a problem. Please try again.");
    expect(screen.queryByRole("switch")).not.toBeInTheDocument();

    api.on("GET", "/api/notifications/types", { body: customerTypes });
    await user.click(screen.getByRole("button", { name: "Try again" }));

    expect(await screen.findByRole("switch", { name: "Order updates" })).toBeDisabled();
    expect(api.callsTo("GET", "/api/notifications/types")).toHaveLength(2);
  });
});
