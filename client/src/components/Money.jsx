/** Integer cents as a price ("$12.50"). */
const formatter = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

export function formatCents(cents) {
  return formatter.format((Number(cents) || 0) / 100);
}

export function Money({ cents }) {
  return <span className="money">{formatCents(cents)}</span>;
}
