/**
 * A stand-in for the browser's Web Push (Notification, navigator.serviceWorker, PushManager) and the push
 * service behind it: both lie outside the client. Tests play the user's answer to the permission prompt
 * (`answer`) and read what the page asked for in `calls`. test/setup.js takes it away after each test.
 */
import { vi } from "vitest";

/** The bytes of a base64url text, as the browser hands back `applicationServerKey`. */
function bytesOf(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

export const PUBLIC_KEY = "BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U";
export const OTHER_PUBLIC_KEY = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
export const KEYS = { p256dh: "BDd3_hVL9fZi9Ybo2UUzA284WG5FZR30_95YeZJsiApwXKpNcF1rRPF3foIiBHXRdJI2Qhumhf6_LFTeZaNndIo", auth: "BTBZMqHH6r4Tts7J_aSIgg" };

class FakeSubscription {
  constructor(browser, applicationServerKey, endpoint) {
    this.browser = browser;
    this.endpoint = endpoint;
    this.options = { userVisibleOnly: true, applicationServerKey: new Uint8Array(applicationServerKey).buffer };
    this.unsubscribe = vi.fn(async () => {
      if (browser.subscription === this) browser.subscription = null;
      return true;
    });
  }
  toJSON() {
    return { endpoint: this.endpoint, expirationTime: null, keys: { ...KEYS } };
  }
}

/**
 * Install the stand-in. `permission`: the browser's current answer ("default", "granted", "denied");
 * `answer`: what the user picks when asked; `subscribeError`: what subscribing rejects with (the push
 * service unreachable, say); `activates: false` leaves the registered worker never active (a script that
 * fails to install). `supported: false` leaves the page without the APIs, as an old browser.
 */
export function installPushBrowser({ permission = "default", answer = "granted", subscribeError = null, activates = true, supported = true } = {}) {
  let serial = 0;
  const browser = {
    registration: null,
    subscription: null,
    calls: { requestPermission: 0, register: [], subscribe: [] },
    /** A subscription already there (a previous visit), with the shop's key unless told otherwise. */
    subscribed(key = PUBLIC_KEY) {
      browser.registration ??= makeRegistration("/");
      browser.subscription = new FakeSubscription(browser, bytesOf(key), `https://push.example.test/send/old-${++serial}`);
      return browser.subscription;
    },
  };

  function makeRegistration(scope) {
    return {
      scope: `http://localhost:3000${scope}`,
      active: { state: "activated" },
      pushManager: {
        getSubscription: async () => browser.subscription,
        subscribe: async (options) => {
          browser.calls.subscribe.push(options);
          if (subscribeError) throw subscribeError;
          browser.subscription = new FakeSubscription(browser, options.applicationServerKey, `https://push.example.test/send/${++serial}`);
          return browser.subscription;
        },
      },
    };
  }

  if (!supported) return browser;
  const notification = {
    permission,
    requestPermission: (callback) => {
      browser.calls.requestPermission += 1;
      if (notification.permission === "default") notification.permission = answer;
      callback?.(notification.permission);
      return Promise.resolve(notification.permission);
    },
  };
  const serviceWorker = {
    register: async (url, options) => {
      browser.calls.register.push([url, options]);
      browser.registration ??= makeRegistration(options?.scope ?? "/");
      return browser.registration;
    },
    getRegistration: async () => browser.registration ?? undefined,
    get ready() {
      return browser.registration && activates ? Promise.resolve(browser.registration) : new Promise(() => {});
    },
  };
  vi.stubGlobal("Notification", notification);
  vi.stubGlobal("PushManager", function PushManager() {});
  Object.defineProperty(window.navigator, "serviceWorker", { value: serviceWorker, configurable: true });
  return browser;
}
