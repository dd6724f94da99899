import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeJwt } from "../test/fixtures.jsx";
import {
  accessTokenLifetimeMs,
  clearSession,
  getAccessToken,
  getUser,
  refreshMarginMs,
  setSession,
  subscribeSession,
  tokenExpiry,
} from "./session.js";

describe("the session", () => {
  let unsubscribe = () => {};
  afterEach(() => unsubscribe());

  it("keeps the parts it is not given, and tells its listeners", () => {
    const heard = [];
    unsubscribe = subscribeSession((reason) => heard.push(reason));

    setSession({ accessToken: "a1", refreshToken: "r1", user: { id: 1 } });
    setSession({ accessToken: "a2" });

    expect(getAccessToken()).toBe("a2");
    expect(window.localStorage.getItem("novacart.refreshToken")).toBe("r1");
    expect(getUser()).toEqual({ id: 1 });
    clearSession("expired");
    expect(getAccessToken()).toBeNull();
    expect(heard).toEqual(["updated", "updated", "expired"]);
  });

  it("reads an unreadable stored user as nobody", () => {
    window.localStorage.setItem("novacart.user", "{not json");
    expect(getUser()).toBeNull();
  });

  it("follows other tabs: a sign-in is an update, a sign-out or a cleared storage a logout", () => {
    const heard = [];
    unsubscribe = subscribeSession((reason) => heard.push(reason));

    window.localStorage.setItem("novacart.accessToken", "from-another-tab");
    window.dispatchEvent(new StorageEvent("storage", { key: "novacart.accessToken" }));
    window.dispatchEvent(new StorageEvent("storage", { key: "novacart.cart" }));
    window.localStorage.clear();
    window.dispatchEvent(new StorageEvent("storage", { key: null }));

    expect(heard).toEqual(["updated", "logout"]);
  });

  it("works, signed out, where the browser refuses storage", () => {
    const refused = vi.spyOn(window, "localStorage", "get").mockImplementation(() => {
      throw new DOMException("denied", "SecurityError");
    });
    const heard = [];
    unsubscribe = subscribeSession((reason) => heard.push(reason));

    setSession({ accessToken: "a" });
    clearSession();
    const seen = [getAccessToken(), getUser()];
    refused.mockRestore();

    expect(seen).toEqual([null, null]);
    expect(heard).toEqual(["logout"]);
  });
});

describe("tokens", () => {
  it("reads the expiry of a JWT, and nothing from what is not one", () => {
    expect(tokenExpiry(fakeJwt({ exp: 1234 }))).toBe(1234);
    expect(tokenExpiry(null)).toBeNull();
    expect(tokenExpiry("garbage")).toBeNull();
    expect(tokenExpiry(fakeJwt({ exp: "soon" }))).toBeNull();
  });

  it("counts the access token's life: gone without one, endless without an expiry", () => {
    expect(accessTokenLifetimeMs()).toBe(-Infinity);
    setSession({ accessToken: fakeJwt({ exp: 1000 }) });
    expect(accessTokenLifetimeMs(400_000)).toBe(600_000);
    setSession({ accessToken: fakeJwt({ exp: undefined }) });
    expect(accessTokenLifetimeMs()).toBe(Infinity);
  });

  it("refreshes a minute early, or a quarter of a short token's life", () => {
    expect(refreshMarginMs()).toBe(60_000);
    setSession({ accessToken: fakeJwt({ iat: 1000, exp: 1060 }) });
    expect(refreshMarginMs()).toBe(15_000);
    setSession({ accessToken: fakeJwt({ iat: 1000, exp: 1000 + 900 }) });
    expect(refreshMarginMs()).toBe(60_000);
  });
});
