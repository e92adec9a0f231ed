"""API throttling that costs no network round trip on most requests, whatever the rate.

DRF's ``UserRateThrottle`` and ``AnonRateThrottle`` each keep a list of every request time in the cache and
read and rewrite it on each request: two throttles are four round trips, and the pickled list grows with the
rate. ``RateThrottle`` counts requests in fixed windows aligned to the clock (authenticated users by id under
the ``user`` rate, anonymous clients by address under the ``anon`` rate, the stricter one that already bit first
when both classes ran), and each process counts in memory, adding its count to the shared counter in Redis
every few requests (at most every twentieth of the limit, and at least once a second) and on every request once
it is near the limit. A Redis round trip costs several times a whole cheap request on a loaded machine
(docs/benchmarks.md), so most requests now make none.

While Redis is down the processes count alone (each admits up to the rate), so the API keeps answering
instead of failing every request, health included; the shared counter is tried again after a few seconds.

The price is a bounded looseness: a process's unflushed requests (fewer than a twentieth of the limit) are
unseen by the others, so N processes may admit up to N x 5 % more than the rate, and a fixed window admits at
most twice the rate across a window boundary. Small limits (under 40 a window) are counted exactly.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

SHARED_RETRY_SECONDS = 5.0
"""After the shared counter fails, count in-process alone this long before trying Redis again."""
SHARED_TIMEOUT_SECONDS = 0.5
"""A Redis that does not answer costs a request at most this (then the process counts alone)."""

# KEYS[1] counter; ARGV[1] increment, ARGV[2] expiry seconds. Returns the counter after the increment.
_ADD = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return count
"""


@dataclass
class _Window:
    number: int
    known: int = 0
    """The shared count as of this process's last flush (its own flushed requests included)."""
    pending: int = 0
    """This process's requests not yet added to the shared count."""
    flushed_at: float = field(default_factory=time.monotonic)


class WindowCounter:
    """Per-process counts of fixed windows, flushed in batches to one shared counter per key and window."""

    MAX_KEYS = 10_000

    def __init__(self, *, flush_seconds: float = 1.0, batch_share: float = 0.05, max_batch: int = 50) -> None:
        self.flush_seconds = flush_seconds
        self.batch_share = batch_share
        self.max_batch = max_batch
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self._script: Any = None
        self._script_url = ""
        self._shared_down_until = 0.0

    def clear(self) -> None:
        """Forget this process's counts (each test starts without the requests of the tests before it)."""
        with self._lock:
            self._windows.clear()

    def _shared_add(self, key: str, amount: int, expiry: int) -> int | None:
        """Add to the shared counter; None without Redis (the embedded single process counts alone) and while
        Redis fails (this process then counts alone, and says so once per outage)."""
        import redis

        url = settings.REDIS_URL
        if not url or time.monotonic() < self._shared_down_until:
            return None
        if self._script is None or self._script_url != url:
            client = redis.Redis.from_url(
                url, socket_timeout=SHARED_TIMEOUT_SECONDS, socket_connect_timeout=SHARED_TIMEOUT_SECONDS
            )
            self._script = client.register_script(_ADD)
            self._script_url = url
        try:
            return int(self._script(keys=[key], args=[amount, expiry]))
        except redis.RedisError as exc:
            if not self._shared_down_until:
                logger.warning("throttle counter unavailable (%s); counting in-process until Redis answers", exc)
            self._shared_down_until = time.monotonic() + SHARED_RETRY_SECONDS
            return None

    def hit(self, key: str, *, window: int, limit: int) -> tuple[bool, int]:
        """Count one request under ``key``: (allowed, seconds until the window ends)."""
        now = time.time()
        number = int(now // window)
        seconds_left = max(int(window - now % window), 1)
        batch = max(1, min(self.max_batch, int(limit * self.batch_share)))
        with self._lock:
            entry = self._windows.get(key)
            if entry is None or entry.number != number:
                if len(self._windows) >= self.MAX_KEYS:
                    self._windows = {k: w for k, w in self._windows.items() if w.number == number}
                entry = self._windows[key] = _Window(number=number)
            entry.pending += 1
            estimate = entry.known + entry.pending
            flush = (
                entry.pending >= batch
                or estimate + batch > limit
                or time.monotonic() - entry.flushed_at >= self.flush_seconds
            )
            amount = entry.pending if flush else 0
            if flush:
                entry.pending = 0
                entry.flushed_at = time.monotonic()
        if not flush:
            return True, seconds_left
        shared = self._shared_add(f"{key}:{number}", amount, window * 2)
        with self._lock:
            entry.known = entry.known + amount if shared is None else shared  # Redis holds the truth
            estimate = entry.known + entry.pending
        return estimate <= limit, seconds_left


_counter = WindowCounter()


class RateThrottle(SimpleRateThrottle):
    """``OPTRADING_API_USER_RATE`` per user, ``OPTRADING_API_ANON_RATE`` per anonymous address."""

    cache_format = "optrading:throttle:%(scope)s:%(ident)s"
    counter = _counter

    def __init__(self) -> None:  # the rate depends on the request; it is parsed in allow_request
        self.wait_seconds = 0

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            self.scope, ident = "user", str(request.user.pk)
        else:
            self.scope, ident = "anon", self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        rate = self.THROTTLE_RATES.get(self.scope or "")
        if key is None or rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(rate)
        assert self.num_requests is not None and self.duration is not None
        allowed, self.wait_seconds = self.counter.hit(key, window=self.duration, limit=self.num_requests)
        return allowed

    def wait(self) -> float | None:
        return max(self.wait_seconds, 1)
