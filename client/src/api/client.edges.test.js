/** The API client when the session or the network is not what it expects. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { installFetch, problem } from "../test/fetchMock.js";
import { fakeJwt, signIn } from "../test/fixtures.jsx";
import { api, refreshAccessToken } from "./client.js";
import { getAccessToken, subscribeSession } from "./session.js";

describe("api client edges", () => {
  let mock;
  let unsubscribe = () => {};
  beforeEach(() => {
    mock = installFetch();
  });
  afterEach(() => unsubscribe());

  it("ends a session without a refresh token when a refresh is needed", async () => {
    const heard = [];
    unsubscribe = subscribeSession((reason) => heard.push(reason));

    await expect(refreshAccessToken()).rejects.toMatchObject({ status: 401, code: "unauthorized" });
    expect(heard).toEqual(["expired"]);
  });

  it("keeps the session when the refresh fails for a passing reason, and lets the request decide", async () => {
    signIn(undefined, { accessClaims: { exp: Math.floor(Date.now() / 1000) + 10 } });
    const token = getAccessToken();
    mock.on("POST", "/api/auth/refresh", problem(503, "service_unavailable"));
    mock.on("GET", "/api/orders", { body: { items: [] } });

    await expect(api("/api/orders", { params: { q: "a?b", page: false } })).resolves.toEqual({ items: [] });

    expect(mock.calls.map((c) => `${c.method} ${c.path}`)).toEqual(["POST /api/auth/refresh", "GET /api/orders"]);
    expect(mock.calls[1].headers.Authorization).toBe(`Bearer ${token}`);
    expect(mock.calls[1].query).toEqual({ q: "a?b" });
  });

  it("reports a refresh the network lost as a network error", async () => {
    signIn();
    mock.fn.mockImplementationOnce(async () => {
      throw new TypeError("fetch failed");
    });

    await expect(refreshAccessToken()).rejects.toMatchObject({ status: 0, code: "network_error" });
    expect(getAccessToken()).not.toBeNull();
  });

  it("passes an aborted request's AbortError through as it is", async () => {
    signIn();
    mock.fn.mockImplementationOnce(async () => {
      throw new DOMException("The user aborted a request.", "AbortError");
    });

    await expect(api("/api/products", { auth: false })).rejects.toMatchObject({ name: "AbortError" });
  });

  it("ends the session when a request with a token is refused and there is nothing to refresh with", async () => {
    window.localStorage.setItem("novacart.accessToken", fakeJwt());
    const heard = [];
    unsubscribe = subscribeSession((reason) => heard.push(reason));
    mock.on("GET", "/api/auth/me", problem(401, "token_revoked"));

    await expect(api("/api/auth/me")).rejects.toMatchObject({ status: 401, code: "token_revoked" });
    expect(heard).toEqual(["expired"]);
  });

  it("reads an empty body as null, and appends to a path that has a query already", async () => {
    mock.on("GET", "/api/products", () => new Response("", { status: 200 }));

    await expect(api("/api/products?in_stock=true", { auth: false, params: { limit: 5 } })).resolves.toBeNull();
    expect(mock.calls[0].query).toEqual({ in_stock: "true", limit: "5" });
  });
});
