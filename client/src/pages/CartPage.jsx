/** The cart: change quantities, give a shipping address, place the order (409 when stock is short). */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { api } from "../api/client.js";
import { fieldMessages } from "../api/problem.js";
import { loginPath, useAuth } from "../auth/AuthContext.jsx";
import { useCart } from "../cart/CartContext.jsx";
import { ErrorMessage, FieldError, fieldProps } from "../components/ErrorMessage.jsx";
import { Money } from "../components/Money.jsx";
import { useMutation } from "../hooks/useApiQuery.js";

export function CartPage() {
  const { lines, totalCents, setQuantity, remove, clear } = useCart();
  const { user } = useAuth();
  const navigate = useNavigate();
  const [address, setAddress] = useState("");
  const { mutate, isPending, error } = useMutation(() =>
    api("/api/orders", {
      method: "POST",
      body: { items: lines.map((l) => ({ product_id: l.product_id, quantity: l.quantity })), shipping_address: address.trim() },
    }),
  );
  const shortProduct = error?.code === "insufficient_stock" ? Number(error.body?.product_id ?? NaN) : NaN;
  const { t, i18n } = useTranslation();

  useEffect(() => {
    document.title = `${t("header.cart")} · NovaCart`;
  }, [t, i18n.language]);

  if (lines.length === 0) {
    return (
      <section aria-labelledby="cart-title">
        <h1 id="cart-title">{t("cart.title")}</h1>
        <p>
          {t("cart.empty")} <Link to="/">{t("cart.browse")}</Link>
        </p>
      </section>
    );
  }

  const submit = async (event) => {
    event.preventDefault();
    const order = await mutate();
    if (order?.id != null) {
      clear();
      navigate(`/orders/${order.id}`);
    }
  };

  return (
    <section aria-labelledby="cart-title">
      <h1 id="cart-title">{t("cart.title")}</h1>
      <form onSubmit={submit} className="form form--wide">
        <table className="cart-table">
          <caption className="sr-only">{t("cart.caption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("cart.product")}</th>
              <th scope="col">{t("cart.price")}</th>
              <th scope="col">{t("cart.quantity")}</th>
              <th scope="col">{t("cart.subtotal")}</th>
              <th scope="col">
                <span className="sr-only">{t("cart.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {lines.map((line, index) => {
              const messages = fieldMessages(error, `items.${index}`);
              const short = shortProduct === line.product_id;
              return (
                <tr key={line.product_id} className={short || messages.length ? "cart-row--error" : undefined}>
                  <th scope="row">
                    <Link to={`/products/${line.product_id}`}>{line.name}</Link>
                    {short && <span className="field__error"> {t("cart.not_enough_stock")}</span>}
                    {messages.length > 0 && <span className="field__error"> {messages.join(" ")}</span>}
                  </th>
                  <td data-label={t("cart.price")}>
                    <Money cents={line.price_cents} />
                  </td>
                  <td data-label={t("cart.quantity")}>
                    <label className="sr-only" htmlFor={`qty-${line.product_id}`}>
                      {t("cart.quantity_for", { name: line.name })}
                    </label>
                    <input
                      id={`qty-${line.product_id}`}
                      type="number"
                      min={1}
                      className="qty-input"
                      value={line.quantity}
                      onChange={(e) => setQuantity(line.product_id, Math.floor(Number(e.target.value) || 1))}
                    />
                  </td>
                  <td data-label={t("cart.subtotal")}>
                    <Money cents={line.price_cents * line.quantity} />
                  </td>
                  <td>
                    <button type="button" className="link-button" onClick={() => remove(line.product_id)} aria-label={t("cart.remove_named", { name: line.name })}>
                      {t("cart.remove")}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={3}>
                {t("cart.total")}
              </th>
              <td colSpan={2}>
                <strong>
                  <Money cents={totalCents} />
                </strong>
              </td>
            </tr>
          </tfoot>
        </table>
        {user ? (
          <>
            <div className="field">
              <label htmlFor="shipping-address">{t("cart.shipping_address")}</label>
              <textarea
                id="shipping-address"
                rows={3}
                required
                value={address}
                onChange={(e) => setAddress(e.target.value)}
                autoComplete="street-address"
                {...fieldProps(error, "shipping_address")}
              />
              <FieldError error={error} name="shipping_address" />
            </div>
            <ErrorMessage error={error} />
            <button type="submit" className="button" disabled={isPending || !address.trim()}>
              {isPending ? t("cart.placing") : t("cart.place_order")}
            </button>
          </>
        ) : (
          <p>
            <Link to={loginPath("/cart")}>{t("header.log_in")}</Link> {t("cart.login_to_order")}
          </p>
        )}
      </form>
    </section>
  );
}
