/**
 * One order: items, total, address, a status timeline that moves live, and the conversation with the shop. The page joins the order's
 * room and reloads the order once per change (useFollowOrders: on `orderUpdate`, never on the
 * order_status notification); without a live socket it re-reads the order every few seconds.
 */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams, useSearchParams } from "react-router";
import { api } from "../api/client.js";
import { ErrorMessage } from "../components/ErrorMessage.jsx";
import { Conversation } from "../conversation/Conversation.jsx";
import { Money } from "../components/Money.jsx";
import { useApiQuery, useMutation } from "../hooks/useApiQuery.js";
import { useFollowOrders } from "../hooks/useFollowOrders.js";
import { currentLocale } from "../i18n/index.js";
import { formatDateTime } from "../i18n/format.js";
import { orderNote } from "./orderNotes.js";
import { useNotificationCenter } from "../notifications/NotificationsContext.jsx";
import { StripePayment, returnedFromStripe } from "../payments/StripePayment.jsx";

const FINAL = new Set(["delivered", "cancelled"]);

/** An order's status as a pill, in the client's language (`order_status.<status>`); `data-status` keeps the code. */
export function StatusPill({ status, ...props }) {
  const { t } = useTranslation();
  return (
    <span className={`status-pill status-pill--${status}`} data-status={status} {...props}>
      {t(`order_status.${status}`, { defaultValue: status })}
    </span>
  );
}

/** The history oldest first, starting with "pending" even if the server recorded only later moves. */
export function timelineSteps(order) {
  const history = [...(order?.history ?? [])].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  if (!history.length || history[0].status !== "pending") history.unshift({ status: "pending", at: order?.created_at, by: null, note: null });
  if (order && history[history.length - 1].status !== order.status) history.push({ status: order.status, at: order.updated_at, by: null, note: null });
  return history;
}

export function OrderPage({ pollWhileOfflineMs = 5000 }) {
  const { id } = useParams();
  const orderId = Number(id);
  const [searchParams] = useSearchParams();
  const { data: order, error, isLoading, refetch } = useApiQuery(`/api/orders/${orderId}`);
  const { enabled } = useNotificationCenter();
  const pay = useMutation(() => api(`/api/orders/${orderId}/pay`, { method: "POST" }));
  const cancel = useMutation(() => api(`/api/orders/${orderId}/cancel`, { method: "POST" }));
  const [confirmCancel, setConfirmCancel] = useState(false);
  const { t, i18n } = useTranslation();

  useEffect(() => {
    document.title = `${t("order.title", { id: orderId })} · NovaCart`;
  }, [orderId, t, i18n.language]);

  const settled = Boolean(order && FINAL.has(order.status));
  const { live } = useFollowOrders({ orderId, refetch, settled, pollWhileOfflineMs });

  if (isLoading) return <p className="muted">{t("order.loading")}</p>;
  if (error && !order) {
    return (
      <section>
        <h1>{t("order.title", { id: orderId })}</h1>
        <ErrorMessage error={error} />
        <p>
          <Link to="/orders">{t("order.back")}</Link>
        </p>
      </section>
    );
  }
  if (!order) return null;

  const steps = timelineSteps(order);
  const payment = pay.data && typeof pay.data === "object" ? pay.data : null;
  const paymentUrl = payment && (payment.checkout_url || payment.redirect_url || payment.payment_url || payment.url);
  // With Stripe the customer confirms here, with Stripe.js; other providers confirm by themselves.
  const stripe = payment?.provider === "stripe" && payment.client_secret && payment.publishable_key ? payment : null;
  const returned = returnedFromStripe(searchParams);

  return (
    <article className="order-page" aria-labelledby="order-title">
      <p>
        <Link to="/orders">← {t("orders.title")}</Link>
      </p>
      <h1 id="order-title">{t("order.title", { id: order.id })}</h1>
      <p>
        {t("order.status")} <StatusPill status={order.status} data-testid="order-status" />
      </p>

      {order.status === "pending" && returned && !payment && (
        <p className={`alert alert--${returned.kind}`} role={returned.kind === "error" ? "alert" : "status"}>
          {returned.text}
        </p>
      )}

      {order.status === "pending" && (
        <div className="order-actions">
          {!stripe && (
            <button type="button" className="button" onClick={async () => (await pay.mutate()) && refetch()} disabled={pay.isPending}>
              {pay.isPending ? t("order.paying") : t("order.pay")}
            </button>
          )}
          {stripe && (
            <StripePayment
              publishableKey={stripe.publishable_key}
              clientSecret={stripe.client_secret}
              returnUrl={`${window.location.origin}/orders/${orderId}`}
            />
          )}
          {payment && !stripe && (
            <p className="alert alert--info" role="status">
              {payment.payment_id ? t("order.payment_started_ref", { ref: payment.payment_id }) : t("order.payment_started")}
              {paymentUrl && (
                <>
                  {" "}
                  <a href={paymentUrl}>{t("order.continue_payment")}</a>
                </>
              )}
            </p>
          )}
          <ErrorMessage error={pay.error} />
        </div>
      )}

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">{t("order.progress")}</h2>
        <ol className="timeline" data-testid="order-timeline">
          {steps.map((step, index) => {
            const current = index === steps.length - 1;
            return (
              <li
                key={`${step.status}-${step.at}-${index}`}
                className={`timeline__step timeline__step--${step.status}${current ? " timeline__step--current" : ""}`}
                data-status={step.status}
                aria-current={current ? "step" : undefined}
              >
                <span className="timeline__status">{t(`order_status.${step.status}`, { defaultValue: step.status })}</span>
                <span className="timeline__text">{t(`order_step.${step.status}`, { defaultValue: "" })}</span>
                {step.at && (
                  <time className="timeline__time" dateTime={step.at}>
                    {formatDateTime(step.at, currentLocale())}
                  </time>
                )}
                {step.note && <span className="timeline__note">{orderNote(step.note, currentLocale())}</span>}
              </li>
            );
          })}
        </ol>
        {!live && enabled && !settled && <p className="muted small">{t("order.live_paused")}</p>}
      </section>

      {order.tracking_number && (
        <p className="tracking">
          {t("order.tracking")} <strong data-testid="tracking-number">{order.tracking_number}</strong>
        </p>
      )}

      <Conversation orderId={order.id} />

      <section aria-labelledby="items-title">
        <h2 id="items-title">{t("order.items")}</h2>
        <table className="cart-table">
          <thead>
            <tr>
              <th scope="col">{t("cart.product")}</th>
              <th scope="col">{t("cart.quantity")}</th>
              <th scope="col">{t("cart.price")}</th>
            </tr>
          </thead>
          <tbody>
            {(order.items ?? []).map((item) => (
              <tr key={item.product_id}>
                <th scope="row">
                  <Link to={`/products/${item.product_id}`}>{item.name}</Link>
                </th>
                <td data-label={t("cart.quantity")}>{item.quantity}</td>
                <td data-label={t("cart.price")}>
                  <Money cents={item.unit_price_cents * item.quantity} />
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={2}>
                {t("cart.total")}
              </th>
              <td>
                <strong>
                  <Money cents={order.total_cents} />
                </strong>
              </td>
            </tr>
          </tfoot>
        </table>
        <h3>{t("cart.shipping_address")}</h3>
        <p className="address">{order.shipping_address}</p>
      </section>

      {(order.status === "pending" || order.status === "paid") && (
        <div className="order-actions">
          {confirmCancel ? (
            <>
              <span>{t("order.cancel_confirm")}</span>
              <button
                type="button"
                className="button button--danger"
                disabled={cancel.isPending}
                onClick={async () => {
                  if (await cancel.mutate()) {
                    setConfirmCancel(false);
                    refetch();
                  }
                }}
              >
                {t("order.cancel_yes")}
              </button>
              <button type="button" className="button button--ghost" onClick={() => setConfirmCancel(false)}>
                {t("order.cancel_keep")}
              </button>
            </>
          ) : (
            <button type="button" className="button button--ghost" onClick={() => setConfirmCancel(true)}>
              {t("order.cancel")}
            </button>
          )}
          <ErrorMessage error={cancel.error} />
        </div>
      )}
    </article>
  );
}
