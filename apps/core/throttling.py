"""API throttles that survive an outage of their cache.

DRF's throttles keep their counters in the default cache, which is Redis when REDIS_URL is set; with Redis
down every request, health included, would fail with a 500. These throttles fall back to a per-process cache
for as long as the shared one fails, so the API keeps answering (throttled per process instead of across
processes) and health can say that Redis is down.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

if TYPE_CHECKING:  # rest_framework.views imports the throttle classes named in the settings
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

FALLBACK_CACHE = "local"
"""A LocMemCache alias defined in settings."""


class _FallbackMixin(SimpleRateThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the shared cache's client raises its own errors (redis.ConnectionError, ...)
            logger.warning("throttle cache unavailable (%s); throttling per process until it is back", exc)
            shared, self.cache = self.cache, caches[FALLBACK_CACHE]
            try:
                return super().allow_request(request, view)
            finally:
                self.cache = shared


class FailSafeUserRateThrottle(_FallbackMixin, UserRateThrottle):
    pass


class FailSafeAnonRateThrottle(_FallbackMixin, AnonRateThrottle):
    pass
