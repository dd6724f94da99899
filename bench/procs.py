"""Process facts read from /proc (CPU seconds, RSS, children) and the machine's description."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
from pathlib import Path

from tests.system.harness import children  # noqa: F401  (gunicorn's workers, for bench.run)

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after its closing one.
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pid: int | list[int] | None) -> float | None:
    """User + system CPU time of a live process (or the sum over several), in seconds (None if gone)."""
    if isinstance(pid, list):
        values = [cpu_seconds(p) for p in pid]
        return sum(v for v in values if v is not None) if any(v is not None for v in values) else None
    if not pid:
        return None
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14 and 15 of stat)


def rss_kib(pid: int | list[int] | None) -> int | None:
    """Resident memory of a process (or the sum over several), KiB."""
    if isinstance(pid, list):
        values = [rss_kib(p) for p in pid]
        return sum(v for v in values if v is not None) if any(v is not None for v in values) else None
    if not pid:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def alive(pid: int | None) -> bool:
    return bool(pid) and Path(f"/proc/{pid}").exists()


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores from /proc/stat: how busy the whole machine is, whoever it is."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - idle, total


class CpuWindow:
    """CPU seconds used by named processes between start() and stop(), and as % of one core."""

    def __init__(self, pids: dict[str, int | list[int] | None]):
        """`pids`: name → a pid, or a list of pids counted together (a web tier of several processes)."""
        self.pids = {k: v for k, v in pids.items() if v}
        self.before: dict[str, float | None] = {}
        self.t0 = 0.0

    def start(self) -> CpuWindow:
        import time

        self.t0 = time.monotonic()
        self.before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.machine_before = machine_ticks()
        return self

    def stop(self) -> dict[str, dict[str, float]]:
        import time

        elapsed = max(1e-6, time.monotonic() - self.t0)
        out = {}
        for name, pid in self.pids.items():
            after, before = cpu_seconds(pid), self.before.get(name)
            if after is None or before is None:
                continue
            used = after - before
            out[name] = {"cpu_s": round(used, 2), "cpu_pct": round(100 * used / elapsed, 1)}
        out["_seconds"] = {"elapsed": round(elapsed, 2)}
        busy0, total0 = self.machine_before
        busy1, total1 = machine_ticks()
        if total1 > total0:
            cores = os.cpu_count() or 1
            busy_pct = 100 * cores * (busy1 - busy0) / (total1 - total0)  # in % of one core, up to 100 × cores
            ours = sum(v["cpu_pct"] for k, v in out.items() if not k.startswith("_"))
            out["_machine"] = {
                "busy_pct": round(busy_pct, 1),
                "others_pct": round(max(0.0, busy_pct - ours), 1),
                "cores": cores,
            }
        return out


def _run(args: list[str], cwd: Path | None = None) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=20, cwd=cwd).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(node: str, root: Path) -> dict:
    """What the figures were measured on."""
    import importlib.metadata as md

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    with contextlib.suppress(OSError, AttributeError):
        mem_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    py_libs = {}
    for name in (
        "Flask",
        "Flask-SocketIO",
        "python-socketio",
        "python-engineio",
        "simple-websocket",
        "eventlet",
        "gevent",
        "greenlet",
        "gunicorn",
        "SQLAlchemy",
        "celery",
        "redis",
        "psycopg",
        "py-spy",
    ):
        with contextlib.suppress(md.PackageNotFoundError):
            py_libs[name] = md.version(name)
    node_libs = {}
    for folder, names in (
        ("loadclient", ("socket.io-client",)),
        ("peer", ("socket.io", "@socket.io/redis-adapter", "@socket.io/redis-emitter", "redis", "jsonwebtoken")),
    ):
        for name in names:
            package = root / "bench" / folder / "node_modules" / name / "package.json"
            try:
                import json

                node_libs[name] = json.loads(package.read_text())["version"]
            except (OSError, ValueError, KeyError):
                pass
    import sqlite3

    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kib / 1048576, 1),
        "cpu_model": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": _run([node, "--version"]),
        "redis_server": _run(["redis-server", "--version"]).split(" ")[2].removeprefix("v=")
        if _run(["redis-server", "--version"])
        else "",
        "sqlite": sqlite3.sqlite_version,
        "python_packages": py_libs,
        "node_packages": node_libs,
        "git_head": os.environ.get("NOVACART_BENCH_SNAPSHOT")
        or _run(["git", "rev-parse", "--short", "HEAD"], cwd=root),
        "snapshot": bool(os.environ.get("NOVACART_BENCH_SNAPSHOT")),
        "git_dirty": []
        if os.environ.get("NOVACART_BENCH_SNAPSHOT")
        else [
            line[3:]
            for line in _run(
                ["git", "status", "--porcelain", "--", "novacart", "config.py", "wsgi.py", "celery_worker.py"], cwd=root
            ).splitlines()
        ],
    }
