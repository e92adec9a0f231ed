"""Throttling survives its cache going away: with Redis unreachable the API still answers (and still throttles,
per process), instead of turning every endpoint into a 500."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from tests.chaos.services import free_port

pytestmark = pytest.mark.django_db

DEAD_REDIS = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@pytest.fixture
def redis_down(settings):  # type: ignore[no-untyped-def]
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS},
    }
    caches["local"].clear()
    yield
    caches["local"].clear()


def test_the_api_answers_while_the_throttle_cache_is_down(redis_down: None) -> None:
    response = APIClient().get("/api/v1/market-status")
    assert response.status_code == 200, response.content
    assert response.json()["exchange"] == "NSE"


def test_it_still_throttles_per_process_while_the_cache_is_down(redis_down: None, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})
    client = APIClient()
    statuses = [client.get("/api/v1/market-status").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
