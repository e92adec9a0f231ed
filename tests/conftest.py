"""Shared fixtures. The suite needs real PostgreSQL and Redis; it stops at once when either is down."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

POSTGRES_HINT = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
REDIS_HINT = 'start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'


def _reachable(url: str, default_port: int) -> tuple[bool, str]:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=2):
            return True, f"{host}:{port}"
    except OSError:
        return False, f"{host}:{port}"


def pytest_configure(config: pytest.Config) -> None:
    db_url = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/optrading_test")
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    ok, where = _reachable(db_url, 5432)
    if not ok:
        pytest.exit(f"PostgreSQL is not reachable at {where} (TEST_DATABASE_URL); {POSTGRES_HINT}", returncode=3)
    ok, where = _reachable(redis_url, 6379)
    if not ok:
        pytest.exit(f"Redis is not reachable at {where} (TEST_REDIS_URL); {REDIS_HINT}", returncode=3)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first, then the browser tests, each group in its usual order: under xdist a 27 s test that
    starts last leaves the other worker idle until it ends (the suite's tail was the runplatform smoke test)."""
    items.sort(key=lambda item: (item.get_closest_marker("slow") is None, item.get_closest_marker("browser") is None))


@pytest.fixture(scope="session")
def _test_redis() -> Iterator[Any]:
    """One client of the test Redis database for the session's flushes (a client a test cost a connection)."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _clean_redis(_test_redis: Any) -> None:
    """Each test starts with the test Redis database empty (rate-limit buckets, channel layer, cached API replies)
    and with none of the short-lived answers and trusted tokens a web process keeps in its own memory."""
    from apps.core.fast_api import process_caches_clear

    _test_redis.flushdb()
    process_caches_clear()


@pytest.fixture
async def communicators_disconnected() -> AsyncIterator[None]:
    """Every websocket communicator the test made is disconnected before its event loop closes (see
    ``tests/live/communicator.py``: a consumer left running could hang the loop's closing cancellation)."""
    from tests.live.communicator import communicators_disconnect

    yield
    await communicators_disconnect()
