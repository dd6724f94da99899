/**
 * Numbers people read, in the client's language, all from Intl: money, relative times and dates.
 *
 * The shop's currency (ISO 4217) is fixed when the client is built: VITE_CURRENCY, default EUR, the same
 * code the server's CURRENCY setting has (the API does not send it). So `4,99 €` in Italian, `€4.99` in English.
 */
export const CURRENCY = (import.meta.env?.VITE_CURRENCY || "EUR").toUpperCase();

const cache = new Map();
function cached(kind, locale, options, make) {
  const key = `${kind}|${locale}|${JSON.stringify(options)}`;
  let formatter = cache.get(key);
  if (!formatter) {
    formatter = make();
    cache.set(key, formatter);
  }
  return formatter;
}

/** Integer cents as a price in `locale`: `499` → `4,99 €` (it), `€4.99` (en). */
export function formatMoney(cents, locale, currency = CURRENCY) {
  const options = { style: "currency", currency };
  return cached("money", locale, options, () => new Intl.NumberFormat(locale, options)).format((Number(cents) || 0) / 100);
}

const DAY_MS = 86_400_000;

/** "now", "2 minutes ago", "3 hours ago", "yesterday", "4 days ago", then a date: all in `locale`. */
export function formatRelativeTime(iso, locale, now = Date.now()) {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return "";
  const rtf = cached("relative", locale, {}, () => new Intl.RelativeTimeFormat(locale, { numeric: "auto" }));
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return rtf.format(0, "second");
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return rtf.format(-minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (hours < 24) return rtf.format(-hours, "hour");
  const days = Math.round((now - then) / DAY_MS);
  if (days < 7) return rtf.format(-Math.max(1, days), "day");
  return formatDate(iso, locale);
}

/** A day: "30 nov 2026" (it), "Nov 30, 2026" (en). */
export function formatDate(iso, locale) {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return "";
  const options = { year: "numeric", month: "short", day: "numeric" };
  return cached("date", locale, options, () => new Intl.DateTimeFormat(locale, options)).format(then);
}

/** A moment, for tooltips and message times: "30 nov 2026, 14:05" (it). */
export function formatDateTime(iso, locale) {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return "";
  const options = { dateStyle: "medium", timeStyle: "short" };
  return cached("datetime", locale, options, () => new Intl.DateTimeFormat(locale, options)).format(then);
}
