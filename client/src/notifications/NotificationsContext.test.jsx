/** The notification state: its reducer case by case, and the provider's actions when the server fails them. */
import { act, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { AppProviders } from "../App.jsx";
import { installFetch, problem } from "../test/fetchMock.js";
import { makeNotification, signIn } from "../test/fixtures.jsx";
import { reducer, useNotificationCenter, useNotifications } from "./NotificationsContext.jsx";

const start = reducer(undefined, { type: "reset" });
const at = (minutes) => new Date(Date.UTC(2026, 10, 20, 12, minutes)).toISOString();

describe("the notifications reducer", () => {
  it("loads a page, keeping the count when the page has none", () => {
    const withCount = reducer(start, { type: "fetchSuccess", page: { items: [makeNotification({ id: 1 })], next_cursor: "c", unread_count: 4 } });
    const without = reducer(withCount, { type: "fetchSuccess", page: {} });

    expect([withCount.items.length, withCount.nextCursor, withCount.unreadCount, withCount.loaded]).toEqual([1, "c", 4, true]);
    expect([without.items, without.nextCursor, without.unreadCount]).toEqual([[], null, 4]);
  });

  it("appends the next page without duplicates", () => {
    const first = reducer(start, { type: "fetchSuccess", page: { items: [makeNotification({ id: 2 })], next_cursor: "c", unread_count: 2 } });
    const more = reducer(reducer(first, { type: "moreStart" }), {
      type: "moreSuccess",
      page: { items: [makeNotification({ id: 2 }), makeNotification({ id: 1 })] },
    });
    const counted = reducer(first, { type: "moreSuccess", page: { items: [], unread_count: 9 } });

    expect(more.items.map((n) => n.id)).toEqual([2, 1]);
    expect([more.nextCursor, more.unreadCount, more.isLoadingMore]).toEqual([null, 2, false]);
    expect(counted.unreadCount).toBe(9);
  });

  it("drops a recount that set off before the count last changed", () => {
    const one = reducer(start, { type: "received", notification: makeNotification({ id: 3 }), toast: false, maxToasts: 3 });
    const asked = one.countEvents;
    const readElsewhere = reducer(one, { type: "markRead", ids: [3], unreadCount: 0 });

    expect(reducer(readElsewhere, { type: "unreadCount", count: 1, asOf: asked }).unreadCount).toBe(0);
    expect(reducer(one, { type: "unreadCount", count: 2, asOf: asked }).unreadCount).toBe(2);
    expect(reducer(readElsewhere, { type: "unreadCount", count: 5 }).unreadCount).toBe(5);
  });

  it("keeps the error of a failed load or load-more", () => {
    const error = new Error("down");
    expect(reducer(reducer(start, { type: "fetchStart" }), { type: "fetchError", error })).toMatchObject({ isFetching: false, error });
    expect(reducer(reducer(start, { type: "moreStart" }), { type: "moreError", error })).toMatchObject({ isLoadingMore: false, error });
  });

  it("lists a new notification newest first, counts it once and toasts it when asked", () => {
    const older = makeNotification({ id: 5, created_at: at(1) });
    const newer = makeNotification({ id: 4, created_at: at(2) });
    const sameTime = makeNotification({ id: 6, created_at: at(2) });
    let state = reducer(start, { type: "received", notification: older, toast: true, maxToasts: 3 });
    state = reducer(state, { type: "received", notification: newer, toast: false, maxToasts: 3 });
    state = reducer(state, { type: "received", notification: sameTime, toast: true, maxToasts: 3 });
    state = reducer(state, { type: "received", notification: older, toast: true, maxToasts: 3 });

    expect(state.items.map((n) => n.id)).toEqual([6, 4, 5]);
    expect(state.unreadCount).toBe(3);
    expect(state.toasts.map((t) => t.id)).toEqual([6, 5]);
  });

  it("does not list a read notification under the unread filter, nor count it", () => {
    const unreadOnly = reducer(start, { type: "setFilter", filter: "unread" });
    const state = reducer(unreadOnly, { type: "received", notification: makeNotification({ id: 7, is_read: true }), toast: false, maxToasts: 3 });

    expect(state.items).toEqual([]);
    expect(state.unreadCount).toBe(0);
  });

  it("marks read: counting down by itself, or taking the server's count", () => {
    const loaded = reducer(start, {
      type: "fetchSuccess",
      page: { items: [makeNotification({ id: 1 }), makeNotification({ id: 2, is_read: true, read_at: at(0) })], unread_count: 5 },
    });
    const mine = reducer(loaded, { type: "markRead", ids: [1, 2], at: at(3) });
    const theirs = reducer(loaded, { type: "markRead", ids: [1], unreadCount: 0 });

    expect(mine.unreadCount).toBe(4);
    expect(mine.items.map((n) => n.read_at)).toEqual([at(3), at(0)]);
    expect(theirs.unreadCount).toBe(0);
  });

  it("removes: an unread one counts down, a read or unknown one does not, the server's count wins", () => {
    const loaded = reducer(start, {
      type: "fetchSuccess",
      page: { items: [makeNotification({ id: 1 }), makeNotification({ id: 2, is_read: true })], unread_count: 3 },
    });

    expect(reducer(loaded, { type: "removed", id: 1 }).unreadCount).toBe(2);
    expect(reducer(loaded, { type: "removed", id: 2 }).unreadCount).toBe(3);
    expect(reducer(loaded, { type: "removed", id: 99 }).unreadCount).toBe(3);
    expect(reducer(loaded, { type: "removed", id: 1, unreadCount: 7 }).unreadCount).toBe(7);
  });

  it("takes a new count, and ignores what it does not know", () => {
    expect(reducer(start, { type: "unreadCount", count: 12 }).unreadCount).toBe(12);
    expect(reducer(start, { type: "nonsense" })).toBe(start);
  });
});

/** Exposes the provider's state and actions to the test. */
function Probe({ expose }) {
  const list = useNotifications();
  Object.assign(expose, list);
  return (
    <output data-testid="probe">
      {list.data.items.map((n) => `${n.id}:${n.is_read ? "read" : "unread"}`).join(",")}|{list.data.unreadCount}|{list.error ? "error" : ""}
    </output>
  );
}

function renderProbe() {
  const expose = {};
  render(
    <MemoryRouter>
      <AppProviders socketFactory={() => ({ on() {}, off() {}, emit() {}, connect() {}, disconnect() {}, io: { on() {}, off() {} } })}>
        <Probe expose={expose} />
      </AppProviders>
    </MemoryRouter>,
  );
  return expose;
}

const probe = () => screen.getByTestId("probe").textContent;

describe("the notifications provider", () => {
  let api;
  beforeEach(() => {
    signIn();
    api = installFetch();
  });

  it("loads more, and keeps the list when loading more fails", async () => {
    api.on("GET", "/api/notifications", ({ query }) =>
      query.cursor ? problem(500, "internal_error") : { body: { items: [makeNotification({ id: 1 })], next_cursor: "c2", unread_count: 1 } },
    );
    const expose = renderProbe();
    await waitFor(() => expect(probe()).toBe("1:unread|1|"));

    await act(() => expose.loadMore());

    expect(probe()).toBe("1:unread|1|error");
    expect(expose.hasMore).toBe(true);
  });

  it("does not load more when there is nothing more", async () => {
    api.on("GET", "/api/notifications", { body: { items: [], next_cursor: null, unread_count: 0 } });
    const expose = renderProbe();
    await waitFor(() => expect(probe()).toBe("|0|"));

    await act(() => expose.loadMore());

    expect(api.callsTo("GET", "/api/notifications")).toHaveLength(1);
  });

  it("reloads from the server when marking read fails, and does not ask again for a read one", async () => {
    let read = false;
    api.on("GET", "/api/notifications", () => ({ body: { items: [makeNotification({ id: 1, is_read: read })], next_cursor: null, unread_count: read ? 0 : 1 } }));
    api.on("PATCH", "/api/notifications/1/read", problem(503, "service_unavailable"));
    const expose = renderProbe();
    await waitFor(() => expect(probe()).toBe("1:unread|1|"));

    await act(() => expose.markRead(1));
    await waitFor(() => expect(probe()).toBe("1:unread|1|"));
    expect(api.callsTo("GET", "/api/notifications")).toHaveLength(2);

    read = true;
    await act(() => expose.refetch());
    await act(() => expose.markRead(1));
    expect(api.callsTo("PATCH", "/api/notifications/1/read")).toHaveLength(1);
  });

  it("reloads when mark-all-read fails", async () => {
    api.on("GET", "/api/notifications", { body: { items: [makeNotification({ id: 1 })], next_cursor: null, unread_count: 1 } });
    api.on("PATCH", "/api/notifications/mark-all-read", problem(503, "service_unavailable"));
    const expose = renderProbe();
    await waitFor(() => expect(probe()).toBe("1:unread|1|"));

    await act(() => expose.markAllRead());

    await waitFor(() => expect(probe()).toBe("1:unread|1|"));
    expect(api.callsTo("GET", "/api/notifications")).toHaveLength(2);
  });

  it("keeps a deletion the server says is already gone, and reloads after any other failure", async () => {
    api.on("GET", "/api/notifications", { body: { items: [makeNotification({ id: 1 }), makeNotification({ id: 2 })], next_cursor: null, unread_count: 2 } });
    api.on("DELETE", "/api/notifications/1", problem(404, "not_found"));
    api.on("DELETE", "/api/notifications/2", problem(500, "internal_error"));
    const expose = renderProbe();
    await waitFor(() => expect(probe()).toBe("1:unread,2:unread|2|"));

    await act(() => expose.remove(1));
    expect(api.callsTo("GET", "/api/notifications")).toHaveLength(1);
    await act(() => expose.remove(2));

    await waitFor(() => expect(api.callsTo("GET", "/api/notifications")).toHaveLength(2));
  });

  it("follows reads and deletions made in this browser's other tabs", async () => {
    const channels = [];
    vi.stubGlobal(
      "BroadcastChannel",
      class {
        constructor() {
          channels.push(this);
        }
        postMessage() {}
        close() {}
      },
    );
    api.on("GET", "/api/notifications", {
      body: { items: [makeNotification({ id: 1 }), makeNotification({ id: 2 }), makeNotification({ id: 3 })], next_cursor: null, unread_count: 3 },
    });
    renderProbe();
    await waitFor(() => expect(probe()).toBe("1:unread,2:unread,3:unread|3|"));
    const tab = channels.at(-1);

    act(() => tab.onmessage({ data: { type: "read", ids: [1] } }));
    expect(probe()).toBe("1:read,2:unread,3:unread|2|");
    act(() => tab.onmessage({ data: { type: "deleted", id: 2 } }));
    expect(probe()).toBe("1:read,3:unread|1|");
    act(() => tab.onmessage({ data: { type: "allRead" } }));
    expect(probe()).toBe("1:read,3:read|0|");
    act(() => tab.onmessage({ data: null }));
    expect(probe()).toBe("1:read,3:read|0|");
  });

  it("is only for components inside its provider", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    function Outside() {
      useNotificationCenter();
      return null;
    }
    expect(() => render(<Outside />)).toThrow("useNotificationCenter must be used inside <NotificationsProvider>");
  });
});
