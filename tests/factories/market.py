"""Underlyings and option instruments with real Kite identifiers (NIFTY 50 = 256265, NFO options)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import factory

from apps.market.models import Exchange, Instrument, InstrumentType, Underlying


class UnderlyingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Underlying
        django_get_or_create = ("symbol",)

    symbol = "NIFTY"
    display_name = "Nifty 50"
    exchange = Exchange.NSE
    spot_tradingsymbol = "NIFTY 50"
    spot_token = 256265
    options_exchange = Exchange.NFO
    options_segment = "NFO-OPT"
    has_weeklies = True


class BankNiftyFactory(UnderlyingFactory):
    symbol = "BANKNIFTY"
    display_name = "Nifty Bank"
    spot_tradingsymbol = "NIFTY BANK"
    spot_token = 260105
    has_weeklies = False
    display_order = 1


class OptionInstrumentFactory(factory.django.DjangoModelFactory):
    """An NFO option named in Kite's weekly form (YY, month code 1-9/O/N/D, DD), e.g. NIFTY2612023000CE."""

    class Meta:
        model = Instrument
        django_get_or_create = ("exchange", "tradingsymbol")

    underlying = factory.SubFactory(UnderlyingFactory)
    expiry = date(2026, 1, 27)
    strike = 23000.0
    instrument_type = InstrumentType.CE
    instrument_token = factory.Sequence(lambda n: 10_000_000 + n)
    exchange_token = factory.LazyAttribute(lambda o: str(o.instrument_token >> 8))
    name = factory.LazyAttribute(lambda o: o.underlying.symbol)
    tradingsymbol = factory.LazyAttribute(
        lambda o: (
            f"{o.underlying.symbol}{o.expiry:%y}{'123456789OND'[o.expiry.month - 1]}{o.expiry:%d}"
            f"{int(o.strike)}{o.instrument_type}"
        )
    )
    exchange = Exchange.NFO
    segment = "NFO-OPT"
    lot_size = 65
    tick_size = 0.05


def option_instruments(
    underlying: Underlying, expiry: date, strikes: Sequence[float]
) -> dict[tuple[float, str], Instrument]:
    """The CE and PE instruments of ``strikes`` at ``expiry``, by (strike, type), found or created in two queries
    (the factory's get-or-create costs a query pair and a savepoint per leg)."""
    wanted = {(float(strike), kind) for strike in strikes for kind in ("CE", "PE")}
    found = {
        (i.strike, i.instrument_type): i
        for i in Instrument.objects.filter(underlying=underlying, expiry=expiry, instrument_type__in=("CE", "PE"))
    }
    missing = [
        OptionInstrumentFactory.build(underlying=underlying, expiry=expiry, strike=strike, instrument_type=kind)
        for strike, kind in sorted(wanted - found.keys())
    ]
    for instrument in Instrument.objects.bulk_create(missing):
        found[(instrument.strike, instrument.instrument_type)] = instrument
    return found
