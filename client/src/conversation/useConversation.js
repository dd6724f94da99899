/**
 * One order's conversation, kept current: `{data: {messages, hasEarlier}, error, isLoading, isFetching,
 * refetch, loadEarlier, isLoadingEarlier, add}` (STYLE.md section 10). `messages` are oldest first.
 *
 * Live: a `messageReceived` for this order is added at once (de-duplicated by id: the order's room and the
 * user's may both bring it, and the writer's own tab already has it from the POST). A `message`
 * notification about a message it does not hold (the live event was missed: the socket was down) and every
 * (re)connect re-read the newest page and merge it. `onArrival(message)` is told of each message that
 * arrives live or by such a re-read, not of those of the first load or of earlier pages.
 */
import { useCallback, useEffect, useReducer, useRef } from "react";
import { useLatest } from "../hooks/useLatest.js";
import { useRealtimeEvents } from "../notifications/NotificationsContext.jsx";
import { listMessages } from "./api.js";

const initial = { byId: new Map(), cursor: null, loaded: false, isFetching: true, isLoadingEarlier: false, error: null };

function withMessages(byId, items) {
  const next = new Map(byId);
  for (const message of items ?? []) if (message?.id != null) next.set(message.id, message);
  return next;
}

function reducer(state, action) {
  switch (action.type) {
    case "fetchStart":
      return { ...state, isFetching: true };
    case "fetched": {
      const items = action.page.items ?? [];
      const oldestNew = Math.min(...items.map((m) => m.id));
      const newestHeld = Math.max(0, ...state.byId.keys());
      // A first page, or newer messages than we hold with more before them (a gap): start from this page.
      if (!state.loaded || (action.page.next_cursor && oldestNew > newestHeld && state.byId.size)) {
        return { ...state, byId: withMessages(new Map(), items), cursor: action.page.next_cursor ?? null, loaded: true, isFetching: false, error: null };
      }
      return { ...state, byId: withMessages(state.byId, items), isFetching: false, error: null };
    }
    case "fetchError":
      return { ...state, isFetching: false, error: action.error };
    case "earlierStart":
      return { ...state, isLoadingEarlier: true, error: null };
    case "earlier":
      return { ...state, byId: withMessages(state.byId, action.page.items), cursor: action.page.next_cursor ?? null, isLoadingEarlier: false };
    case "earlierError":
      return { ...state, isLoadingEarlier: false, error: action.error };
    case "add":
      return state.byId.has(action.message.id) ? state : { ...state, byId: withMessages(state.byId, [action.message]) };
    case "reset":
      return initial;
    default:
      return state;
  }
}

export function useConversation(orderId, { onArrival } = {}) {
  const [state, dispatch] = useReducer(reducer, initial);
  const held = useLatest(state.byId);
  const loaded = useLatest(state.loaded);
  const arrival = useLatest(onArrival);
  const requestId = useRef(0);

  const fetchNewest = useCallback(
    async ({ announce = true } = {}) => {
      const id = ++requestId.current;
      dispatch({ type: "fetchStart" });
      try {
        const page = await listMessages(orderId);
        if (id !== requestId.current) return;
        // Only what arrives after the first load is news; a re-read racing the first load is the first load.
        const fresh = announce && loaded.current ? (page?.items ?? []).filter((m) => !held.current.has(m.id)) : [];
        dispatch({ type: "fetched", page: page ?? { items: [] } });
        for (const message of fresh.reverse()) arrival.current?.(message);
      } catch (error) {
        if (id === requestId.current) dispatch({ type: "fetchError", error });
      }
    },
    [orderId, held, loaded, arrival],
  );

  useEffect(() => {
    dispatch({ type: "reset" });
    fetchNewest({ announce: false });
  }, [fetchNewest]);

  const add = useCallback(
    (message, { live = true } = {}) => {
      if (!message || message.order_id !== orderId || held.current.has(message.id)) return;
      dispatch({ type: "add", message });
      if (live) arrival.current?.(message);
    },
    [orderId, held, arrival],
  );

  useRealtimeEvents(
    useCallback(
      (event) => {
        if (event.type === "messageReceived") add(event.payload);
        else if (event.type === "connect") fetchNewest();
        else if (event.type === "notification" && event.payload?.type === "message") {
          const data = event.payload.data ?? {};
          if (Number(data.order_id) === orderId && !held.current.has(Number(data.message_id))) fetchNewest();
        }
      },
      [add, fetchNewest, orderId, held],
    ),
  );

  const loadEarlier = useCallback(async () => {
    if (!state.cursor || state.isLoadingEarlier) return;
    dispatch({ type: "earlierStart" });
    try {
      dispatch({ type: "earlier", page: await listMessages(orderId, { cursor: state.cursor }) });
    } catch (error) {
      dispatch({ type: "earlierError", error });
    }
  }, [orderId, state.cursor, state.isLoadingEarlier]);

  const messages = [...state.byId.values()].sort((a, b) => a.id - b.id);
  return {
    data: { messages, hasEarlier: Boolean(state.cursor) },
    error: state.error,
    isLoading: !state.loaded && !state.error,
    isFetching: state.isFetching,
    isLoadingEarlier: state.isLoadingEarlier,
    refetch: fetchNewest,
    loadEarlier,
    add,
  };
}
