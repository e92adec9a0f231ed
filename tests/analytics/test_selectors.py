"""Selectors: shapes on a crafted chain, and clear errors for bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from apps.analytics import selectors
from apps.analytics.services import analytics_compute
from apps.core.errors import ApplicationError, NotFoundError
from apps.marketdata.models import OptionQuote
from tests.analytics.conftest import EXPIRY, MINUTE, build_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysed(nifty):
    for i in range(3):
        build_chain(nifty, minute=MINUTE + timedelta(minutes=i), strikes=[22900, 23000, 23100])
    analytics_compute()
    return nifty


def test_it_serves_the_chain_summary_by_bucket_and_expiry(analysed) -> None:
    by_bucket = selectors.chain_summary(underlying="NIFTY", bucket="this_week")
    by_expiry = selectors.chain_summary(underlying=analysed, expiry=EXPIRY)
    assert by_bucket == by_expiry
    assert by_bucket["minute"] == "2026-01-19T09:32:00+05:30"
    assert by_bucket["expiry"] == "2026-01-27"
    assert by_bucket["bucket"] == "this_week"
    assert by_bucket["atm_strike"] == 23000.0
    past = selectors.chain_summary(underlying="NIFTY", at=MINUTE + timedelta(seconds=30))
    assert past["minute"] == "2026-01-19T09:30:00+05:30"


def test_it_serves_greeks_smile_surface_oi_and_gex(analysed) -> None:
    greeks = selectors.chain_greeks(underlying="NIFTY")
    assert [row["strike"] for row in greeks["strikes"]] == [22900.0, 23000.0, 23100.0]
    assert greeks["strikes"][1]["call"]["iv"] == pytest.approx(0.18, abs=3e-3)
    smile = selectors.iv_smile(underlying="NIFTY")
    assert smile["points"][0]["iv"] == smile["points"][0]["put_iv"]  # below the forward: the put
    surface = selectors.iv_surface(underlying="NIFTY")
    assert [e["expiry"] for e in surface["expiries"]] == ["2026-01-27"]
    oi = selectors.oi_by_strike(underlying="NIFTY")
    assert oi["strikes"][0]["call_oi"] == 65000
    exposure = selectors.gex(underlying="NIFTY")
    assert exposure["net_gex"] == pytest.approx(sum(row["gex"] for row in exposure["strikes"]))


def test_it_reads_history_and_the_price_toggle(analysed) -> None:
    start, end = MINUTE - timedelta(hours=1), MINUTE + timedelta(hours=1)
    series = selectors.history(underlying="NIFTY", field="pcr_oi", start=start, end=end, bucket="this_week")
    assert [p["value"] for p in series["points"]] == [1.0, 1.0, 1.0]
    OptionQuote.objects.filter(strike=23000, option_type="CE", minute=MINUTE).update(last_price=100.0)
    OptionQuote.objects.filter(strike=23000, option_type="CE", minute=MINUTE + timedelta(minutes=1)).update(
        last_price=110.0
    )
    OptionQuote.objects.filter(strike=23000, option_type="CE", minute=MINUTE + timedelta(minutes=2)).update(
        last_price=130.0
    )
    toggle = selectors.price_toggle(underlying="NIFTY", mode="last", sessions=5)
    atm_call = next(leg for leg in toggle["legs"] if leg["strike_offset"] == 0 and leg["option_type"] == "CE")
    assert atm_call["premium"] == 130.0
    assert atm_call["twap_day"] == pytest.approx((100 + 110 + 130) / 3)  # one minute each
    assert atm_call["percentile_day"] == pytest.approx(100 * 2.5 / 3)  # above two, ties with itself
    assert atm_call["percentile_sessions"] is None  # no earlier session stored


@pytest.mark.parametrize(
    ("call", "error", "text"),
    [
        (lambda: selectors.chain_summary(underlying="NOPE"), NotFoundError, "Unknown symbol 'NOPE'"),
        (lambda: selectors.chain_summary(underlying="NIFTY", bucket="someday"), ApplicationError, "someday"),
        (lambda: selectors.chain_summary(underlying="NIFTY", expiry=date(2026, 2, 3)), NotFoundError, "2026-02-03"),
        (lambda: selectors.chain_summary(underlying="NIFTY", bucket="next_month"), NotFoundError, "next_month"),
        (
            lambda: selectors.chain_summary(underlying="NIFTY", at=datetime(2025, 1, 1, tzinfo=UTC)),
            NotFoundError,
            "No analytics for NIFTY",
        ),
        (lambda: selectors.price_toggle(underlying="NIFTY", mode="close"), ApplicationError, "close"),
        (
            lambda: selectors.history(underlying="NIFTY", field="gamma", start=MINUTE, end=MINUTE),
            ApplicationError,
            "gamma",
        ),
        (
            lambda: selectors.history(underlying="NIFTY", field="pcr_oi", start=MINUTE, end=MINUTE - timedelta(1)),
            ApplicationError,
            "after",
        ),
        (lambda: selectors.overlay(underlying="NIFTY", weekday=9), ApplicationError, "weekday"),
    ],
)
def test_it_rejects_bad_input_with_a_clear_message(analysed, call, error, text) -> None:
    with pytest.raises(error, match=text):
        call()


def test_it_says_when_nothing_was_analysed(nifty) -> None:
    with pytest.raises(NotFoundError, match="No analytics for NIFTY"):
        selectors.chain_summary(underlying="NIFTY")
