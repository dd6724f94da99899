/**
 * A fake `fetch` for the API (the other process boundary): routes by method and path, records calls.
 * Unknown routes answer 404 problem details, as the server would.
 */
import { vi } from "vitest";

export function jsonResponse(status, body, headers = {}) {
  if (status === 204) return new Response(null, { status, headers });
  const type = status >= 400 ? "application/problem+json" : "application/json";
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": type, ...headers } });
}

export function problem(status, code, extra = {}) {
  return { status, body: { type: "about:blank", title: code, status, code, ...extra } };
}

export function installFetch() {
  const routes = [];
  const calls = [];
  const fn = vi.fn(async (input, init = {}) => {
    const url = new URL(String(input), "http://localhost");
    const method = (init.method ?? "GET").toUpperCase();
    const body = typeof init.body === "string" && init.body ? JSON.parse(init.body) : undefined;
    const call = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, headers: init.headers ?? {} };
    calls.push(call);
    const route = routes.find((r) => r.method === method && (typeof r.path === "string" ? r.path === url.pathname : r.path.test(url.pathname)));
    if (!route) return jsonResponse(404, { type: "about:blank", title: "Not Found", status: 404, code: "not_found" });
    const result = await route.handler(call);
    if (result instanceof Response) return result;
    return jsonResponse(result?.status ?? 200, result?.body ?? null, result?.headers);
  });
  vi.stubGlobal("fetch", fn);
  const mock = {
    fn,
    calls,
    /** Answer `method path` with `handler(call)` → {status, body, headers} (newest route wins). */
    on(method, path, handler) {
      const h = typeof handler === "function" ? handler : () => handler;
      routes.unshift({ method, path, handler: h });
      return mock;
    },
    callsTo(method, path) {
      return calls.filter((c) => c.method === method && (typeof path === "string" ? c.path === path : path.test(c.path)));
    },
  };
  return mock;
}
