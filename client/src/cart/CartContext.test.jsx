import { act, render, renderHook } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { CartProvider, useCart } from "./CartContext.jsx";

const pen = { id: 1, name: "Pen", price_cents: 150 };
const pad = { id: 2, name: "Pad", price_cents: 400 };

function cart() {
  return renderHook(() => useCart(), { wrapper: CartProvider });
}

describe("the cart", () => {
  it("adds, merges, sets quantities (at least one), removes and clears, and keeps it for other tabs", () => {
    const { result } = cart();

    act(() => result.current.add(pen));
    act(() => result.current.add(pen, 2));
    act(() => result.current.add(pad));
    expect(result.current.lines.map((l) => [l.product_id, l.quantity])).toEqual([
      [1, 3],
      [2, 1],
    ]);
    expect(result.current.count).toBe(4);
    expect(result.current.totalCents).toBe(3 * 150 + 400);
    act(() => result.current.setQuantity(2, 0));
    expect(result.current.lines[1].quantity).toBe(1);
    act(() => result.current.remove(1));
    expect(JSON.parse(window.localStorage.getItem("novacart.cart")).map((l) => l.product_id)).toEqual([2]);
    act(() => result.current.clear());
    expect(result.current.count).toBe(0);
  });

  it("starts from what is stored, dropping what is not a line", () => {
    window.localStorage.setItem(
      "novacart.cart",
      JSON.stringify([{ product_id: 1, quantity: 2, price_cents: 150 }, { product_id: 2, quantity: 0 }, null, { quantity: 1 }]),
    );
    expect(cart().result.current.lines.map((l) => l.product_id)).toEqual([1]);
  });

  it("starts empty from a broken or foreign stored value", () => {
    window.localStorage.setItem("novacart.cart", "{broken");
    expect(cart().result.current.lines).toEqual([]);
    window.localStorage.setItem("novacart.cart", JSON.stringify({ lines: [] }));
    expect(cart().result.current.lines).toEqual([]);
  });

  it("follows a change made in another tab", () => {
    const { result } = cart();
    window.localStorage.setItem("novacart.cart", JSON.stringify([{ product_id: 2, quantity: 5, price_cents: 400 }]));

    act(() => window.dispatchEvent(new StorageEvent("storage", { key: "novacart.other" })));
    expect(result.current.count).toBe(0);
    act(() => window.dispatchEvent(new StorageEvent("storage", { key: "novacart.cart" })));
    expect(result.current.count).toBe(5);
  });

  it("keeps working for this tab when the browser will not store it", () => {
    vi.spyOn(Storage.prototype, "setItem").mockImplementation(() => {
      throw new DOMException("full", "QuotaExceededError");
    });
    const { result } = cart();

    act(() => result.current.add(pen));

    expect(result.current.count).toBe(1);
  });

  it("is only for components inside its provider", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    function Outside() {
      useCart();
      return null;
    }
    expect(() => render(<Outside />)).toThrow("useCart must be used inside <CartProvider>");
  });
});
