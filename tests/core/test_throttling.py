from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.core.throttling import RateThrottle, window_hit

pytestmark = pytest.mark.django_db


def test_it_counts_requests_in_one_window_per_key() -> None:
    assert [window_hit("optrading:throttle:test:a", 60)[0] for _ in range(3)] == [1, 2, 3]
    count, seconds_left = window_hit("optrading:throttle:test:b", 60)
    assert count == 1 and 0 < seconds_left <= 60


def test_it_counts_in_the_cache_without_redis(settings) -> None:
    settings.REDIS_URL = ""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    assert [window_hit("optrading:throttle:test:local", 60)[0] for _ in range(2)] == [1, 2]


def test_it_holds_anonymous_clients_to_the_anon_rate_and_users_to_theirs(monkeypatch) -> None:
    monkeypatch.setattr(RateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "1/min"})
    anonymous, trader = APIClient(), APIClient()
    trader.force_authenticate(get_user_model().objects.create_user("trader"))

    assert [anonymous.get("/api/v1/market-status").status_code for _ in range(2)] == [200, 429]
    assert [trader.get("/api/v1/market-status").status_code for _ in range(4)] == [200, 200, 200, 429]
