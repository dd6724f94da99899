/**
 * The signed-in user's notifications, shared by the bell, its panel, the toasts and any page that wants
 * live events: the list (newest first, cursor pages, all/unread filter), the unread count, the toasts,
 * the socket's connection status, and the actions that change them.
 *
 * Reads and deletes are applied here at once, told to this browser's other tabs (BroadcastChannel), and
 * confirmed by the server's `notification:read` / `notification:deleted` events, which carry the
 * authoritative unread count to every tab and device.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef } from "react";
import { ensureFreshAccessToken, refreshAccessToken } from "../api/client.js";
import { useAuth } from "../auth/AuthContext.jsx";
import { useLatest } from "../hooks/useLatest.js";
import { useNotificationSocket } from "../realtime/useNotificationSocket.js";
import {
  deleteNotification,
  fetchUnreadCount,
  listNotifications,
  markAllNotificationsRead,
  markNotificationRead,
  PAGE_SIZE,
} from "./api.js";

const NotificationsContext = createContext(null);

const initialState = {
  items: [],
  nextCursor: null,
  unreadCount: 0,
  filter: "all",
  loaded: false,
  isFetching: false,
  isLoadingMore: false,
  error: null,
  toasts: [],
  countEvents: 0, // how many times something changed the unread count: a recount older than the last is dropped
};

function newestFirst(a, b) {
  const byTime = Date.parse(b.created_at) - Date.parse(a.created_at);
  return Number.isFinite(byTime) && byTime !== 0 ? byTime : Number(b.id) - Number(a.id);
}

function mergeItems(existing, incoming) {
  const ids = new Set(existing.map((n) => n.id));
  return existing.concat(incoming.filter((n) => !ids.has(n.id)));
}

// What sets the unread count. A recount's answer that set off before one of these arrived is older than
// it: a read in another browser could be applied first, and the recount's stale 1 would bring the badge back.
const COUNT_CHANGES = new Set(["reset", "fetchSuccess", "moreSuccess", "received", "markRead", "markAllRead", "removed", "unreadCount"]);

export function reducer(state = initialState, action) {
  if (action.type === "unreadCount" && action.asOf != null && action.asOf !== state.countEvents) return state;
  const next = reduce(state, action);
  return COUNT_CHANGES.has(action.type) ? { ...next, countEvents: state.countEvents + 1 } : next;
}

function reduce(state, action) {
  switch (action.type) {
    case "reset":
      return initialState;
    case "setFilter":
      return { ...state, filter: action.filter, items: [], nextCursor: null, loaded: false, error: null };
    case "fetchStart":
      return { ...state, isFetching: true, error: null };
    case "fetchSuccess":
      return {
        ...state,
        items: action.page.items ?? [],
        nextCursor: action.page.next_cursor ?? null,
        unreadCount: typeof action.page.unread_count === "number" ? action.page.unread_count : state.unreadCount,
        loaded: true,
        isFetching: false,
        error: null,
      };
    case "fetchError":
      return { ...state, isFetching: false, error: action.error };
    case "moreStart":
      return { ...state, isLoadingMore: true, error: null };
    case "moreSuccess":
      return {
        ...state,
        items: mergeItems(state.items, action.page.items ?? []),
        nextCursor: action.page.next_cursor ?? null,
        unreadCount: typeof action.page.unread_count === "number" ? action.page.unread_count : state.unreadCount,
        isLoadingMore: false,
      };
    case "moreError":
      return { ...state, isLoadingMore: false, error: action.error };
    case "received": {
      const { notification, toast, maxToasts } = action;
      const known = state.items.some((n) => n.id === notification.id);
      const listed = known || (state.filter === "unread" && notification.is_read);
      const items = listed ? state.items : [notification, ...state.items].sort(newestFirst);
      const unreadCount = !known && !notification.is_read ? state.unreadCount + 1 : state.unreadCount;
      const toasts = toast ? [...state.toasts.filter((t) => t.id !== notification.id), { id: notification.id, notification }].slice(-maxToasts) : state.toasts;
      return { ...state, items, unreadCount, toasts };
    }
    case "markRead": {
      const ids = new Set(action.ids);
      const wasUnread = state.items.filter((n) => ids.has(n.id) && !n.is_read).length;
      const readAt = action.at ?? new Date().toISOString();
      return {
        ...state,
        items: state.items.map((n) => (ids.has(n.id) && !n.is_read ? { ...n, is_read: true, read_at: readAt } : n)),
        unreadCount: typeof action.unreadCount === "number" ? action.unreadCount : Math.max(0, state.unreadCount - wasUnread),
        toasts: state.toasts.filter((t) => !ids.has(t.id)),
      };
    }
    case "markAllRead": {
      const readAt = new Date().toISOString();
      return {
        ...state,
        items: state.items.map((n) => (n.is_read ? n : { ...n, is_read: true, read_at: readAt })),
        unreadCount: 0,
        toasts: [],
      };
    }
    case "removed": {
      const gone = state.items.find((n) => n.id === action.id);
      const fallback = gone && !gone.is_read ? Math.max(0, state.unreadCount - 1) : state.unreadCount;
      return {
        ...state,
        items: state.items.filter((n) => n.id !== action.id),
        unreadCount: typeof action.unreadCount === "number" ? action.unreadCount : fallback,
        toasts: state.toasts.filter((t) => t.id !== action.id),
      };
    }
    case "unreadCount":
      return { ...state, unreadCount: action.count };
    case "dismissToast":
      return { ...state, toasts: state.toasts.filter((t) => t.id !== action.id) };
    default:
      return state;
  }
}

const CHANNEL = "novacart.notifications";
const REMEMBERED_ORDER_UPDATES = 500;

/** What makes one order change one change: `orderUpdate` is passed on once per key. */
export function orderUpdateKey(payload) {
  if (payload?.order_id == null || typeof payload.status !== "string") return null;
  return `${payload.order_id}|${payload.status}|${payload.at ?? ""}`;
}

export function NotificationsProvider({ children, socketFactory, maxToasts = 3, socketOptions }) {
  const { user } = useAuth();
  const enabled = Boolean(user);
  const [state, dispatch] = useReducer(reducer, initialState);
  const stateRef = useLatest(state);
  const requestId = useRef(0);
  const listeners = useRef(new Set());
  const channel = useRef(null);
  const countTimer = useRef(null);
  const orderUpdates = useRef(new Set());

  const publish = useCallback((event) => {
    for (const listener of [...listeners.current]) listener(event);
  }, []);

  const tellOtherTabs = useCallback((message) => {
    try {
      channel.current?.postMessage(message);
    } catch {
      // A closed channel (page unloading) loses nothing the server will not resend.
    }
  }, []);

  const load = useCallback(async (filter = stateRef.current.filter) => {
    const id = ++requestId.current;
    dispatch({ type: "fetchStart" });
    try {
      const page = await listNotifications({ unreadOnly: filter === "unread" });
      if (id === requestId.current) dispatch({ type: "fetchSuccess", page });
    } catch (error) {
      if (id === requestId.current) dispatch({ type: "fetchError", error });
    }
  }, [stateRef]);

  const loadMore = useCallback(async () => {
    const { nextCursor, filter, isLoadingMore } = stateRef.current;
    if (!nextCursor || isLoadingMore) return;
    const id = requestId.current;
    dispatch({ type: "moreStart" });
    try {
      const page = await listNotifications({ cursor: nextCursor, unreadOnly: filter === "unread" });
      if (id === requestId.current) dispatch({ type: "moreSuccess", page });
      else dispatch({ type: "moreError", error: null });
    } catch (error) {
      dispatch({ type: "moreError", error });
    }
  }, [stateRef]);

  const setFilter = useCallback(
    (filter) => {
      if (filter === stateRef.current.filter && stateRef.current.loaded) return;
      dispatch({ type: "setFilter", filter });
      load(filter);
    },
    [load, stateRef],
  );

  // The unread count drifts when notifications arrive outside the loaded page; re-read it after a burst.
  const recountSoon = useCallback(() => {
    clearTimeout(countTimer.current);
    countTimer.current = setTimeout(() => {
      const asOf = stateRef.current.countEvents;
      fetchUnreadCount().then(
        (body) => typeof body?.count === "number" && dispatch({ type: "unreadCount", count: body.count, asOf }),
        () => {},
      );
    }, 1000);
  }, [stateRef]);

  const markRead = useCallback(
    async (id) => {
      const item = stateRef.current.items.find((n) => n.id === id);
      if (item?.is_read) return;
      dispatch({ type: "markRead", ids: [id] });
      tellOtherTabs({ type: "read", ids: [id] });
      try {
        await markNotificationRead(id);
      } catch {
        load();
      }
    },
    [load, stateRef, tellOtherTabs],
  );

  const markAllRead = useCallback(async () => {
    dispatch({ type: "markAllRead" });
    tellOtherTabs({ type: "allRead" });
    try {
      await markAllNotificationsRead();
    } catch {
      load();
    }
  }, [load, tellOtherTabs]);

  const remove = useCallback(
    async (id) => {
      dispatch({ type: "removed", id });
      tellOtherTabs({ type: "deleted", id });
      try {
        await deleteNotification(id);
      } catch (error) {
        if (error?.status !== 404) load();
      }
    },
    [load, tellOtherTabs],
  );

  const dismissToast = useCallback((id) => dispatch({ type: "dismissToast", id }), []);

  const { status, joinRoom } = useNotificationSocket({
    enabled,
    socketFactory,
    ...socketOptions,
    getToken: () => ensureFreshAccessToken(),
    refreshToken: () => refreshAccessToken(),
    pollUnread: () => listNotifications({ unreadOnly: true }),
    isKnown: (id) => stateRef.current.items.some((n) => n.id === id),
    onNotification: (notification, { replay }) => {
      dispatch({ type: "received", notification, toast: !replay && !notification.is_read, maxToasts });
      recountSoon();
      publish({ type: "notification", payload: notification, replay });
    },
    onRead: ({ ids = [], unread_count: unreadCount } = {}) => dispatch({ type: "markRead", ids, unreadCount }),
    onDeleted: ({ id, unread_count: unreadCount } = {}) => dispatch({ type: "removed", id, unreadCount }),
    onUnreadCount: (count) => dispatch({ type: "unreadCount", count }),
    onOrderUpdate: (payload) => {
      // One change, one event for the pages, however many times (or rooms) it arrives by.
      const key = orderUpdateKey(payload);
      if (!key || orderUpdates.current.has(key)) return;
      orderUpdates.current.add(key);
      if (orderUpdates.current.size > REMEMBERED_ORDER_UPDATES) orderUpdates.current.delete(orderUpdates.current.values().next().value);
      publish({ type: "orderUpdate", payload });
    },
    onMessage: (payload) => {
      if (payload?.id != null && payload.order_id != null) publish({ type: "messageReceived", payload });
    },
    onConnect: () => publish({ type: "connect" }),
  });

  // Sign-in and sign-out: start from a clean slate, then load the first page (and with it the unread count).
  useEffect(() => {
    dispatch({ type: "reset" });
    requestId.current += 1;
    if (enabled) load("all");
    return () => clearTimeout(countTimer.current);
  }, [enabled, user?.id, load]);

  useEffect(() => {
    if (!enabled || typeof BroadcastChannel === "undefined") return undefined;
    const bc = new BroadcastChannel(CHANNEL);
    channel.current = bc;
    bc.onmessage = ({ data }) => {
      if (data?.type === "read") dispatch({ type: "markRead", ids: data.ids });
      else if (data?.type === "allRead") dispatch({ type: "markAllRead" });
      else if (data?.type === "deleted") dispatch({ type: "removed", id: data.id });
    };
    return () => {
      bc.close();
      channel.current = null;
    };
  }, [enabled]);

  const subscribe = useCallback((listener) => {
    listeners.current.add(listener);
    return () => listeners.current.delete(listener);
  }, []);

  const value = useMemo(
    () => ({
      ...state,
      enabled,
      status,
      hasMore: Boolean(state.nextCursor),
      isLoading: enabled && !state.loaded && !state.error,
      refetch: load,
      loadMore,
      setFilter,
      markRead,
      markAllRead,
      remove,
      dismissToast,
      subscribe,
      joinRoom,
    }),
    [state, enabled, status, load, loadMore, setFilter, markRead, markAllRead, remove, dismissToast, subscribe, joinRoom],
  );

  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}

export function useNotificationCenter() {
  const value = useContext(NotificationsContext);
  if (!value) throw new Error("useNotificationCenter must be used inside <NotificationsProvider>");
  return value;
}

/**
 * The notification list in the hook shape of STYLE.md section 10:
 * `{data: {items, nextCursor, unreadCount}, error, isLoading, isFetching, refetch}` plus its actions.
 */
export function useNotifications() {
  const center = useNotificationCenter();
  return {
    data: { items: center.items, nextCursor: center.nextCursor, unreadCount: center.unreadCount },
    error: center.error,
    isLoading: center.isLoading,
    isFetching: center.isFetching,
    refetch: center.refetch,
    hasMore: center.hasMore,
    isLoadingMore: center.isLoadingMore,
    loadMore: center.loadMore,
    filter: center.filter,
    setFilter: center.setFilter,
    markRead: center.markRead,
    markAllRead: center.markAllRead,
    remove: center.remove,
  };
}

/** Call `handler(event)` for live events: {type: "notification" | "orderUpdate" | "messageReceived" | "connect", payload}. */
export function useRealtimeEvents(handler) {
  const { subscribe } = useNotificationCenter();
  const ref = useLatest(handler);
  useEffect(() => subscribe((event) => ref.current(event)), [subscribe, ref]);
}

export { PAGE_SIZE };
