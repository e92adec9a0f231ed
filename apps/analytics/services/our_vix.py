"""Our India-VIX-style index of one minute: NSE's white-paper method where the snapshot holds what it needs,
else no number and the reason why (docs/analytics.md "Our VIX").

* Expiries: the near and next **monthly** expiries of the trade date by the dated expiry rules; when the near one
  is ``ROLL_DAYS`` calendar days away or less (its expiry day included), the next and far monthlies instead.
* Forward: the future of the same expiry (the white paper's), else the expiry's forward as analytics resolved it.
* End-of-day snapshots (bhavcopy rows): settlement prices of the out-of-the-money options that traded that day;
  untraded strikes are dropped (their settlement price is NSE's theoretical value).
* Live minutes: bids and asks, out-of-the-money strikes until two consecutive zero bids; a wing that runs out of
  collected strikes before that (and before the listed chain ends) means the snapshot cannot support the index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from django.db.models import Max, Min

import pricing
from apps.analytics.models import OurVixReason
from apps.analytics.services.chain import clean
from apps.analytics.services.frame import ChainFrame
from apps.analytics.services.quotes import ExpiryInputs, QuoteResults, StrikeLegs, strike_legs
from apps.market import buckets, expiries
from apps.market.choices import OptionType
from apps.market.clock import to_ist
from apps.market.models import Instrument
from pricing.year_fraction import MINUTES_PER_YEAR

logger = logging.getLogger(__name__)

ROLL_DAYS = 3
"""Within this many calendar days of the near monthly expiry the index uses the next and far monthlies."""
ATM_SCOPE_MAX_STRIKES = 11
"""An expiry with at most this many collected strikes is the ATM-offset scope (widest named range -5..5)."""


@dataclass(frozen=True)
class OurVix:
    """The index, or None with a reason (an ``OurVixReason``) and a note saying exactly what is missing."""

    value: float | None
    reason: str = ""
    note: str = ""
    terms: dict[str, Any] = field(default_factory=dict)


class _Unsupported(Exception):
    """Not a fault: the snapshot cannot support the index (carries the reason and the note)."""

    def __init__(self, reason: str, note: str) -> None:
        super().__init__(note)
        self.reason = reason
        self.note = note


def our_vix_expiries(*, symbol: str, day: date, listed: list[date]) -> tuple[date, date, bool]:
    """(near, next, rolled): the two monthly expiries the index uses on ``day``.

    Monthlies come from the dated expiry rules (holiday shifts included); an underlying the rules do not know
    falls back to the last listed expiry of each month among ``listed``."""
    try:
        monthlies = expiries.monthly_expiries(symbol, day, 3)
    except KeyError:
        monthlies = [e for e in buckets.monthly_expiries(listed) if e >= day][:3]
    if len(monthlies) < 3:
        raise _Unsupported(OurVixReason.MONTHLY_MISSING, f"fewer than three monthly expiries on or after {day}")
    rolled = (monthlies[0] - day).days <= ROLL_DAYS
    first, second = (monthlies[1], monthlies[2]) if rolled else (monthlies[0], monthlies[1])
    return first, second, rolled


def _listed_edge(*, underlying_id: int, expiry: date, option_type: str, lowest: bool) -> float | None:
    edge = Instrument.objects.filter(underlying_id=underlying_id, expiry=expiry, instrument_type=option_type).aggregate(
        edge=Min("strike") if lowest else Max("strike")
    )["edge"]
    return None if edge is None else float(edge)


def _wings_check(*, term: pricing.VixTerm, legs: StrikeLegs, expiry: date, underlying_id: int) -> None:
    """A wing that stopped at the last collected strike (not at two zero bids) must be where the listing ends."""
    for closed, option_type, present, lowest in (
        (term.put_wing_closed, OptionType.PE, legs.put >= 0, True),
        (term.call_wing_closed, OptionType.CE, legs.call >= 0, False),
    ):
        if closed or not present.any():
            continue
        edge = float(legs.strikes[present].min() if lowest else legs.strikes[present].max())
        listed = _listed_edge(underlying_id=underlying_id, expiry=expiry, option_type=option_type, lowest=lowest)
        if listed is not None and listed == edge:
            continue  # the listed chain ends here: nothing further to collect
        side = "put" if lowest else "call"
        raise _Unsupported(
            OurVixReason.WINGS_NOT_COLLECTED,
            f"the {side} wing of {expiry} stops at the last collected strike {edge:g} with bids still on it "
            "(collect further: OPTRADING_FULL_CHAIN_PCT)",
        )


def _term(
    *,
    frame: ChainFrame,
    position: int,
    inputs: ExpiryInputs,
    futures: dict[date, float],
    rate: float,
    underlying_id: int,
    label: str,
) -> tuple[pricing.VixTerm, dict[str, Any]]:
    expiry = inputs.expiry
    legs = strike_legs(frame, position)
    settled = bool(frame.settlement[frame.expiry_index == position].all())
    future = futures.get(expiry)
    forward, forward_source = (future, "future") if future and future > 0 else (inputs.forward, inputs.forward_source)
    minutes = inputs.t * MINUTES_PER_YEAR
    chain: pricing.VixChain | pricing.VixSettled
    if settled:
        traded = {leg: legs.take(frame.volume, leg=leg) > 0 for leg in ("call", "put")}
        chain = pricing.VixSettled(
            strikes=legs.strikes,
            call_price=np.where(traded["call"], legs.take(frame.last, leg="call"), np.nan),
            put_price=np.where(traded["put"], legs.take(frame.last, leg="put"), np.nan),
            forward=forward,
            minutes_to_expiry=minutes,
            rate=rate,
        )
    else:
        if legs.strikes.size <= ATM_SCOPE_MAX_STRIKES:
            raise _Unsupported(
                OurVixReason.ATM_SCOPE,
                f"only {legs.strikes.size} strikes of {expiry} were collected "
                f"({legs.strikes.min():g}-{legs.strikes.max():g}); set OPTRADING_CHAIN_SCOPE=full",
            )
        chain = pricing.VixChain(
            strikes=legs.strikes,
            call_bid=legs.take(frame.bid, leg="call"),
            call_ask=legs.take(frame.ask, leg="call"),
            put_bid=legs.take(frame.bid, leg="put"),
            put_ask=legs.take(frame.ask, leg="put"),
            forward=forward,
            minutes_to_expiry=minutes,
            rate=rate,
        )
    try:
        term = pricing.vix_term(chain, label=f"{label} {expiry}")
    except ValueError as exc:
        raise _Unsupported(OurVixReason.NO_QUOTES, str(exc)) from exc
    if not settled:
        _wings_check(term=term, legs=legs, expiry=expiry, underlying_id=underlying_id)
    info = {
        "expiry": expiry.isoformat(),
        "prices": "settlement" if settled else "quotes",
        "minutes": round(minutes, 1),
        "forward": round(forward, 2),
        "forward_source": forward_source,
        "k0": term.k0,
        "variance": round(term.variance, 6),
        "strikes_used": int(term.strikes.size),
        "lowest_strike": float(term.strikes.min()),
        "highest_strike": float(term.strikes.max()),
        "filled": int(term.filled.sum()),
    }
    return term, info


def our_vix(
    *,
    frame: ChainFrame,
    results: QuoteResults,
    futures: dict[date, float],
    rate: float,
    symbol: str,
    underlying_id: int,
) -> OurVix:
    """Our India-VIX-style index of the minute, or None with the reason the snapshot cannot support it."""
    day = to_ist(frame.minute).date()
    positions = {inputs.expiry: (position, inputs) for position, inputs in enumerate(results.expiries)}
    terms: dict[str, Any] = {}
    try:
        near, following, rolled = our_vix_expiries(symbol=symbol, day=day, listed=frame.expiries)
        terms["rolled"] = rolled
        roll_note = f" (rolled: the near monthly is {ROLL_DAYS} days away or less)" if rolled else ""
        computed = []
        for label, expiry in (("near", near), ("next", following)):
            if expiry not in positions:
                raise _Unsupported(
                    OurVixReason.MONTHLY_MISSING, f"the {label} monthly {expiry} is not in this snapshot{roll_note}"
                )
            position, inputs = positions[expiry]
            term, info = _term(
                frame=frame,
                position=position,
                inputs=inputs,
                futures=futures,
                rate=rate,
                underlying_id=underlying_id,
                label=label,
            )
            terms[label] = info
            computed.append(term)
        value = clean(pricing.vix_from_terms(computed[0], computed[1]))
        if value is None:
            raise _Unsupported(OurVixReason.NOT_COMPUTABLE, "the interpolated 30-day variance is negative")
    except _Unsupported as absent:
        logger.info("our VIX of %s at %s not computed (%s): %s", symbol, frame.minute, absent.reason, absent.note)
        return OurVix(value=None, reason=str(absent.reason), note=absent.note[:300], terms=terms)
    prices = "settlement prices of the OTM options that traded" if terms["near"]["prices"] == "settlement" else "quotes"
    return OurVix(value=value, note=f"{near} and {following}{roll_note}, from {prices}", terms=terms)
