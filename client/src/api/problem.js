/**
 * RFC 9457 problem details: the one place that turns a failed response into something the UI can show.
 *
 * Every error the client surfaces is an ApiError. Components branch on `code` (stable, snake_case),
 * never on `title` or `detail` wording, and show `fieldErrors` next to the matching fields.
 */
import i18n from "../i18n/index.js";

/**
 * Every error `code` the client knows, with the sentence shown when the server sends no `detail`.
 * These are the English words; the UI shows the catalog's `errors.<code>` in the client's language
 * (i18n/locales/*.json), falling back to these.
 *
 * The keys are the server's `ErrorCode` (novacart/errors.py) plus the client's own `network_error` and
 * `error`; a server test reads this object literal and compares its keys with that enum, so keep it one
 * literal with one `code: "sentence",` per line.
 */
export const KNOWN_CODES = {
  bad_request: "The request could not be processed.",
  invalid_body: "The request body is not valid.",
  unauthorized: "Please log in to continue.",
  invalid_token: "Your session is not valid. Please log in again.",
  token_expired: "Your session has expired. Please log in again.",
  token_revoked: "You were logged out. Please log in again.",
  forbidden: "You are not allowed to do that.",
  not_found: "Not found.",
  method_not_allowed: "That action is not available here.",
  conflict: "That conflicts with the current state. Reload and try again.",
  payload_too_large: "That is too large to send.",
  unsupported_media_type: "That kind of content is not accepted.",
  validation_error: "Please correct the highlighted fields.",
  rate_limited: "Too many attempts. Try again in a moment.",
  internal_error: "The server had a problem. Please try again.",
  service_unavailable: "The service is briefly unavailable. Please try again shortly.",
  database_unavailable: "The service is briefly unavailable. Please try again shortly.",
  invalid_credentials: "Wrong email or password.",
  duplicate_email: "An account with this email already exists.",
  own_role_change: "You cannot change your own role.",
  own_deactivation: "You cannot deactivate your own account.",
  insufficient_stock: "One of the items is no longer available in that quantity.",
  duplicate_sku: "A product with this SKU already exists.",
  duplicate_review: "You have already reviewed this product.",
  product_unavailable: "This product is no longer available.",
  illegal_transition: "The order cannot move to that status now.",
  payment_not_allowed: "This order cannot be paid now.",
  amount_mismatch: "The amount does not match the order.",
  tracking_mismatch: "The tracking number does not match the order.",
  too_many_pending_orders: "You have too many unpaid orders. Pay or cancel one first.",
  invalid_signature: "The signature is not valid.",
  stale_signature: "The signature has expired.",
  type_disabled: "You have turned off this kind of notification.",
  promotion_not_cancellable: "This promotion can no longer be cancelled.",
  send_at_passed: "The sending time has already passed.",
  invalid_room: "You cannot follow that.",
  invalid_ack: "The acknowledgement was not valid.",
  too_many_ids: "Too many notifications at once.",
  network_error: "Could not reach the server. Check your connection and try again.",
  error: "Something went wrong.",
};

// The code of a failure whose body carries none (a proxy's error page, say), as the server's HTTP_CODES.
const STATUS_CODES = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "validation_error",
  429: "rate_limited",
  500: "internal_error",
  503: "service_unavailable",
};

/** The code for a response without one: by status, any other 5xx is the server's fault, the rest "error". */
export function codeForStatus(status) {
  return STATUS_CODES[status] ?? (status >= 500 ? "internal_error" : "error");
}

export class ApiError extends Error {
  constructor({
    status = 0,
    code = "error",
    title = "",
    detail = "",
    type = "about:blank",
    fieldErrors = {},
    retryAfter = null,
    retryUntil = retryAfter != null ? Date.now() + retryAfter * 1000 : null,
    body = null,
  } = {}) {
    super(detail || title || `Request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.type = type;
    this.fieldErrors = fieldErrors;
    this.retryAfter = retryAfter;
    this.retryUntil = retryUntil; // when the wait is over (ms epoch), fixed when the answer arrived
    this.body = body;
  }
}

/** A network failure (server unreachable, request aborted by the browser): status 0, code "network_error". */
export function networkError(cause) {
  const err = new ApiError({ status: 0, code: "network_error", title: "Network error", detail: KNOWN_CODES.network_error });
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
    code: typeof problem.code === "string" ? problem.code : codeForStatus(status),
    title: problem.title || response.statusText || "",
    detail: problem.detail || "",
    type: problem.type || "about:blank",
    fieldErrors: flattenFieldErrors(problem.errors),
    retryAfter: parseRetryAfter(response.headers?.get?.("Retry-After") ?? problem.retry_after),
    body,
  });
}

/** The client's own sentence for `code`, in the language shown now. */
export function codeSentence(code) {
  const fallback = Object.hasOwn(KNOWN_CODES, code) ? KNOWN_CODES[code] : "";
  return fallback ? i18n.t(`errors.${code}`, { defaultValue: fallback }) : "";
}

/**
 * The sentence to show for an error, chosen by status and `code`, in the language shown now. The server's
 * `detail` follows the Accept-Language the client sends (api/client.js), so it is shown when it says more.
 * `bare` leaves out the "Not enough stock:" lead for a caller that shows it as a title.
 */
export function describeError(error, { bare = false } = {}) {
  if (!error) return "";
  if (!(error instanceof ApiError)) return error.message || codeSentence("error");
  if (error.status === 429) {
    return error.retryAfter != null ? i18n.t("errors.retry_in", { count: error.retryAfter }) : codeSentence("rate_limited");
  }
  if (error.code === "network_error") return codeSentence("network_error");
  if (error.code === "insufficient_stock") {
    const why = error.detail || codeSentence("insufficient_stock");
    return bare ? why : i18n.t("errors.not_enough_stock", { detail: why });
  }
  if (error.status === 422 && Object.keys(error.fieldErrors).length && !error.detail) {
    return codeSentence("validation_error");
  }
  if (error.status >= 500) return codeSentence("internal_error");
  return error.detail || codeSentence(error.code) || error.title || error.message || codeSentence("error");
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
