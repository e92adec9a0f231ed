"""Login → instrument sync → collection, with the real pykiteconnect client against the Kite double.

The platform's own services do the work (instruments_sync, chain_collect); only the broker is Kite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.models import BrokerSession, SessionStatus
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.models import Instrument, Underlying
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionRun, CollectionStatus, OptionQuote, UnderlyingQuote
from apps.monitoring.models import ErrorEvent
from tests.kite_double import KiteDouble
from tests.kite_double.market import IST

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(kite_double: KiteDouble) -> datetime:
    """A fixed instant shared by the double's clock and the collector (a weekday morning, in session)."""
    when = datetime.now(UTC).replace(second=12, microsecond=0)
    kite_double.set_time(when)
    return when


@pytest.fixture
def synced(kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble, now: datetime) -> KiteBroker:
    underlyings_load()
    instruments_sync(broker=kite_broker)
    return kite_broker


@pytest.fixture
def synced_unpaced(unpaced_kite_broker: KiteBroker, kite_session: BrokerSession, now: datetime) -> KiteBroker:
    """Synced, with Kite's pacing off (conftest's ``unpaced_kite_broker``): for the tests of what collection does
    with a failing reply, where each paced retry cost a second."""
    underlyings_load()
    instruments_sync(broker=unpaced_kite_broker)
    return unpaced_kite_broker


def _quote_calls(double: KiteDouble) -> list[int]:
    return [len(r.query.get("i", [])) for r in double.requests if r.path == "/quote"]


def test_it_syncs_the_instruments_dump_from_kite(kite_broker: KiteBroker, kite_double: KiteDouble, now) -> None:
    underlyings_load()
    result = instruments_sync(broker=kite_broker)  # the dump needs no login

    book = kite_double.book.rows
    assert result.created == len(book)
    assert {e: c.listed for e, c in result.per_exchange.items()} == {
        e: sum(1 for r in book if r.exchange == e) for e in ("NFO", "BFO", "NSE", "BSE")
    }
    assert result.spot_linked == 5
    nifty = Underlying.objects.get(symbol="NIFTY")
    assert nifty.spot_instrument.instrument_token == 256265
    assert Underlying.objects.get(symbol="SENSEX").spot_instrument.instrument_token == 265
    # contracts link to their underlying by Kite's name column
    for underlying in Underlying.objects.all():
        listed = sum(1 for r in book if r.underlying and r.underlying.name == underlying.symbol)
        assert Instrument.objects.filter(underlying=underlying).count() == listed
    # a second sync changes nothing
    again = instruments_sync(broker=kite_broker)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(book))


def test_it_collects_the_atm_chain_with_kites_numbers(synced: KiteBroker, kite_double: KiteDouble, now) -> None:
    run = chain_collect(broker=synced, now=now)

    assert run.status == CollectionStatus.SUCCESS, run.error
    assert run.minute == now.replace(second=0)
    assert run.instruments_missing == 0
    for underlying in Underlying.objects.all():
        rows = OptionQuote.objects.filter(underlying=underlying, minute=run.minute)
        assert set(rows.values_list("strike_offset", flat=True)) == {-2, -1, 0, 1, 2}
        spot = UnderlyingQuote.objects.get(underlying=underlying, minute=run.minute)
        index = kite_double.book.by_key[underlying.spot_key]
        assert spot.spot == kite_double.book.price(index, now)
    # every stored option carries exactly what the double quoted
    book = kite_double.book
    for quote in OptionQuote.objects.filter(minute=run.minute).select_related("instrument")[:40]:
        row = book.by_key[quote.instrument.key]
        raw = book.full_quote(row, now)
        assert quote.last_price == raw["last_price"]
        assert quote.oi == raw["oi"] and quote.volume == raw["volume"]
        assert quote.bid == raw["depth"]["buy"][0]["price"] or (
            quote.bid is None and raw["depth"]["buy"][0]["price"] == 0
        )
        assert quote.ask == raw["depth"]["sell"][0]["price"]
        if raw["last_trade_time"]:
            naive = datetime.strptime(raw["last_trade_time"], "%Y-%m-%d %H:%M:%S")
            assert quote.last_trade_time == naive.replace(tzinfo=IST)
    assert kite_double.rejected_429 == 0
    assert all(n <= 500 for n in _quote_calls(kite_double))


@pytest.mark.slow  # paced by Kite's 1 quote call a second
def test_it_collects_the_full_chain_of_all_five_within_a_minute_of_quote_calls(
    synced: KiteBroker, kite_double: KiteDouble, now, settings
) -> None:
    settings.OPTRADING_CHAIN_SCOPE = "full"
    run = chain_collect(broker=synced, now=now)

    assert run.status == CollectionStatus.SUCCESS, run.error
    batches = {tuple(r.query.get("i", [])) for r in kite_double.requests if r.path == "/quote"}
    calls = [len(batch) for batch in batches]  # a retried batch (a timeout on a loaded machine) counts once
    assert run.quote_calls == len(calls)
    assert all(n <= 500 for n in calls)
    assert sum(calls) == run.instruments_requested
    # at Kite's 1 quote call/s, a minute holds 60 calls: the full chain of all five fits with room to spare
    assert len(calls) < 30
    assert kite_double.rejected_429 == 0
    stored = OptionQuote.objects.filter(minute=run.minute)
    assert stored.count() == run.quotes_stored > 2000
    assert set(stored.values_list("underlying__symbol", flat=True)) == {
        "NIFTY",
        "BANKNIFTY",
        "FINNIFTY",
        "MIDCPNIFTY",
        "SENSEX",
    }


def test_it_pauses_collection_when_the_token_dies_mid_run_and_keeps_earlier_rows(
    synced_unpaced: KiteBroker, kite_double: KiteDouble, kite_session: BrokerSession, now
) -> None:
    first = chain_collect(broker=synced_unpaced, now=now)
    assert first.status == CollectionStatus.SUCCESS
    kept = OptionQuote.objects.count()
    assert kept > 0

    kite_double.set_time(now + timedelta(minutes=1))
    kite_double.inject("token_expired", after=1)  # the index/futures call passes, the option call is refused
    second = chain_collect(broker=synced_unpaced, now=now + timedelta(minutes=1))

    assert second.status == CollectionStatus.FAILED
    assert "Incorrect `api_key` or `access_token`." in second.error
    assert OptionQuote.objects.count() == kept  # nothing of the broken minute, everything before it
    assert not UnderlyingQuote.objects.filter(minute=second.minute).exists()
    kite_session.refresh_from_db()
    assert kite_session.status == SessionStatus.EXPIRED
    event = ErrorEvent.objects.get(component="broker", code="session_expired")
    assert event.suggestion == "Log in again at /broker/kite/login"

    calls_before = len(kite_double.requests)
    third = chain_collect(broker=synced_unpaced, now=now + timedelta(minutes=2))
    assert third.status == CollectionStatus.SKIPPED
    assert "log in again" in third.error.lower() or "No Kite session" in third.error
    assert len(kite_double.requests) == calls_before  # paused: Kite is not called until a new login


def test_it_rides_out_a_429_burst(synced_unpaced: KiteBroker, kite_double: KiteDouble, now) -> None:
    kite_double.inject("rate_limit", times=2, after=1)
    run = chain_collect(broker=synced_unpaced, now=now)
    assert run.status == CollectionStatus.SUCCESS, run.error
    statuses = [r.status for r in kite_double.requests if r.path == "/quote"]
    assert statuses == [200, 429, 429, 200]
    assert not ErrorEvent.objects.exists()


def test_it_records_a_429_storm_and_writes_nothing_half_done(
    synced_unpaced: KiteBroker, kite_double: KiteDouble, now
) -> None:
    kite_double.inject("rate_limit", times=100, after=1)
    run = chain_collect(broker=synced_unpaced, now=now)

    assert run.status == CollectionStatus.FAILED
    assert not OptionQuote.objects.exists()
    assert not UnderlyingQuote.objects.exists()
    event = ErrorEvent.objects.get(component="broker", code="kite_rate_limited")
    assert event.suggestion == "Another program is using this API key, or the request rate is too high"
    assert "gave up after 4 tries" in event.message


def test_it_retries_an_html_502_during_collection(synced_unpaced: KiteBroker, kite_double: KiteDouble, now) -> None:
    kite_double.inject("html_502", after=1)
    run = chain_collect(broker=synced_unpaced, now=now)
    assert run.status == CollectionStatus.SUCCESS, run.error
    assert [r.status for r in kite_double.requests if r.path == "/quote"] == [200, 502, 200]


def test_it_records_missing_keys_as_missing_never_as_zero(synced: KiteBroker, kite_double: KiteDouble, now) -> None:
    nifty = Underlying.objects.get(symbol="NIFTY")
    spot = kite_double.book.price(kite_double.book.by_key[nifty.spot_key], now)
    near = Instrument.objects.filter(
        underlying=nifty, instrument_type="CE", strike__gte=spot - 300, strike__lte=spot + 300
    )
    missing = {i.key for i in near}
    kite_double.missing_keys.update(missing)

    run = chain_collect(broker=synced, now=now)

    assert run.status == CollectionStatus.SUCCESS, run.error
    recorded = set(run.details["NIFTY"]["missing"])
    assert recorded and recorded <= missing
    assert run.instruments_missing == run.details["NIFTY"]["missing_count"] == len(recorded)
    stored_keys = {q.instrument.key for q in OptionQuote.objects.filter(minute=run.minute).select_related("instrument")}
    assert not stored_keys & missing
    assert OptionQuote.objects.filter(minute=run.minute, underlying=nifty, option_type="PE").exists()
    assert not OptionQuote.objects.filter(last_price=0).exists()
    # the request for those keys did go out: absence came from Kite, not from the collector skipping them
    asked = {k for r in kite_double.requests if r.path == "/quote" for k in r.query.get("i", [])}
    assert recorded <= asked
    assert CollectionRun.objects.count() == 1


def test_quote_requests_encode_keys_as_kite_expects(synced: KiteBroker, kite_double: KiteDouble, now) -> None:
    chain_collect(broker=synced, now=now, underlyings=["NIFTY"])
    first = next(r for r in kite_double.requests if r.path == "/quote")
    assert "NSE:NIFTY 50" in first.query["i"]  # sent as NSE%3ANIFTY+50 and decoded back
    assert first.headers["x-kite-version"] == "3"
    assert first.headers["authorization"].startswith(f"token {kite_double.api_key}:")
