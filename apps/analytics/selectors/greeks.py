"""Second-order greeks of archived quotes, computed on request from their stored IV and the analysed forward."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import TypedDict

import numpy as np
from django.conf import settings

import pricing
from apps.market.calendar import years_to_expiry
from apps.market.choices import OptionType
from apps.marketdata.models import OptionQuote


class SecondOrder(TypedDict):
    """Black-76 second-order greeks of one leg (units: docs/pricing.md); None where the leg has no IV."""

    vanna: float | None
    charm: float | None
    vomma: float | None
    speed: float | None
    zomma: float | None
    color: float | None


def second_order_greeks(
    *, quotes: Sequence[OptionQuote], expiry: date, minute: datetime, forward: float | None, exchange: str
) -> dict[int, SecondOrder]:
    """Per quote id: vanna, charm, vomma, speed, zomma, color on ``forward`` (the one the IVs were solved on)
    at the project's risk-free rate. A quote without an IV, or a chain without a forward, gets None values."""
    if not quotes:
        return {}
    t = years_to_expiry(minute, expiry, exchange)
    iv = np.array([math.nan if q.iv is None else q.iv for q in quotes], dtype=float)
    strikes = np.array([q.strike for q in quotes], dtype=float)
    is_call = np.array([q.option_type == OptionType.CE for q in quotes], dtype=bool)
    values = pricing.black76_second_order(
        math.nan if forward is None else forward,
        strikes,
        t,
        float(settings.OPTRADING_RISK_FREE_RATE),
        np.where(np.isfinite(iv), iv, 0.0),
        is_call,
    )
    clean = {name: [v if math.isfinite(v) else None for v in values[name].tolist()] for name in pricing.SECOND_ORDER}
    return {
        quote.pk: SecondOrder(
            vanna=clean["vanna"][i],
            charm=clean["charm"][i],
            vomma=clean["vomma"][i],
            speed=clean["speed"][i],
            zomma=clean["zomma"][i],
            color=clean["color"][i],
        )
        for i, quote in enumerate(quotes)
    }
