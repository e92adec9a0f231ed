"""A small NIFTY chain written straight into the archive, the way the collection service stores it.

Synthetic values for one weekly expiry (five strikes around the ATM, both legs); the numbers are chosen so
each test can say exactly which rows changed.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime

from django.contrib.auth.models import User
from django.test import Client

from apps.market.choices import ExpiryBucket
from apps.market.models import Instrument, InstrumentType, Underlying
from apps.marketdata.models import OptionQuote, UnderlyingQuote

MINUTE_1 = datetime(2026, 3, 27, 4, 0, tzinfo=UTC)  # 09:30 IST
MINUTE_2 = datetime(2026, 3, 27, 4, 1, tzinfo=UTC)  # 09:31 IST
WEEKLY = date(2026, 3, 30)
MONTHLY = date(2026, 4, 28)
STRIKES = (22700.0, 22750.0, 22800.0, 22850.0, 22900.0)


def underlying_create(symbol: str = "NIFTY", *, token: int = 256265, order: int = 0) -> Underlying:
    return Underlying.objects.create(
        symbol=symbol,
        display_name=symbol.title(),
        exchange="NSE",
        spot_tradingsymbol=f"{symbol} INDEX",
        spot_token=token,
        options_exchange="NFO",
        options_segment="NFO-OPT",
        has_weeklies=symbol == "NIFTY",
        display_order=order,
    )


def _instrument(underlying: Underlying, expiry: date, strike: float, option_type: str) -> Instrument:
    symbol = f"{underlying.symbol}{expiry:%y%m%d}{strike:.0f}{option_type}"
    instrument, _ = Instrument.objects.get_or_create(
        exchange="NFO",
        tradingsymbol=symbol,
        defaults={
            "instrument_token": zlib.crc32(symbol.encode()) % 10_000_000,
            "exchange_token": "1",
            "name": underlying.symbol,
            "segment": "NFO-OPT",
            "underlying": underlying,
            "expiry": expiry,
            "strike": strike,
            "instrument_type": InstrumentType(option_type),
            "lot_size": 65,
            "tick_size": 0.05,
        },
    )
    return instrument


def chain_write(
    underlying: Underlying,
    *,
    minute: datetime,
    spot: float = 22819.6,
    bump: dict[tuple[float, str], float] | None = None,
    strikes: tuple[float, ...] = STRIKES,
    expiry: date = WEEKLY,
    bucket: str = ExpiryBucket.THIS_WEEK,
) -> list[OptionQuote]:
    """One chain at ``minute``; prices depend only on strike and type, plus ``bump`` per (strike, type)."""
    bump = bump or {}
    atm = min(strikes, key=lambda k: abs(k - spot))
    step = strikes[1] - strikes[0]
    UnderlyingQuote.objects.get_or_create(
        underlying=underlying, minute=minute, defaults={"spot": spot, "spot_close": 22700.0}
    )
    quotes = []
    for strike in strikes:
        for option_type in ("CE", "PE"):
            intrinsic = max(spot - strike, 0) if option_type == "CE" else max(strike - spot, 0)
            price = round(intrinsic + 150.0 + bump.get((strike, option_type), 0.0), 2)
            quotes.append(
                OptionQuote(
                    minute=minute,
                    instrument=_instrument(underlying, expiry, strike, option_type),
                    underlying=underlying,
                    expiry=expiry,
                    strike=strike,
                    option_type=option_type,
                    expiry_bucket=bucket,
                    strike_offset=round((strike - atm) / step),
                    last_price=price,
                    average_price=price - 1,
                    close_price=140.0,
                    volume=1000 * int(strike % 1000),
                    oi=65 * 100,
                    oi_change=650,
                    spot=spot,
                    forward=spot + 20,
                )
            )
    return OptionQuote.objects.bulk_create(quotes)


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()
