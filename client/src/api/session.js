/**
 * The signed-in session: tokens and user in localStorage, so every tab of the browser shares one session.
 *
 * This module is plain JavaScript (no React) so the API client, the socket and the UI all read the same
 * state. Listeners hear about changes made here and in other tabs (the `storage` event).
 */

const ACCESS = "novacart.accessToken";
const REFRESH = "novacart.refreshToken";
const USER = "novacart.user";

const listeners = new Set();

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function getAccessToken() {
  return storage()?.getItem(ACCESS) || null;
}

export function getRefreshToken() {
  return storage()?.getItem(REFRESH) || null;
}

export function getUser() {
  const raw = storage()?.getItem(USER);
  if (!raw) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

function notify(reason) {
  for (const listener of [...listeners]) listener(reason);
}

/** Store a session after login, sign-up or refresh; omitted parts are kept. */
export function setSession({ accessToken, refreshToken, user } = {}) {
  const s = storage();
  if (!s) return;
  if (accessToken !== undefined) s.setItem(ACCESS, accessToken);
  if (refreshToken !== undefined) s.setItem(REFRESH, refreshToken);
  if (user !== undefined) s.setItem(USER, JSON.stringify(user));
  notify("updated");
}

/**
 * Forget the session. `reason` is "logout" (the user asked) or "expired" (the server refused the
 * refresh token); the app sends an expired user to the login page with their place kept.
 */
export function clearSession(reason = "logout") {
  const s = storage();
  if (s) {
    s.removeItem(ACCESS);
    s.removeItem(REFRESH);
    s.removeItem(USER);
  }
  notify(reason);
}

/** Listen to session changes in this tab and in other tabs; returns the unsubscribe function. */
export function subscribeSession(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key !== null && ![ACCESS, REFRESH, USER].includes(event.key)) return;
    // Another tab logged in, refreshed, or logged out.
    notify(getAccessToken() || getRefreshToken() ? "updated" : "logout");
  });
}

function claims(token) {
  try {
    const payload = token.split(".")[1];
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
    return JSON.parse(json) ?? {};
  } catch {
    return {};
  }
}

/** Seconds-since-epoch `exp` claim of a JWT, or null; the signature is the server's business. */
export function tokenExpiry(token) {
  if (!token) return null;
  const { exp } = claims(token);
  return typeof exp === "number" ? exp : null;
}

/** Milliseconds until the access token expires (Infinity when it carries no `exp`, -Infinity when absent). */
export function accessTokenLifetimeMs(now = Date.now()) {
  const token = getAccessToken();
  if (!token) return -Infinity;
  const exp = tokenExpiry(token);
  return exp == null ? Infinity : exp * 1000 - now;
}

/**
 * How long before expiry to refresh: a minute, or a quarter of the token's whole life when that is
 * shorter (a server configured for one-minute tokens must not be asked for a new one every second).
 */
export function refreshMarginMs(maxMs = 60_000) {
  const { exp, iat } = claims(getAccessToken() ?? "");
  if (typeof exp === "number" && typeof iat === "number" && exp > iat) return Math.min(maxMs, ((exp - iat) * 1000) / 4);
  return maxMs;
}
