"""A rate limiter shared by every process that talks to the broker: a token bucket kept in Redis.

Kite limits each API key (quotes 1 call/s, historical 3/s, everything else 10/s) and answers 429
beyond that, whichever process made the call. The bucket's state lives in one Redis hash per
(api key, class) and is updated by a Lua script, so the check-and-take is atomic across processes.
The script reads Redis's own clock, so the hosts' clocks need not agree.

``acquire`` reserves the next slot and sleeps until it: callers queue fairly instead of polling.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

import redis

from apps.brokers.base import RateLimiter

# KEYS[1] bucket; ARGV[1] rate (tokens/s), ARGV[2] capacity. Returns microseconds to wait (0: go now).
_RESERVE = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate / 1000000)
end
tokens = tokens - 1
local wait = 0
if tokens < 0 then
  wait = math.ceil(-tokens * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return wait
"""


class RedisTokenBucket(RateLimiter):
    """Token bucket per (api key, endpoint class) in Redis.

    ``safety`` slows every class slightly below Kite's published rate, so calls spaced by exactly
    1/rate here never arrive closer than that at Kite after network jitter.
    """

    RATES: ClassVar[dict[str, float]] = {"quote": 1.0, "historical": 3.0, "other": 10.0}

    def __init__(
        self,
        *,
        client: redis.Redis,
        namespace: str,
        rates: dict[str, float] | None = None,
        capacity: float = 1.0,
        safety: float = 0.9,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client
        self.namespace = namespace
        self.rates = dict(rates or self.RATES)
        self.capacity = capacity
        self.safety = safety
        self._sleep = sleep
        self._script = client.register_script(_RESERVE)

    @classmethod
    def from_url(cls, url: str, *, namespace: str, **kwargs: object) -> RedisTokenBucket:
        return cls(client=redis.Redis.from_url(url), namespace=namespace, **kwargs)  # type: ignore[arg-type]

    def key(self, kind: str) -> str:
        return f"optrading:ratelimit:{self.namespace}:{kind}"

    def rate(self, kind: str) -> float:
        return self.rates.get(kind, self.rates["other"]) * self.safety

    def reserve(self, kind: str) -> float:
        """Take the next slot of ``kind``; the seconds until it may be used."""
        wait_us = self._script(keys=[self.key(kind)], args=[repr(self.rate(kind)), repr(self.capacity)])
        return int(wait_us) / 1_000_000

    def acquire(self, kind: str) -> None:
        wait = self.reserve(kind)
        if wait > 0:
            self._sleep(wait)
