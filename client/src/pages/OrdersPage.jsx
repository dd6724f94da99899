/** The customer's orders, newest first, with "load more". */
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { api } from "../api/client.js";
import { ErrorMessage } from "../components/ErrorMessage.jsx";
import { Money } from "../components/Money.jsx";
import { useApiQuery } from "../hooks/useApiQuery.js";
import { useFollowOrders } from "../hooks/useFollowOrders.js";

export function OrdersPage() {
  const { data, error, isLoading, refetch } = useApiQuery("/api/orders", { params: { limit: 20 } });
  const [more, setMore] = useState({ items: [], cursor: undefined, error: null, loading: false });

  useEffect(() => {
    document.title = "My orders · NovaCart";
  }, []);
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
      <h1 id="orders-title">My orders</h1>
      {isLoading && <p className="muted">Loading orders…</p>}
      <ErrorMessage error={error ?? more.error} />
      {data && orders.length === 0 && (
        <p>
          No orders yet. <Link to="/">Start shopping</Link>
        </p>
      )}
      {orders.length > 0 && (
        <ul className="order-list">
          {orders.map((order) => (
            <li key={order.id} className="order-row" data-testid="order-row">
              <Link to={`/orders/${order.id}`} className="order-row__link">
                Order #{order.id}
              </Link>
              <span className="muted">{new Date(order.created_at).toLocaleDateString()}</span>
              <span className={`status-pill status-pill--${order.status}`}>{order.status}</span>
              <Money cents={order.total_cents} />
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" className="button button--secondary" onClick={loadMore} disabled={more.loading}>
          {more.loading ? "Loading…" : "Load more orders"}
        </button>
      )}
    </section>
  );
}
