/** Integer cents as a price in the client's language and the shop's currency ("4,99 €" in Italian). */
import { useTranslation } from "react-i18next";
import { currentLocale } from "../i18n/index.js";
import { formatMoney } from "../i18n/format.js";

/** Cents as text in the language shown now (for strings built outside a component's render, e.g. a label). */
export function formatCents(cents) {
  return formatMoney(cents, currentLocale());
}

export function Money({ cents }) {
  useTranslation(); // re-render when the language changes
  return <span className="money">{formatCents(cents)}</span>;
}
