/** The history notes NovaCart writes, in each language; what people typed stays as typed. */
import { describe, expect, it } from "vitest";
import { orderNote } from "./orderNotes.js";

describe("order history notes", () => {
  it.each([
    ["it", "Order placed", "Ordine effettuato"],
    ["it", "Not paid within 30 minutes", "Non pagato entro 30 minuti"],
    ["it", "Not paid within 1 hour", "Non pagato entro 1 ora"],
    ["it", "Payment confirmed by stripe", "Pagamento confermato da stripe"],
    ["it", "Picked up by UPS", "Ritirato da UPS"],
    ["it", "Delivered (UPS)", "Consegnato (UPS)"],
    ["es", "Cancelled by customer", "Cancelado por el cliente"],
    ["vi", "Order placed", "Đã đặt hàng"],
    ["en", "Not paid within 30 minutes", "Not paid within 30 minutes"],
  ])("%s: %s", (locale, note, shown) => {
    expect(orderNote(note, locale)).toBe(shown);
  });

  it("leaves a note someone typed as it is, even one that starts like NovaCart's", () => {
    expect(orderNote("Order placed by phone, call before delivery", "it")).toBe("Order placed by phone, call before delivery");
    expect(orderNote("Lascialo al portiere", "it")).toBe("Lascialo al portiere");
    expect(orderNote(null, "it")).toBe(null);
  });
});
