"""Bounded retries with exponential backoff and jitter, for transient Kite failures only."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from kiteconnect.exceptions import KiteException

from apps.brokers.kite.errors import kite_error_translate

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """``max_tries`` counts the first call. Delay before retry n: base·2^(n-1), capped, times a jitter in [0.5, 1]."""

    max_tries: int = 4
    base_delay: float = 1.0
    max_delay: float = 16.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def call_with_retries(
    call: Callable[[], T],
    *,
    policy: RetryPolicy,
    before_retry: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``; retry transient failures, raise permanent ones (and the last transient one) as
    :class:`~apps.brokers.base.BrokerError` subclasses. ``before_retry`` runs before every retry
    (the adapter uses it to take a rate-limit token, so retries are paced like first calls)."""
    attempt = 1
    while True:
        try:
            return call()
        except (KiteException, requests.RequestException) as exc:
            error = kite_error_translate(exc)
            if not error.transient or attempt >= policy.max_tries:
                if attempt > 1:
                    error.args = (f"{error} (gave up after {attempt} tries)",)
                raise error from exc
        sleep(policy.delay(attempt))
        attempt += 1
        if before_retry is not None:
            before_retry()
