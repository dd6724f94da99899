import { afterEach, describe, expect, it } from "vitest";
import { noteServerDate, resetClock, serverOffsetMs } from "./clock.js";

describe("the server clock", () => {
  afterEach(() => resetClock());

  it("corrects a real skew, from the Date header's second plus half a second, less half the round trip", () => {
    const sentAt = Date.parse("2026-11-20T10:00:00.000Z");
    noteServerDate("Fri, 20 Nov 2026 10:00:10 GMT", sentAt, sentAt + 200);

    expect(serverOffsetMs()).toBe(10_000 + 500 - 100);
  });

  it("treats small offsets as noise (the header has one-second resolution)", () => {
    const sentAt = Date.parse("2026-11-20T10:00:00.000Z");
    noteServerDate("Fri, 20 Nov 2026 10:00:10 GMT", sentAt, sentAt);
    noteServerDate("Fri, 20 Nov 2026 10:00:01 GMT", sentAt, sentAt);

    expect(serverOffsetMs()).toBe(0);
  });

  it("ignores a missing or unreadable header and keeps what it knew", () => {
    const sentAt = Date.parse("2026-11-20T10:00:00.000Z");
    noteServerDate("Fri, 20 Nov 2026 09:59:50 GMT", sentAt, sentAt);
    noteServerDate(null, sentAt, sentAt);
    noteServerDate("not a date", sentAt, sentAt);

    expect(serverOffsetMs()).toBe(-9_500);
    resetClock();
    expect(serverOffsetMs()).toBe(0);
  });
});
