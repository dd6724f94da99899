/** Money, relative times, dates and plurals in each language, all from Intl. */
import { describe, expect, it } from "vitest";
import i18n from "./index.js";
import { CURRENCY, formatDate, formatMoney, formatRelativeTime } from "./format.js";

const NBSP = "\u00a0";
const now = Date.parse("2026-11-30T12:00:00Z");
const ago = (ms) => new Date(now - ms).toISOString();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("money", () => {
  it("is the shop's currency, EUR unless the build says otherwise", () => {
    expect(CURRENCY).toBe("EUR");
  });

  it.each([
    ["it", `4,99${NBSP}€`],
    ["en", "€4.99"],
    ["es", `4,99${NBSP}€`],
    ["vi", `4,99${NBSP}€`],
  ])("499 cents in %s is %s", (locale, text) => {
    expect(formatMoney(499, locale)).toBe(text);
  });

  it("groups thousands the local way", () => {
    expect(formatMoney(123456789, "it")).toBe(`1.234.567,89${NBSP}€`);
    expect(formatMoney(123456789, "en")).toBe("€1,234,567.89");
  });

  it("reads anything that is not a number as zero", () => {
    expect(formatMoney("abc", "en")).toBe("€0.00");
  });
});

describe("relative times", () => {
  it.each([
    ["en", ["now", "2 minutes ago", "3 hours ago", "yesterday", "4 days ago"]],
    ["it", ["ora", "2 minuti fa", "3 ore fa", "ieri", "4 giorni fa"]],
    ["es", ["ahora", "hace 2 minutos", "hace 3 horas", "ayer", "hace 4 días"]],
    ["vi", ["bây giờ", "2 phút trước", "3 giờ trước", "Hôm qua", "4 ngày trước"]],
  ])("in %s", (locale, expected) => {
    const shown = [10_000, 2 * MINUTE, 3 * HOUR, DAY + HOUR, 4 * DAY].map((ms) => formatRelativeTime(ago(ms), locale, now));
    expect(shown).toEqual(expected);
  });

  it("turns into a date after a week, in the language's own form", () => {
    expect(formatRelativeTime("2026-11-01T12:00:00Z", "it", now)).toBe(formatDate("2026-11-01T12:00:00Z", "it"));
    expect(formatDate("2026-11-01T12:00:00Z", "it")).toBe("1 nov 2026");
    expect(formatDate("2026-11-01T12:00:00Z", "en")).toBe("Nov 1, 2026");
  });

  it("is empty for a time it cannot read", () => {
    expect(formatRelativeTime("not a date", "en", now)).toBe("");
  });
});

describe("plurals", () => {
  it.each([
    ["en", 1, "1 in stock"],
    ["en", 3, "3 in stock"],
    ["it", 1, "1 disponibile"],
    ["it", 3, "3 disponibili"],
    ["it", 1_000_000, "1000000 disponibili"],
    ["es", 1, "1 disponible"],
    ["es", 3, "3 disponibles"],
    ["vi", 1, "Còn 1 sản phẩm"],
    ["vi", 3, "Còn 3 sản phẩm"],
  ])("%s, %d", (lng, count, text) => {
    expect(i18n.t("stock.in", { lng, count })).toBe(text);
  });
});
