"""Clients and a small archived NIFTY chain: two minutes, two expiries, strikes 22900-23100."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.market.choices import ExpiryBucket
from tests.factories.market import UnderlyingFactory
from tests.factories.marketdata import MINUTE, OptionQuoteFactory, UnderlyingQuoteFactory

WEEKLY = date(2026, 1, 20)
NEXT_WEEKLY = date(2026, 1, 27)
STRIKES = [22900.0, 22950.0, 23000.0, 23050.0, 23100.0]


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user("trader", password="not-used-123")


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_user("ops", password="not-used-123", is_staff=True)


@pytest.fixture
def client_for():
    def build(account: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=account).key}")
        return client

    return build


@pytest.fixture
def api(user: User, client_for) -> APIClient:
    """A client authenticated with a DRF token, as programs call the API."""
    return client_for(user)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


def leg_price(strike: float, option_type: str, minute_index: int) -> float:
    """A deterministic price: intrinsic value against 23010 plus time value, moving 1.5 per minute."""
    intrinsic = max(23010 - strike, 0) if option_type == "CE" else max(strike - 23010, 0)
    return round(intrinsic + 80 + 1.5 * minute_index, 2)


@pytest.fixture
def archived_chain(db: None) -> dict:
    """NIFTY at 09:30 and 09:31 IST on 19 Jan 2026; the 27 Jan expiry only at 09:30."""
    nifty = UnderlyingFactory()
    for minute_index in (0, 1):
        minute = MINUTE + timedelta(minutes=minute_index)
        UnderlyingQuoteFactory(underlying=nifty, minute=minute, spot=23010 + minute_index, spot_close=22900)
        expiries = [(WEEKLY, ExpiryBucket.THIS_WEEK)]
        if minute_index == 0:
            expiries.append((NEXT_WEEKLY, ExpiryBucket.NEXT_WEEK))
        for expiry, bucket in expiries:
            for offset, strike in enumerate(STRIKES, start=-2):
                for option_type in ("CE", "PE"):
                    OptionQuoteFactory(
                        underlying=nifty,
                        minute=minute,
                        expiry=expiry,
                        expiry_bucket=bucket,
                        strike=strike,
                        strike_offset=offset,
                        option_type=option_type,
                        last_price=leg_price(strike, option_type, minute_index),
                        average_price=leg_price(strike, option_type, minute_index) - 2,
                        oi=1_000_000 + int(strike - 22900) * 100 + (0 if option_type == "CE" else 7),
                        oi_change=12_000 if option_type == "CE" else -6_500,
                        iv=0.12 + (strike - 23000) / 100_000,
                        delta=0.55 if option_type == "CE" else -0.45,
                        buildup="long_buildup" if option_type == "CE" else "short_covering",
                        quality_flags=["stale_bid_ask"] if strike == 23100.0 else [],
                        spot=23010 + minute_index,
                        forward=23030 + minute_index,
                    )
    return {"underlying": nifty}
