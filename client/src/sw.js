/**
 * The service worker: shows a Web Push (CONTRACT.md "Other channels") and opens its page when clicked.
 *
 * Built by Vite into dist/sw.js (vite-plugin-sw.js), one self-contained script served at /sw.js, so its
 * scope is the whole site. It caches nothing and handles no fetch: pages work the same without it. The
 * push's payload is the server's `notification` object; what it links to is decided as the bell decides.
 * The handlers take the worker's global scope as an argument, so tests run them with a stand-in.
 */
import { notificationTarget } from "./notifications/target.js";

export const FALLBACK_TITLE = "NovaCart";
export const FALLBACK_MESSAGE = "You have a new notification.";
// The server writes a push's words in the user's language; only this fallback is the worker's own. The worker
// has no catalogs (it is one small script), so it carries this one sentence, by the browser's language.
const FALLBACK_MESSAGES = {
  en: FALLBACK_MESSAGE,
  it: "Hai una nuova notifica.",
  es: "Tienes una notificación nueva.",
  vi: "Bạn có một thông báo mới.",
};

/** The fallback sentence in `language` ("it-IT" → Italian), English for any other. */
export function fallbackMessage(language) {
  const base = typeof language === "string" ? language.toLowerCase().split(/[-_]/)[0] : "";
  return Object.hasOwn(FALLBACK_MESSAGES, base) ? FALLBACK_MESSAGES[base] : FALLBACK_MESSAGE;
}

/** The notification a push carries; a payload that is not a JSON object becomes a bare message. */
export function readPush(data) {
  if (!data) return {};
  try {
    const value = data.json();
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // not JSON: shown as text below
  }
  const text = data.text();
  return text ? { message: text } : {};
}

/** `showNotification`'s arguments for a notification: title, body, tag (its id) and the page to open. */
export function notificationDisplay(notification, language) {
  const title = typeof notification.title === "string" && notification.title.trim() ? notification.title : FALLBACK_TITLE;
  const body = typeof notification.message === "string" && notification.message ? notification.message : fallbackMessage(language);
  const options = { body, data: { url: notificationTarget(notification) ?? "/" } };
  // The tag makes a second push of the same notification replace the first instead of stacking.
  if (notification.id != null) options.tag = String(notification.id);
  const at = Date.parse(notification.created_at);
  if (Number.isFinite(at)) options.timestamp = at;
  return { title, options };
}

/** `push`: show it. The browser wants a notification for every push (userVisibleOnly), so there always is one. */
export function onPush(event, scope) {
  const { title, options } = notificationDisplay(readPush(event.data), scope.navigator?.language);
  event.waitUntil(scope.registration.showNotification(title, options));
}

/** The page to open, always on this site (a URL elsewhere falls back to the home page). */
export function targetUrl(url, origin) {
  let target;
  try {
    target = new URL(url || "/", origin);
  } catch {
    target = new URL("/", origin);
  }
  return target.origin === origin ? target.href : new URL("/", origin).href;
}

/**
 * Open a notification's page: focus the tab already showing it, else bring a tab of the shop there,
 * else open a new window.
 */
export async function openPage(scope, url) {
  const origin = scope.location.origin;
  const href = targetUrl(url, origin);
  const windows = await scope.clients.matchAll({ type: "window", includeUncontrolled: true });
  const ours = windows.filter((client) => client.url && new URL(client.url).origin === origin);
  const showing = ours.find((client) => client.url === href);
  if (showing) return showing.focus();
  for (const client of ours) {
    try {
      // navigate() works only on a tab this worker controls (it claims them when it activates).
      const moved = await client.navigate(href);
      if (moved) return moved.focus();
    } catch {
      // an uncontrolled tab: try the next one, or open a window
    }
  }
  return scope.clients.openWindow(href);
}

/** `notificationclick`: close it and open its page. */
export function onNotificationClick(event, scope) {
  event.notification.close();
  event.waitUntil(openPage(scope, event.notification.data?.url));
}

/** Wire the handlers to a service worker's global scope. */
export function listen(scope) {
  // Nothing is cached, so a new version may take over at once, and take the open tabs with it (so that a
  // click can bring one of them to the notification's page).
  scope.addEventListener("install", () => scope.skipWaiting());
  scope.addEventListener("activate", (event) => event.waitUntil(scope.clients.claim()));
  scope.addEventListener("push", (event) => onPush(event, scope));
  scope.addEventListener("notificationclick", (event) => onNotificationClick(event, scope));
}

if (typeof ServiceWorkerGlobalScope !== "undefined" && self instanceof ServiceWorkerGlobalScope) listen(self);
