import { describe, expect, it } from "vitest";
import { ApiError, codeForStatus, describeError, fieldMessages, flattenFieldErrors, KNOWN_CODES, networkError, parseProblem, parseRetryAfter } from "./problem.js";

function problemResponse(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/problem+json", ...headers } });
}

describe("parseProblem", () => {
  it("reads RFC 9457 problem details", async () => {
    const error = await parseProblem(
      problemResponse(409, { type: "https://novacart.dev/problems/insufficient_stock", title: "Not enough stock", status: 409, detail: "Only 2 of Stapler left.", code: "insufficient_stock", product_id: 4 }),
    );

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: "insufficient_stock", title: "Not enough stock", detail: "Only 2 of Stapler left." });
    expect(error.body.product_id).toBe(4);
    expect(describeError(error)).toBe("Not enough stock: Only 2 of Stapler left.");
  });

  it("maps 422 field errors, nested ones to dotted paths", async () => {
    const error = await parseProblem(
      problemResponse(422, {
        title: "Unprocessable Entity",
        status: 422,
        code: "validation_error",
        errors: { shipping_address: ["Missing data for required field."], items: { 0: { quantity: ["Must be at least 1."] } } },
      }),
    );

    expect(error.fieldErrors).toEqual({ shipping_address: ["Missing data for required field."], "items.0.quantity": ["Must be at least 1."] });
    expect(fieldMessages(error, "shipping_address")).toEqual(["Missing data for required field."]);
    expect(fieldMessages(error, "items.0")).toEqual(["Must be at least 1."]);
    expect(describeError(error)).toBe("Please correct the highlighted fields.");
  });

  it("turns 429 Retry-After into 'try again in N s'", async () => {
    const error = await parseProblem(problemResponse(429, { title: "Too Many Requests", status: 429, code: "rate_limited" }, { "Retry-After": "42" }));

    expect(error.retryAfter).toBe(42);
    expect(describeError(error)).toBe("Too many attempts. Try again in 42 s.");
  });

  it("copes with a body that is not JSON", async () => {
    const error = await parseProblem(new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));

    expect(error).toMatchObject({ status: 502, code: "internal_error" });
    expect(describeError(error)).toBe("The server had a problem. Please try again.");
  });
});

describe("known codes", () => {
  it("names a code-less failure with the server's codes (rate_limited, internal_error), all of them known", async () => {
    const statuses = [400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 502, 503, 504, 418];
    const codes = await Promise.all(statuses.map(async (status) => (await parseProblem(new Response("", { status }))).code));

    expect(Object.fromEntries(statuses.map((s, i) => [s, codes[i]]))).toMatchObject({ 429: "rate_limited", 500: "internal_error", 502: "internal_error", 503: "service_unavailable", 418: "error" });
    for (const code of codes) expect(Object.keys(KNOWN_CODES)).toContain(code);
    expect(codeForStatus(429)).toBe("rate_limited");
  });

  it("keeps the client's own codes and none of the old names", () => {
    expect(KNOWN_CODES).toHaveProperty("network_error");
    expect(KNOWN_CODES).toHaveProperty("error");
    expect(KNOWN_CODES).not.toHaveProperty("too_many_requests");
    expect(KNOWN_CODES).not.toHaveProperty("server_error");
    expect(networkError(new TypeError("Failed to fetch"))).toMatchObject({ code: "network_error", detail: KNOWN_CODES.network_error });
  });

  it("shows a known code's sentence when the server sends no detail, and never a property of Object", () => {
    expect(describeError(new ApiError({ status: 409, code: "duplicate_email" }))).toBe("An account with this email already exists.");
    expect(describeError(new ApiError({ status: 409, code: "duplicate_email", detail: "Taken." }))).toBe("Taken.");
    expect(describeError(new ApiError({ status: 400, code: "constructor", title: "Odd" }))).toBe("Odd");
    expect(describeError(new ApiError({ status: 400, code: "toString" }))).toBe("Request failed (400)");
  });

  it("fixes the end of a Retry-After wait when the answer arrives, and keeps it in copies", async () => {
    const before = Date.now();
    const error = await parseProblem(problemResponse(429, { status: 429, code: "rate_limited" }, { "Retry-After": "30" }));

    expect(error.retryUntil).toBeGreaterThanOrEqual(before + 30_000);
    expect(error.retryUntil).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(new ApiError({ ...error, detail: "Wait." }).retryUntil).toBe(error.retryUntil);
  });
});

describe("helpers", () => {
  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("7")).toBe(7);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(30);
    expect(parseRetryAfter(null)).toBeNull();
  });

  it("flattens arrays of nested errors", () => {
    expect(flattenFieldErrors({ items: [{ product_id: ["Unknown product."] }] })).toEqual({ "items.0.product_id": ["Unknown product."] });
  });
});
