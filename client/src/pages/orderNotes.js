/**
 * What NovaCart itself writes into an order's history (stored in English, as the dashboard also reads
 * them: novacart/orders/services.py, novacart/dashboard/texts.py) in the client's language. A note a
 * person typed matches none of these whole-text patterns and is shown as typed.
 */
import i18n from "../i18n/index.js";

const NOTES = [
  [/^Order placed$/, "order_note.placed"],
  [/^Cancelled by customer$/, "order_note.cancelled_by_customer"],
  [/^Not paid within (?<count>\d+) (?<unit>hour|minute|second)s?$/, "order_note.not_paid_within"],
  [/^Payment confirmed by (?<provider>.+)$/, "order_note.payment_confirmed_by"],
  [/^Picked up by (?<carrier>.+)$/, "order_note.picked_up_by"],
  [/^Delivered \((?<carrier>.+)\)$/, "order_note.delivered_by"],
];

/** `note` in `locale` when NovaCart wrote it ("Not paid within 30 minutes" → "Non pagato entro 30 minuti"). */
export function orderNote(note, locale) {
  if (typeof note !== "string") return note;
  for (const [pattern, key] of NOTES) {
    const match = pattern.exec(note);
    if (!match) continue;
    const { count, unit, ...values } = match.groups ?? {};
    if (unit) {
      values.duration = new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }).format(Number(count));
    }
    return i18n.t(key, { ...values, lng: locale });
  }
  return note;
}
