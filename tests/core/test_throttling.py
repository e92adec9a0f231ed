from __future__ import annotations

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.core.throttling import RateThrottle, WindowCounter
from tests.chaos.services import free_port

pytestmark = pytest.mark.django_db


def _admitted(counter: WindowCounter, key: str, *, hits: int, limit: int) -> int:
    return sum(counter.hit(key, window=60, limit=limit)[0] for _ in range(hits))


def test_it_admits_exactly_the_limit_across_processes_for_small_limits() -> None:
    one, other = WindowCounter(), WindowCounter()  # two processes sharing Redis

    admitted = _admitted(one, "t:small", hits=6, limit=10) + _admitted(other, "t:small", hits=6, limit=10)

    assert admitted == 10
    assert not one.hit("t:small", window=60, limit=10)[0]


def test_it_adds_to_the_shared_count_in_batches_far_from_the_limit() -> None:
    counter = WindowCounter(flush_seconds=3600)  # only batches flush here
    shared = redis.Redis.from_url(django_settings.REDIS_URL)

    assert _admitted(counter, "t:big", hits=49, limit=1000) == 49
    assert not any(shared.scan_iter("t:big:*"))  # 49 < a batch of 50: no round trip yet
    counter.hit("t:big", window=60, limit=1000)
    assert [int(shared.get(key)) for key in shared.scan_iter("t:big:*")] == [50]


def test_it_counts_alone_without_redis(settings) -> None:
    settings.REDIS_URL = ""
    counter = WindowCounter()

    assert _admitted(counter, "t:embedded", hits=5, limit=3) == 3


def test_it_says_how_long_until_the_window_ends() -> None:
    allowed, seconds = WindowCounter().hit("t:wait", window=60, limit=5)
    assert allowed and 1 <= seconds <= 60


def test_it_holds_anonymous_clients_to_the_anon_rate_and_users_to_theirs(monkeypatch) -> None:
    monkeypatch.setattr(RateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "1/min"})
    monkeypatch.setattr(RateThrottle, "counter", WindowCounter())
    anonymous, trader = APIClient(), APIClient()
    trader.force_authenticate(get_user_model().objects.create_user("trader"))

    assert [anonymous.get("/api/v1/market-status").status_code for _ in range(2)] == [200, 429]
    assert [trader.get("/api/v1/market-status").status_code for _ in range(4)] == [200, 200, 200, 429]


DEAD_REDIS = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@pytest.fixture
def redis_down(settings):  # type: ignore[no-untyped-def]
    """The throttle's Redis gone (health, which would say so, is another test's business)."""
    settings.REDIS_URL = DEAD_REDIS
    RateThrottle.counter = WindowCounter()
    yield
    RateThrottle.counter = WindowCounter()


def test_the_api_answers_while_redis_is_down(redis_down: None) -> None:
    response = APIClient().get("/api/v1/market-status")
    assert response.status_code == 200, response.content
    assert response.json()["exchange"] == "NSE"


def test_it_still_throttles_in_process_while_redis_is_down(redis_down: None, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(RateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})
    client = APIClient()
    statuses = [client.get("/api/v1/market-status").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
