from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, transaction

from apps.market.choices import ExpiryBucket
from apps.market.models import Instrument, InstrumentType, Underlying
from apps.marketdata.models import OptionQuote

pytestmark = pytest.mark.django_db


def _nifty() -> Underlying:
    return Underlying.objects.create(
        symbol="NIFTY",
        exchange="NSE",
        spot_tradingsymbol="NIFTY 50",
        spot_token=256265,
        options_exchange="NFO",
        options_segment="NFO-OPT",
        has_weeklies=True,
    )


def _option(underlying: Underlying, symbol: str = "NIFTY2612023000CE", token: int = 10967554) -> Instrument:
    return Instrument.objects.create(
        instrument_token=token,
        exchange_token=str(token >> 8),
        tradingsymbol=symbol,
        name="NIFTY",
        exchange="NFO",
        segment="NFO-OPT",
        underlying=underlying,
        expiry=date(2026, 1, 20),
        strike=23000,
        instrument_type=InstrumentType.CE,
        lot_size=65,
        tick_size=0.05,
    )


def test_it_rejects_a_second_instrument_with_the_same_exchange_and_symbol() -> None:
    nifty = _nifty()
    _option(nifty)
    with pytest.raises(IntegrityError), transaction.atomic():
        _option(nifty, token=999)


def test_it_allows_a_reused_token_under_another_symbol() -> None:
    nifty = _nifty()
    _option(nifty)
    _option(nifty, symbol="NIFTY26JAN23000CE")
    assert Instrument.objects.filter(instrument_token=10967554).count() == 2


def test_it_rejects_two_quotes_for_one_instrument_in_one_minute() -> None:
    nifty = _nifty()
    inst = _option(nifty)
    minute = datetime(2026, 1, 19, 4, 0, tzinfo=UTC)
    fields = dict(
        minute=minute,
        instrument=inst,
        underlying=nifty,
        expiry=inst.expiry,
        strike=23000,
        option_type="CE",
        expiry_bucket=ExpiryBucket.THIS_WEEK,
        strike_offset=0,
        last_price=101.5,
        spot=23010,
        forward=23030,
    )
    OptionQuote.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        OptionQuote.objects.create(**fields)


def test_it_rejects_a_negative_price() -> None:
    nifty = _nifty()
    inst = _option(nifty)
    with pytest.raises(IntegrityError), transaction.atomic():
        OptionQuote.objects.create(
            minute=datetime(2026, 1, 19, 4, 0, tzinfo=UTC),
            instrument=inst,
            underlying=nifty,
            expiry=inst.expiry,
            strike=23000,
            option_type="CE",
            expiry_bucket=ExpiryBucket.THIS_WEEK,
            strike_offset=0,
            last_price=-1,
            spot=23010,
            forward=23030,
        )
