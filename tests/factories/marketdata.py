"""Archive rows: option legs, spot quotes and collection runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import factory

from apps.market.choices import ExpiryBucket
from apps.market.models import InstrumentType
from apps.marketdata.models import CollectionRun, CollectionStatus, OptionQuote, UnderlyingQuote
from tests.factories.market import OptionInstrumentFactory, UnderlyingFactory

# 09:30 IST on Monday 19 January 2026.
MINUTE = datetime(2026, 1, 19, 4, 0, tzinfo=UTC)


class OptionQuoteFactory(factory.django.DjangoModelFactory):
    """One leg at one minute; its instrument is found or created from (underlying, expiry, strike, type)."""

    class Meta:
        model = OptionQuote

    underlying = factory.SubFactory(UnderlyingFactory)
    minute = MINUTE
    expiry = date(2026, 1, 20)
    strike = 23000.0
    option_type = InstrumentType.CE
    instrument = factory.LazyAttribute(
        lambda o: OptionInstrumentFactory(
            underlying=o.underlying, strike=o.strike, instrument_type=o.option_type, expiry=o.expiry
        )
    )
    expiry_bucket = ExpiryBucket.THIS_WEEK
    strike_offset = 0
    last_price = 120.5
    average_price = 118.25
    close_price = 110.0
    volume = 650_000
    oi = 1_300_000
    bid = 120.45
    bid_qty = 975
    ask = 120.6
    ask_qty = 650
    spot = 23010.0
    forward = 23030.0


class UnderlyingQuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnderlyingQuote

    underlying = factory.SubFactory(UnderlyingFactory)
    minute = MINUTE
    spot = 23010.0
    spot_close = 22900.0


class CollectionRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionRun

    started_at = factory.Sequence(lambda n: MINUTE + timedelta(minutes=n))
    finished_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(seconds=2))
    minute = factory.LazyAttribute(lambda o: o.started_at.replace(second=0, microsecond=0))
    broker = "simulated"
    underlyings = factory.LazyFunction(lambda: ["NIFTY"])
    instruments_requested = 20
    instruments_received = 20
    quotes_stored = 20
    quote_calls = 1
    duration_ms = 850
    status = CollectionStatus.SUCCESS
