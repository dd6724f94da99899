/**
 * Notification ids this browser has already shown, shared by all its tabs through localStorage,
 * with the time each was first seen. A notification first seen (in any tab, or before a reload)
 * before the current connection began is a replay, not news.
 */

const KEY = "novacart.seenNotifications";
const LIMIT = 500;

export function createSeenStore({ storage = safeLocalStorage(), key = KEY, limit = LIMIT } = {}) {
  const memory = new Map();

  function read() {
    if (!storage) return memory;
    try {
      const raw = storage.getItem(key);
      return new Map(raw ? JSON.parse(raw) : []);
    } catch {
      return new Map();
    }
  }

  function write(map) {
    if (!storage) return;
    try {
      storage.setItem(key, JSON.stringify([...map].slice(-limit)));
    } catch {
      // Storage full or blocked: the in-tab de-duplication still holds.
    }
  }

  return {
    /** When the id was first seen (ms epoch, local clock), or undefined. */
    seenAt(id) {
      return read().get(String(id));
    },
    /** Record ids as seen now, keeping the earliest time. */
    add(ids, at = Date.now()) {
      const map = read();
      let changed = false;
      for (const id of [].concat(ids)) {
        if (!map.has(String(id))) {
          map.set(String(id), at);
          memory.set(String(id), at);
          changed = true;
        }
      }
      if (changed) write(map);
    },
    clear() {
      memory.clear();
      storage?.removeItem(key);
    },
  };
}

function safeLocalStorage() {
  try {
    return typeof window !== "undefined" ? window.localStorage : null;
  } catch {
    return null;
  }
}
