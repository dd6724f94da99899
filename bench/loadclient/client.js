#!/usr/bin/env node
// The benchmark's load client: one Node process that holds N Socket.IO connections (WebSocket
// transport only, auth {token}), acknowledges every notification it receives the way the React
// client does (`notification:ack` {ids}, batched over ackDelayMs), records receive times, and issues
// API calls open-loop (on schedule, never waiting for the previous reply) through keep-alive agents.
//
// Driven by bench/run.py over stdin/stdout: one JSON command a line in, one JSON reply a line out
// ({id, ok, ...}). Progress and errors go to stderr. Every wait is bounded by a timeout.
//
// Commands: connect, rate, fanout, wait_replay, stats, reset, disconnect, exit.
"use strict";

const http = require("node:http");
const { monitorEventLoopDelay } = require("node:perf_hooks");
const fs = require("node:fs");
const readline = require("node:readline");
const { io } = require("socket.io-client");

const now = () => performance.timeOrigin + performance.now(); // epoch milliseconds, sub-ms resolution
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (...args) => process.stderr.write(`[loadclient] ${args.join(" ")}\n`);

let ackDelayMs = 100;
let sockets = []; // {socket, userId, connected, pendingAcks: [], ackTimer, seen: Set}
const disconnects = {}; // reason -> count (after a successful connect)
let received = 0;
let acksSent = 0;
const benchReceipts = new Map(); // bench_seq -> first receive time (scenario 2)
const promoReceipts = new Map(); // promotion_id -> [receive times], one per socket (scenario 3)
let replay = { received: 0, first: null, last: null }; // everything else (scenario 4: queue replay)

function percentile(sorted, p) {
  if (!sorted.length) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))));
  return sorted[index];
}

// Latencies where a lost message counts as +Infinity: reported as null ("lost") when it is the answer.
function summarise(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const fin = (v) => (v === null || !Number.isFinite(v) ? null : Math.round(v * 100) / 100);
  return {
    n: sorted.length,
    p50: fin(percentile(sorted, 50)),
    p95: fin(percentile(sorted, 95)),
    p99: fin(percentile(sorted, 99)),
    max: fin(sorted.length ? sorted[sorted.length - 1] : null),
    mean: fin(sorted.filter(Number.isFinite).reduce((a, b) => a + b, 0) / Math.max(1, sorted.filter(Number.isFinite).length)),
  };
}

function flushAcks(entry) {
  entry.ackTimer = null;
  if (!entry.pendingAcks.length || !entry.connected) return;
  entry.socket.emit("notification:ack", { ids: entry.pendingAcks });
  acksSent += 1;
  entry.pendingAcks = [];
}

function onNotification(entry, n) {
  const t = now();
  received += 1;
  const data = (n && n.data) || {};
  if (data.bench_seq !== undefined) {
    if (!benchReceipts.has(data.bench_seq)) benchReceipts.set(data.bench_seq, t);
  } else if (data.promotion_id !== undefined) {
    const key = String(data.promotion_id);
    if (!entry.promos.has(key)) {
      entry.promos.add(key);
      if (!promoReceipts.has(key)) promoReceipts.set(key, []);
      promoReceipts.get(key).push(t);
    }
  } else if (!entry.seen.has(n.id)) {
    entry.seen.add(n.id);
    replay.received += 1;
    if (replay.first === null) replay.first = t;
    replay.last = t;
  }
  if (n && Number.isInteger(n.id)) {
    entry.pendingAcks.push(n.id);
    if (ackDelayMs <= 0) flushAcks(entry);
    else if (!entry.ackTimer) entry.ackTimer = setTimeout(() => flushAcks(entry), ackDelayMs);
  }
}

let deflate = true; // offer permessage-deflate, as browsers (and the `ws` package's default) do

function openOne(url, user, timeoutMs) {
  return new Promise((resolve) => {
    const started = now();
    const socket = io(url, {
      transports: ["websocket"],
      auth: { token: user.token },
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
      perMessageDeflate: deflate ? { threshold: 1024 } : false,
    });
    const entry = { socket, userId: user.id, connected: false, pendingAcks: [], ackTimer: null, seen: new Set(), promos: new Set() };
    let settled = false;
    const settle = (ok, error) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      if (!ok) socket.close();
      resolve({ ok, entry, ms: now() - started, error });
    };
    const guard = setTimeout(() => settle(false, "client timeout"), timeoutMs + 1000);
    socket.on("connect", () => {
      entry.connected = true;
      settle(true);
    });
    socket.on("connect_error", (err) => settle(false, (err && err.message) || String(err)));
    socket.on("disconnect", (reason) => {
      if (entry.connected) {
        entry.connected = false;
        disconnects[reason] = (disconnects[reason] || 0) + 1;
      }
    });
    socket.on("notification", (n) => onNotification(entry, n));
  });
}

// Opens `count` sockets, `concurrency` attempts in flight. A refused or failed attempt is retried up to
// `retries` times after a short randomised pause, as the React client does (it refreshes its token and
// reconnects); every failed attempt is counted in attempt_errors, so refusals stay visible.
async function connect({ url, tokens_file, offset = 0, count, concurrency = 200, timeout_ms = 20000, deadline_ms = 120000, ack_delay_ms, retries = 3, per_message_deflate }) {
  if (ack_delay_ms !== undefined) ackDelayMs = ack_delay_ms;
  if (per_message_deflate !== undefined) deflate = per_message_deflate;
  const all = JSON.parse(fs.readFileSync(tokens_file, "utf8")).customers;
  const users = all.slice(offset, offset + (count ?? all.length));
  const started = now();
  const deadline = started + deadline_ms;
  const errors = {};
  const attemptErrors = {};
  let retried = 0;
  const times = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  let lastProgress = started;
  async function lane() {
    while (next < users.length && now() < deadline) {
      const user = users[next++];
      const first = now();
      let result = await openOne(url, user, timeout_ms);
      for (let attempt = 1; !result.ok && attempt <= retries && now() < deadline; attempt++) {
        attemptErrors[result.error] = (attemptErrors[result.error] || 0) + 1;
        retried += 1;
        await sleep(100 * attempt + Math.random() * 200);
        result = await openOne(url, user, timeout_ms);
      }
      result.ms = now() - first;
      times.push(result.ms);
      if (result.ok) {
        ok += 1;
        sockets.push(result.entry);
      } else {
        failed += 1;
        errors[result.error] = (errors[result.error] || 0) + 1;
      }
      if (now() - lastProgress > 5000) {
        lastProgress = now();
        log(`connected ${ok}/${users.length} (${failed} failed) after ${((now() - started) / 1000).toFixed(1)} s`);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, lane));
  const elapsed = now() - started;
  return {
    requested: users.length,
    connected: ok,
    failed,
    not_attempted: users.length - ok - failed,
    errors,
    attempt_errors: attemptErrors,
    retried,
    seconds: Math.round(elapsed) / 1000,
    per_second: Math.round((ok / elapsed) * 1000),
    connect_ms: summarise(times),
    started_at: started,
    held: sockets.filter((s) => s.connected).length,
  };
}

function postJson(agent, url, path, token, body, timeoutMs) {
  return new Promise((resolve) => {
    const target = new URL(path, url);
    const payload = Buffer.from(JSON.stringify(body));
    let socketAt = null; // when the agent gave this call a connection (it waits in the agent before)
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": payload.length, authorization: `Bearer ${token}` },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode,
            body: Buffer.concat(chunks).toString("utf8"),
            retryAfter: res.headers["retry-after"],
            socketAt,
          }),
        );
        res.on("error", (e) => resolve({ status: 0, error: e.message }));
      },
    );
    req.on("socket", () => {
      socketAt = now();
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, error: e.message }));
    req.end(payload);
  });
}

// Scenario 2: `rate` notifications a second for `seconds`, each to a random connected user, open-loop.
async function rate({ url, token, rate: perSecond, seconds, drain_ms = 10000, max_sockets = 128, type = "back_in_stock", path = "/api/notifications" }) {
  const users = sockets.filter((s) => s.connected).map((s) => s.userId);
  if (!users.length) throw new Error("no connected sockets");
  benchReceipts.clear();
  const agent = new http.Agent({ keepAlive: true, maxSockets: max_sockets });
  const total = Math.round(perSecond * seconds);
  const sends = new Array(total); // {scheduled, sent, status, response}
  const statuses = {};
  const errors = {};
  let done = 0;
  let sent = 0;
  let retryAfter503 = 0;
  const base = Math.floor(Math.random() * 1e9) * 1000;
  const start = now() + 5;
  const cpu0 = process.cpuUsage();
  // This client's own event-loop delay: if it runs late, its timestamps do too (the client, not the server,
  // would then be what the figures measure).
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  await new Promise((resolveAll) => {
    function sendOne(i) {
      const seq = base + i;
      const record = { seq, scheduled: start + (i * 1000) / perSecond, sent: now(), status: null, response: null };
      sends[i] = record;
      const userId = users[Math.floor(Math.random() * users.length)];
      postJson(agent, url, path, token, { user_id: userId, type, title: "Back in stock", message: `Bench item ${seq}`, data: { bench_seq: seq } }, 30000).then((r) => {
        record.status = r.status;
        record.response = now();
        record.socketAt = r.socketAt ?? null;
        statuses[r.status] = (statuses[r.status] || 0) + 1;
        if (r.status === 503 && r.retryAfter !== undefined) retryAfter503 += 1;
        if (r.error) errors[r.error] = (errors[r.error] || 0) + 1;
        done += 1;
      });
    }
    function tick() {
      const due = Math.min(total, Math.floor(((now() - start) * perSecond) / 1000) + 1);
      while (sent < due) sendOne(sent++);
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(4, start + (sent * 1000) / perSecond - now())));
      else resolveAll();
    }
    setTimeout(tick, Math.max(0, start - now()));
  });
  const sendEnd = now();
  // Drain: until every created notification has arrived and every call has answered, or drain_ms passed.
  const drainDeadline = sendEnd + drain_ms;
  while (now() < drainDeadline) {
    const created = sends.filter((s) => s.status === 201);
    const pending = total - done;
    if (pending === 0 && created.every((s) => benchReceipts.has(s.seq))) break;
    await sleep(20);
  }
  const cpu = process.cpuUsage(cpu0);
  loopDelay.disable();
  const unanswered = total - done;
  agent.destroy(); // abort what is still in flight so the next step starts clean
  const full = []; // full path: API call sent -> received; anything not received counts as lost (Infinity)
  const accepted = []; // the same, for the calls answered 201 only (past saturation the rest get 503)
  const refusedApi = []; // how long a 503 took to come back
  const api = [];
  const lag = [];
  const agentWait = []; // sent -> the agent handed the call a connection (all maxSockets were busy before)
  let receivedCount = 0;
  for (const s of sends) {
    lag.push(s.sent - s.scheduled);
    if (s.socketAt) agentWait.push(s.socketAt - s.sent);
    if (s.response !== null && s.status) api.push(s.response - s.sent);
    const r = benchReceipts.get(s.seq);
    if (r !== undefined) {
      receivedCount += 1;
      full.push(r - s.sent);
    } else full.push(Infinity);
    if (s.status === 201) accepted.push(r !== undefined ? r - s.sent : Infinity);
    if (s.status === 503 && s.response !== null) refusedApi.push(s.response - s.sent);
  }
  // A reset (or a refused or dropped connection) is what graceful overload must never show.
  const resets = Object.entries(errors)
    .filter(([message]) => /ECONNRESET|ECONNREFUSED|EPIPE|socket hang up/.test(message))
    .reduce((sum, [, count]) => sum + count, 0);
  const acceptedReceived = accepted.filter(Number.isFinite).length;
  return {
    rate: perSecond,
    seconds,
    sent: total,
    achieved_rate: Math.round((total / ((sendEnd - start) / 1000)) * 10) / 10,
    statuses,
    errors,
    unanswered,
    received: receivedCount,
    lost: total - receivedCount,
    latency_ms: summarise(full),
    accepted: accepted.length,
    accepted_lost: accepted.length - acceptedReceived,
    accepted_latency_ms: summarise(accepted),
    refused_503: statuses[503] || 0,
    refused_503_with_retry_after: retryAfter503,
    refused_api_ms: summarise(refusedApi),
    resets,
    api_ms: summarise(api),
    send_lag_ms: summarise(lag),
    agent_wait_ms: summarise(agentWait),
    client_loop_delay_ms: {
      p50: Math.round(loopDelay.percentile(50) / 1e4) / 100,
      p99: Math.round(loopDelay.percentile(99) / 1e4) / 100,
      max: Math.round(loopDelay.max / 1e4) / 100,
    },
    client_cpu_s: Math.round((cpu.user + cpu.system) / 1000) / 1000,
    window: [start, now()],
  };
}

// Scenario 3: one POST (a promotion to everyone) and the time until every held socket has it.
async function fanout({ url, token, path = "/api/promotions", body, expect, timeout_ms = 60000 }) {
  const agent = new http.Agent({ keepAlive: false });
  const sentAt = now();
  const r = await postJson(agent, url, path, token, body, 30000);
  const answeredAt = now();
  let id = null;
  try {
    id = String(JSON.parse(r.body).id);
  } catch {
    return { status: r.status, error: r.error || r.body, sent_at: sentAt };
  }
  const want = expect ?? sockets.filter((s) => s.connected).length;
  const deadline = sentAt + timeout_ms;
  while (now() < deadline) {
    if ((promoReceipts.get(id) || []).length >= want) break;
    await sleep(5);
  }
  const times = (promoReceipts.get(id) || []).map((t) => t - sentAt);
  return {
    status: r.status,
    promotion_id: id,
    sent_at: sentAt,
    answered_ms: Math.round((answeredAt - sentAt) * 100) / 100,
    expected: want,
    received: times.length,
    first_ms: times.length ? Math.round(Math.min(...times)) : null,
    last_ms: times.length ? Math.round(Math.max(...times)) : null,
    receive_ms: summarise(times),
  };
}

// Scenario 4: wait until `expect` replayed notifications arrived in all (deduplicated by id per socket).
async function waitReplay({ expect, timeout_ms = 60000 }) {
  const started = now();
  while (now() - started < timeout_ms && replay.received < expect) await sleep(5);
  // Let the last batched acks leave.
  await sleep(ackDelayMs + 20);
  return { ...replay, expected: expect, acks_sent: acksSent };
}

function stats() {
  const cpu = process.cpuUsage();
  return {
    held: sockets.filter((s) => s.connected).length,
    total: sockets.length,
    disconnects,
    received,
    acks_sent: acksSent,
    cpu_s: Math.round((cpu.user + cpu.system) / 1000) / 1000,
    rss_mb: Math.round(process.memoryUsage().rss / 1048576),
  };
}

async function disconnectAll({ timeout_ms = 20000 } = {}) {
  const count = sockets.length;
  for (const entry of sockets) {
    clearTimeout(entry.ackTimer);
    entry.connected = false;
    entry.socket.close();
  }
  sockets = [];
  await sleep(Math.min(timeout_ms, 200 + count / 20)); // let the close frames leave
  return { closed: count };
}

function reset() {
  received = 0;
  acksSent = 0;
  benchReceipts.clear();
  promoReceipts.clear();
  replay = { received: 0, first: null, last: null };
  for (const k of Object.keys(disconnects)) delete disconnects[k];
  return stats();
}

const handlers = {
  connect,
  rate,
  fanout,
  wait_replay: waitReplay,
  stats: async () => stats(),
  reset: async () => reset(),
  disconnect: disconnectAll,
  exit: async () => {
    await disconnectAll();
    setTimeout(() => process.exit(0), 50);
    return {};
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  if (!line.trim()) return;
  let message;
  try {
    message = JSON.parse(line);
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: null, ok: false, error: `bad json: ${e.message}` }) + "\n");
    return;
  }
  const { id, cmd, args = {} } = message;
  try {
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unknown command ${cmd}`);
    const result = await handler(args);
    process.stdout.write(JSON.stringify({ id, ok: true, result }) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ id, ok: false, error: (e && e.stack) || String(e) }) + "\n");
  }
});
rl.on("close", () => {
  disconnectAll().finally(() => process.exit(0));
});
