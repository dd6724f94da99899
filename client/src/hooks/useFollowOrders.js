/**
 * Keep what a page shows of orders current: `refetch()` once per change, never more.
 *
 * A status change reaches a customer twice (the `order_status` notification and `orderUpdate`); only
 * `orderUpdate` refetches, and the notifications provider passes each one on once (by order id, status
 * and `at`). A reconnect refetches too (moves made while the socket was down), and while there is no live
 * socket the data is re-read every `pollWhileOfflineMs` (the polling fallback brings notifications, not
 * `orderUpdate`). With `orderId`, only that order counts and its room `order:<id>` is joined.
 */
import { useCallback, useEffect } from "react";
import { useNotificationCenter, useRealtimeEvents } from "../notifications/NotificationsContext.jsx";

export function useFollowOrders({ orderId = null, refetch, settled = false, pollWhileOfflineMs = 5000 }) {
  const { joinRoom, status, enabled } = useNotificationCenter();

  useEffect(() => (orderId == null ? undefined : joinRoom(`order:${orderId}`)), [joinRoom, orderId]);

  useRealtimeEvents(
    useCallback(
      (event) => {
        if (event.type === "orderUpdate" && (orderId == null || Number(event.payload?.order_id) === orderId)) refetch();
        else if (event.type === "connect") refetch();
      },
      [orderId, refetch],
    ),
  );

  const live = status === "connected";
  useEffect(() => {
    if (!enabled || live || settled || !pollWhileOfflineMs) return undefined;
    const timer = setInterval(() => refetch(), pollWhileOfflineMs);
    return () => clearInterval(timer);
  }, [enabled, live, settled, refetch, pollWhileOfflineMs]);

  return { live };
}
