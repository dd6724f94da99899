import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { clearSession } from "../api/session.js";
import { installFetch, problem } from "../test/fetchMock.js";
import { customer, fakeJwt, renderApp, signIn } from "../test/fixtures.jsx";

let api;

beforeEach(() => {
  api = installFetch();
  api.on("GET", "/api/products", { body: { items: [], next_cursor: null } });
  api.on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
  api.on("GET", "/api/orders", { body: { items: [], next_cursor: null } });
});

describe("authentication", () => {
  it("sends a signed-out visitor to log in, then back to the page they wanted", async () => {
    api.on("POST", "/api/auth/login", { body: { user: customer, access_token: fakeJwt(), refresh_token: fakeJwt({ type: "refresh" }) } });
    const user = userEvent.setup();
    renderApp("/orders");

    expect(screen.getByTestId("location")).toHaveTextContent("/login?next=%2Forders");
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse");
    await user.click(screen.getByRole("button", { name: "Log in" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/orders$/));
    expect(api.callsTo("POST", "/api/auth/login")[0].body).toEqual({ email: "ada@example.com", password: "correct horse" });
    expect(window.localStorage.getItem("novacart.refreshToken")).toBeTruthy();
    expect(await screen.findByRole("heading", { name: "My orders" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: /Notifications/ })).toBeInTheDocument();
  });

  it("says so when the credentials are wrong", async () => {
    api.on("POST", "/api/auth/login", problem(401, "invalid_credentials", { detail: "Wrong email or password." }));
    const user = userEvent.setup();
    renderApp("/login");

    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "nope-nope");
    await user.click(screen.getByRole("button", { name: "Log in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(screen.getByTestId("location")).toHaveTextContent("/login");
  });

  it("shows how long to wait when rate limited", async () => {
    api.on("POST", "/api/auth/login", { ...problem(429, "rate_limited"), headers: { "Retry-After": "30" } });
    const user = userEvent.setup();
    renderApp("/login");

    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "whatever1");
    await user.click(screen.getByRole("button", { name: "Log in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(/try again in (30|29) s/i);
  });

  it("signs up and shows field errors from the server next to the field", async () => {
    api.on("POST", "/api/auth/register", problem(422, "validation_error", { errors: { email: ["Not a valid email address."] } }));
    const user = userEvent.setup();
    renderApp("/signup");

    await user.type(screen.getByLabelText("Name"), "Ada");
    await user.type(screen.getByLabelText("Email"), "ada@x");
    await user.type(screen.getByLabelText("Password"), "long enough");
    await user.click(screen.getByRole("button", { name: "Sign up" }));

    expect(await screen.findByText("Not a valid email address.")).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("Not a valid email address.");
  });

  it("sends a user whose session lapsed to log in with their place kept", async () => {
    signIn();
    api.on("GET", "/api/orders/7", problem(401, "token_expired"));
    api.on("POST", "/api/auth/refresh", problem(401, "token_revoked"));
    renderApp("/orders/7");

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/login?next=%2Forders%2F7&reason=expired"));
    expect(screen.getByText("Your session has expired. Please log in again.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Notifications/ })).not.toBeInTheDocument();
  });

  it("logs out, revoking both tokens", async () => {
    signIn();
    const refresh = window.localStorage.getItem("novacart.refreshToken");
    api.on("POST", "/api/auth/logout", { status: 204 });
    const user = userEvent.setup();
    renderApp("/");

    await user.click(screen.getByRole("button", { name: "Log out" }));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent(/^\/login$/));
    expect(api.callsTo("POST", "/api/auth/logout")[0].body).toEqual({ refresh_token: refresh });
    expect(window.localStorage.getItem("novacart.accessToken")).toBeNull();
  });

  it("follows a logout in another tab", async () => {
    signIn();
    renderApp("/orders");
    expect(await screen.findByRole("heading", { name: "My orders" })).toBeInTheDocument();

    act(() => clearSession("logout"));

    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/login?next=%2Forders"));
  });

  it("refreshes the access token shortly before it expires", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    try {
      const nowS = Math.floor(Date.now() / 1000);
      signIn(customer, { accessClaims: { iat: nowS - 780, exp: nowS + 120 } }); // a 15-minute token, 2 minutes left
      const renewed = fakeJwt({ iat: nowS + 60, exp: nowS + 960 });
      api.on("POST", "/api/auth/refresh", { body: { access_token: renewed } });
      renderApp("/");

      await act(async () => vi.advanceTimersByTimeAsync(59_000));
      expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(0);

      await act(async () => vi.advanceTimersByTimeAsync(1_500));
      expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(1);
      expect(window.localStorage.getItem("novacart.accessToken")).toBe(renewed);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refreshes a one-minute token at three quarters of its life, not continuously", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    try {
      const nowS = Math.floor(Date.now() / 1000);
      signIn(customer, { accessClaims: { iat: nowS, exp: nowS + 60 } });
      api.on("POST", "/api/auth/refresh", () => {
        const t = Math.floor(Date.now() / 1000);
        return { body: { access_token: fakeJwt({ iat: t, exp: t + 60 }) } };
      });
      renderApp("/");

      await act(async () => vi.advanceTimersByTimeAsync(100_000));

      expect(api.callsTo("POST", "/api/auth/refresh")).toHaveLength(2); // at 45 s and 90 s
    } finally {
      vi.useRealTimers();
    }
  });
});
