/** The language: follows the signed-in user, else the browser; the header's menu switches it without a reload and saves it. */
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { getUser } from "../api/session.js";
import { customer, renderApp, signIn } from "../test/fixtures.jsx";
import { installFetch, problem } from "../test/fetchMock.js";
import i18n, { LOCALE_STORAGE_KEY } from "./index.js";

const emptyBell = { body: { items: [], next_cursor: null, unread_count: 0 } };
const products = { body: { items: [{ id: 1, name: "Stapler", category: "Desk", price_cents: 499, stock: 3, low_stock_threshold: 5 }], next_cursor: null } };

function serveShop() {
  const api = installFetch();
  api.on("GET", "/api/products", products);
  api.on("GET", "/api/notifications", emptyBell);
  api.on("GET", "/api/notifications/types", { body: [] });
  return api;
}

describe("the client's language", () => {
  it("follows the signed-in user's locale: an Italian customer sees the shop and the bell in Italian", async () => {
    signIn({ ...customer, locale: "it" });
    serveShop();
    renderApp("/");

    expect(await screen.findByRole("heading", { name: "Articoli per l'ufficio" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Notifiche" })).toBeInTheDocument();
    expect(await screen.findByText("4,99 €")).toBeInTheDocument(); // Testing Library reads the no-break space as a space
    expect(screen.getByText("Ne restano solo 3")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "I miei ordini" })).toBeInTheDocument();
    expect(document.documentElement).toHaveAttribute("lang", "it");
    expect(screen.getByRole("combobox", { name: "Lingua" })).toHaveValue("it");
  });

  it("switches in the header without a reload, and saves the choice on the account", async () => {
    signIn({ ...customer, locale: "it" });
    const api = serveShop();
    api.on("PATCH", "/api/auth/me", ({ body }) => ({ body: { ...customer, locale: body.locale } }));
    const user = userEvent.setup();
    renderApp("/");
    const heading = await screen.findByRole("heading", { name: "Articoli per l'ufficio" });

    await user.selectOptions(screen.getByRole("combobox", { name: "Lingua" }), "es");

    expect(await screen.findByRole("heading", { name: "Material de oficina" })).toBe(heading); // the same element: re-rendered, not reloaded
    expect(screen.getByRole("button", { name: "Notificaciones" })).toBeInTheDocument();
    expect(document.documentElement).toHaveAttribute("lang", "es");
    await waitFor(() => expect(api.callsTo("PATCH", "/api/auth/me").map((c) => c.body)).toEqual([{ locale: "es" }]));
    await waitFor(() => expect(getUser().locale).toBe("es"));
    // Later requests ask the server for Spanish details.
    expect(api.calls.at(-1).headers["Accept-Language"]).toBe("es");
  });

  it("keeps the new language when the server does not save it, and says so", async () => {
    signIn({ ...customer, locale: "it" });
    const api = serveShop();
    api.on("PATCH", "/api/auth/me", problem(503, "service_unavailable"));
    const user = userEvent.setup();
    renderApp("/");
    await screen.findByRole("heading", { name: "Articoli per l'ufficio" });

    await user.selectOptions(screen.getByRole("combobox", { name: "Lingua" }), "vi");

    expect(await screen.findByText(/^Chưa lưu được ngôn ngữ vào tài khoản của bạn: /)).toHaveAttribute("role", "alert");
    expect(screen.getByRole("heading", { name: "Văn phòng phẩm" })).toBeInTheDocument();
    expect(getUser().locale).toBe("it");
  });

  it("signed out, takes the browser's first language among ours", async () => {
    vi.spyOn(window.navigator, "languages", "get").mockReturnValue(["de-DE", "vi-VN", "en"]);
    await i18n.changeLanguage(); // detect again, as at page load
    serveShop();
    renderApp("/");

    expect(await screen.findByRole("heading", { name: "Văn phòng phẩm" })).toBeInTheDocument();
    expect(document.documentElement).toHaveAttribute("lang", "vi");
  });

  it("signed out, falls back to English for a browser in none of our languages", async () => {
    vi.spyOn(window.navigator, "languages", "get").mockReturnValue(["de-DE", "fr"]);
    vi.spyOn(window.navigator, "language", "get").mockReturnValue("de-DE");
    await i18n.changeLanguage();
    serveShop();
    renderApp("/");

    expect(await screen.findByRole("heading", { name: "Office supplies" })).toBeInTheDocument();
    expect(document.documentElement).toHaveAttribute("lang", "en");
  });

  it("signed out, remembers the visitor's choice on this browser and sends no PATCH", async () => {
    const api = serveShop();
    const user = userEvent.setup();
    renderApp("/");
    await screen.findByRole("heading", { name: "Office supplies" });

    await user.selectOptions(screen.getByRole("combobox", { name: "Language" }), "it");

    expect(await screen.findByRole("heading", { name: "Articoli per l'ufficio" })).toBeInTheDocument();
    expect(within(screen.getByRole("banner")).getByRole("link", { name: "Accedi" })).toBeInTheDocument();
    expect(window.localStorage.getItem(LOCALE_STORAGE_KEY)).toBe("it");
    expect(api.callsTo("PATCH", "/api/auth/me")).toEqual([]);
    vi.spyOn(window.navigator, "languages", "get").mockReturnValue(["en-US"]);
    await i18n.changeLanguage(); // the next visit
    expect(i18n.resolvedLanguage).toBe("it");
  });

  it("registers a new account in the language the visitor reads", async () => {
    const api = serveShop();
    api.on("POST", "/api/auth/register", ({ body }) => ({ status: 201, body: { user: { ...customer, locale: body.locale }, access_token: "a", refresh_token: "r" } }));
    await i18n.changeLanguage("es");
    const user = userEvent.setup();
    renderApp("/signup");

    await user.type(await screen.findByLabelText("Nombre"), "Ada");
    await user.type(screen.getByLabelText("Correo electrónico"), "ada@example.com");
    await user.type(screen.getByLabelText("Contraseña"), "correct horse");
    await user.click(screen.getByRole("button", { name: "Registrarse" }));

    await waitFor(() => expect(api.callsTo("POST", "/api/auth/register")[0]?.body.locale).toBe("es"));
  });
});
