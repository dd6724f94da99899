/**
 * fetch() for /api: JSON in and out, the Bearer token, refresh before expiry and once on a 401,
 * the client's language as Accept-Language, and problem details turned into ApiError. A refresh the server refuses ends the session ("expired").
 */
import { ApiError, networkError, parseProblem } from "./problem.js";
import { noteServerDate } from "./clock.js";
import { currentLocale } from "../i18n/index.js";
import { accessTokenLifetimeMs, clearSession, getAccessToken, getRefreshToken, refreshMarginMs, setSession } from "./session.js";

let refreshing = null;

/**
 * Get a new access token with the refresh token. Concurrent callers share one request.
 * Resolves to the new token; rejects with ApiError. A 401/403/422 from the server ends the session.
 */
export function refreshAccessToken() {
  if (refreshing) return refreshing;
  const refreshToken = getRefreshToken();
  if (!refreshToken) {
    clearSession("expired");
    return Promise.reject(new ApiError({ status: 401, code: "unauthorized", title: "Session expired" }));
  }
  refreshing = (async () => {
    let response;
    try {
      response = await fetch("/api/auth/refresh", {
        method: "POST",
        headers: { Accept: "application/json", Authorization: `Bearer ${refreshToken}` },
      });
    } catch (cause) {
      throw networkError(cause);
    }
    if (!response.ok) {
      const error = await parseProblem(response);
      // Only a definite refusal ends the session; a 5xx or 429 may pass.
      if ([401, 403, 422].includes(error.status) && getRefreshToken() === refreshToken) clearSession("expired");
      throw error;
    }
    const body = await response.json();
    setSession({ accessToken: body.access_token });
    return body.access_token;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** Refresh first when the access token is missing or about to expire (and a refresh token exists). */
export async function ensureFreshAccessToken(marginMs = refreshMarginMs()) {
  if (!getRefreshToken()) return getAccessToken();
  if (accessTokenLifetimeMs() > marginMs) return getAccessToken();
  return refreshAccessToken();
}

function buildUrl(path, params) {
  if (!params) return path;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "" || value === false) continue;
    search.set(key, String(value));
  }
  const qs = search.toString();
  return qs ? `${path}${path.includes("?") ? "&" : "?"}${qs}` : path;
}

async function send(url, { method, body, headers, signal, token }) {
  // Problem `detail`s come back in the language the client shows (CONTRACT.md "Languages").
  const init = { method, headers: { Accept: "application/json", "Accept-Language": currentLocale(), ...headers }, signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (token) init.headers.Authorization = `Bearer ${token}`;
  const sentAt = Date.now();
  let response;
  try {
    response = await fetch(url, init);
  } catch (cause) {
    if (cause?.name === "AbortError") throw cause;
    throw networkError(cause);
  }
  noteServerDate(response.headers?.get?.("Date"), sentAt, Date.now());
  return response;
}

/**
 * Call the API. `auth`: true (default) sends the access token and refreshes it as needed; false sends none
 * (login, register, public catalogue). Resolves to the parsed JSON body (null for 204); rejects with ApiError.
 */
export async function api(path, { method = "GET", body, params, headers, signal, auth = true } = {}) {
  const url = buildUrl(path, params);
  let token = null;
  if (auth) {
    try {
      token = await ensureFreshAccessToken();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      token = getAccessToken(); // a failed early refresh: let the request itself decide
    }
  }
  let response = await send(url, { method, body, headers, signal, token });
  if (response.status === 401 && auth && getRefreshToken()) {
    token = await refreshAccessToken();
    response = await send(url, { method, body, headers, signal, token });
  }
  if (!response.ok) {
    const error = await parseProblem(response);
    if (error.status === 401 && auth && token) clearSession("expired");
    throw error;
  }
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}
