"""What a web process pays for emits meant for rooms it does not hold: `python -m bench.scaling`.

Every web process subscribes to the one Redis channel and receives every emit, wherever its socket is.
With P processes and emits spread evenly, (P − 1) / P of what each process receives is for somebody
else. This measures that cost on the real system: WEB_CONCURRENCY processes (4 by default) holding
sockets spread evenly, and an outside publisher emitting through Redis exactly as the Celery worker does
(python-socketio's Redis manager, NovaCart's BatchingRedisManager), at a fixed rate:

  foreign    every emit to a room nobody holds: the pure cost of a message that is not yours;
  spread     every emit to one connected user, users chosen evenly: the mix a cluster really sees;
  batched    foreign emits, 100 to a Redis message (as a promotion's fan-out sends them).

Reported per web process: CPU % over the window minus the idle window's, and µs of CPU per message.
docs/scaling.md turns these into the cap on a cluster (processes × rate).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import procs  # noqa: E402
from bench.run import SCRATCH, LoadClient, Profiler, export_tree, instrument, run_seed, say  # noqa: E402
from novacart import fastjson  # noqa: E402
from novacart.realtime import BatchingRedisManager  # noqa: E402
from tests.e2e.harness import start_system, wait_until  # noqa: E402

NOTIFICATION = {
    "id": 0,
    "user_id": 0,
    "type": "back_in_stock",
    "title": "Back in stock: Fountain pen ink, midnight blue",
    "message": "It is back: order before it runs out again.",
    "data": {"product_id": 42},
    "is_read": False,
    "read_at": None,
    "created_at": "2026-11-30T12:00:00+00:00",
}


class Publisher(threading.Thread):
    """Emits through Redis at `rate` per second for `seconds`, as the worker does (open loop, paced)."""

    def __init__(self, manager: BatchingRedisManager, rate: int, seconds: float, rooms, batch: int = 0):
        super().__init__(daemon=True)
        self.manager, self.rate, self.seconds, self.rooms, self.batch = manager, rate, seconds, rooms, batch
        self.sent = 0

    def run(self) -> None:
        started = time.monotonic()
        step = self.batch or 1
        total = int(self.rate * self.seconds)
        while self.sent < total:
            due = int((time.monotonic() - started) * self.rate)
            if self.sent + step > due:
                time.sleep(0.001)
                continue
            if self.batch:
                items = [("notification", {**NOTIFICATION, "id": self.sent + i}, self.rooms()) for i in range(step)]
                self.manager.emit_many(items)
            else:
                self.manager.emit("notification", {**NOTIFICATION, "id": self.sent}, to=self.rooms())
            self.sent += step


def measure(pids: list[int], seconds: float, publisher: Publisher | None = None) -> tuple[dict[int, float], float]:
    """Each process's CPU (seconds per second) while `publisher` ran (or over `seconds` idle), and how long."""
    before = {pid: procs.cpu_seconds(pid) for pid in pids}
    started = time.monotonic()
    if publisher is not None:
        publisher.start()
        publisher.join()
        time.sleep(0.5)  # what is still in flight reaches the processes
    else:
        time.sleep(seconds)
    elapsed = time.monotonic() - started
    return {pid: (procs.cpu_seconds(pid) - before[pid]) / elapsed for pid in pids}, elapsed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    p.add_argument("--processes", type=int, default=4)
    p.add_argument("--sockets", type=int, default=4000)
    p.add_argument("--rates", default="500,1000,2000", help="emits per second (whole cluster)")
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--out", type=Path, default=SCRATCH / "scaling.json")
    p.add_argument("--profile", action="store_true", help="py-spy on one web process during each foreign round")
    p.add_argument("--modes", default="foreign,spread,batched", help="which of foreign, spread, batched")
    p.add_argument("--ref", default=None, help="measure this commit (an exported copy) instead of the working tree")
    args = p.parse_args(argv)
    rates = [int(r) for r in args.rates.split(",")]
    node, workdir, redis = instrument("novacart-scaling-")
    system = client = None
    root = ROOT
    results: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "args": vars(args) | {"out": str(args.out)}}
    try:
        env = {"WEB_CONCURRENCY": str(args.processes), "MAX_CONNECTIONS": "30000", "LOG_LEVEL": "WARNING"}
        if args.ref:
            results["commit"], root = export_tree(args.ref)
        system = start_system(redis.url(0), None, web=1, worker=False, beat=False, extra_env=env, root=root)
        master = system.processes["web0"].popen.pid
        pids = wait_until(lambda: _exactly(procs.children(master), args.processes), timeout=30, what="workers")
        tokens = workdir / "tokens.json"
        run_seed(system.env, "users", "--customers", str(args.sockets), "--out", str(tokens))
        users = [c["id"] for c in json.loads(tokens.read_text())["customers"]]
        client = LoadClient(node, workdir / "loadclient.log")
        connected = client.call(
            "connect", timeout=300, url=system.url, tokens_file=str(tokens), count=args.sockets, concurrency=100
        )
        held = {pid: _held(pid, system.web_ports[0]) for pid in pids}
        say(f"{connected['connected']:,} sockets over {args.processes} processes: {list(held.values())}")
        manager = BatchingRedisManager(
            redis.url(0),
            channel=system.env.get("SOCKETIO_CHANNEL", "novacart-socketio"),
            write_only=True,
            json=fastjson,
        )
        time.sleep(2)
        idle, _ = measure(pids, args.seconds)
        results.update({"sockets": connected["connected"], "held_per_process": list(held.values()), "idle": idle})
        rows = []
        for rate in rates:
            for mode, rooms, batch in (
                ("foreign", lambda: "user:999999999", 0),
                ("spread", lambda: f"user:{random.choice(users)}", 0),
                ("batched", lambda: "user:999999999", 100),
            ):
                if mode not in args.modes.split(",") or (mode == "batched" and rate < 1000):
                    continue
                publisher = Publisher(manager, rate, args.seconds, rooms, batch)
                profiler = None
                if args.profile and mode in ("foreign", "batched"):
                    out = SCRATCH / f"profile-scaling-{mode}-{rate}.txt"
                    profiler = Profiler(pids[0], args.seconds, out)
                busy, elapsed = measure(pids, args.seconds, publisher)
                if profiler is not None:
                    results.setdefault("profiles", {})[f"{mode}_{rate}"] = profiler.finish()
                extra = [max(0.0, busy[pid] - idle[pid]) for pid in pids]
                # The publisher may fall behind its nominal rate on a busy machine: per message actually sent.
                per_message_us = [1e6 * e * elapsed / max(1, publisher.sent) for e in extra]
                row = {
                    "mode": mode,
                    "rate": rate,
                    "sent": publisher.sent,
                    "achieved_rate": round(publisher.sent / elapsed),
                    "cpu_pct_per_process": [round(100 * busy[pid], 1) for pid in pids],
                    "extra_cpu_pct_per_process": [round(100 * e, 1) for e in extra],
                    "us_per_message": round(statistics.median(per_message_us), 1),
                    "us_per_message_each": [round(u, 1) for u in per_message_us],
                }
                rows.append(row)
                say(
                    f"{mode:8} {rate:>5}/s (achieved {row['achieved_rate']:,}/s): "
                    f"+{statistics.median(extra) * 100:.1f} % of a core per process, "
                    f"{row['us_per_message']} µs per message (each: {row['us_per_message_each']})"
                )
                time.sleep(2)
        results["rows"] = rows
        results["load_average"] = [round(x, 2) for x in __import__("os").getloadavg()]
    finally:
        if client is not None:
            client.stop()
        if system is not None:
            system.stop()
            shutil.rmtree(system.workdir, ignore_errors=True)
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        if root != ROOT:
            shutil.rmtree(root, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str))
    say(f"results: {args.out}")
    return 0


def _exactly(pids: list[int], count: int) -> list[int] | None:
    return pids if len(pids) == count else None


def _held(pid: int, port: int) -> int:
    from tests.system.harness import sockets_held

    return sockets_held(pid, port)


if __name__ == "__main__":
    sys.exit(main())
