/**
 * Where a notification leads: its order, else its product, else nowhere. A module of its own, with no
 * imports, because the service worker (src/sw.js) uses it too and must not pull in the app.
 */
export function notificationTarget(notification) {
  const data = notification?.data ?? {};
  if (data.order_id != null) return `/orders/${data.order_id}`;
  if (data.product_id != null) return `/products/${data.product_id}`;
  return null;
}
