/**
 * The tab's one Socket.IO connection, and the polling fallback for when it cannot be held.
 *
 * - Connects with `auth` as a function, so every (re)connect sends the freshest access token; a
 *   `connect_error` "unauthorized" refreshes the token and tries again.
 * - WebSocket transport only: a browser that cannot hold a WebSocket gets the REST polling fallback
 *   (CONTRACT.md, "Delivery guarantees") instead of engine.io long-polling, which would need sticky
 *   sessions once there is more than one web process (DESIGN.md, "Scaling out").
 * - After `fallbackAfterFailures` failed attempts, or `fallbackAfterMs` without a connection, it polls
 *   `pollUnread()` every `pollIntervalMs` until the socket connects again.
 * - Every notification received is acknowledged (`notification:ack`, batched over `ackDelayMs`) and
 *   reported once per id. It is flagged `replay` (show it, but no toast) when it was created before the
 *   current connection began (minus `replayGraceMs`), when this browser had already seen it before
 *   then (any tab, or before a reload), or when `isKnown(id)` says the page already lists it.
 *
 * - `orderUpdate` and `messageReceived` are passed on as they come (`onOrderUpdate`, `onMessage`).
 *
 * Returns `{status, joinRoom}`; status is "idle" | "connecting" | "connected" | "reconnecting" | "polling".
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { io } from "socket.io-client";
import { serverOffsetMs } from "../api/clock.js";
import { useLatest } from "../hooks/useLatest.js";
import { createSeenStore } from "./seenStore.js";

export function defaultSocketFactory(options) {
  // forceNew: one connection per tab, owned by this hook, never shared through socket.io's manager cache.
  return io({ forceNew: true, ...options });
}

const defaultSeenStore = createSeenStore();

export function useNotificationSocket({
  enabled = true,
  socketFactory = defaultSocketFactory,
  getToken,
  refreshToken,
  pollUnread,
  isKnown,
  onNotification,
  onRead,
  onDeleted,
  onOrderUpdate,
  onMessage,
  onUnreadCount,
  onConnect,
  onServerError,
  seenStore = defaultSeenStore,
  clockOffset = serverOffsetMs,
  transports = ["websocket"],
  pollIntervalMs = 3000,
  fallbackAfterFailures = 2,
  fallbackAfterMs = 5000,
  ackDelayMs = 100,
  replayGraceMs = 2000,
  retryAfterRefusalMs = 30_000,
} = {}) {
  const [status, setStatus] = useState(enabled ? "connecting" : "idle");
  const callbacks = useLatest({ getToken, refreshToken, pollUnread, isKnown, onNotification, onRead, onDeleted, onOrderUpdate, onMessage, onUnreadCount, onConnect, onServerError });
  const settings = useLatest({ seenStore, clockOffset, pollIntervalMs, fallbackAfterFailures, fallbackAfterMs, ackDelayMs, replayGraceMs, retryAfterRefusalMs });
  const rooms = useRef(new Set());
  const socketRef = useRef(null);
  const transportKey = transports.join(",");

  useEffect(() => {
    if (!enabled) return undefined;
    const cfg = settings.current;
    const call = (name, ...args) => callbacks.current[name]?.(...args);
    const mountedAt = Date.now();
    const handled = new Set();
    const pendingAcks = new Set();
    let disposed = false;
    let connectionStart = null;
    let failures = 0;
    let authRetries = 0;
    let polling = false;
    let pollInFlight = false;
    let pollTimer = null;
    let fallbackTimer = null;
    let ackTimer = null;
    let retryTimer = null;

    const show = (next) => {
      if (!disposed) setStatus(next);
    };

    const socket = socketFactory({
      transports: transportKey.split(","),
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      auth: (send) => {
        Promise.resolve()
          .then(() => callbacks.current.getToken?.())
          .then(
            (token) => send({ token: token ?? null }),
            () => send({ token: null }),
          );
      },
    });
    socketRef.current = socket;

    function flushAcks() {
      clearTimeout(ackTimer);
      ackTimer = null;
      if (!pendingAcks.size || !socket.connected) return;
      socket.emit("notification:ack", { ids: [...pendingAcks] });
      pendingAcks.clear();
    }

    function queueAck(id) {
      pendingAcks.add(id);
      if (!ackTimer) ackTimer = setTimeout(flushAcks, cfg.ackDelayMs);
    }

    function receive(notification, source) {
      if (!notification || notification.id == null || disposed) return;
      queueAck(notification.id);
      if (handled.has(notification.id)) return;
      handled.add(notification.id);
      // Polling covers the whole time the page has been open; the socket only its current connection.
      const reference = source === "socket" ? (connectionStart ?? Date.now()) : mountedAt;
      const seenAt = cfg.seenStore.seenAt(notification.id);
      const created = Date.parse(notification.created_at);
      const replay =
        (seenAt !== undefined && seenAt < reference) ||
        (Number.isFinite(created) && created < reference + cfg.clockOffset() - cfg.replayGraceMs) ||
        Boolean(call("isKnown", notification.id));
      cfg.seenStore.add(notification.id);
      call("onNotification", notification, { replay, source });
    }

    async function poll() {
      if (pollInFlight || disposed || !polling) return;
      pollInFlight = true;
      try {
        const page = await call("pollUnread");
        if (disposed || !polling) return;
        // Newest first on the wire; report oldest first, as the socket's replay does.
        for (const notification of [...(page?.items ?? [])].reverse()) receive(notification, "poll");
        if (typeof page?.unread_count === "number") call("onUnreadCount", page.unread_count);
      } catch {
        // Offline or a server hiccup: the next tick tries again; a lapsed session is handled by the API client.
      } finally {
        pollInFlight = false;
      }
    }

    function startPolling() {
      clearTimeout(fallbackTimer);
      fallbackTimer = null;
      if (disposed || socket.connected || polling) return;
      polling = true;
      show("polling");
      poll();
      pollTimer = setInterval(poll, cfg.pollIntervalMs);
    }

    function stopPolling() {
      polling = false;
      clearInterval(pollTimer);
      pollTimer = null;
    }

    function armFallback() {
      if (fallbackTimer || polling) return;
      fallbackTimer = setTimeout(startPolling, cfg.fallbackAfterMs);
    }

    function retryLater(ms) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        if (!disposed && !socket.connected) socket.connect();
      }, ms);
    }

    const onOpen = () => {
      connectionStart = Date.now();
    };

    socket.io?.on?.("open", onOpen);

    socket.on("connect", () => {
      failures = 0;
      authRetries = 0;
      clearTimeout(fallbackTimer);
      fallbackTimer = null;
      clearTimeout(retryTimer);
      stopPolling();
      if (connectionStart == null) connectionStart = Date.now();
      show("connected");
      // Rooms do not survive a reconnect: join them again.
      for (const room of rooms.current) socket.emit("joinRoom", { room });
      flushAcks();
      call("onConnect");
    });

    socket.on("disconnect", (reason) => {
      connectionStart = null;
      if (disposed) return;
      if (!polling) show("reconnecting");
      armFallback();
      // socket.io only retries by itself after a transport failure, not when the server hung up.
      if (reason === "io server disconnect") retryLater(1000);
    });

    socket.on("connect_error", (error) => {
      connectionStart = null;
      if (disposed) return;
      failures += 1;
      if (!polling) show("reconnecting");
      if (error?.message === "unauthorized") {
        // The server refused the token (expired or revoked): a refused handshake is not retried by
        // socket.io, so refresh and connect again ourselves, twice at most before falling back.
        if (authRetries < 2) {
          authRetries += 1;
          Promise.resolve()
            .then(() => callbacks.current.refreshToken?.())
            .then(
              () => {
                if (!disposed) socket.connect();
              },
              () => {
                if (disposed) return;
                startPolling();
                retryLater(cfg.retryAfterRefusalMs);
              },
            );
          return;
        }
        startPolling();
        authRetries = 0;
        retryLater(cfg.retryAfterRefusalMs);
        return;
      }
      if (failures >= cfg.fallbackAfterFailures) startPolling();
      else armFallback();
      if (socket.active === false) retryLater(cfg.retryAfterRefusalMs);
    });

    socket.on("notification", (notification) => receive(notification, "socket"));
    socket.on("notification:read", (payload) => call("onRead", payload));
    socket.on("notification:deleted", (payload) => call("onDeleted", payload));
    socket.on("orderUpdate", (payload) => call("onOrderUpdate", payload));
    socket.on("messageReceived", (payload) => call("onMessage", payload));
    socket.on("error", (payload) => call("onServerError", payload));

    show(socket.connected ? "connected" : "connecting");
    armFallback();

    return () => {
      flushAcks();
      disposed = true;
      stopPolling();
      clearTimeout(fallbackTimer);
      clearTimeout(ackTimer);
      clearTimeout(retryTimer);
      socket.io?.off?.("open", onOpen);
      socket.off?.();
      socket.disconnect();
      if (socketRef.current === socket) socketRef.current = null;
      setStatus("connecting"); // what the next connection starts as (read as "idle" while disabled)
    };
  }, [enabled, socketFactory, transportKey, callbacks, settings]);

  /** Join a room now and after every reconnect; returns the function that stops re-joining it. */
  const joinRoom = useCallback((room) => {
    rooms.current.add(room);
    const socket = socketRef.current;
    if (socket?.connected) socket.emit("joinRoom", { room });
    return () => rooms.current.delete(room);
  }, []);

  return { status: enabled ? status : "idle", joinRoom };
}
