import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { problem } from "../test/fetchMock.js";
import { installPushBrowser } from "../test/fakePush.js";
import { customerTypes, renderApp, servePreferencesPage } from "../test/fixtures.jsx";

let api;

beforeEach(() => {
  api = servePreferencesPage(savedPrefs);
});

const savedPrefs = {
  types: { order_status: true, back_in_stock: true, promotion: false },
  channels: {
    email: { order_status: true, back_in_stock: true, promotion: false },
    push: { order_status: true, back_in_stock: true, promotion: false },
  },
  interests: ["paper"],
};

/** The PUT answers as the server does: the saved preferences with the partial change applied. */
function answerPut() {
  api.on("PUT", "/api/notifications/preferences", ({ body }) => ({
    body: {
      types: { ...savedPrefs.types, ...body.types },
      channels: {
        email: { ...savedPrefs.channels.email, ...body.channels?.email },
        push: { ...savedPrefs.channels.push, ...body.channels?.push },
      },
      interests: body.interests ?? savedPrefs.interests,
    },
  }));
}

describe("preferences", () => {
  it("shows a row per type the server lists, a switch per channel, always-on types locked in the app only", async () => {
    renderApp("/preferences");

    const orders = await screen.findByRole("switch", { name: "In app for Order updates" });
    expect(orders).toBeChecked();
    expect(orders).toBeDisabled();
    expect(orders).toHaveAccessibleDescription(/Your order's progress.*Always on in the app\./);
    // order_status is transactional in the app, but its e-mail and push can be turned off.
    expect(screen.getByRole("switch", { name: "E-mail for Order updates" })).toBeChecked();
    expect(screen.getByRole("switch", { name: "E-mail for Order updates" })).toBeEnabled();
    expect(screen.getByRole("switch", { name: "Push for Order updates" })).toBeEnabled();
    expect(screen.getByRole("switch", { name: "In app for Back in stock" })).toBeChecked();
    expect(screen.getByRole("switch", { name: "In app for Back in stock" })).toBeEnabled();
    expect(screen.getByRole("switch", { name: "In app for Promotions" })).not.toBeChecked();
    const table = screen.getByRole("table");
    expect(within(table).getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Notification", "In app", "E-mail", "Push"]);
    expect(within(table).getAllByRole("rowheader").map((th) => th.querySelector(".channel-table__type").textContent)).toEqual([
      "Order updates",
      "Back in stock",
      "Promotions",
    ]);
    // Only the types of the user's role are listed by the server, so only those are offered.
    expect(within(table).getAllByRole("switch")).toHaveLength(9);
  });

  it("offers a channel only for the types that can use it, and takes each switch from the saved channels", async () => {
    api.on("GET", "/api/notifications/types", {
      body: customerTypes.map((t) => (t.type === "promotion" ? { ...t, channels: ["in_app", "email"] } : t)),
    });
    api.on("GET", "/api/notifications/preferences", {
      body: { ...savedPrefs, types: { ...savedPrefs.types, promotion: true }, channels: { email: { order_status: false, back_in_stock: true, promotion: true }, push: { order_status: true, back_in_stock: false } } },
    });
    renderApp("/preferences");

    expect(await screen.findByRole("switch", { name: "E-mail for Order updates" })).not.toBeChecked();
    expect(screen.getByRole("switch", { name: "Push for Order updates" })).toBeChecked();
    expect(screen.getByRole("switch", { name: "E-mail for Back in stock" })).toBeChecked();
    expect(screen.getByRole("switch", { name: "Push for Back in stock" })).not.toBeChecked();
    expect(screen.getByRole("switch", { name: "E-mail for Promotions" })).toBeChecked();
    expect(screen.queryByRole("switch", { name: "Push for Promotions" })).not.toBeInTheDocument();
    const promotions = screen.getByRole("row", { name: /^Promotions/ });
    expect(within(promotions).getByText("Not sent by push")).toBeInTheDocument();
  });

  it("shows only the channels some type can use, and no device switch when nothing comes by push", async () => {
    installPushBrowser();
    api.on("GET", "/api/notifications/types", {
      body: [{ type: "low_stock", label: "Low stock", description: "Stock fell to its threshold.", icon: "alert", always_on: false, channels: ["in_app"] }],
    });
    api.on("GET", "/api/notifications/preferences", { body: { types: { low_stock: true }, channels: { email: {}, push: {} }, interests: [] } });
    renderApp("/preferences");

    expect(await screen.findByRole("switch", { name: "In app for Low stock" })).toBeChecked();
    expect(within(screen.getByRole("table")).getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Notification", "In app"]);
    expect(screen.queryByRole("switch", { name: "Notify me on this device" })).not.toBeInTheDocument();
  });

  it("saves only what changed: a channel switch, without the types or interests left as they were", async () => {
    answerPut();
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await screen.findByRole("switch", { name: "E-mail for Order updates" }));
    await user.click(screen.getByRole("switch", { name: "Push for Back in stock" }));
    await user.click(screen.getByRole("switch", { name: "E-mail for Back in stock" }));
    await user.click(screen.getByRole("switch", { name: "E-mail for Back in stock" })); // and back: no change
    await user.click(screen.getByRole("button", { name: "Save preferences" }));

    expect(await screen.findByText("Preferences saved.")).toBeInTheDocument();
    expect(api.callsTo("PUT", "/api/notifications/preferences")[0].body).toEqual({
      channels: { email: { order_status: false }, push: { back_in_stock: false } },
    });
    expect(screen.getByRole("switch", { name: "E-mail for Order updates" })).not.toBeChecked();

    // The answer is the new baseline: the next save sends only the next change.
    await user.click(screen.getByRole("switch", { name: "E-mail for Order updates" }));
    await user.click(screen.getByRole("button", { name: "Save preferences" }));
    await waitFor(() => expect(api.callsTo("PUT", "/api/notifications/preferences")).toHaveLength(2));
    expect(api.callsTo("PUT", "/api/notifications/preferences")[1].body).toEqual({ channels: { email: { order_status: true } } });
  });

  it("turning a type off in the app turns off its e-mail and push too", async () => {
    answerPut();
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await screen.findByRole("switch", { name: "In app for Back in stock" }));

    const email = screen.getByRole("switch", { name: "E-mail for Back in stock" });
    expect(email).not.toBeChecked();
    expect(email).toBeDisabled();
    expect(email).toHaveAccessibleDescription(/Off: nothing is sent\./);
    expect(screen.getByRole("switch", { name: "Push for Back in stock" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Save preferences" }));
    expect(await screen.findByText("Preferences saved.")).toBeInTheDocument();
    expect(api.callsTo("PUT", "/api/notifications/preferences")[0].body).toEqual({ types: { back_in_stock: false } });
  });

  it("says it is saving, and keeps the form from being sent twice", async () => {
    let answer;
    api.on("PUT", "/api/notifications/preferences", () => new Promise((resolve) => (answer = resolve)));
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await screen.findByRole("switch", { name: "Push for Promotions" }));
    expect(screen.getByRole("switch", { name: "Push for Promotions" })).toBeDisabled(); // promotions are off in the app
    await user.click(screen.getByRole("switch", { name: "In app for Promotions" }));
    await user.click(screen.getByRole("switch", { name: "Push for Promotions" }));
    await user.click(screen.getByRole("button", { name: "Save preferences" }));

    const saving = await screen.findByRole("button", { name: "Saving…" });
    expect(saving).toBeDisabled();
    await waitFor(() => expect(answer).toBeTypeOf("function"));
    await act(async () => answer({ body: { ...savedPrefs, types: { ...savedPrefs.types, promotion: true } } }));
    expect(await screen.findByText("Preferences saved.")).toBeInTheDocument();
    expect(api.callsTo("PUT", "/api/notifications/preferences")).toHaveLength(1);
    expect(api.callsTo("PUT", "/api/notifications/preferences")[0].body).toEqual({ types: { promotion: true }, channels: { push: { promotion: true } } });
  });

  it("shows the server's refusal of a channel next to the table", async () => {
    api.on(
      "PUT",
      "/api/notifications/preferences",
      problem(422, "validation_error", { detail: "Some types cannot use that channel.", errors: { channels: ["promotion cannot be sent by push."] } }),
    );
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await screen.findByRole("switch", { name: "Push for Order updates" }));
    await user.click(screen.getByRole("button", { name: "Save preferences" }));

    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("Some types cannot use that channel."));
    expect(screen.getByText("promotion cannot be sent by push.")).toBeInTheDocument();
    expect(screen.queryByText("Preferences saved.")).not.toBeInTheDocument();
  });

  it("takes always-on from the server, not from the type's name", async () => {
    api.on("GET", "/api/notifications/types", {
      body: customerTypes.map((t) => ({ ...t, always_on: t.type === "back_in_stock" })),
    });
    renderApp("/preferences");

    expect(await screen.findByRole("switch", { name: "In app for Back in stock" })).toBeDisabled();
    expect(screen.getByRole("switch", { name: "In app for Order updates" })).toBeEnabled();
  });

  it("saves switches and interests, never sending an always-on type", async () => {
    answerPut();
    const user = userEvent.setup();
    renderApp("/preferences");

    await user.click(await screen.findByRole("switch", { name: "In app for Promotions" }));
    await user.click(screen.getByRole("button", { name: "Remove interest paper" }));
    await user.type(screen.getByLabelText("Add interest"), "Ink{Enter}");
    await user.click(screen.getByRole("button", { name: "Add interest furniture" }));
    await user.click(screen.getByRole("button", { name: "Save preferences" }));

    expect(await screen.findByText("Preferences saved.")).toBeInTheDocument();
    expect(api.callsTo("PUT", "/api/notifications/preferences")[0].body).toEqual({
      types: { promotion: true },
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

    expect(await screen.findByRole("switch", { name: "In app for Promotions" })).toBeInTheDocument();
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

    expect(await screen.findByRole("switch", { name: "In app for Order updates" })).toBeDisabled();
    expect(api.callsTo("GET", "/api/notifications/types")).toHaveLength(2);
  });
});
