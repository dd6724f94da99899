/** Whole pages in Italian: the order page (statuses, timeline, money, dates) and the preferences page (topics, switches). */
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { installFetch } from "../test/fetchMock.js";
import { customer, customerTypes, renderApp, signIn } from "../test/fixtures.jsx";

const italian = { ...customer, locale: "it" };
const emptyBell = { body: { items: [], next_cursor: null, unread_count: 0 } };

describe("pages in Italian", () => {
  it("the order page says the status, the steps, the money and the dates the Italian way", async () => {
    signIn(italian);
    const api = installFetch();
    api.on("GET", "/api/notifications", emptyBell);
    api.on("GET", "/api/notifications/types", { body: [] });
    api.on("GET", "/api/orders/7/messages", { body: { items: [], next_cursor: null } });
    api.on("GET", "/api/orders/7", {
      body: {
        id: 7,
        user_id: 1,
        status: "shipped",
        items: [{ product_id: 3, name: "Cucitrice", quantity: 2, unit_price_cents: 123450 }],
        total_cents: 246900,
        shipping_address: "Via Roma 1, Milano",
        tracking_number: "1Z999",
        created_at: "2026-11-22T10:00:00+00:00",
        updated_at: "2026-11-22T12:00:00+00:00",
        history: [
          { status: "pending", at: "2026-11-22T10:00:00+00:00", by: "customer", note: "Order placed" },
          { status: "shipped", at: "2026-11-22T12:00:00+00:00", by: "staff", note: null },
        ],
      },
    });
    const view = renderApp("/orders/7");
    await act(async () => {
      await view.socketFactory.last().serverConnect();
    });

    expect(await screen.findByRole("heading", { name: "Ordine n. 7", level: 1 })).toBeInTheDocument();
    expect(screen.getByTestId("order-status")).toHaveTextContent("spedito");
    expect(screen.getByTestId("order-status")).toHaveAttribute("data-status", "shipped");
    const steps = within(screen.getByTestId("order-timeline")).getAllByRole("listitem");
    expect(steps[0]).toHaveTextContent("in attesa di pagamento");
    expect(steps[0]).toHaveTextContent("Ordine effettuato"); // the note NovaCart wrote, in Italian
    expect(steps[1]).toHaveTextContent("spedito");
    expect(steps[1]).toHaveTextContent("In viaggio verso di te");
    expect(steps[1]).toHaveTextContent(/22 nov 2026/);
    expect(screen.getAllByText("2469,00 €").length).toBe(2); // the line and the total (CLDR groups Italian thousands from five digits)
    expect(screen.getByText(/Numero di tracciamento/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Notifiche" })).toBeInTheDocument();
  });

  it("the preferences page names channels and topics in Italian, and saves the topics' own tags", async () => {
    signIn(italian);
    const api = installFetch();
    api.on("GET", "/api/notifications", emptyBell);
    api.on("GET", "/api/notifications/types", { body: customerTypes.map((t) => (t.type === "order_status" ? { ...t, label: "Aggiornamenti sugli ordini" } : t)) });
    api.on("GET", "/api/notifications/preferences", { body: { types: {}, channels: { email: {}, push: {} }, interests: ["paper"] } });
    api.on("PUT", "/api/notifications/preferences", ({ body }) => ({ body: { types: {}, channels: { email: {}, push: {} }, interests: body.interests } }));
    const user = userEvent.setup();
    renderApp("/preferences");

    expect(await screen.findByRole("heading", { name: "Preferenze di notifica" })).toBeInTheDocument();
    expect(screen.getByRole("switch", { name: "E-mail per Aggiornamenti sugli ordini" })).toBeInTheDocument();
    expect(screen.getByRole("switch", { name: "Nell'app per Aggiornamenti sugli ordini" })).toBeDisabled();
    expect(within(screen.getByRole("list", { name: "I tuoi interessi" })).getByText("carta")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Aggiungi l'interesse stampanti" }));
    await user.type(screen.getByLabelText("Aggiungi un interesse"), "Inchiostro");
    await user.click(screen.getByRole("button", { name: "Salva le preferenze" }));

    expect(await screen.findByText("Preferenze salvate.")).toBeInTheDocument();
    await waitFor(() => expect(api.callsTo("PUT", "/api/notifications/preferences")[0]?.body.interests).toEqual(["paper", "printers", "ink"]));
  });
});
