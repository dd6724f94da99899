/* NovaCart employee dashboard: live updates over Socket.IO and one-click actions without reloads.
 *
 * Loaded from a file (the Content-Security-Policy forbids inline scripts). Everything here enhances
 * server-rendered pages: without JavaScript every form still works with a full page load. Text that
 * users typed only ever reaches the DOM as server-escaped HTML fragments or through textContent.
 */
(function () {
  "use strict";

  var body = document.body;
  var page = body.dataset.page || "";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var latestAtLoad = parseInt(body.dataset.latestNotification || "0", 10);
  var locale = document.documentElement.lang || undefined;
  // The page's texts in the employee's language (data-texts, from novacart/dashboard/texts.py), by their English.
  var texts = {};
  try { texts = JSON.parse(body.dataset.texts || "{}"); } catch (e) { texts = {}; }
  function t(english, values) {
    var text = texts[english] || english;
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(String(values[key])); });
    return text;
  }

  // -- helpers -----------------------------------------------------------------------------------

  function send(url, options) {
    options = options || {};
    var headers = Object.assign({ "X-Requested-With": "fetch" }, options.headers || {});
    if (options.method && options.method !== "GET") headers["X-CSRFToken"] = csrfToken;
    return fetch(url, Object.assign({}, options, { headers: headers, credentials: "same-origin" })).then(function (response) {
      if (response.status === 401) {
        window.location.reload(); // the session ended: the reload leads to the sign-in page
        throw new Error("signed out");
      }
      return response;
    });
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim(); // server-rendered, autoescaped markup
    return template.content.firstElementChild;
  }

  function flash(element) {
    element.classList.remove("flash-row");
    void element.offsetWidth; // restart the animation
    element.classList.add("flash-row");
    window.setTimeout(function () { element.classList.remove("flash-row"); }, 2600);
  }

  function errorText(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") !== -1) {
      return response.json().then(function (body) { return body.detail || t("That did not work."); });
    }
    return Promise.resolve(response.status === 400 ? t("The page expired: reload it and try again.") : t("That did not work ({status}).", { status: response.status }));
  }

  // -- times in the viewer's zone ----------------------------------------------------------------

  var sameDay = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
  var sameYear = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  var otherYear = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });

  function localiseTimes(root) {
    var now = new Date();
    (root || document).querySelectorAll("time.ts[datetime]").forEach(function (el) {
      if (el.dataset.localised) return;
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var format = when.toDateString() === now.toDateString() ? sameDay : when.getFullYear() === now.getFullYear() ? sameYear : otherYear;
      el.title = el.textContent;
      el.textContent = (format === sameDay ? t("today") + " " : "") + format.format(when);
      el.dataset.localised = "1";
    });
  }

  // -- toasts ------------------------------------------------------------------------------------

  var toasts = document.getElementById("toasts");

  function toast(title, message, options) {
    if (!toasts) return;
    options = options || {};
    var item = document.createElement(options.href ? "a" : "div");
    item.className = "toast" + (options.error ? " is-error" : "") + (options.type ? " type-" + options.type : "");
    if (options.href) item.href = options.href;
    var heading = document.createElement("span");
    heading.className = "toast-title";
    heading.textContent = title;
    item.appendChild(heading);
    if (message) {
      var text = document.createElement("span");
      text.className = "toast-message";
      text.textContent = message;
      item.appendChild(text);
    }
    toasts.prepend(item);
    while (toasts.children.length > 4) toasts.lastElementChild.remove();
    window.setTimeout(function () {
      item.classList.add("is-leaving");
      window.setTimeout(function () { item.remove(); }, 300);
    }, options.error ? 8000 : 6000);
  }

  function linkFor(data) {
    data = data || {};
    if (Number.isInteger(data.order_id)) return "/dashboard/orders/" + data.order_id;
    if (Number.isInteger(data.product_id)) return "/dashboard/inventory/" + data.product_id;
    return "/dashboard/notifications/";
  }

  // -- the language menu: applies on change (its button stays for pages without JavaScript) ------

  function setUpLanguageMenu() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      var apply = select.form.querySelector("[data-language-apply]");
      if (apply) apply.hidden = true;
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  // -- the unread count in the navigation --------------------------------------------------------

  var unread = document.getElementById("nav-unread");

  function setUnread(count) {
    if (!unread) return;
    count = Math.max(0, count);
    unread.dataset.count = String(count);
    unread.textContent = String(count);
    unread.classList.toggle("is-zero", count === 0);
  }

  function bumpUnread() {
    if (!unread) return;
    setUnread(parseInt(unread.dataset.count || "0", 10) + 1);
    unread.classList.remove("bump");
    void unread.offsetWidth;
    unread.classList.add("bump");
  }

  // -- confirmations and one-click forms ---------------------------------------------------------

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  var asyncHandlers = {
    "order-row": replaceRow,
    "product-row": replaceRow,
    "mark-read": function (form, response) {
      return response.json().then(function (body) {
        setUnread(body.unread_count);
        markFeedRead([parseInt(form.closest("[data-notification-id]").dataset.notificationId, 10)]);
      });
    },
    "mark-all-read": function (form, response) {
      return response.json().then(function () {
        setUnread(0);
        markFeedRead(null);
      });
    },
    reply: function (form) {
      var text = form.querySelector("textarea");
      if (text) {
        text.value = "";
        text.defaultValue = "";
      }
      return refreshConversation();
    },
  };

  function replaceRow(form, response) {
    return response.text().then(function (html) {
      var row = form.closest("tr");
      var fresh = fragment(html);
      if (row && fresh) {
        row.replaceWith(fresh);
        localiseTimes(fresh);
        flash(fresh);
      }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var handler = asyncHandlers[form.dataset.async];
    if (!handler || event.defaultPrevented) return;
    event.preventDefault();
    var data = new FormData(form, event.submitter || undefined);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    send(form.action, { method: "POST", body: data })
      .then(function (response) {
        if (!response.ok) return errorText(response).then(function (text) { toast(t("Not done"), text, { error: true }); });
        return handler(form, response);
      })
      .catch(function (error) {
        if (error.message !== "signed out") toast(t("Not done"), t("The server could not be reached. Try again."), { error: true });
      })
      .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  });

  // -- regions that refresh themselves -----------------------------------------------------------

  function busy(region) {
    if (region.contains(document.activeElement) && document.activeElement !== document.body) return true;
    return Array.prototype.some.call(region.querySelectorAll("input:not([type=hidden]), textarea"), function (input) {
      return input.type !== "checkbox" && input.type !== "radio" && input.value !== input.defaultValue;
    });
  }

  function refreshRegion(region) {
    if (!region.id || busy(region)) return Promise.resolve();
    return send(window.location.href).then(function (response) {
      if (!response.ok) return;
      return response.text().then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
        if (!fresh || busy(region)) return;
        var live = document.importNode(fresh, true);
        region.replaceWith(live);
        localiseTimes(live);
      });
    }).catch(function () {});
  }

  document.querySelectorAll("[data-refresh-region][data-refresh-every]").forEach(function (region) {
    var seconds = parseInt(region.dataset.refreshEvery, 10);
    if (!(seconds > 0)) return;
    var id = region.id;
    window.setInterval(function () {
      var current = document.getElementById(id);
      if (current && document.visibilityState === "visible") refreshRegion(current);
    }, seconds * 1000);
  });

  // -- the orders board --------------------------------------------------------------------------

  var seenUpdates = new Set();

  function adjustCount(status, delta) {
    var count = document.querySelector('[data-status-count="' + status + '"]');
    if (count) count.textContent = String(Math.max(0, parseInt(count.textContent, 10) + delta));
  }

  function placeRow(tbody, fresh, orderId) {
    var rows = tbody.querySelectorAll("tr.order-row");
    for (var i = 0; i < rows.length; i++) {
      if (parseInt(rows[i].dataset.orderId, 10) < orderId) {
        tbody.insertBefore(fresh, rows[i]);
        return true;
      }
    }
    if (document.querySelector(".pager a[href*='cursor=']")) return false; // older than this page
    tbody.insertBefore(fresh, tbody.querySelector("tr.empty-row"));
    return true;
  }

  function onBoardUpdate(update) {
    var key = [update.order_id, update.previous_status, update.status].join(":");
    if (seenUpdates.has(key)) return;
    seenUpdates.add(key);
    if (update.previous_status) adjustCount(update.previous_status, -1);
    else adjustCount("all", 1);
    adjustCount(update.status, 1);
    var id = update.order_id;
    send("/dashboard/orders/" + id + "/row" + window.location.search).then(function (response) {
      var existing = document.getElementById("order-" + id);
      if (response.status === 204) {
        if (existing) {
          existing.classList.add("leaving");
          window.setTimeout(function () { existing.remove(); }, 450);
        }
        return;
      }
      if (!response.ok) return;
      return response.text().then(function (html) {
        var fresh = fragment(html);
        if (!fresh) return;
        var current = document.getElementById("order-" + id);
        if (current) current.replaceWith(fresh);
        else {
          var board = document.getElementById("orders-board");
          if (!board || board.dataset.firstPage !== "1" || !placeRow(board.tBodies[0], fresh, id)) return;
        }
        localiseTimes(fresh);
        flash(fresh);
      });
    }).catch(function () {});
  }

  function refreshOrderRow(id) {
    var existing = document.getElementById("order-" + id);
    if (!existing) return Promise.resolve();
    return send("/dashboard/orders/" + id + "/row" + window.location.search).then(function (response) {
      if (response.status !== 200) return;
      return response.text().then(function (html) {
        var fresh = fragment(html);
        var current = document.getElementById("order-" + id);
        if (!fresh || !current) return;
        current.replaceWith(fresh);
        localiseTimes(fresh);
        flash(fresh);
        followAwaitingOrders();
      });
    }).catch(function () {});
  }

  // -- conversations -----------------------------------------------------------------------------

  var liveSocket = null;
  var followed = new Set();

  function follow(orderId) {
    // order:<id> brings the replies of colleagues, which the staff room does not (only customers' messages).
    if (!liveSocket || !liveSocket.connected || followed.has(orderId)) return;
    followed.add(orderId);
    liveSocket.emit("joinRoom", { room: "order:" + orderId });
  }

  function followAwaitingOrders() {
    document.querySelectorAll("tr.order-row[data-awaiting-reply]").forEach(function (row) {
      follow(parseInt(row.dataset.orderId, 10));
    });
  }

  function scrollConversation() {
    var list = document.querySelector("#conversation-messages .messages");
    if (list) list.scrollTop = list.scrollHeight;
  }

  function refreshConversation(newId) {
    var region = document.getElementById("conversation-messages");
    if (!region) return Promise.resolve();
    return refreshRegion(region).then(function () {
      scrollConversation();
      var arrived = newId && document.getElementById("message-" + newId);
      if (arrived) flash(arrived);
    });
  }

  var seenMessages = new Set();

  function onMessage(message) {
    if (seenMessages.has(message.id)) return;
    seenMessages.add(message.id);
    if (document.getElementById("orders-board")) refreshOrderRow(message.order_id);
    var detail = document.getElementById("order-detail");
    if (detail && parseInt(detail.dataset.orderId, 10) === message.order_id && !document.getElementById("message-" + message.id)) {
      refreshConversation(message.id);
    }
  }

  // -- inventory rows ----------------------------------------------------------------------------

  function refreshProductRow(productId) {
    var row = document.getElementById("product-" + productId);
    if (!row || busy(row)) return;
    send("/dashboard/inventory/" + productId + "/row").then(function (response) {
      if (!response.ok) return;
      return response.text().then(function (html) {
        var current = document.getElementById("product-" + productId);
        var fresh = fragment(html);
        if (!current || !fresh || busy(current)) return;
        current.replaceWith(fresh);
        localiseTimes(fresh);
        flash(fresh);
      });
    }).catch(function () {});
  }

  function refreshChangedProductRows() {
    if (document.visibilityState !== "visible") return;
    send(window.location.href).then(function (response) {
      if (!response.ok) return;
      return response.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        doc.querySelectorAll("tr.product-row").forEach(function (fresh) {
          var current = document.getElementById(fresh.id);
          if (!current || busy(current)) return;
          var before = current.querySelector(".stock-value");
          var after = fresh.querySelector(".stock-value");
          if (before && after && before.textContent === after.textContent && current.className.replace(" flash-row", "") === fresh.className) return;
          var live = document.importNode(fresh, true);
          current.replaceWith(live);
          flash(live);
        });
      });
    }).catch(function () {});
  }

  if (page === "inventory") window.setInterval(refreshChangedProductRows, 20000);

  // -- the notifications feed --------------------------------------------------------------------

  function markFeedRead(ids) {
    var feed = document.getElementById("feed");
    if (!feed) return;
    feed.querySelectorAll(".feed-item.unread").forEach(function (item) {
      if (ids && ids.indexOf(parseInt(item.dataset.notificationId, 10)) === -1) return;
      item.classList.remove("unread");
      var form = item.querySelector("form");
      if (form) form.remove();
    });
  }

  function addToFeed(notification) {
    var feed = document.getElementById("feed");
    if (!feed || feed.dataset.firstPage !== "1") return;
    if (feed.dataset.filterType && feed.dataset.filterType !== notification.type) return;
    if (document.getElementById("notification-" + notification.id)) return;
    send("/dashboard/notifications/" + notification.id + "/item").then(function (response) {
      if (response.status !== 200) return;
      return response.text().then(function (html) {
        var fresh = fragment(html);
        var list = document.getElementById("feed");
        if (!fresh || !list || document.getElementById(fresh.id)) return;
        list.prepend(fresh);
        localiseTimes(fresh);
        flash(fresh);
      });
    }).catch(function () {});
  }

  // -- promotions: the audience, counted as the interests are typed ------------------------------

  function setUpPromotionForm() {
    var form = document.getElementById("promotion-form");
    if (!form) return;
    var interests = form.querySelector('[name="interests"]');
    var sendAt = form.querySelector('[name="send_at"]');
    var offset = form.querySelector('[name="tz_offset"]');
    var audience = document.getElementById("audience");
    var count = document.getElementById("audience-count");
    var noun = document.getElementById("audience-noun");
    var timer = null;

    function syncWhen() {
      var later = form.querySelector('[name="when"]:checked');
      sendAt.disabled = !(later && later.value === "later");
      if (!sendAt.disabled && !sendAt.value) {
        var soon = new Date(Date.now() + 60 * 60 * 1000);
        soon.setMinutes(0, 0, 0);
        sendAt.value = new Date(soon.getTime() - soon.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
      }
    }

    function syncOffset() {
      // The offset at the chosen moment, not now: daylight saving time may differ.
      var chosen = sendAt.value ? new Date(sendAt.value) : new Date();
      offset.value = String(isNaN(chosen) ? new Date().getTimezoneOffset() : chosen.getTimezoneOffset());
    }

    function recount() {
      audience.classList.add("is-loading");
      send(audience.dataset.url + "?interests=" + encodeURIComponent(interests.value))
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) return;
          count.textContent = String(body.recipients);
          noun.textContent = body.recipients === 1 ? t("customer") : t("customers");
        })
        .catch(function () {})
        .finally(function () { audience.classList.remove("is-loading"); });
    }

    interests.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(recount, 250);
    });
    form.querySelectorAll('[name="when"]').forEach(function (radio) { radio.addEventListener("change", syncWhen); });
    sendAt.addEventListener("change", syncOffset);
    form.addEventListener("submit", syncOffset);
    syncWhen();
    syncOffset();
  }

  // -- after a reconnect: what changed meanwhile --------------------------------------------------

  function resync() {
    send("/dashboard/notifications/unread-count")
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body) setUnread(body.count); })
      .catch(function () {});
    ["orders-live", "feed", "order-detail"].forEach(function (id) {
      var region = document.getElementById(id);
      if (region) refreshRegion(region).then(followAwaitingOrders).then(scrollConversation);
    });
  }

  // -- the socket, and polling when it cannot be held ---------------------------------------------

  var POLL_MS = 3000; // while polling: the unread notifications every 3 s
  var FALLBACK_AFTER_MS = 5000; // no connection this long (or two failed attempts): start polling
  var RESYNC_EVERY_POLLS = 10; // and the page's live regions every 30 s, or at once when something arrived

  function connect() {
    var status = document.getElementById("live-status");
    if (!body.dataset.live || typeof window.io !== "function") {
      if (status) status.hidden = true;
      return null;
    }
    function show(state, text) {
      if (!status) return;
      status.className = "live is-" + state;
      status.textContent = text;
    }
    // The dashboard's session cookie authenticates the socket (same origin, no token). WebSocket only, as
    // the React client: engine.io long-polling would need sticky sessions across web processes; a browser
    // that cannot hold a WebSocket polls /dashboard/notifications/unread instead (below).
    var socket = window.io({ withCredentials: true, transports: ["websocket"] });
    liveSocket = socket;
    var seen = new Set();
    var pendingAcks = [];
    var ackTimer = null;

    function acknowledge(id) {
      pendingAcks.push(id);
      if (ackTimer) return;
      ackTimer = window.setTimeout(function () {
        // Only a socket acknowledges: what polling showed stays queued and is replayed (and skipped) later.
        while (pendingAcks.length && socket.connected) socket.emit("notification:ack", { ids: pendingAcks.splice(0, 500) });
        ackTimer = null;
      }, 300);
    }

    function receive(notification) {
      if (!notification || !Number.isInteger(notification.id)) return false;
      acknowledge(notification.id);
      if (seen.has(notification.id)) return false;
      seen.add(notification.id);
      if (notification.id <= latestAtLoad) return false; // already counted and listed when the page was drawn
      if (!notification.is_read) bumpUnread();
      toast(notification.title, notification.message, { href: linkFor(notification.data), type: notification.type });
      addToFeed(notification);
      if (page === "inventory" && notification.data && Number.isInteger(notification.data.product_id)) {
        refreshProductRow(notification.data.product_id);
      }
      return true;
    }

    var pollTimer = null;
    var fallbackTimer = null;
    var polls = 0;
    var failures = 0;

    function poll() {
      polls += 1;
      send("/dashboard/notifications/unread")
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (unreadPage) {
          if (!unreadPage || !pollTimer) return;
          var arrived = false;
          // Newest first on the wire: shown oldest first, as the socket's replay does.
          (unreadPage.items || []).slice().reverse().forEach(function (n) { arrived = receive(n) || arrived; });
          setUnread(unreadPage.unread_count);
          if (arrived || polls % RESYNC_EVERY_POLLS === 0) resync();
        })
        .catch(function () {});
    }

    function startPolling() {
      window.clearTimeout(fallbackTimer);
      fallbackTimer = null;
      if (pollTimer || socket.connected) return;
      show("polling", t("Live (polling)"));
      resync(); // what changed before polling began
      pollTimer = window.setInterval(poll, POLL_MS);
      poll();
    }

    function stopPolling() {
      window.clearInterval(pollTimer);
      pollTimer = null;
      window.clearTimeout(fallbackTimer);
      fallbackTimer = null;
    }

    function armFallback() {
      if (!fallbackTimer && !pollTimer) fallbackTimer = window.setTimeout(startPolling, FALLBACK_AFTER_MS);
    }

    var connectedBefore = false;
    var retryDelay = 2000;

    socket.on("connect", function () {
      var wasPolling = Boolean(pollTimer);
      stopPolling();
      failures = 0;
      show("live", t("Live"));
      retryDelay = 2000;
      // Rooms do not survive a reconnect: follow this page's orders again.
      followed.clear();
      var detail = document.getElementById("order-detail");
      if (detail) follow(parseInt(detail.dataset.orderId, 10));
      followAwaitingOrders();
      if (connectedBefore || wasPolling) resync(); // events sent while we were away are not replayed: re-read
      connectedBefore = true;
    });
    socket.on("disconnect", function () {
      if (!pollTimer) show("connecting", t("Reconnecting…"));
      armFallback();
    });
    socket.on("connect_error", function () {
      failures += 1;
      if (failures >= 2) startPolling();
      else armFallback();
      if (!pollTimer) show("offline", t("Offline"));
      // A refusal by the server (no session, Redis briefly down) is not retried by the client itself.
      if (!socket.active) {
        window.setTimeout(function () { if (!socket.connected) socket.connect(); }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      }
    });
    armFallback();

    socket.on("notification", receive);
    socket.on("notification:read", function (payload) {
      if (!payload) return;
      setUnread(payload.unread_count);
      markFeedRead(payload.ids || []);
    });
    socket.on("notification:deleted", function (payload) {
      if (!payload) return;
      setUnread(payload.unread_count);
      var item = document.getElementById("notification-" + payload.id);
      if (item) item.remove();
    });
    socket.on("messageReceived", function (message) {
      if (message && Number.isInteger(message.id) && Number.isInteger(message.order_id)) onMessage(message);
    });
    socket.on("orderUpdate", function (update) {
      if (!update || !Number.isInteger(update.order_id)) return;
      if (document.getElementById("orders-board")) onBoardUpdate(update);
      var detail = document.getElementById("order-detail");
      if (detail && parseInt(detail.dataset.orderId, 10) === update.order_id) {
        refreshRegion(detail).then(function () {
          scrollConversation();
          var fresh = document.getElementById("order-detail");
          if (fresh) flash(fresh.querySelector("h1") || fresh);
        });
      }
    });
    return socket;
  }

  localiseTimes(document);
  setUpLanguageMenu();
  setUpPromotionForm();
  scrollConversation();
  connect();
})();
