/** problem.js at its edges: every sentence describeError can give, and odd problem bodies. */
import { describe, expect, it } from "vitest";
import { ApiError, KNOWN_CODES, describeError, fieldMessages, flattenFieldErrors, networkError, parseProblem, parseRetryAfter, withDetail } from "./problem.js";

describe("describeError", () => {
  it.each([
    [null, ""],
    [new Error("plain failure"), "plain failure"],
    [new Error(""), KNOWN_CODES.error],
    [new ApiError({ status: 429 }), KNOWN_CODES.rate_limited],
    [new ApiError({ status: 429, retryAfter: 0 }), "Too many attempts. Try again in 0 s."],
    [new ApiError({ status: 409, code: "insufficient_stock" }), `Not enough stock: ${KNOWN_CODES.insufficient_stock}`],
    [new ApiError({ status: 422, fieldErrors: { email: ["Taken"] } }), KNOWN_CODES.validation_error],
    [new ApiError({ status: 422, fieldErrors: { email: ["Taken"] }, detail: "E-mail taken" }), "E-mail taken"],
    [new ApiError({ status: 503, detail: "database down" }), KNOWN_CODES.internal_error],
    [new ApiError({ status: 409, code: "duplicate_sku" }), KNOWN_CODES.duplicate_sku],
    [new ApiError({ status: 418, code: "a_code_from_the_future", title: "Gone fishing" }), "Gone fishing"],
    [new ApiError({ status: 400 }), KNOWN_CODES.error],
    [networkError(new TypeError("fetch failed")), "Could not reach the server. Check your connection and try again."],
  ])("%o → %s", (error, sentence) => {
    expect(describeError(error)).toBe(sentence);
  });
});

describe("parseProblem", () => {
  it("falls back to the response's status, its reason phrase and a code by status", async () => {
    const forbidden = await parseProblem(new Response("", { status: 403, statusText: "Forbidden" }));
    const failed = await parseProblem(new Response(JSON.stringify({ status: "x", code: 7 }), { status: 502 }));
    const odd = await parseProblem(new Response(JSON.stringify([1, 2]), { status: 418 }));

    expect(forbidden).toMatchObject({ status: 403, code: "forbidden", title: "Forbidden", type: "about:blank" });
    expect(failed).toMatchObject({ status: 502, code: "internal_error" });
    expect(odd).toMatchObject({ status: 418, code: "error", body: [1, 2] });
  });

  it("takes retry_after from the body when there is no header", async () => {
    const error = await parseProblem(new Response(JSON.stringify({ status: 429, retry_after: 12 }), { status: 429 }));
    expect(error.retryAfter).toBe(12);
  });
});

describe("helpers", () => {
  it("reads no Retry-After from nonsense, and never a negative wait", () => {
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter("-5")).toBe(0);
    expect(parseRetryAfter(new Date(0).toUTCString(), 10_000)).toBe(0);
  });

  it("flattens only what is an error: strings, lists and nested objects", () => {
    expect(flattenFieldErrors(null)).toEqual({});
    expect(flattenFieldErrors({ name: "Required", age: 3, tags: [null, "Bad tag"] })).toEqual({ name: ["Required"], tags: ["Bad tag"] });
  });

  it("finds a field's messages by exact or nested path, and none for other errors", () => {
    const error = new ApiError({ status: 422, fieldErrors: { items: ["Empty"], "lines.0.quantity": ["Too small"], "lines.1.quantity": ["Too big"] } });

    expect(fieldMessages(error, "items")).toEqual(["Empty"]);
    expect(fieldMessages(error, "lines")).toEqual(["Too small", "Too big"]);
    expect(fieldMessages(new ApiError({ status: 422 }), "items")).toEqual([]);
    expect(fieldMessages(new Error("x"), "items")).toEqual([]);
  });

  it("rewords an ApiError, keeping its fields, and leaves anything else alone", () => {
    const error = new ApiError({ status: 409, code: "duplicate_email", detail: "taken", fieldErrors: { email: ["taken"] } });
    const plain = new Error("x");

    expect(withDetail(error, "That e-mail has an account.")).toMatchObject({ code: "duplicate_email", detail: "That e-mail has an account.", fieldErrors: { email: ["taken"] } });
    expect(withDetail(plain, "y")).toBe(plain);
  });
});
