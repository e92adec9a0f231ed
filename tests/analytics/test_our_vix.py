"""Our India-VIX-style index on live (quoted) minutes: a number where the snapshot supports the white-paper method,
else none and the reason (docs/analytics.md "Our VIX")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, transaction

from apps.analytics.models import OurVixReason, VolatilitySnapshot
from apps.analytics.services import analytics_compute
from apps.analytics.services.report import volatility_report
from apps.market.models import Underlying
from apps.marketdata.models import OptionQuote, UnderlyingQuote
from tests.analytics.conftest import build_chain
from tests.factories.market import OptionInstrumentFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 1, 19, 4, 0, tzinfo=UTC)  # 09:30 IST; the Jan monthly (27-Jan) is 8 days away
JAN, FEB, MAR, APR = date(2026, 1, 27), date(2026, 2, 24), date(2026, 3, 30), date(2026, 4, 28)
WHOLE = tuple(range(18000, 28100, 100))
"""Far enough that both wings of an 18 % market end at two consecutive zero bids."""


def _chains(
    nifty: Underlying, expiries: Sequence[date], *, minute: datetime = MONDAY, strikes: Sequence[int] = WHOLE
) -> VolatilitySnapshot:
    for expiry in expiries:
        build_chain(nifty, minute=minute, expiry=expiry, sigma=0.18, strikes=strikes, spread=0.002)
    analytics_compute()
    return VolatilitySnapshot.objects.get(underlying=nifty, minute=minute)


def test_it_computes_the_index_from_the_whole_near_and_next_monthly_chains(nifty) -> None:
    UnderlyingQuote.objects.create(
        underlying=nifty, minute=MONDAY, spot=22990.0, futures={JAN.isoformat(): 23000.0, FEB.isoformat(): 23000.0}
    )
    snapshot = _chains(nifty, [JAN, FEB])
    assert snapshot.our_vix == pytest.approx(18.0, abs=0.5)
    assert snapshot.our_vix_reason == ""
    assert snapshot.our_vix_note == "2026-01-27 and 2026-02-24, from quotes"
    near = snapshot.our_vix_terms["near"]
    assert (near["expiry"], near["prices"], near["forward_source"], near["k0"]) == (
        "2026-01-27",
        "quotes",
        "future",
        23000,
    )
    assert snapshot.our_vix_terms["rolled"] is False
    assert near["lowest_strike"] > 18000 and near["highest_strike"] < 28000  # the walk stopped at the zero bids


def test_it_says_atm_scope_when_only_the_strikes_around_the_atm_were_collected(nifty) -> None:
    snapshot = _chains(nifty, [JAN, FEB], strikes=(22900, 22950, 23000, 23050, 23100))
    assert (snapshot.our_vix, snapshot.our_vix_reason) == (None, OurVixReason.ATM_SCOPE)
    assert snapshot.our_vix_note == (
        "only 5 strikes of 2026-01-27 were collected (22900-23100); set OPTRADING_CHAIN_SCOPE=full"
    )
    assert snapshot.cm30_iv is not None  # the 30-day ATM IV needs no wings: still there


def test_it_says_a_monthly_is_missing(nifty) -> None:
    snapshot = _chains(nifty, [JAN])
    assert (snapshot.our_vix, snapshot.our_vix_reason) == (None, OurVixReason.MONTHLY_MISSING)
    assert snapshot.our_vix_note == "the next monthly 2026-02-24 is not in this snapshot"


def test_it_says_when_a_wing_stops_short_of_the_listed_chain_with_bids_still_on_it(nifty) -> None:
    for strike in (20000, 26000):  # listed further out than collected
        OptionInstrumentFactory(underlying=nifty, expiry=JAN, strike=strike, instrument_type="PE")
    snapshot = _chains(nifty, [JAN, FEB], strikes=tuple(range(22000, 24100, 100)))
    assert (snapshot.our_vix, snapshot.our_vix_reason) == (None, OurVixReason.WINGS_NOT_COLLECTED)
    assert snapshot.our_vix_note.startswith("the put wing of 2026-01-27 stops at the last collected strike 22000")


def test_it_accepts_a_wing_that_ends_where_the_listed_chain_ends(nifty) -> None:
    snapshot = _chains(nifty, [JAN, FEB], strikes=tuple(range(22000, 24100, 100)))  # nothing listed beyond
    assert snapshot.our_vix_reason == "" and snapshot.our_vix is not None


def test_it_rolls_to_the_next_and_far_monthly_within_three_days_of_the_near_expiry(nifty) -> None:
    monday = datetime(2026, 2, 23, 4, 0, tzinfo=UTC)  # the Feb monthly (24-Feb) is one day away
    snapshot = _chains(nifty, [FEB, MAR, APR], minute=monday)
    assert snapshot.our_vix_terms["rolled"] is True
    assert (snapshot.our_vix_terms["near"]["expiry"], snapshot.our_vix_terms["next"]["expiry"]) == (
        "2026-03-30",
        "2026-04-28",
    )
    assert snapshot.our_vix == pytest.approx(18.0, abs=0.5)
    assert "(rolled: the near monthly is 3 days away or less)" in snapshot.our_vix_note


def test_it_says_the_far_monthly_is_missing_after_the_roll(nifty) -> None:
    snapshot = _chains(nifty, [FEB, MAR], minute=datetime(2026, 2, 23, 4, 0, tzinfo=UTC))
    assert (snapshot.our_vix, snapshot.our_vix_reason) == (None, OurVixReason.MONTHLY_MISSING)
    assert snapshot.our_vix_note == (
        "the next monthly 2026-04-28 is not in this snapshot (rolled: the near monthly is 3 days away or less)"
    )


def test_it_says_no_quotes_when_nobody_bids(nifty) -> None:
    UnderlyingQuote.objects.create(underlying=nifty, minute=MONDAY, spot=22990.0, futures={JAN.isoformat(): 23000.0})
    for expiry in (JAN, FEB):
        build_chain(nifty, minute=MONDAY, expiry=expiry, sigma=0.18, strikes=WHOLE, spread=0.002)
    OptionQuote.objects.filter(expiry=JAN).update(bid=0.0)
    analytics_compute()
    snapshot = VolatilitySnapshot.objects.get(underlying=nifty, minute=MONDAY)
    assert (snapshot.our_vix, snapshot.our_vix_reason) == (None, OurVixReason.NO_QUOTES)
    assert snapshot.our_vix_note == "near 2026-01-27: no usable call and put quote at K0 = 23000"


def test_it_recomputes_a_minute_stored_by_the_earlier_method(nifty) -> None:
    snapshot = _chains(nifty, [JAN, FEB])
    VolatilitySnapshot.objects.filter(pk=snapshot.pk).update(our_vix=None, our_vix_reason=OurVixReason.LEGACY)
    report = volatility_report(symbol="NIFTY", day=date(2026, 1, 19))
    assert report["our_vix"] == pytest.approx(snapshot.our_vix)
    assert report["our_vix_reason"] is None


def test_it_keeps_a_number_and_a_reason_exclusive(nifty) -> None:
    for our_vix, reason in ((12.0, OurVixReason.ATM_SCOPE), (None, "")):
        with pytest.raises(IntegrityError), transaction.atomic():
            VolatilitySnapshot.objects.create(underlying=nifty, minute=MONDAY, our_vix=our_vix, our_vix_reason=reason)
