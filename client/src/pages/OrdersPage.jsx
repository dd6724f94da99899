/** The customer's orders, newest first, with "load more". */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api } from "../api/client.js";
import { ErrorMessage } from "../components/ErrorMessage.jsx";
import { Money } from "../components/Money.jsx";
import { useApiQuery } from "../hooks/useApiQuery.js";
import { useFollowOrders } from "../hooks/useFollowOrders.js";
import { currentLocale } from "../i18n/index.js";
import { formatDate } from "../i18n/format.js";
import { StatusPill } from "./OrderPage.jsx";

export function OrdersPage() {
  const { data, error, isLoading, refetch } = useApiQuery("/api/orders", { params: { limit: 20 } });
  const [more, setMore] = useState({ items: [], cursor: undefined, error: null, loading: false });
  const { t, i18n } = useTranslation();

  useEffect(() => {
    document.title = `${t("orders.title")} · NovaCart`;
  }, [t, i18n.language]);
  useEffect(() => setMore({ items: [], cursor: undefined, error: null, loading: false }), [data]);

  // Status changes show up here without a reload, one refetch per change.
  useFollowOrders({ refetch });

  const cursor = more.cursor === undefined ? data?.next_cursor : more.cursor;
  const orders = [...(data?.items ?? []), ...more.items];

  const loadMore = async () => {
    setMore((m) => ({ ...m, loading: true, error: null }));
    try {
      const page = await api("/api/orders", { params: { limit: 20, cursor } });
      setMore((m) => ({ items: [...m.items, ...(page.items ?? [])], cursor: page.next_cursor ?? null, error: null, loading: false }));
    } catch (err) {
      setMore((m) => ({ ...m, error: err, loading: false }));
    }
  };

  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">{t("orders.title")}</h1>
      {isLoading && <p className="muted">{t("orders.loading")}</p>}
      <ErrorMessage error={error ?? more.error} />
      {data && orders.length === 0 && (
        <p>
          {t("orders.empty")} <Link to="/">{t("orders.start_shopping")}</Link>
        </p>
      )}
      {orders.length > 0 && (
        <ul className="order-list">
          {orders.map((order) => (
            <li key={order.id} className="order-row" data-testid="order-row">
              <Link to={`/orders/${order.id}`} className="order-row__link">
                {t("order.title", { id: order.id })}
              </Link>
              <span className="muted">{formatDate(order.created_at, currentLocale())}</span>
              <StatusPill status={order.status} />
              <Money cents={order.total_cents} />
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" className="button button--secondary" onClick={loadMore} disabled={more.loading}>
          {more.loading ? t("common.loading") : t("orders.load_more")}
        </button>
      )}
    </section>
  );
}
