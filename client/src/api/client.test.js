import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installFetch, problem } from "../test/fetchMock.js";
import { fakeJwt, signIn } from "../test/fixtures.jsx";
import { api } from "./client.js";
import { getAccessToken, subscribeSession } from "./session.js";

describe("api client", () => {
  let mock;
  let unsubscribe = () => {};
  beforeEach(() => {
    mock = installFetch();
  });
  afterEach(() => unsubscribe());

  it("sends the access token and parses JSON", async () => {
    signIn();
    mock.on("GET", "/api/orders", { body: { items: [], next_cursor: null } });

    await expect(api("/api/orders", { params: { limit: 20, cursor: undefined } })).resolves.toEqual({ items: [], next_cursor: null });

    const [call] = mock.calls;
    expect(call.query).toEqual({ limit: "20" });
    expect(call.headers.Authorization).toBe(`Bearer ${getAccessToken()}`);
  });

  it("refreshes with the refresh token before the access token expires", async () => {
    signIn(undefined, { accessClaims: { exp: Math.floor(Date.now() / 1000) + 30 } });
    const refresh = window.localStorage.getItem("novacart.refreshToken");
    const renewed = fakeJwt({ sub: "1" });
    mock.on("POST", "/api/auth/refresh", { body: { access_token: renewed } });
    mock.on("GET", "/api/orders", { body: { items: [] } });

    await api("/api/orders");

    expect(mock.calls.map((c) => `${c.method} ${c.path}`)).toEqual(["POST /api/auth/refresh", "GET /api/orders"]);
    expect(mock.calls[0].headers.Authorization).toBe(`Bearer ${refresh}`);
    expect(mock.calls[1].headers.Authorization).toBe(`Bearer ${renewed}`);
    expect(getAccessToken()).toBe(renewed);
  });

  it("refreshes once and retries after a 401", async () => {
    signIn();
    const renewed = fakeJwt({ sub: "1", jti: "new" });
    mock.on("POST", "/api/auth/refresh", { body: { access_token: renewed } });
    mock.on("GET", "/api/auth/me", ({ headers }) => (headers.Authorization === `Bearer ${renewed}` ? { body: { id: 1 } } : problem(401, "token_revoked")));

    await expect(api("/api/auth/me")).resolves.toEqual({ id: 1 });
    expect(mock.callsTo("POST", "/api/auth/refresh")).toHaveLength(1);
  });

  it("shares one refresh between concurrent requests", async () => {
    signIn(undefined, { accessClaims: { exp: Math.floor(Date.now() / 1000) - 1 } });
    mock.on("POST", "/api/auth/refresh", { body: { access_token: fakeJwt() } });
    mock.on("GET", "/api/orders", { body: { items: [] } });

    await Promise.all([api("/api/orders"), api("/api/orders"), api("/api/orders")]);

    expect(mock.callsTo("POST", "/api/auth/refresh")).toHaveLength(1);
  });

  it("ends the session as expired when the refresh token is refused", async () => {
    signIn();
    const reasons = [];
    unsubscribe = subscribeSession((reason) => reasons.push(reason));
    mock.on("GET", "/api/orders", problem(401, "token_expired"));
    mock.on("POST", "/api/auth/refresh", problem(401, "token_revoked"));

    await expect(api("/api/orders")).rejects.toMatchObject({ status: 401 });

    expect(reasons).toEqual(["expired"]);
    expect(getAccessToken()).toBeNull();
  });

  it("sends no token and never ends a session for auth: false calls", async () => {
    signIn();
    mock.on("POST", "/api/auth/login", problem(401, "invalid_credentials"));

    await expect(api("/api/auth/login", { method: "POST", body: { email: "a@b.c", password: "x" }, auth: false })).rejects.toMatchObject({ status: 401 });

    expect(mock.calls[0].headers.Authorization).toBeUndefined();
    expect(mock.calls[0].body).toEqual({ email: "a@b.c", password: "x" });
    expect(getAccessToken()).not.toBeNull();
  });

  it("returns null for 204", async () => {
    signIn();
    mock.on("DELETE", "/api/notifications/3", { status: 204 });
    await expect(api("/api/notifications/3", { method: "DELETE" })).resolves.toBeNull();
  });

  it("reports an unreachable server as a network error", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(api("/api/products", { auth: false })).rejects.toMatchObject({ status: 0, code: "network_error" });
  });
});
