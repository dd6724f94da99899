import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSocketFactory } from "../test/fakeSocket.js";
import { makeNotification } from "../test/fixtures.jsx";
import { createSeenStore } from "./seenStore.js";
import { useNotificationSocket } from "./useNotificationSocket.js";

function memoryStorage() {
  const data = new Map();
  return { getItem: (k) => (data.has(k) ? data.get(k) : null), setItem: (k, v) => data.set(k, String(v)), removeItem: (k) => data.delete(k) };
}

function setup(options = {}) {
  const factory = createSocketFactory();
  const onNotification = vi.fn();
  const onUnreadCount = vi.fn();
  const pollUnread = vi.fn(async () => ({ items: [], next_cursor: null, unread_count: 0 }));
  const refreshToken = vi.fn(async () => "fresh-token");
  const seenStore = createSeenStore({ storage: memoryStorage() });
  let token = "first-token";
  const props = {
    socketFactory: factory,
    getToken: () => token,
    refreshToken,
    pollUnread,
    onNotification,
    onUnreadCount,
    seenStore,
    clockOffset: () => 0,
    ...options,
  };
  const hook = renderHook((p) => useNotificationSocket(p), { initialProps: props });
  return {
    hook,
    props,
    factory,
    socket: () => factory.last(),
    onNotification,
    onUnreadCount,
    pollUnread,
    refreshToken,
    seenStore,
    setToken: (t) => {
      token = t;
    },
  };
}

async function connect(socket) {
  await act(async () => {
    await socket.serverConnect();
  });
}

function serverSends(socket, event, payload) {
  act(() => socket.fire(event, payload));
}

describe("useNotificationSocket", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("connects over WebSocket with the current access token in auth", async () => {
    const { socket, hook } = setup();
    expect(socket().options.transports).toEqual(["websocket"]);
    expect(hook.result.current.status).toBe("connecting");

    await connect(socket());

    expect(socket().authPayload).toEqual({ token: "first-token" });
    expect(hook.result.current.status).toBe("connected");
  });

  it("reports each notification id once however often it arrives", async () => {
    const { socket, onNotification } = setup();
    await connect(socket());
    const n = makeNotification({ id: 7 });

    serverSends(socket(), "notification", n);
    serverSends(socket(), "notification", n);
    serverSends(socket(), "notification", { ...n });

    expect(onNotification).toHaveBeenCalledTimes(1);
    expect(onNotification).toHaveBeenCalledWith(n, { replay: false, source: "socket" });
  });

  it("acknowledges received notifications in one batch within 100 ms", async () => {
    const { socket } = setup();
    await connect(socket());

    serverSends(socket(), "notification", makeNotification({ id: 1 }));
    serverSends(socket(), "notification", makeNotification({ id: 2 }));
    serverSends(socket(), "notification", makeNotification({ id: 1 }));
    expect(socket().sentOf("notification:ack")).toEqual([]);

    act(() => vi.advanceTimersByTime(100));

    expect(socket().sentOf("notification:ack")).toEqual([{ ids: [1, 2] }]);
  });

  it("acknowledges a duplicate again, since the server still has it queued", async () => {
    const { socket } = setup();
    await connect(socket());
    serverSends(socket(), "notification", makeNotification({ id: 5 }));
    act(() => vi.advanceTimersByTime(100));

    serverSends(socket(), "notification", makeNotification({ id: 5 }));
    act(() => vi.advanceTimersByTime(100));

    expect(socket().sentOf("notification:ack")).toEqual([{ ids: [5] }, { ids: [5] }]);
  });

  it("flags notifications created before the connection as replays", async () => {
    const { socket, onNotification } = setup();
    await connect(socket());
    const old = makeNotification({ id: 1, created_at: new Date(Date.now() - 60_000).toISOString() });
    const fresh = makeNotification({ id: 2, created_at: new Date(Date.now() + 500).toISOString() });

    serverSends(socket(), "notification", old);
    serverSends(socket(), "notification", fresh);

    expect(onNotification).toHaveBeenNthCalledWith(1, old, { replay: true, source: "socket" });
    expect(onNotification).toHaveBeenNthCalledWith(2, fresh, { replay: false, source: "socket" });
  });

  it("flags a notification this browser saw before the connection began as a replay", async () => {
    const { socket, onNotification, seenStore } = setup();
    seenStore.add(9, Date.now() - 1000); // another tab, or this page before a reload
    await connect(socket());

    serverSends(socket(), "notification", makeNotification({ id: 9 }));

    expect(onNotification).toHaveBeenCalledWith(expect.objectContaining({ id: 9 }), { replay: true, source: "socket" });
  });

  it("does not treat a notification another tab received during this connection as a replay", async () => {
    const { socket, onNotification, seenStore } = setup();
    await connect(socket());
    vi.advanceTimersByTime(50);
    seenStore.add(11); // the other tab got the same live emit a moment earlier

    serverSends(socket(), "notification", makeNotification({ id: 11 }));

    expect(onNotification).toHaveBeenCalledWith(expect.objectContaining({ id: 11 }), { replay: false, source: "socket" });
  });

  it("treats what the page already lists as known", async () => {
    const { socket, onNotification } = setup({ isKnown: (id) => id === 3 });
    await connect(socket());

    serverSends(socket(), "notification", makeNotification({ id: 3 }));

    expect(onNotification).toHaveBeenCalledWith(expect.objectContaining({ id: 3 }), { replay: true, source: "socket" });
  });

  it("falls back to polling after two failed connection attempts", async () => {
    const { socket, hook, pollUnread } = setup();

    act(() => socket().fail());
    expect(hook.result.current.status).toBe("reconnecting");
    expect(pollUnread).not.toHaveBeenCalled();

    await act(async () => socket().fail());

    expect(hook.result.current.status).toBe("polling");
    expect(pollUnread).toHaveBeenCalledTimes(1);
    await act(async () => vi.advanceTimersByTimeAsync(3000));
    expect(pollUnread).toHaveBeenCalledTimes(2);
    await act(async () => vi.advanceTimersByTimeAsync(3000));
    expect(pollUnread).toHaveBeenCalledTimes(3);
  });

  it("falls back to polling when no connection is made within 5 s", async () => {
    const { hook, pollUnread } = setup();

    await act(async () => vi.advanceTimersByTimeAsync(4999));
    expect(hook.result.current.status).toBe("connecting");

    await act(async () => vi.advanceTimersByTimeAsync(1));
    expect(hook.result.current.status).toBe("polling");
    expect(pollUnread).toHaveBeenCalledTimes(1);
  });

  it("reports notifications found by polling as new, and their unread count", async () => {
    const { socket, onNotification, onUnreadCount, pollUnread } = setup();
    const arrived = makeNotification({ id: 21, created_at: new Date(Date.now() + 1000).toISOString() });
    const before = makeNotification({ id: 20, created_at: new Date(Date.now() - 3_600_000).toISOString() });
    pollUnread.mockResolvedValue({ items: [arrived, before], next_cursor: null, unread_count: 2 });

    act(() => socket().fail());
    await act(async () => socket().fail());

    // Oldest first, as the socket replay does; only the one that arrived while the page was open is news.
    expect(onNotification.mock.calls).toEqual([
      [before, { replay: true, source: "poll" }],
      [arrived, { replay: false, source: "poll" }],
    ]);
    expect(onUnreadCount).toHaveBeenCalledWith(2);

    await act(async () => vi.advanceTimersByTimeAsync(3000));
    expect(onNotification).toHaveBeenCalledTimes(2);
  });

  it("switches back to live when the socket reconnects, stops polling and acks what polling found", async () => {
    const { socket, hook, pollUnread } = setup();
    pollUnread.mockResolvedValue({ items: [makeNotification({ id: 31 })], unread_count: 1 });
    act(() => socket().fail());
    await act(async () => socket().fail());
    expect(hook.result.current.status).toBe("polling");

    await connect(socket());

    expect(hook.result.current.status).toBe("connected");
    expect(socket().sentOf("notification:ack")).toEqual([{ ids: [31] }]);
    const polls = pollUnread.mock.calls.length;
    await act(async () => vi.advanceTimersByTimeAsync(10_000));
    expect(pollUnread).toHaveBeenCalledTimes(polls);
  });

  it("shows reconnecting after a disconnect, then polls if the socket stays down", async () => {
    const { socket, hook, pollUnread } = setup();
    await connect(socket());

    act(() => socket().serverDisconnect("transport close"));
    expect(hook.result.current.status).toBe("reconnecting");

    await act(async () => vi.advanceTimersByTimeAsync(5000));
    expect(hook.result.current.status).toBe("polling");
    expect(pollUnread).toHaveBeenCalled();
  });

  it("refreshes the token and connects again when the server says unauthorized", async () => {
    const { socket, refreshToken, setToken } = setup();
    refreshToken.mockImplementation(async () => {
      setToken("fresh-token");
      return "fresh-token";
    });

    await act(async () => socket().fail("unauthorized"));

    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(socket().connectCalls).toBe(1);
    await connect(socket());
    expect(socket().authPayload).toEqual({ token: "fresh-token" });
  });

  it("joins rooms now and again after every reconnect", async () => {
    const { socket, hook } = setup();
    await connect(socket());

    act(() => {
      hook.result.current.joinRoom("order:5");
    });
    expect(socket().sentOf("joinRoom")).toEqual([{ room: "order:5" }]);

    act(() => socket().serverDisconnect());
    await connect(socket());
    expect(socket().sentOf("joinRoom")).toEqual([{ room: "order:5" }, { room: "order:5" }]);
  });

  it("passes read, deleted and order events through", async () => {
    const onRead = vi.fn();
    const onDeleted = vi.fn();
    const onOrderUpdate = vi.fn();
    const { socket } = setup({ onRead, onDeleted, onOrderUpdate });
    await connect(socket());

    serverSends(socket(), "notification:read", { ids: [1, 2], unread_count: 3 });
    serverSends(socket(), "notification:deleted", { id: 4, unread_count: 2 });
    serverSends(socket(), "orderUpdate", { order_id: 5, status: "paid", previous_status: "pending", at: "2026-01-01T00:00:00+00:00" });

    expect(onRead).toHaveBeenCalledWith({ ids: [1, 2], unread_count: 3 });
    expect(onDeleted).toHaveBeenCalledWith({ id: 4, unread_count: 2 });
    expect(onOrderUpdate).toHaveBeenCalledWith(expect.objectContaining({ order_id: 5, status: "paid" }));
  });

  it("disconnects and stops polling when disabled", async () => {
    const { socket, hook, props, pollUnread } = setup();
    act(() => socket().fail());
    await act(async () => socket().fail());
    const polls = pollUnread.mock.calls.length;

    hook.rerender({ ...props, enabled: false });

    expect(socket().disconnected).toBe(true);
    expect(hook.result.current.status).toBe("idle");
    await act(async () => vi.advanceTimersByTimeAsync(10_000));
    expect(pollUnread).toHaveBeenCalledTimes(polls);
  });
});
