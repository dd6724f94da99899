"""Before and after in one run: web CPU per notification for two (or more) versions, measured in turns.

Each variant is a git ref (or `.` for the working tree) plus optional settings, e.g.

    python -m bench.ab --variant before=HEAD~1 --variant after=.
    python -m bench.ab --variant exact=.:RATELIMIT_LEASE=1 --variant leased=. --rounds 4

Every variant gets its own system (web, worker, Redis database, SQLite), seeded alike. Then, for each round,
each variant in turn: a fresh web process, N sockets connected, a warm-up, and one open-loop rate of
POST /api/notifications (as scenario 2 of bench.run). Measured per round: the web processes' CPU time per
notification (robust on a shared machine: other people's load stretches wall-clock time, much less the CPU
time a request needs), the worker's, and the full-path p50/p99. The median over the rounds is reported, and
each variant's ratio to the first. Turns alternate (A B A B …), so a slow minute hits every variant.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import procs  # noqa: E402
from bench.run import SCRATCH, LoadClient, export_tree, instrument, run_seed, say, settle  # noqa: E402
from tests.e2e.harness import System, start_system, wait_until  # noqa: E402
from tests.system.harness import RedisServer  # noqa: E402


@dataclass
class Variant:
    name: str
    ref: str
    env: dict[str, str]
    root: Path = ROOT
    commit: str = ""
    system: System | None = None
    tokens: Path | None = None
    staff_token: str = ""
    rounds: list[dict] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Variant:
        name, _, rest = text.partition("=")
        ref, *settings = rest.split(":")
        env = dict(item.split("=", 1) for setting in settings for item in setting.split(",") if item)
        return cls(name=name, ref=ref or ".", env=env)

    def web_pids(self) -> list[int]:
        master = self.system.processes["web0"].popen.pid
        workers = int(self.system.env.get("WEB_CONCURRENCY", "1"))
        return [master, *wait_until(lambda: _exactly(procs.children(master), workers), timeout=20, what="workers")]


def _exactly(pids: list[int], count: int) -> list[int] | None:
    return pids if len(pids) == count else None


def prepare(variant: Variant, redis: RedisServer, db: int, args: argparse.Namespace) -> None:
    if variant.ref != ".":
        variant.commit, variant.root = export_tree(variant.ref)
    else:
        variant.commit = "working tree"
    env = {"MAX_CONNECTIONS": "30000", "LISTEN_BACKLOG": "4096", "WEB_CONCURRENCY": str(args.concurrency)}
    variant.system = start_system(
        redis.url(db), None, web=0, worker=True, beat=False, extra_env={**env, **variant.env}, root=variant.root
    )
    variant.tokens = variant.system.workdir / "tokens.json"
    run_seed(variant.system.env, "users", "--customers", str(args.sockets), "--out", str(variant.tokens))
    variant.staff_token = json.loads(variant.tokens.read_text())["staff"]["token"]
    say(f"{variant.name}: {variant.commit} {variant.env or ''} ready")


def measure(variant: Variant, client: LoadClient, args: argparse.Namespace) -> dict:
    system = variant.system
    old = system.processes.get("web0")
    if old:
        old.stop()
    system.web_ports.clear()
    url = system.start_web(0)
    web = variant.web_pids()
    client.call("reset")
    connected = client.call(
        "connect",
        timeout=180,
        url=url,
        tokens_file=str(variant.tokens),
        count=args.sockets,
        concurrency=100,
        ack_delay_ms=100,
        per_message_deflate=True,
    )
    call = {"url": url, "token": variant.staff_token, "rate": args.rate, "drain_ms": 5000, "max_sockets": 64}
    client.call("rate", timeout=120, seconds=args.warmup, **call)  # imports, caches and pools warmed
    settle(web)
    worker = system.processes["worker"].popen.pid
    window = procs.CpuWindow({"web": web, "worker": worker}).start()
    result = client.call("rate", timeout=args.seconds + 60, seconds=args.seconds, **call)
    cpu = window.stop()
    client.call("disconnect")
    # Per notification the web actually took (201): on a starved machine some calls are still unanswered.
    sent = max(1, result["statuses"].get("201", 0))
    return {
        "connected": connected["connected"],
        "sent": result["sent"],
        "lost": result["lost"],
        "statuses": result["statuses"],
        "web_cpu_ms_per_notification": round(1000 * cpu["web"]["cpu_s"] / sent, 3),
        "worker_cpu_ms_per_notification": round(1000 * cpu["worker"]["cpu_s"] / sent, 3),
        "web_cpu_pct": cpu["web"]["cpu_pct"],
        "others_cpu_pct": (cpu.get("_machine") or {}).get("others_pct"),
        "p50_ms": result["latency_ms"]["p50"],
        "p99_ms": result["latency_ms"]["p99"],
        "api_p50_ms": result["api_ms"]["p50"],
    }


def _finite(value: float | None) -> float:
    return float("inf") if value is None else value


def summary(variants: list[Variant], figure: str, extra: tuple[str, ...] = ()) -> list[dict]:
    """Per variant: the median of `figure` over its rounds (and of each `extra`), and its ratio to the first's."""
    rows: list[dict] = []
    for variant in variants:
        median = statistics.median(r[figure] for r in variant.rounds)
        first = rows[0][figure] if rows else median
        rows.append(
            {
                "variant": variant.name,
                "commit": variant.commit,
                "settings": variant.env,
                "rounds": len(variant.rounds),
                figure: median,
                "each_round": [r[figure] for r in variant.rounds],
                # a latency that is None was lost: infinitely late
                **{key: statistics.median(_finite(r[key]) for r in variant.rounds) for key in extra},
                "vs_first": round(median / first, 3),
            }
        )
    return rows


def in_process(variants: list[Variant], args: argparse.Namespace) -> int:
    """--in-process: bench.cpu_per_call in each variant's tree, in turns; µs of CPU per API call."""
    workdir = Path(tempfile.mkdtemp(prefix="novacart-ab-"))
    redis = RedisServer(workdir)
    redis.start()
    try:
        for variant in variants:
            if variant.ref != ".":
                variant.commit, variant.root = export_tree(variant.ref)
            else:
                variant.commit = "working tree"
        for round_ in range(args.rounds):
            for index, variant in enumerate(variants if round_ % 2 == 0 else list(reversed(variants))):
                result = subprocess.run(
                    [sys.executable, "-m", "bench.cpu_per_call", "--redis-url", redis.url(index + 1)],
                    cwd=variant.root,
                    env={**os.environ, **variant.env},
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                if result.returncode != 0:
                    raise RuntimeError(f"{variant.name}: {result.stderr[-2000:]}")
                figures = json.loads(result.stdout.strip().splitlines()[-1])
                variant.rounds.append(figures)
                say(f"round {round_ + 1} {variant.name}: {figures['us_per_call']} µs CPU per call {figures['blocks']}")
    finally:
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        for variant in variants:
            if variant.root != ROOT:
                shutil.rmtree(variant.root, ignore_errors=True)
    print(
        f"\nPOST /api/notifications in-process, CPU µs per call (each run: its least disturbed block of 200 calls);"
        f" {args.rounds} rounds in turns, the median"
    )
    rows = summary(variants, "us_per_call")
    for r in rows:
        figures = f"{r['us_per_call']:>9.1f} µs  {r['vs_first']:>5.2f}×  {r['each_round']}"
        print(f"{r['variant']:<14} {r['commit']:<12} {figures}")
    path = args.out or SCRATCH / f"ab-in-process-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "summary": rows}, indent=2))
    print(f"results: {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.ab", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--variant", action="append", required=True, help="NAME=REF[:KEY=VALUE,…] (REF `.`: this tree)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sockets", type=int, default=1000)
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--concurrency", type=int, default=1, help="WEB_CONCURRENCY")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--in-process", action="store_true", help="CPU per API call in one process (bench.cpu_per_call)")
    args = p.parse_args(argv)
    variants = [Variant.parse(v) for v in args.variant]
    if args.in_process:
        return in_process(variants, args)
    node, workdir, redis = instrument("novacart-ab-")
    client = LoadClient(node, workdir / "loadclient.log")
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    try:
        for index, variant in enumerate(variants):
            prepare(variant, redis, index + 1, args)
        for round_ in range(args.rounds):
            for variant in variants if round_ % 2 == 0 else list(reversed(variants)):
                figures = measure(variant, client, args)
                variant.rounds.append(figures)
                say(
                    f"round {round_ + 1} {variant.name}: web {figures['web_cpu_ms_per_notification']} ms CPU per "
                    f"notification, p50 {figures['p50_ms']} p99 {figures['p99_ms']} ms, lost {figures['lost']}, "
                    f"others {figures['others_cpu_pct']}%"
                )
    finally:
        client.stop()
        for variant in variants:
            if variant.system is not None:
                variant.system.stop()
                shutil.rmtree(variant.system.workdir, ignore_errors=True)
            if variant.root != ROOT:
                shutil.rmtree(variant.root, ignore_errors=True)
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    rows = summary(variants, "web_cpu_ms_per_notification", ("worker_cpu_ms_per_notification", "p50_ms", "p99_ms"))
    out: dict[str, Any] = {"started": started, "args": {k: str(v) for k, v in vars(args).items()}, "summary": rows}
    out["rounds"] = {v.name: v.rounds for v in variants}
    path = args.out or SCRATCH / f"ab-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(f"\n{args.sockets:,} sockets, {args.rate}/s for {args.seconds:g} s, {args.rounds} rounds in turns")
    print(
        f"{'variant':<14} {'commit':<12} {'web CPU ms/notif':>17} {'vs first':>9} {'worker ms':>10}"
        f" {'p50':>7} {'p99':>8}"
    )
    for r in rows:
        print(
            f"{r['variant']:<14} {r['commit']:<12} {r['web_cpu_ms_per_notification']:>17.3f} {r['vs_first']:>8.2f}× "
            f"{r['worker_cpu_ms_per_notification']:>10.3f} {r['p50_ms']:>7.1f} {r['p99_ms']:>8.1f}"
        )
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
