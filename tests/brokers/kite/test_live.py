"""Against the real Kite API: read-only calls with a token you obtained yourself (never run in CI).

KITE_API_KEY=... KITE_API_SECRET=... KITE_ACCESS_TOKEN=... make live

`make test` deselects them (marker ``live``); selected without the three variables they fail, naming them.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.kite.client import KiteConfig
from apps.brokers.kite.tokens import access_token_expires_at
from apps.brokers.models import BrokerSession

NEEDED = ("KITE_API_KEY", "KITE_API_SECRET", "KITE_ACCESS_TOKEN")
pytestmark = [pytest.mark.live, pytest.mark.django_db]


@pytest.fixture
def live_broker(settings) -> KiteBroker:  # type: ignore[no-untyped-def]
    missing = [name for name in NEEDED if not os.environ.get(name)]
    if missing:
        pytest.fail(f"the live Kite tests need {', '.join(missing)} in the environment", pytrace=False)
    settings.KITE_API_KEY = os.environ["KITE_API_KEY"]
    settings.KITE_API_SECRET = os.environ["KITE_API_SECRET"]
    settings.KITE_API_ROOT = "https://api.kite.trade"
    now = datetime.now(UTC)
    session = BrokerSession(
        provider="kite", user_id="live", login_time=now, expires_at=access_token_expires_at(now - timedelta(hours=1))
    )
    session.set_access_token(os.environ["KITE_ACCESS_TOKEN"])
    session.save()
    return KiteBroker(config=KiteConfig.from_settings())


def test_live_profile_and_index_quotes(live_broker: KiteBroker) -> None:
    assert live_broker.ready()[0] is True
    assert live_broker.profile()["user_id"]
    quotes = live_broker.quote(
        ["NSE:NIFTY 50", "NSE:NIFTY BANK", "BSE:SENSEX", "NSE:INDIA VIX"], minute=datetime.now(UTC)
    )
    assert set(quotes) == {"NSE:NIFTY 50", "NSE:NIFTY BANK", "BSE:SENSEX", "NSE:INDIA VIX"}
    assert quotes["NSE:NIFTY 50"]["instrument_token"] == 256265
    assert quotes["NSE:NIFTY 50"]["last_price"] > 1000


def test_live_instruments_dump_has_the_index_rows(live_broker: KiteBroker) -> None:
    rows = live_broker.instruments("NSE")
    tokens = {r["tradingsymbol"]: r["instrument_token"] for r in rows if r["segment"] == "INDICES"}
    assert tokens["NIFTY 50"] == 256265
    assert tokens["NIFTY BANK"] == 260105
    assert tokens["INDIA VIX"] == 264969


def test_live_ticker_streams_nifty_in_full_mode(live_broker: KiteBroker) -> None:
    """Kite's real WebSocket: the index ticks within 15 s (outside market hours Kite still sends a snapshot)."""
    import time

    from apps.brokers.kite.stream import TickStream
    from apps.brokers.kite.ticks import TickBook

    token = os.environ["KITE_ACCESS_TOKEN"]
    stream = TickStream(
        api_key=live_broker.config.api_key, access_token=token, root="wss://ws.kite.trade", book=TickBook()
    )
    try:
        stream.subscribe_to([256265])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not stream.book.quotes([256265]):
            time.sleep(0.2)
        quote = stream.book.quotes([256265])[256265]
        assert quote["last_price"] > 1000 and quote["ohlc"]["close"] > 1000
    finally:
        stream.close()
