/**
 * RFC 9457 problem details: the one place that turns a failed response into something the UI can show.
 *
 * Every error the client surfaces is an ApiError. Components branch on `code` (stable, snake_case),
 * never on `title` or `detail` wording, and show `fieldErrors` next to the matching fields.
 */

export class ApiError extends Error {
  constructor({ status = 0, code = "error", title = "", detail = "", type = "about:blank", fieldErrors = {}, retryAfter = null, body = null } = {}) {
    super(detail || title || `Request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.type = type;
    this.fieldErrors = fieldErrors;
    this.retryAfter = retryAfter;
    this.body = body;
  }
}

/** A network failure (server unreachable, request aborted by the browser): status 0, code "network_error". */
export function networkError(cause) {
  const err = new ApiError({ status: 0, code: "network_error", title: "Network error", detail: "Could not reach the server. Check your connection and try again." });
  err.cause = cause;
  return err;
}

/**
 * Flatten marshmallow-style nested errors into "dotted.path" -> [messages].
 * `{items: {"0": {quantity: ["Too small"]}}}` becomes `{"items.0.quantity": ["Too small"]}`.
 */
export function flattenFieldErrors(errors, prefix = "") {
  const out = {};
  if (!errors || typeof errors !== "object") return out;
  for (const [key, value] of Object.entries(errors)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value)) {
      const messages = value.filter((m) => typeof m === "string");
      const nested = value.filter((m) => m && typeof m === "object");
      if (messages.length) out[path] = messages;
      nested.forEach((m, i) => Object.assign(out, flattenFieldErrors(m, `${path}.${i}`)));
    } else if (value && typeof value === "object") {
      Object.assign(out, flattenFieldErrors(value, path));
    } else if (typeof value === "string") {
      out[path] = [value];
    }
  }
  return out;
}

/** Seconds from a Retry-After header: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value, now = Date.now()) {
  if (value == null || value === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - now) / 1000));
  return null;
}

/** Build an ApiError from a non-2xx Response (reads the body). */
export async function parseProblem(response) {
  let body = null;
  try {
    const text = await response.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const problem = body && typeof body === "object" ? body : {};
  const status = Number(problem.status) || response.status;
  return new ApiError({
    status,
    code: typeof problem.code === "string" ? problem.code : defaultCode(status),
    title: problem.title || response.statusText || "",
    detail: problem.detail || "",
    type: problem.type || "about:blank",
    fieldErrors: flattenFieldErrors(problem.errors),
    retryAfter: parseRetryAfter(response.headers?.get?.("Retry-After") ?? problem.retry_after),
    body,
  });
}

function defaultCode(status) {
  return (
    {
      400: "bad_request",
      401: "unauthorized",
      403: "forbidden",
      404: "not_found",
      405: "method_not_allowed",
      409: "conflict",
      413: "payload_too_large",
      422: "validation_error",
      429: "too_many_requests",
    }[status] || (status >= 500 ? "server_error" : "error")
  );
}

/** The sentence to show for an error, chosen by status and `code`. */
export function describeError(error) {
  if (!error) return "";
  if (!(error instanceof ApiError)) return error.message || "Something went wrong.";
  if (error.status === 429) {
    const wait = error.retryAfter != null ? `Try again in ${error.retryAfter} s.` : "Try again in a moment.";
    return `Too many attempts. ${wait}`;
  }
  if (error.code === "insufficient_stock") {
    return `Not enough stock: ${error.detail || "one of the items is no longer available in that quantity."}`;
  }
  if (error.status === 422 && Object.keys(error.fieldErrors).length && !error.detail) {
    return "Please correct the highlighted fields.";
  }
  if (error.status >= 500) return "The server had a problem. Please try again.";
  return error.detail || error.title || error.message || "Something went wrong.";
}

/** Messages for one field, matching either the exact key or a nested path under it. */
export function fieldMessages(error, field) {
  if (!(error instanceof ApiError)) return [];
  const errors = error.fieldErrors || {};
  if (errors[field]) return errors[field];
  return Object.entries(errors)
    .filter(([key]) => key.startsWith(`${field}.`))
    .flatMap(([, messages]) => messages);
}

/** A copy of `error` with a different `detail` (e.g. friendlier words for a known `code`). */
export function withDetail(error, detail) {
  if (!(error instanceof ApiError)) return error;
  const copy = new ApiError({ ...error, detail });
  copy.fieldErrors = error.fieldErrors;
  return copy;
}
