"""The one quote write path: the first writer keeps a minute, counts are exact, a bad row stores nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from apps.marketdata.models import OptionQuote, QuoteSource, UnderlyingQuote
from apps.marketdata.services.quote_store import quotes_store
from tests.factories.market import BankNiftyFactory
from tests.factories.marketdata import MINUTE, OptionQuoteFactory, UnderlyingQuoteFactory

pytestmark = pytest.mark.django_db


def _unsaved(quote: OptionQuote, **changes: object) -> OptionQuote:
    fields = {f.attname: getattr(quote, f.attname) for f in OptionQuote._meta.concrete_fields if not f.primary_key}
    return OptionQuote(**{**fields, **changes})


@pytest.fixture
def legs() -> list[OptionQuote]:
    """Three legs of one chain, saved only to get their instruments; then removed from the archive."""
    saved = [OptionQuoteFactory(strike=strike) for strike in (22900.0, 23000.0, 23100.0)]
    rows = [_unsaved(q, quality_flags=["zero_bid"]) for q in saved]
    OptionQuote.objects.all().delete()
    return rows


def test_it_stores_new_rows_and_counts_them(legs: list[OptionQuote]) -> None:
    spot = UnderlyingQuoteFactory.build(underlying=legs[0].underlying)
    result = quotes_store(options=legs, underlyings=[spot])

    assert (result.options_stored, result.options_kept, result.underlyings_stored) == (3, 0, 1)
    stored = OptionQuote.objects.order_by("strike")
    assert [q.strike for q in stored] == [22900.0, 23000.0, 23100.0]
    assert stored[0].quality_flags == ["zero_bid"] and stored[0].minute == MINUTE
    assert stored[0].last_price == legs[0].last_price and stored[0].bid_qty == legs[0].bid_qty


def test_the_first_writer_keeps_a_minute_whatever_the_second_source(legs: list[OptionQuote]) -> None:
    quotes_store(options=legs[:2], underlyings=[])
    later = [_unsaved(q, last_price=999.0, source=QuoteSource.TICKER) for q in legs]

    result = quotes_store(options=later, underlyings=[])

    assert (result.options_stored, result.options_kept) == (1, 2)
    assert sorted(OptionQuote.objects.values_list("last_price", flat=True)) == [120.5, 120.5, 999.0]


def test_a_bad_row_stores_nothing_of_the_call(legs: list[OptionQuote]) -> None:
    bad = _unsaved(legs[2], minute=MINUTE + timedelta(minutes=1), last_price=-1.0)  # violates the price check
    with pytest.raises(IntegrityError), transaction.atomic():
        quotes_store(options=[*legs[:2], bad], underlyings=[])
    assert not OptionQuote.objects.exists()
    assert quotes_store(options=legs, underlyings=[]).options_stored == 3  # and the next call works


def test_the_same_minute_of_another_underlying_is_no_conflict(legs: list[OptionQuote]) -> None:
    first = UnderlyingQuoteFactory.build(underlying=legs[0].underlying)
    quotes_store(options=[], underlyings=[first])
    again = UnderlyingQuoteFactory.build(underlying=legs[0].underlying, spot=1.0)
    other = UnderlyingQuoteFactory.build(underlying=BankNiftyFactory(), minute=MINUTE)

    result = quotes_store(options=[], underlyings=[again, other])
    assert (result.underlyings_stored, result.underlyings_kept) == (1, 1)
    assert UnderlyingQuote.objects.get(underlying=legs[0].underlying).spot == 23010.0
    assert connection.vendor == "postgresql"  # the COPY path is the one under test


def test_every_column_is_stored_as_given_by_the_fast_preparation(legs: list[OptionQuote]) -> None:
    traded = MINUTE - timedelta(seconds=2, microseconds=500)
    row = _unsaved(legs[0], source=QuoteSource.BHAVCOPY, last_price=120, bid=None, bid_qty=None,
                   last_trade_time=traded, iv=0.1234567890123456, buildup="short_covering",
                   quality_flags=["zero_bid", {"note": "kept"}], oi_change=-6500)  # fmt: skip

    quotes_store(options=[row], underlyings=[])

    stored = OptionQuote.objects.get()
    assert stored.source == "bhavcopy" and type(stored.source) is str
    assert stored.last_price == 120.0 and stored.bid is None and stored.bid_qty is None
    assert stored.last_trade_time == traded and stored.iv == 0.1234567890123456
    assert (stored.buildup, stored.quality_flags, stored.oi_change) == (
        "short_covering",
        ["zero_bid", {"note": "kept"}],
        -6500,
    )
    assert (stored.instrument_id, stored.expiry, stored.strike) == (row.instrument_id, row.expiry, row.strike)


def _plain(quote: OptionQuote, **changes: object) -> dict[str, object]:
    """The row as a bulk caller hands it: attnames to values, the analytics fields left to their defaults."""
    given = ("minute", "instrument_id", "underlying_id", "expiry", "strike", "option_type", "expiry_bucket",
             "strike_offset", "source", "last_price", "volume", "oi", "spot", "forward")  # fmt: skip
    return {**{name: getattr(quote, name) for name in given}, **changes}


def test_plain_rows_are_stored_with_the_defaults_of_what_they_omit(legs: list[OptionQuote]) -> None:
    complete = {f.attname: getattr(legs[1], f.attname) for f in OptionQuote._meta.concrete_fields if not f.primary_key}
    result = quotes_store(options=[_plain(legs[0], quality_flags=["zero_bid"]), complete], underlyings=[])

    assert (result.options_stored, result.options_kept) == (2, 0)
    partial, full = OptionQuote.objects.order_by("strike")
    assert (partial.strike, partial.last_price, partial.oi) == (22900.0, legs[0].last_price, legs[0].oi)
    assert (partial.bid, partial.iv, partial.iv_source, partial.buildup) == (None, None, "", "")
    assert (partial.oi_day_high, partial.quality_flags, partial.analysed_at) == (0, ["zero_bid"], None)
    assert (full.strike, full.bid, full.bid_qty, full.quality_flags) == (23000.0, legs[1].bid, legs[1].bid_qty,
                                                                         ["zero_bid"])  # fmt: skip


def test_plain_rows_keep_the_first_writer_rule(legs: list[OptionQuote]) -> None:
    quotes_store(options=legs[:1], underlyings=[])  # an earlier writer, by model instance
    result = quotes_store(options=[_plain(q, last_price=999.0, source=QuoteSource.BHAVCOPY) for q in legs],
                          underlyings=[])  # fmt: skip

    assert (result.options_stored, result.options_kept) == (2, 1)
    assert sorted(OptionQuote.objects.values_list("last_price", "source")) == [
        (120.5, "collected"), (999.0, "bhavcopy"), (999.0, "bhavcopy")]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"last_price": -1.0}, IntegrityError),  # violates the price check
        ({"oi": 6500.0}, TypeError),  # an integer column given a float: not converted on the bulk path
        ({"minute": MINUTE.replace(tzinfo=None)}, TypeError),  # a naive datetime
        ({"last_pirce": 1.0}, KeyError),  # not a field
    ],
)
def test_a_bad_plain_row_stores_nothing_of_the_call(
    legs: list[OptionQuote], change: dict[str, object], error: type[Exception]
) -> None:
    rows = [_plain(q) for q in legs]
    rows[2] = {**rows[2], **change}
    with pytest.raises(error), transaction.atomic():
        quotes_store(options=rows, underlyings=[])
    assert not OptionQuote.objects.exists()
    assert quotes_store(options=[_plain(q) for q in legs], underlyings=[]).options_stored == 3


def test_plain_underlying_rows(legs: list[OptionQuote]) -> None:
    row = {"minute": MINUTE, "underlying_id": legs[0].underlying_id, "spot": 23010.0, "futures": {"2026-03-26": 1.5}}
    result = quotes_store(options=[], underlyings=[row, {**row, "spot": 1.0}])

    assert (result.underlyings_stored, result.underlyings_kept) == (1, 1)
    stored = UnderlyingQuote.objects.get()
    assert (stored.spot, stored.futures, stored.source, stored.vix) == (23010.0, {"2026-03-26": 1.5}, "collected", None)


@pytest.mark.django_db(transaction=True)
def test_a_key_stored_in_between_probe_and_copy_falls_back_to_the_first_writer_rule(legs: list[OptionQuote]) -> None:
    """A real race: another writer has inserted one of the keys but not committed, so the probe sees none and the
    direct COPY waits on that key; the writer commits, the COPY fails on the unique index, is rolled back to its
    savepoint, and the staged path keeps the earlier writer's row."""
    inserted, done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            with transaction.atomic():
                quotes_store(options=legs[:1], underlyings=[])
                inserted.set()
                with connection.cursor() as cursor:  # commit once the other call waits on this key
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                        )
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.02)
                    else:
                        raise AssertionError("the second writer never waited on the uncommitted key")
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert inserted.wait(30)
    later = [_unsaved(q, last_price=999.0, source=QuoteSource.TICKER) for q in legs]

    with transaction.atomic():
        result = quotes_store(options=later, underlyings=[])

    thread.join(30)
    assert done.is_set() and not failures, failures
    assert (result.options_stored, result.options_kept) == (2, 1)
    assert sorted(OptionQuote.objects.values_list("last_price", flat=True)) == [120.5, 999.0, 999.0]


def test_a_key_given_twice_in_one_call_is_stored_once(legs: list[OptionQuote]) -> None:
    twice = [legs[0], _unsaved(legs[0], last_price=999.0), legs[1]]

    result = quotes_store(options=twice, underlyings=[])

    assert (result.options_stored, result.options_kept) == (2, 1)
    assert sorted(OptionQuote.objects.values_list("last_price", flat=True)) == [120.5, 120.5]


def test_new_rows_go_straight_into_the_table_without_the_stage(legs: list[OptionQuote]) -> None:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = quotes_store(options=legs, underlyings=[])

    assert result.options_stored == 3
    assert not any("_stage_" in query["sql"] for query in queries.captured_queries)
