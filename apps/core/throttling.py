"""API throttling that costs one Redis round trip per request, whatever the rate.

DRF's ``UserRateThrottle`` and ``AnonRateThrottle`` each keep a list of every request time in the cache and
read and rewrite it on each request: two throttles are four round trips, and the pickled list grows with the
rate (at 600/min a 5 kB value read and written per request). ``RateThrottle`` counts requests in fixed
windows instead: one atomic ``INCR`` (with the window's expiry) per request, authenticated users by their id
under the ``user`` rate, anonymous clients by address under the ``anon`` rate (the stricter one that already
bit first when both classes ran). A fixed window admits at most twice the rate across a window boundary.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

# KEYS[1] counter; ARGV[1] window seconds. Returns {count, seconds until the window ends}.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""

_script: Any = None
_script_url = ""
_lock = threading.Lock()


def _redis_hit(key: str, window: int) -> tuple[int, int]:
    global _script, _script_url
    if _script is None or _script_url != settings.REDIS_URL:
        import redis

        with _lock:
            _script = redis.Redis.from_url(settings.REDIS_URL).register_script(_HIT)
            _script_url = settings.REDIS_URL
    count, ttl = _script(keys=[key], args=[window])
    return int(count), int(ttl)


def _cache_hit(key: str, window: int) -> tuple[int, int]:
    """Without Redis (the embedded single process): the same counter in Django's cache."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key), window
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1, window


def window_hit(key: str, window: int) -> tuple[int, int]:
    """Count one request in ``key``'s current window: (requests so far in it, seconds until it ends)."""
    if settings.REDIS_URL:
        return _redis_hit(key, window)
    return _cache_hit(key, window)


class RateThrottle(SimpleRateThrottle):
    """``OPTRADING_API_USER_RATE`` per user, ``OPTRADING_API_ANON_RATE`` per anonymous address."""

    cache_format = "optrading:throttle:%(scope)s:%(ident)s"

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
        count, self.wait_seconds = window_hit(key, self.duration)
        return count <= self.num_requests

    def wait(self) -> float | None:
        return max(self.wait_seconds, 1)
