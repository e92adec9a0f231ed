"""Fixtures: a running Kite double and settings that point the real pykiteconnect client at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.models import BrokerSession
from apps.brokers.ratelimit import RedisTokenBucket
from apps.brokers.services import kite_session_create
from tests.kite_double import KiteDouble, KiteTickerDouble


@pytest.fixture
def kite_double() -> Iterator[KiteDouble]:
    double = KiteDouble().start()
    yield double
    double.stop()


@pytest.fixture
def kite_ticker_double(kite_double: KiteDouble) -> Iterator[KiteTickerDouble]:
    """The double's WebSocket ticker, sharing its api_key, access tokens, book and clock."""
    ticker = KiteTickerDouble(kite=kite_double).start()
    yield ticker
    ticker.stop()


@pytest.fixture
def kite_settings(settings, kite_double: KiteDouble):  # type: ignore[no-untyped-def]
    settings.OPTRADING_BROKER = "kite"
    settings.KITE_API_KEY = kite_double.api_key
    settings.KITE_API_SECRET = kite_double.api_secret
    settings.KITE_API_ROOT = kite_double.root
    settings.KITE_TIMEOUT = 1.5
    settings.KITE_MAX_TRIES = 4
    settings.KITE_RETRY_BASE_DELAY = 0.1
    return settings


@pytest.fixture
def kite_broker(kite_settings) -> KiteBroker:  # type: ignore[no-untyped-def]
    return KiteBroker.from_settings()


@pytest.fixture
def kite_session(kite_settings, kite_double: KiteDouble, db) -> BrokerSession:  # type: ignore[no-untyped-def]
    """A logged-in session, as after a successful login through Kite's page."""
    return kite_session_create(request_token=kite_double.issue_request_token(), request_id="fixture")


@pytest.fixture
def unpaced_kite_broker(kite_broker: KiteBroker, kite_double: KiteDouble, settings) -> KiteBroker:  # type: ignore[no-untyped-def]
    """The adapter with Kite's pacing off on both sides (the double's 1 call/s and our shared bucket's), for the
    tests of what a retry answers, not of how retries are spaced: pacing has tests of its own (the batching test
    of test_adapter.py, test_ratelimit.py, test_minute_pacing.py, the full-chain test of test_end_to_end.py).
    Each paced retry cost a second."""
    kite_double.rate_limit = False
    kite_broker.rate_limiter = RedisTokenBucket.from_url(
        settings.REDIS_URL, namespace="unpaced", rates={"quote": 1000.0, "historical": 1000.0, "other": 1000.0}
    )
    return kite_broker
