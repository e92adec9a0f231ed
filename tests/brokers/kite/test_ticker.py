"""Live ticks end to end: the real pykiteconnect KiteTicker (on Twisted's reactor, in a daemon thread) against
the WebSocket double, through the TickCollector into the archive, analytics and the live feeds.

Twisted's reactor cannot be restarted, so it is started once for the test process and never stopped;
each test's streams are closed at the end. The collector's clock and the doubles' clock are the same
frozen instant, moved a minute at a time, so stored numbers can be compared with the double's book.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.kite.stream import TickStream
from apps.brokers.kite.ticks import TickBook
from apps.brokers.models import BrokerSession
from apps.brokers.services import kite_session_create
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.collection.services.ticks import TickCollector
from apps.live.publisher import chain_group
from apps.market.models import Underlying
from apps.market.services import underlyings_load
from apps.marketdata.models import OptionQuote, QuoteSource, UnderlyingQuote
from apps.monitoring.models import ErrorEvent
from tests.kite_double import KiteDouble, KiteTickerDouble
from tests.live.layer import channel_next, group_listen

pytestmark = pytest.mark.django_db(transaction=True)  # after-commit hooks (analytics, live feeds) must run


def wait_for(condition: Callable[[], Any], *, timeout: float = 15.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


class Clock:
    """The collector's clock, moved a minute at a time. The doubles stay at the first instant, so every
    minute's ticks are the same numbers (the ATM cannot move between two minutes of a test)."""

    def __init__(self, double: KiteDouble, start: datetime):
        self.at = start
        double.set_time(start)

    def __call__(self) -> datetime:
        return self.at

    def next_minute(self, second: int = 2) -> datetime:
        self.at = self.at.replace(second=second) + timedelta(minutes=1)
        return self.at.replace(second=0)


@pytest.fixture
def synced(kite_broker: KiteBroker, kite_session: BrokerSession) -> KiteBroker:
    underlyings_load()
    instruments_sync(broker=kite_broker)
    return kite_broker


@pytest.fixture
def clock(kite_double: KiteDouble) -> Clock:
    return Clock(kite_double, datetime.now(UTC).replace(second=5, microsecond=0))


@pytest.fixture
def collector(synced: KiteBroker, kite_ticker_double: KiteTickerDouble, clock: Clock) -> Iterator[TickCollector]:
    lines: list[str] = []
    collector = TickCollector(
        kite=synced, root=kite_ticker_double.root, market_hours_only=False, clock=clock, say=lines.append
    )
    collector.lines = lines  # type: ignore[attr-defined]
    yield collector
    collector.close()


def test_ticks_become_minute_rows_like_quotes_with_analytics_and_live_feeds(
    collector: TickCollector, kite_double: KiteDouble, kite_ticker_double: KiteTickerDouble, clock: Clock
) -> None:
    heads = {u.spot_token for u in Underlying.objects.all()} | {264969}  # the indices and India VIX
    collector.step()  # a session exists: the stream opens, subscribed to what planning needs first
    wait_for(lambda: collector.status()[0] and heads <= set(collector.book.quotes(heads)), what="index ticks")
    assert kite_ticker_double.handshakes[0]["headers"]["x-kite-version"] == "3"
    assert set(kite_ticker_double.subscriptions().values()) == {"full"}

    # Minute 1: the indices and futures tick, no option is streamed yet. The plan is made from ticks;
    # every option it wants is recorded missing (never stored as zero) and subscribed for the next minute.
    minute_1 = clock.next_minute()
    run_1 = collector.step()
    assert run_1 is not None and run_1.minute == minute_1
    assert run_1.quotes_stored == 0 and run_1.instruments_missing > 0
    assert UnderlyingQuote.objects.filter(minute=minute_1, source=QuoteSource.TICKER).count() == 5
    planned = set(collector.stream.tokens()) - heads if collector.stream else set()
    wait_for(lambda: len(collector.book.quotes(planned)) == len(planned), what="option ticks")

    # Minute 2: every planned option is stored from its tick, with the numbers /quote would give.
    nifty_weekly = group_listen(chain_group(symbol="NIFTY", bucket="this_week"))
    minute_2 = clock.next_minute()
    run_2 = collector.step()
    assert run_2 is not None and run_2.status == "success" and run_2.instruments_missing == 0
    rows = OptionQuote.objects.filter(minute=minute_2).select_related("instrument")
    assert rows.count() == run_2.quotes_stored == run_1.instruments_missing
    assert set(rows.values_list("source", flat=True)) == {QuoteSource.TICKER}
    book, now = kite_double.book, kite_double.now()
    for row in rows:
        quote = book.full_quote(book.by_token[row.instrument.instrument_token], now)
        assert row.last_price == quote["last_price"]
        assert (row.oi, row.volume) == (quote["oi"], quote["volume"])
        assert row.bid == (quote["depth"]["buy"][0]["price"] or None)  # a zero-padded level is no bid
        assert row.ask == (quote["depth"]["sell"][0]["price"] or None)
        assert row.close_price == quote["ohlc"]["close"]
    spot = UnderlyingQuote.objects.get(minute=minute_2, underlying__symbol="NIFTY")
    assert spot.source == QuoteSource.TICKER and spot.spot == book.full_quote(book.by_token[256265], now)["last_price"]
    assert spot.vix == book.full_quote(book.by_token[264969], now)["last_price"]
    # analytics ran after the commit (IV and greeks), and the live feed got the chain
    assert rows.filter(iv__isnull=False).count() > rows.count() // 2
    message = channel_next(nifty_weekly, timeout=5.0)
    assert message is not None and message["minute"] == minute_2.isoformat() and message["rows"]

    # One row per instrument per minute: a repeat, or quote collection of the same minute, adds nothing.
    assert collector.step() is None  # the minute is done
    assert chain_collect(broker=collector.broker, minute=minute_2, source=QuoteSource.TICKER).quotes_stored == 0
    assert chain_collect(broker=collector.kite, minute=minute_2).quotes_stored == 0
    assert set(OptionQuote.objects.filter(minute=minute_2).values_list("source", flat=True)) == {QuoteSource.TICKER}


def test_quote_collection_fills_what_the_ticks_missed_and_analytics_revisits_the_minute(
    collector: TickCollector, kite_ticker_double: KiteTickerDouble, clock: Clock
) -> None:
    collector.step()
    wait_for(lambda: collector.status()[0], what="the stream")
    heads = set(collector.stream.tokens()) if collector.stream else set()
    clock.next_minute()
    collector.step()  # indices and futures only; the plan's options are subscribed after it
    assert collector.stream is not None
    options = collector.stream.tokens() - heads
    wait_for(lambda: len(collector.book.quotes(options)) == len(options), what="option ticks")
    # Four options stop ticking (unsubscribed here, as if they had not traded since the stream opened).
    quiet = sorted(options)[:4]
    collector.stream.subscribe_to(sorted(collector.stream.tokens() - set(quiet)))
    wait_for(lambda: not set(quiet) & set(kite_ticker_double.subscriptions()), what="the unsubscribe")
    time.sleep(0.3)  # more frames than one interval of the double
    assert not collector.book.quotes(quiet)  # no frame in flight left a tick behind for them

    minute = clock.next_minute()
    ticked = collector.step()
    assert ticked is not None and ticked.instruments_missing == 4
    rows = OptionQuote.objects.filter(minute=minute)
    assert rows.count() == len(options) - 4 and rows.filter(analysed_at__isnull=True).count() == 0
    # Quote collection of the same minute stores the four; the minute had already been analysed (the
    # cursor passed it), so analytics analyse it again rather than leave the new rows bare.
    collected = chain_collect(broker=collector.kite, minute=minute)
    assert collected.quotes_stored == 4
    assert rows.filter(source=QuoteSource.COLLECTED).count() == 4
    assert rows.filter(source=QuoteSource.TICKER).count() == len(options) - 4
    assert rows.filter(analysed_at__isnull=True).count() == 0


def test_a_dropped_stream_reconnects_and_a_refused_token_waits_for_a_new_login(
    collector: TickCollector, kite_double: KiteDouble, kite_ticker_double: KiteTickerDouble, clock: Clock
) -> None:
    collector.step()
    wait_for(lambda: collector.status()[0], what="the stream")
    first_stream = collector.stream

    kite_ticker_double.drop_connections()  # the network blips: pykiteconnect reconnects and resubscribes
    wait_for(lambda: not collector.status()[0], what="the drop to be seen")
    wait_for(lambda: collector.status()[0], what="the reconnect")
    assert kite_ticker_double.connection_count() == 1
    assert set(kite_ticker_double.subscriptions().values()) == {"full"}
    collector.step()
    assert ErrorEvent.objects.get(code="ticker_disconnected").count >= 1

    # Kite kills the token (another login, or the 06:00 IST cut-off): the reconnect is refused with 403.
    kite_double.expire_tokens()
    kite_ticker_double.drop_connections()
    wait_for(lambda: any(h["status"] == 403 for h in kite_ticker_double.handshakes), what="a refused handshake")
    wait_for(lambda: not collector.status()[0], what="the stream to go down")
    collector.step()
    event = ErrorEvent.objects.get(code="ticker_token_rejected")
    assert "/broker/kite/login" in event.suggestion
    stored = UnderlyingQuote.objects.count()
    clock.next_minute()
    time.sleep(1.5)  # pykiteconnect would have retried by now; it must not (stop_retry on 403)
    assert collector.step() is None  # nothing is stored from a dead stream
    assert UnderlyingQuote.objects.count() == stored
    assert sum(1 for h in kite_ticker_double.handshakes if h["status"] == 403) == 1

    # A new login: the collector reconnects with the new access token by itself.
    kite_session_create(request_token=kite_double.issue_request_token(), request_id="test")
    collector.step()
    assert collector.stream is not first_stream
    wait_for(lambda: collector.status()[0], what="the stream with the new token")
    assert kite_ticker_double.handshakes[-1]["params"]["access_token"] == collector.stream.access_token  # type: ignore[union-attr]
    assert any("a new Kite login" in line for line in collector.lines)  # type: ignore[attr-defined]


def test_without_a_session_there_is_no_stream(
    synced: KiteBroker, kite_ticker_double: KiteTickerDouble, clock: Clock
) -> None:
    BrokerSession.objects.all().delete()
    lines: list[str] = []
    collector = TickCollector(
        kite=synced, root=kite_ticker_double.root, market_hours_only=False, clock=clock, say=lines.append
    )
    clock.next_minute()
    assert collector.step() is None
    assert collector.stream is None and kite_ticker_double.handshakes == []
    assert lines == [
        "waiting for a Kite login: No Kite session: log in at /broker/kite/login (or run `manage.py kite_login`)."
    ]


def test_outside_market_hours_nothing_is_stored(
    synced: KiteBroker, kite_ticker_double: KiteTickerDouble, kite_double: KiteDouble
) -> None:
    sunday = datetime(2026, 11, 15, 5, 0, 2, tzinfo=UTC)  # 10:30 IST on a Sunday (before the token's login)
    clock = Clock(kite_double, sunday)
    lines: list[str] = []
    collector = TickCollector(kite=synced, root=kite_ticker_double.root, clock=clock, say=lines.append)
    try:
        collector.step()
        wait_for(lambda: collector.status()[0], what="the stream")
        clock.next_minute()
        assert collector.step() is None
        assert not UnderlyingQuote.objects.exists()
        assert any(line.startswith("market closed") for line in lines)
    finally:
        collector.close()


def test_tokens_are_spread_over_at_most_three_connections_within_kites_limit(
    kite_session: BrokerSession, kite_double: KiteDouble, kite_ticker_double: KiteTickerDouble
) -> None:
    """The same sharding as Kite's 3000 x 3, shrunk to 10 tokens per connection so the test stays small."""
    kite_ticker_double.max_tokens = 10
    options = [row.instrument_token for row in kite_double.book.rows if row.instrument_type == "CE"][:35]
    token = kite_session.get_access_token()
    assert token is not None
    stream = TickStream(
        api_key=kite_double.api_key,
        access_token=token,
        root=kite_ticker_double.root,
        book=TickBook(),
        per_connection=10,
    )
    try:
        plan = stream.subscribe_to(options)
        assert [len(shard) for shard in plan.shards] == [10, 10, 10] and plan.dropped == options[30:]
        wait_for(lambda: len(kite_ticker_double.subscriptions()) == 30, what="30 subscriptions")
        wait_for(lambda: len(stream.book.quotes(options)) == 30, what="ticks on every connection")
        assert kite_ticker_double.connection_count() == 3
        assert all(h["status"] == 101 for h in kite_ticker_double.handshakes)  # never a 4th connection
        events = []
        while not stream.events.empty():
            events.append(stream.events.get_nowait())
        assert [e.kind for e in events] == ["connected"] * 3  # no "kite_error": every subscribe fitted
        # The ATM moves: five tokens leave the first connection and five new ones take their places.
        moved = options[5:35]
        plan = stream.subscribe_to(moved)
        assert plan.removed[0] == set(options[:5]) and plan.added[0] == set(options[30:35]) and not plan.dropped
        wait_for(lambda: set(kite_ticker_double.subscriptions()) == set(moved), what="the moved subscriptions")
        assert not set(stream.book.quotes(options[:5]))  # no stale ticks for what left
    finally:
        stream.close()


def test_a_failing_minute_is_recorded_and_the_process_keeps_going(
    collector: TickCollector,
    clock: Clock,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    collector.step()
    wait_for(lambda: collector.status()[0], what="the stream")
    clock.next_minute()
    settings.OPTRADING_CHAIN_SCOPE = "sideways"  # every minute now fails, as a lost database would
    stop = threading.Event()
    runner = threading.Thread(target=collector.run, args=(stop,), kwargs={"poll": 0.1})
    runner.start()
    try:
        event = wait_for(lambda: ErrorEvent.objects.filter(code="ticker_step_failed").first(), what="the event")
        assert "OPTRADING_CHAIN_SCOPE='sideways'" in event.message
        assert runner.is_alive()  # still stepping
        settings.OPTRADING_CHAIN_SCOPE = "atm"
        wait_for(lambda: UnderlyingQuote.objects.filter(source=QuoteSource.TICKER).exists(), what="recovery")
    finally:
        stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive() and collector.stream is None  # run() closed the stream on the way out
