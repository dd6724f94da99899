/** The cart: product lines kept in localStorage (shared by tabs), placed as one order. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";

const KEY = "novacart.cart";
const CartContext = createContext(null);

function readCart() {
  try {
    const lines = JSON.parse(window.localStorage.getItem(KEY) || "[]");
    return Array.isArray(lines) ? lines.filter((l) => l && l.product_id != null && l.quantity > 0) : [];
  } catch {
    return [];
  }
}

export function CartProvider({ children }) {
  const [lines, setLines] = useState(readCart);

  const save = useCallback((update) => {
    setLines((current) => {
      const next = update(current);
      try {
        window.localStorage.setItem(KEY, JSON.stringify(next));
      } catch {
        // Private mode without storage: the cart lives for this tab only.
      }
      return next;
    });
  }, []);

  useEffect(() => {
    const onStorage = (event) => {
      if (event.key === KEY || event.key === null) setLines(readCart());
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, []);

  const add = useCallback(
    (product, quantity = 1) =>
      save((current) => {
        const existing = current.find((l) => l.product_id === product.id);
        if (existing) return current.map((l) => (l === existing ? { ...l, quantity: l.quantity + quantity } : l));
        return [...current, { product_id: product.id, name: product.name, price_cents: product.price_cents, quantity }];
      }),
    [save],
  );
  const setQuantity = useCallback(
    (productId, quantity) => save((current) => current.map((l) => (l.product_id === productId ? { ...l, quantity: Math.max(1, quantity) } : l))),
    [save],
  );
  const remove = useCallback((productId) => save((current) => current.filter((l) => l.product_id !== productId)), [save]);
  const clear = useCallback(() => save(() => []), [save]);

  const value = useMemo(
    () => ({
      lines,
      count: lines.reduce((sum, l) => sum + l.quantity, 0),
      totalCents: lines.reduce((sum, l) => sum + l.quantity * (l.price_cents || 0), 0),
      add,
      setQuantity,
      remove,
      clear,
    }),
    [lines, add, setQuantity, remove, clear],
  );
  return <CartContext.Provider value={value}>{children}</CartContext.Provider>;
}

export function useCart() {
  const value = useContext(CartContext);
  if (!value) throw new Error("useCart must be used inside <CartProvider>");
  return value;
}
