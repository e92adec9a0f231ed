"""Builders for crafted option chains: prices from Black-76 at a known forward and volatility."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pytest

import pricing
from apps.market.calendar import expiry_close
from apps.market.choices import ExpiryBucket
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote, UnderlyingQuote
from tests.factories.market import UnderlyingFactory, option_instruments

RATE = 0.055
# 09:30 IST on Monday 19 January 2026; the Jan-2026 monthly expires Tuesday 27 January 2026.
MINUTE = datetime(2026, 1, 19, 4, 0, tzinfo=UTC)
EXPIRY = date(2026, 1, 27)


@dataclass
class Leg:
    strike: float
    is_call: bool
    price: float


def model_price(forward: float, strike: float, t: float, sigma: float, is_call: bool) -> float:
    return float(pricing.black76_price(forward, strike, t, RATE, sigma, is_call))


def build_chain(
    underlying: Underlying,
    *,
    minute: datetime = MINUTE,
    expiry: date = EXPIRY,
    forward: float = 23000.0,
    sigma: float = 0.18,
    strikes: Sequence[float] = tuple(range(22500, 23550, 50)),
    call_oi: Sequence[int] | None = None,
    put_oi: Sequence[int] | None = None,
    spread: float = 0.01,
    bucket: str = ExpiryBucket.THIS_WEEK,
    spot: float | None = None,
) -> list[OptionQuote]:
    """Both legs at every strike, quoted two-sided around the Black-76 price (tick 0.05), with the given OI."""
    t = float(pricing.year_fraction_minutes(minute, expiry_close(expiry)))
    spot_value = spot if spot is not None else forward * float(np.exp(-RATE * t))
    instruments = option_instruments(underlying, expiry, strikes)
    rows = []
    for i, strike in enumerate(strikes):
        for is_call in (True, False):
            price = model_price(forward, strike, t, sigma, is_call)
            half = max(0.05, round(price * spread / 2 / 0.05) * 0.05)
            oi_list = call_oi if is_call else put_oi
            oi = oi_list[i] if oi_list is not None else 65 * 1000
            rows.append(
                OptionQuote(
                    minute=minute,
                    underlying=underlying,
                    instrument=instruments[(float(strike), "CE" if is_call else "PE")],
                    expiry=expiry,
                    strike=strike,
                    option_type="CE" if is_call else "PE",
                    expiry_bucket=bucket,
                    strike_offset=i - len(strikes) // 2,
                    last_price=round(price, 2),
                    average_price=round(price, 2),
                    close_price=round(price, 2),
                    volume=65 * 100,
                    oi=oi,
                    bid=round(price - half, 2),
                    ask=round(price + half, 2),
                    last_trade_time=minute,
                    spot=spot_value,
                    forward=forward,
                )
            )
    OptionQuote.objects.bulk_create(rows)
    UnderlyingQuote.objects.get_or_create(underlying=underlying, minute=minute, defaults={"spot": spot_value})
    return rows


@pytest.fixture
def nifty() -> Underlying:
    return UnderlyingFactory()
