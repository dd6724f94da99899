import { describe, expect, it } from "vitest";
import { ApiError, describeError, fieldMessages, flattenFieldErrors, parseProblem, parseRetryAfter } from "./problem.js";

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
    const error = await parseProblem(problemResponse(429, { title: "Too Many Requests", status: 429, code: "too_many_requests" }, { "Retry-After": "42" }));

    expect(error.retryAfter).toBe(42);
    expect(describeError(error)).toBe("Too many attempts. Try again in 42 s.");
  });

  it("copes with a body that is not JSON", async () => {
    const error = await parseProblem(new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));

    expect(error).toMatchObject({ status: 502, code: "server_error" });
    expect(describeError(error)).toBe("The server had a problem. Please try again.");
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
