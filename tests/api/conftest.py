"""Clients, a small archived NIFTY chain (two minutes, two expiries, strikes 22900-23100) and a realistic market day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from apps.analytics.services import analytics_compute, analytics_compute_minute
from apps.brokers.simulated import SimulatedBroker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.core.api_tokens import api_token_create
from apps.core.models import ApiToken
from apps.market.calendar import session_close, session_open
from apps.market.choices import ExpiryBucket
from apps.market.models import Underlying
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus
from apps.marketdata.services.bhavcopy import bhavcopy_import
from apps.monitoring.services import error_record
from apps.overview.services import overview_collect
from apps.participants.services import participants_import_file
from tests.exchange_files import FO_BHAVCOPY, PARTICIPANTS
from tests.factories.market import UnderlyingFactory, option_instruments
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
        issued = api_token_create(user=account)
        # Used a moment ago: the steady state, where a request does not also record the token's use (that write
        # happens at most once a minute per token), so query counts measure the endpoint alone.
        ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=timezone.now())
        client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
        return client

    return build


@pytest.fixture
def api(user: User, client_for) -> APIClient:
    """A client authenticated with an API token, as programs call the API."""
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
            instruments = option_instruments(nifty, expiry, STRIKES)
            for offset, strike in enumerate(STRIKES, start=-2):
                for option_type in ("CE", "PE"):
                    OptionQuoteFactory(
                        underlying=nifty,
                        instrument=instruments[(strike, option_type)],
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


TODAY = date(2026, 4, 29)
"""The market day's session (a Wednesday), after five sessions from the Wednesday before."""
PAST_SESSIONS = [date(2026, 4, 22), date(2026, 4, 23), date(2026, 4, 24), date(2026, 4, 27), date(2026, 4, 28)]


@pytest.fixture(scope="module")
def _market_day_of_the_module(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict]:
    """The market day, built once per test module inside a transaction that is rolled back after the module's
    last test: each test runs in a savepoint of it (pytest-django's ``db``), so what a test changes is undone
    before the next, as with a fixture of its own, without paying 3-8 s per test to build the day again."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _market_day_build()
        transaction.set_rollback(True)


@pytest.fixture
def market_day(_market_day_of_the_module: dict, db: None) -> dict:
    """Realistic data behind every endpoint: NIFTY and BANKNIFTY from the simulated market, analysed (the last
    minute of each of the five sessions before TODAY and TODAY's first three minutes, with TODAY's overview),
    NSE's NIFTY bhavcopy of 27-Mar-2026 imported and analysed, NSE participant files of three sessions, and an
    open error. Redis is empty, as for every test."""
    return _market_day_of_the_module


def _market_day_build() -> dict:
    broker = SimulatedBroker(seed=42, as_of=PAST_SESSIONS[0])
    underlyings_load()
    instruments_sync(broker=broker, today=PAST_SESSIONS[0])
    minutes = [session_close(day) - timedelta(minutes=1) for day in PAST_SESSIONS]
    minutes += [session_open(TODAY) + timedelta(minutes=i) for i in range(3)]
    runs = [chain_collect(broker=broker, underlyings=["NIFTY", "BANKNIFTY"], minute=minute) for minute in minutes]
    assert all(run.status == CollectionStatus.SUCCESS for run in runs), [run.error for run in runs]
    overview_collect(broker=broker, minute=minutes[-1])
    assert analytics_compute() == 2 * len(minutes)
    imported = bhavcopy_import(path=FO_BHAVCOPY / "NIFTY_20260327.csv")
    nifty = Underlying.objects.get(symbol="NIFTY")
    analytics_compute_minute(underlying_id=nifty.pk, minute=imported.minute)
    for name in (
        "fao_participant_oi_13072015.csv",
        "fao_participant_oi_28072026.csv",
        "fao_participant_vol_19082026.csv",
    ):
        participants_import_file(path=PARTICIPANTS / name)
    error = error_record(
        component="collection", code="quote_failed", message="Kite answered 503.", suggestion="It retries by itself."
    )
    return {"minutes": minutes, "bhavcopy_minute": imported.minute, "error": error}
