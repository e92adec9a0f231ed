"""Token sharding across KiteTicker connections, and the tick book (pure code, no network)."""

from __future__ import annotations

from datetime import datetime

import pytest

from apps.brokers.kite.shards import shards_plan
from apps.brokers.kite.ticks import TickBook, host_local_to_ist, tick_quote


def test_tokens_fill_connections_in_order_up_to_kites_limits() -> None:
    plan = shards_plan([], list(range(1, 8)), per_connection=3, max_connections=2)
    assert plan.shards == [{1, 2, 3}, {4, 5, 6}]
    assert plan.dropped == [7]  # the least important token is the one left out
    assert plan.added == [{1, 2, 3}, {4, 5, 6}] and plan.removed == [set(), set()]


def test_assignments_are_sticky_when_the_wanted_set_moves() -> None:
    first = shards_plan([], [1, 2, 3, 4], per_connection=3, max_connections=3)
    assert first.shards == [{1, 2, 3}, {4}]
    second = shards_plan(first.shards, [2, 3, 4, 5, 6], per_connection=3, max_connections=3)
    assert second.shards == [{2, 3, 5}, {4, 6}]  # 2, 3 and 4 stay where they were
    assert second.added == [{5}, {6}] and second.removed == [{1}, set()]
    third = shards_plan(second.shards, [2, 3, 5], per_connection=3, max_connections=3)
    assert third.shards == [{2, 3, 5}]  # the emptied last connection is given up
    assert third.removed == [set(), {4, 6}]
    assert not shards_plan(third.shards, [5, 3, 2, 3]).changed  # order and repeats change nothing


def test_shard_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        shards_plan([], [1], per_connection=0)


def _full_tick(token: int, price: float, **extra: object) -> dict[str, object]:
    """A tick exactly as pykiteconnect's _parse_binary builds it for a 184-byte packet."""
    tick: dict[str, object] = {
        "tradable": True,
        "mode": "full",
        "instrument_token": token,
        "last_price": price,
        "last_traded_quantity": 65,
        "average_traded_price": 101.5,
        "volume_traded": 130000,
        "total_buy_quantity": 650,
        "total_sell_quantity": 780,
        "ohlc": {"open": 99.0, "high": 104.0, "low": 97.5, "close": 100.0},
        "change": (price - 100.0) * 100 / 100.0,
        "last_trade_time": datetime.fromtimestamp(1790227490),
        "oi": 6500,
        "oi_day_high": 7150,
        "oi_day_low": 5850,
        "exchange_timestamp": datetime.fromtimestamp(1790227501),
        "depth": {
            "buy": [{"quantity": 195, "price": price - 0.05, "orders": 1}]
            + [{"quantity": 0, "price": 0.0, "orders": 0}] * 4,
            "sell": [{"quantity": 130, "price": price + 0.05, "orders": 2}]
            + [{"quantity": 0, "price": 0.0, "orders": 0}] * 4,
        },
    }
    tick.update(extra)
    return tick


def test_a_full_tick_becomes_a_kite_quote_with_ist_times_and_no_padding() -> None:
    quote = tick_quote(_full_tick(12345, 103.25))
    assert quote["last_price"] == 103.25
    assert quote["volume"] == 130000 and quote["oi"] == 6500 and quote["average_price"] == 101.5
    assert quote["buy_quantity"] == 650 and quote["last_quantity"] == 65
    assert quote["net_change"] == pytest.approx(3.25)  # absolute, from ohlc.close; the tick's change is 3.25 %
    # epoch 1790227501 is 2026-09-24 10:55:01 IST whatever zone this host runs in (docs/kite-protocol.md §7.3)
    assert quote["timestamp"] == datetime(2026, 9, 24, 10, 55, 1)
    assert quote["last_trade_time"] == datetime(2026, 9, 24, 10, 54, 50)
    assert quote["depth"] == {
        "buy": [{"price": 103.2, "quantity": 195, "orders": 1}],
        "sell": [{"price": 103.3, "quantity": 130, "orders": 2}],
    }


def test_epoch_zero_times_mean_no_trade_yet() -> None:
    quote = tick_quote(_full_tick(1, 5.0, last_trade_time=datetime.fromtimestamp(0)))
    assert quote["last_trade_time"] is None
    assert host_local_to_ist("not a time") is None


def test_a_short_tick_moves_the_price_and_keeps_the_rest() -> None:
    book = TickBook()
    book.update([_full_tick(7, 103.25)])
    book.update([{"tradable": True, "mode": "ltp", "instrument_token": 7, "last_price": 104.0}])
    quote = book.quotes([7])[7]
    assert quote["last_price"] == 104.0
    assert quote["oi"] == 6500 and quote["depth"]["buy"][0]["quantity"] == 195
    assert quote["net_change"] == pytest.approx(4.0)


def test_the_book_forgets_discarded_tokens_and_ignores_junk() -> None:
    book = TickBook()
    assert book.update([_full_tick(1, 10.0), _full_tick(2, 20.0), {"instrument_token": "x", "last_price": 1}]) == 2
    book.discard([1])
    assert set(book.quotes([1, 2, 3])) == {2}
    book.clear()
    assert len(book) == 0
