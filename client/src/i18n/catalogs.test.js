/** The catalogs: every English key translated (non-empty, same placeholders), every plural form, every key the code uses. */
import { describe, expect, it } from "vitest";
import { catalogs, LOCALE_CODES } from "./index.js";

function flatten(tree, prefix = "") {
  return Object.entries(tree).flatMap(([key, value]) =>
    value && typeof value === "object" ? flatten(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value]],
  );
}

const PLURAL = /_(zero|one|two|few|many|other)$/;
const placeholders = (text) => [...String(text).matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]).sort();
const english = new Map(flatten(catalogs.en));
const stems = new Set([...english.keys()].filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, "")));

describe("catalogs", () => {
  it("cover the four languages of CONTRACT.md", () => {
    expect(Object.keys(catalogs).sort()).toEqual(["en", "es", "it", "vi"]);
    expect([...LOCALE_CODES].sort()).toEqual(["en", "es", "it", "vi"]);
  });

  it.each(LOCALE_CODES)("%s has every English key, non-empty, with the same placeholders", (locale) => {
    const entries = new Map(flatten(catalogs[locale]));
    const problems = [];
    for (const [key, text] of english) {
      const translated = entries.get(key);
      if (typeof translated !== "string" || !translated.trim()) problems.push(`${key}: missing or empty`);
      else if (placeholders(translated).join() !== placeholders(text).join()) problems.push(`${key}: placeholders differ`);
    }
    for (const [key, text] of entries) if (typeof text !== "string" || !text.trim()) problems.push(`${key}: empty`);
    expect(problems).toEqual([]);
  });

  it.each(LOCALE_CODES)("%s has every plural form its language uses (Intl.PluralRules)", (locale) => {
    const entries = new Map(flatten(catalogs[locale]));
    const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
    const missing = [...stems].flatMap((stem) => categories.filter((c) => !entries.get(`${stem}_${c}`)).map((c) => `${stem}_${c}`));
    expect(missing).toEqual([]);
  });

  it("has an English entry for every key the code asks for", () => {
    const sources = import.meta.glob(["../**/*.{js,jsx}", "!../**/*.test.{js,jsx}", "!../test/**"], { query: "?raw", import: "default", eager: true });
    const used = new Set();
    for (const text of Object.values(sources)) {
      for (const match of text.matchAll(/\bt\(\s*"([a-z_]+(?:\.[a-z0-9_]+)+)"/g)) used.add(match[1]);
    }
    expect(used.size).toBeGreaterThan(50);
    const missing = [...used].filter((key) => !english.has(key) && !stems.has(key));
    expect(missing).toEqual([]);
  });
});
