"""Rate limiting: who a request counts against (client_network), and Flask-Limiter's fixed window,
taking a large limit's tokens from Redis in leases instead of one by one.

Each limited request cost a Redis round trip (INCRBY through a script): ~10 % of the web process's CPU per
notification at 200/s (py-spy). For a limit of `amount` per window, a web process now takes `amount / 100`
tokens at a time from the shared Redis counter and spends them locally until they run out or the window
ends. Nothing is ever admitted beyond the limit (every token comes from the one counter); the price is
that a process's unspent tokens are lost to the others when the window ends: at most 1 % of the limit
per web process. A process renews one lease per key at a time (requests arriving meanwhile take one token
each): a burst under gevent otherwise had every waiting request take a lease of its own, spending the
whole window in a second (the first overload run of bench scenario 6 answered 429 to 30 % of its calls).
Limits under 200 a window (login, register, the default 120/minute for notifications)
take one token at a time, exactly as before.
"""

from __future__ import annotations

import ipaddress
import threading
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem
from limits.strategies import STRATEGIES, FixedWindowRateLimiter

STRATEGY = "novacart-leased-fixed-window"
LEASE_FRACTION = 0.01
MAX_LEASES = 10_000  # keys with a lease in this process; expired ones are dropped past this


def client_network() -> str:
    """The client's IPv4 address, or its IPv6 /64 network.

    One IPv6 subscriber usually holds a whole /64 and can pick a fresh address for every request,
    so keying by address would give an attacker 2**64 budgets.
    """
    address = get_remote_address()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:203.0.113.7 is an IPv4 client on a dual-stack socket
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class LeasedFixedWindowRateLimiter(FixedWindowRateLimiter):
    def __init__(self, storage) -> None:
        super().__init__(storage)
        self._leases: dict[str, list[float]] = {}  # key → [next token, last token, window end (monotonic)]
        self._renewing: set[str] = set()  # keys whose next lease is being taken from Redis right now
        self._lock = threading.Lock()

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        size = max(cost, int(item.amount * LEASE_FRACTION))
        if size <= cost:
            return super().hit(item, *identifiers, cost=cost)
        key = item.key_for(*identifiers)
        now = time.monotonic()
        with self._lock:
            lease = self._leases.get(key)
            if lease is not None and lease[2] > now and lease[0] + cost - 1 <= lease[1]:
                lease[0] += cost
                return True
            # One lease at a time per key: the requests that find it spent while it is being renewed take
            # their token one by one, or a burst of them would each take a lease and spend the window.
            renewing = key in self._renewing
            self._renewing.add(key)
        if renewing:
            return super().hit(item, *identifiers, cost=cost)
        try:
            expiry = item.get_expiry()
            top = self.storage.incr(key, expiry, amount=size)  # this lease: tokens top - size + 1 … top
            first, last = top - size + 1, min(top, item.amount)
            if first + cost - 1 > last:
                return False
            # The window started with this lease, or earlier (then ask Redis when it ends).
            ends = now + (expiry if top == size else max(0.0, self.storage.get_expiry(key) - time.time()))
            with self._lock:
                if len(self._leases) >= MAX_LEASES:
                    self._leases = {k: v for k, v in self._leases.items() if v[2] > now}
                self._leases[key] = [first + cost, last, ends]
            return True
        finally:
            with self._lock:
                self._renewing.discard(key)


STRATEGIES[STRATEGY] = LeasedFixedWindowRateLimiter  # type: ignore[index]  (Flask-Limiter picks strategies by name)


class RouteLimiter(Limiter):
    """Flask-Limiter, without its before-request check while no limit could apply there.

    NovaCart limits routes only, with decorators, and those check their own limits. The check that
    Flask-Limiter also runs before every request finds nothing to count, yet was about 5 % of a
    `POST /api/notifications` (cProfile: 211 Python calls filtering and evaluating an empty list).
    It runs again as soon as a limit exists that only that check applies: a default, application, meta
    or blueprint limit, or limits for when Redis is down.
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not self._limits_before_request():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _limits_before_request(self) -> bool:
        # Flask-Limiter 4.1's own state (requirements.txt pins it); tests/test_ratelimit.py checks the
        # default, application and blueprint limits.
        manager = self.limit_manager
        return bool(
            manager.default_limits
            or manager.application_limits
            or self._meta_limits
            or manager._blueprint_limits
            or self._in_memory_fallback
        )
