#!/usr/bin/env node
// The peer's outside emitter: takes promotion jobs from a Redis list and emits one `notification` per
// user through Redis (@socket.io/redis-emitter), as NovaCart's Celery worker does through its
// write-only Socket.IO emitter. The peer server's Redis adapter relays each to the user's sockets.
//
// Env: REDIS_URL.
"use strict";

const { createClient } = require("redis");
const { Emitter } = require("@socket.io/redis-emitter");

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379/0";
const JOBS = "novacart-peer:jobs";
let running = true;

async function main() {
  const pub = createClient({ url: REDIS_URL });
  const queue = pub.duplicate();
  await Promise.all([pub.connect(), queue.connect()]);
  const emitter = new Emitter(pub, { key: "novacart-peer" });
  const stop = () => {
    running = false;
    Promise.allSettled([pub.quit(), queue.disconnect()]).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stderr.write("[peer-emitter] ready\n");
  while (running) {
    const item = await queue.blPop(JOBS, 1).catch(() => null);
    if (!item) continue;
    const job = JSON.parse(item.element);
    const createdAt = new Date().toISOString();
    let id = job.first_id;
    for (const userId of job.user_ids) {
      emitter.to(`user:${userId}`).emit("notification", {
        id: id++,
        user_id: userId,
        type: "promotion",
        title: job.title,
        message: job.message,
        data: { promotion_id: job.promotion_id },
        is_read: false,
        read_at: null,
        created_at: createdAt,
      });
    }
    process.stderr.write(`[peer-emitter] promotion ${job.promotion_id}: ${job.user_ids.length} emits\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`[peer-emitter] ${e.stack || e}\n`);
  process.exit(1);
});
