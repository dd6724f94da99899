/**
 * Web Push on this device (CONTRACT.md "Other channels"): the browser's permission, the service worker
 * (/sw.js), its push subscription with the shop's VAPID key, and the server told of it.
 *
 * A subscription belongs to one browser, and the server sends it the pushes of the account that
 * registered it. Which account that was is kept here (localStorage), so that on a shared computer the
 * next person to sign in never sees the previous one's notifications: a subscription made by another
 * account is dropped, and signing out drops this one's.
 */
import { api } from "../api/client.js";
import i18n from "../i18n/index.js";

export const SERVICE_WORKER_URL = "/sw.js";
export const WORKER_START_MS = 10_000;
const OWNER = "novacart.pushUser";

/** A set-up step that failed in the browser: `reason` says which (denied, dismissed, unavailable, subscribe). */
export class PushSetupError extends Error {
  // `message` is the English; the error says it in the client's language (`push.error_<reason>`).
  constructor(reason, message, cause) {
    super(i18n.t(`push.error_${reason}`, { defaultValue: message }));
    this.name = "PushSetupError";
    this.reason = reason;
    if (cause) this.cause = cause;
  }
}

/** Whether this browser can receive Web Push on this page (browsers hide these APIs from insecure pages). */
export function pushSupported() {
  return typeof navigator !== "undefined" && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** The base64url key of the server as the bytes `applicationServerKey` wants. */
export function base64UrlToBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function sameKey(subscription, key) {
  const current = subscription.options?.applicationServerKey;
  if (!current) return true; // the browser does not say: keep it
  const bytes = new Uint8Array(current);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

function owner() {
  try {
    return window.localStorage.getItem(OWNER);
  } catch {
    return null;
  }
}

function setOwner(userId) {
  try {
    if (userId == null) window.localStorage.removeItem(OWNER);
    else window.localStorage.setItem(OWNER, String(userId));
  } catch {
    // storage refused (a private mode): the subscription is still dropped at sign-out
  }
}

/** The body of POST /api/push/subscriptions for a browser's subscription. */
export function subscriptionBody(subscription) {
  const { endpoint, keys } = subscription.toJSON();
  return { endpoint, keys: { p256dh: keys?.p256dh, auth: keys?.auth } };
}

/** Ask for permission (only ever from a click): the promise form, or older Safari's callback form. */
function requestPermission() {
  return new Promise((resolve) => {
    const answer = Notification.requestPermission(resolve);
    if (answer && typeof answer.then === "function") answer.then(resolve);
  });
}

/** The registration once its worker is active (subscribing needs one); a worker that never starts is an error. */
function activeWorker() {
  let timer;
  const failed = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new PushSetupError("worker", "Notifications could not be set up in this browser. Reload the page and try again.")),
      WORKER_START_MS,
    );
  });
  return Promise.race([navigator.serviceWorker.ready, failed]).finally(() => clearTimeout(timer));
}

/** This browser's subscription, if its service worker is registered and subscribed. Asks nothing. */
export async function currentSubscription() {
  const registration = await navigator.serviceWorker.getRegistration("/");
  return registration ? registration.pushManager.getSubscription() : null;
}

/**
 * Whether this device gets `userId`'s pushes: "unsupported", "denied", "on" or "off". Never asks for
 * permission. A subscription that another account made (or that the server never took) is dropped.
 */
export async function devicePushState(userId) {
  if (!pushSupported()) return "unsupported";
  let subscription = await currentSubscription();
  if (subscription && owner() !== String(userId)) {
    await subscription.unsubscribe().catch(() => false);
    setOwner(null);
    subscription = null;
  }
  if (Notification.permission === "denied") return "denied";
  return subscription ? "on" : "off";
}

/**
 * Turn push on for this device: ask for permission (first, while the click still counts as the user's
 * gesture), register the service worker, subscribe with the shop's VAPID key and send the subscription
 * to the server. Rejects with PushSetupError, or ApiError when the server refuses.
 */
export async function enableDevicePush(userId) {
  const permission = await requestPermission();
  if (permission === "denied") throw new PushSetupError("denied", "Notifications are blocked for this site.");
  if (permission !== "granted") {
    throw new PushSetupError("dismissed", "You did not allow notifications. Turn the switch on again to be asked again.");
  }
  let publicKey;
  try {
    ({ public_key: publicKey } = await api("/api/push/public-key"));
  } catch (error) {
    if (error?.status === 503) throw new PushSetupError("unavailable", "This shop does not send push notifications yet.", error);
    throw error;
  }
  const key = base64UrlToBytes(publicKey);
  await navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: "/" });
  const registration = await activeWorker();
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, key)) {
    await subscription.unsubscribe(); // made with a key the shop no longer signs with
    subscription = null;
  }
  if (!subscription) {
    try {
      subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    } catch (cause) {
      throw new PushSetupError("subscribe", "Your browser could not reach its push service. Please try again later.", cause);
    }
  }
  await api("/api/push/subscriptions", { method: "POST", body: subscriptionBody(subscription) });
  setOwner(userId);
  return subscription;
}

/** Turn push off for this device: the server forgets the subscription, then the browser drops it. */
export async function disableDevicePush() {
  const subscription = await currentSubscription();
  if (subscription) {
    await api("/api/push/subscriptions", { method: "DELETE", body: { endpoint: subscription.endpoint } });
    await subscription.unsubscribe();
  }
  setOwner(null);
}

/** At sign-out, while the token still works: stop this device's pushes. Best effort, never throws. */
export async function forgetDevicePush() {
  if (!pushSupported()) return;
  try {
    await disableDevicePush();
  } catch {
    const subscription = await currentSubscription().catch(() => null);
    await subscription?.unsubscribe().catch(() => false); // the server drops it at its next push (410)
    setOwner(null);
  }
}
