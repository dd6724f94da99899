import { describe, expect, it } from "vitest";
import { absoluteTime, relativeTime } from "./relativeTime.js";

const now = Date.parse("2026-11-20T12:00:00Z");
const ago = (seconds) => new Date(now - seconds * 1000).toISOString();

describe("relativeTime", () => {
  it.each([
    [0, "just now"],
    [44, "just now"],
    [45, "1 min ago"],
    [59 * 60, "59 min ago"],
    [60 * 60, "1 h ago"],
    [23 * 3600, "23 h ago"],
    [24 * 3600, "yesterday"],
    [2 * 86400, "2 days ago"],
    [6 * 86400, "6 days ago"],
  ])("%i s ago is %s", (seconds, text) => {
    expect(relativeTime(ago(seconds), now)).toBe(text);
  });

  it("gives a date from a week on", () => {
    const text = relativeTime(ago(8 * 86400), now);
    expect(text).toMatch(/2026/);
    expect(text).not.toMatch(/ago/);
  });

  it("says nothing for a missing or unreadable time", () => {
    expect(relativeTime(undefined, now)).toBe("");
    expect(relativeTime("yesterday-ish", now)).toBe("");
  });

  it("uses the current time by default", () => {
    expect(relativeTime(new Date().toISOString())).toBe("just now");
  });
});

describe("absoluteTime", () => {
  it("is the full local date and time, or nothing", () => {
    expect(absoluteTime("2026-11-20T12:00:00Z")).toBe(new Date("2026-11-20T12:00:00Z").toLocaleString());
    expect(absoluteTime("nope")).toBe("");
  });
});
