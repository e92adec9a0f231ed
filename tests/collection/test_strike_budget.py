"""The default strike range, ATM ± 10, fits Kite's quote limits for the five underlyings: measured on the simulated
market's real listing (the same contract counts as NSE's and BSE's), counted the way collection batches its calls
(at most 500 instruments a call) and paced the way the shared rate limiter paces them (quote calls 1.11 s apart)."""

from __future__ import annotations

import math
import os
from typing import Any

import pytest
from django.conf import settings as django_settings

from apps.brokers.base import QUOTE_BATCH_SIZE, get_broker
from apps.brokers.ratelimit import RedisTokenBucket
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.services import underlyings_load
from apps.market.strikes import parse_offsets
from apps.marketdata.models import CollectionStatus, OptionQuote

pytestmark = pytest.mark.django_db
FIVE = ["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "SENSEX"]


def test_the_default_is_atm_plus_minus_ten() -> None:
    """The shipped default (the test settings collect ATM ± 2 to keep the other tests small)."""
    from optrading.settings import base

    assert "OPTRADING_STRIKE_OFFSETS" not in os.environ
    assert parse_offsets(base.OPTRADING_STRIKE_OFFSETS) == list(range(-10, 11))


def test_five_underlyings_at_atm_plus_minus_ten_fit_in_a_few_quote_calls_a_minute(settings: Any) -> None:
    settings.OPTRADING_STRIKE_OFFSETS = "-10..10"
    broker = get_broker("simulated")
    underlyings_load()
    instruments_sync(broker=broker)
    run = chain_collect(broker=broker, underlyings=FIVE)
    assert run.status == CollectionStatus.SUCCESS, run.error

    stored = OptionQuote.objects.filter(minute=run.minute)
    per_expiry = {
        (symbol, expiry): stored.filter(underlying__symbol=symbol, expiry=expiry).count()
        for symbol, expiry in stored.values_list("underlying__symbol", "expiry").distinct()
    }
    assert set(per_expiry.values()) == {42}  # 21 strikes x CE and PE in every collected expiry
    planned = sum(detail["planned"] for detail in run.details.values())
    head = run.instruments_requested - planned  # spots, India VIX and the futures of the forward estimates
    calls = math.ceil(head / QUOTE_BATCH_SIZE) + math.ceil(planned / QUOTE_BATCH_SIZE)
    rate = RedisTokenBucket.from_url(django_settings.REDIS_URL, namespace="budget").rate("quote")
    seconds = (calls - 1) / rate  # the first call goes at once, each next one waits for its slot
    # NIFTY and SENSEX: 4 bucket expiries each; BANKNIFTY, FINNIFTY, MIDCPNIFTY: 2 monthlies each (docs/pages.md).
    assert len(per_expiry) == 14
    assert (planned, head, calls) == (588, 21, 3)
    assert seconds == pytest.approx(2 / 0.9)  # 2.2 s of a minute
