#!/usr/bin/env node
// The peer: a minimal Node.js Socket.IO server doing NovaCart's push work minus storage.
//
// - Connect: a JWT in auth.token, checked with jsonwebtoken (HS256, NovaCart's JWT_SECRET_KEY); the
//   socket joins user:<sub> (and `staff` for staff/admin). A bad token: connect_error "unauthorized".
// - POST /api/notifications (staff/admin bearer token) {user_id, type, title, message, data?}: builds
//   the contract's notification object and emits `notification` to user:<user_id> → 201.
// - POST /api/promotions (staff/admin) {title, message}: one `notification` to every customer's room,
//   the customers being the ids in $USERS_FILE. By default (`via: "emitter"`) the job goes through a
//   Redis list to bench/peer/emitter.js, an outside process that emits per user through Redis with
//   @socket.io/redis-emitter (as NovaCart's Celery worker does); `via: "direct"` emits in-process.
// - `notification:ack` {ids} is accepted and counted (nothing is stored).
// - The Redis adapter (@socket.io/redis-adapter) is always on, so the emitter reaches these sockets.
//
// - WORKERS > 1: Node's cluster module forks that many processes sharing the port (the primary accepts and
//   hands connections round-robin), as NovaCart's WEB_CONCURRENCY does; the Redis adapter joins them.
//
// Env: PORT, REDIS_URL, JWT_SECRET_KEY, USERS_FILE (JSON with customers: [{id}]), WORKERS (1),
// PING_INTERVAL_MS (25000).
"use strict";

const cluster = require("node:cluster");
const http = require("node:http");
const fs = require("node:fs");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");
const jwt = require("jsonwebtoken");

const PORT = Number(process.env.PORT || 5100);
const WORKERS = Number(process.env.WORKERS || 1);
const PING_INTERVAL_MS = Number(process.env.PING_INTERVAL_MS || 25000);
// Ids stay unique across the cluster's processes: each numbers from its own block.
const ID_BLOCK = cluster.isWorker ? cluster.worker.id : 0;
const SECRET = process.env.JWT_SECRET_KEY;
const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379/0";
const JOBS = "novacart-peer:jobs";
const TYPES = new Set(["order_status", "low_stock", "new_review", "payment_received", "back_in_stock", "promotion"]);
if (!SECRET) throw new Error("JWT_SECRET_KEY is required");

const customers = process.env.USERS_FILE ? JSON.parse(fs.readFileSync(process.env.USERS_FILE, "utf8")).customers.map((u) => u.id) : [];
let nextNotificationId = ID_BLOCK * 1e9 + 1;
let nextPromotionId = ID_BLOCK * 1e6 + 1;
let acks = 0;

function verify(token) {
  const claims = jwt.verify(token, SECRET, { algorithms: ["HS256"] });
  if (claims.type !== "access") throw new Error("not an access token");
  const userId = Number.parseInt(claims.sub, 10);
  if (!Number.isInteger(userId)) throw new Error("bad subject");
  return { userId, role: claims.role };
}

function problem(res, status, code, detail) {
  res.writeHead(status, { "content-type": "application/problem+json" });
  res.end(JSON.stringify({ type: "about:blank", title: code, status, detail, code }));
}

function json(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}

function readBody(req, limit = 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > limit) reject(new Error("too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function staffOnly(req) {
  const header = req.headers.authorization || "";
  if (!header.startsWith("Bearer ")) return null;
  try {
    const who = verify(header.slice(7));
    return who.role === "staff" || who.role === "admin" ? who : null;
  } catch {
    return null;
  }
}

function notification(userId, type, title, message, data) {
  return {
    id: nextNotificationId++,
    user_id: userId,
    type,
    title,
    message,
    data: data || {},
    is_read: false,
    read_at: null,
    created_at: new Date().toISOString(),
  };
}

let io;
let jobs;

async function handle(req, res) {
  if (req.method === "GET" && req.url === "/healthz") return json(res, 200, { status: "ok", sockets: io.engine.clientsCount, acks });
  if (req.method !== "POST") return problem(res, 404, "not_found", "No such route.");
  if (req.url !== "/api/notifications" && req.url !== "/api/promotions") return problem(res, 404, "not_found", "No such route.");
  const who = staffOnly(req);
  if (!who) return problem(res, 401, "unauthorized", "A staff access token is required.");
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return problem(res, 400, "bad_request", "Malformed JSON.");
  }
  if (req.url === "/api/notifications") {
    const { user_id: userId, type, title, message, data } = body || {};
    if (!Number.isInteger(userId) || userId < 1 || !TYPES.has(type) || typeof title !== "string" || typeof message !== "string") {
      return problem(res, 422, "validation_error", "user_id, type, title and message are required.");
    }
    const n = notification(userId, type, title, message, data);
    io.to(`user:${userId}`).emit("notification", n);
    return json(res, 201, n);
  }
  // /api/promotions
  const { title, message, via = "emitter" } = body || {};
  if (typeof title !== "string" || typeof message !== "string") return problem(res, 422, "validation_error", "title and message are required.");
  const id = nextPromotionId++;
  if (via === "direct") {
    for (const userId of customers) {
      io.to(`user:${userId}`).emit("notification", notification(userId, "promotion", title, message, { promotion_id: id }));
    }
  } else {
    await jobs.rPush(JOBS, JSON.stringify({ promotion_id: id, title, message, user_ids: customers, first_id: nextNotificationId }));
    nextNotificationId += customers.length;
  }
  return json(res, 201, { id, status: via === "direct" ? "sent" : "sending", recipients: customers.length });
}

async function main() {
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  jobs = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect(), jobs.connect()]);
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      process.stderr.write(`[peer] ${e.stack || e}\n`);
      if (!res.headersSent) problem(res, 500, "internal_error", "That did not work.");
    });
  });
  server.keepAliveTimeout = 65000;
  io = new Server(server, {
    adapter: createAdapter(pub, sub, { key: "novacart-peer" }),
    pingInterval: PING_INTERVAL_MS,
    pingTimeout: 20000,
    maxHttpBufferSize: 64 * 1024,
  });
  io.use((socket, next) => {
    const token = socket.handshake.auth && socket.handshake.auth.token;
    try {
      if (typeof token !== "string" || token.length > 4096) throw new Error("missing");
      socket.data.user = verify(token);
      next();
    } catch {
      next(new Error("unauthorized"));
    }
  });
  io.on("connection", (socket) => {
    const { userId, role } = socket.data.user;
    socket.join(`user:${userId}`);
    if (role === "staff" || role === "admin") socket.join("staff");
    socket.on("notification:ack", (payload) => {
      const ids = payload && payload.ids;
      if (!Array.isArray(ids) || !ids.every(Number.isInteger)) {
        socket.emit("error", { code: "invalid_ack", message: "notification:ack takes {ids: [integers]}." });
        return;
      }
      acks += ids.length;
    });
  });
  server.listen(PORT, "127.0.0.1", 4096, () => process.stderr.write(`[peer] listening on 127.0.0.1:${PORT}\n`));
  const stop = () => {
    io.close();
    Promise.allSettled([pub.quit(), sub.quit(), jobs.quit()]).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

function primary() {
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on("exit", (worker, code) => process.stderr.write(`[peer] worker ${worker.process.pid} exited (${code})\n`));
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.kill("SIGTERM");
    setTimeout(() => process.exit(0), 2500).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (WORKERS > 1 && cluster.isPrimary) {
  primary();
} else {
  main().catch((e) => {
    process.stderr.write(`[peer] ${e.stack || e}\n`);
    process.exit(1);
  });
}
