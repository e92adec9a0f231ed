from __future__ import annotations

import pytest
from django.db import transaction

from apps.analytics.signals import analytics_committed
from apps.collection.signals import collection_committed
from apps.live.publisher import _on_analytics_committed, _on_collection_committed, analytics_group, chain_group
from tests.live.chain import MINUTE_1, MONTHLY, chain_write, underlying_create
from tests.live.layer import channel_next as _next
from tests.live.layer import group_listen as _listen

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_publishes_a_collection_only_after_its_transaction_commits() -> None:
    nifty = underlying_create()
    weekly = _listen(chain_group(symbol="NIFTY", bucket="this_week"))
    with transaction.atomic():
        chain_write(nifty, minute=MINUTE_1)
        transaction.on_commit(
            lambda: collection_committed.send(sender=None, run_id=7, minute=MINUTE_1, underlying_ids=[nifty.pk])
        )
        assert _next(weekly, timeout=0.2) is None
    message = _next(weekly)
    assert message is not None
    assert (message["type"], message["version"], message["symbol"], message["bucket"]) == (
        "chain.update",
        1,
        "NIFTY",
        "this_week",
    )
    assert len(message["rows"]) == 10


def test_it_publishes_nothing_when_the_transaction_rolls_back() -> None:
    nifty = underlying_create()
    weekly = _listen(chain_group(symbol="NIFTY", bucket="this_week"))
    with pytest.raises(RuntimeError), transaction.atomic():
        chain_write(nifty, minute=MINUTE_1)
        transaction.on_commit(
            lambda: collection_committed.send(sender=None, run_id=7, minute=MINUTE_1, underlying_ids=[nifty.pk])
        )
        raise RuntimeError("the run failed half-way")
    assert _next(weekly, timeout=0.2) is None


def test_it_sends_one_message_per_bucket_to_that_buckets_group() -> None:
    nifty = underlying_create()
    weekly = _listen(chain_group(symbol="NIFTY", bucket="this_week"))
    monthly = _listen(chain_group(symbol="NIFTY", bucket="this_month"))
    chain_write(nifty, minute=MINUTE_1)
    chain_write(nifty, minute=MINUTE_1, expiry=MONTHLY, bucket="this_month", strikes=(22800.0, 22900.0))
    collection_committed.send(sender=None, run_id=7, minute=MINUTE_1, underlying_ids=[nifty.pk])
    week, month = _next(weekly), _next(monthly)
    assert week is not None and month is not None
    assert {r["expiry"] for r in week["rows"]} == {"2026-03-30"}
    assert {r["expiry"] for r in month["rows"]} == {"2026-04-28"}
    assert len(month["rows"]) == 4
    assert _next(weekly, timeout=0.2) is None


def test_it_republishes_the_chain_after_analytics_commits() -> None:
    nifty = underlying_create()
    weekly = _listen(chain_group(symbol="NIFTY", bucket="this_week"))
    chain_write(nifty, minute=MINUTE_1)
    analytics_committed.send(sender=None, underlying_id=nifty.pk, minute=MINUTE_1)
    message = _next(weekly)
    assert message is not None
    assert message["minute"] == "2026-03-27T04:00:00+00:00"


def test_it_reads_nothing_of_the_chain_when_no_client_watches(django_assert_num_queries) -> None:
    nifty = underlying_create()
    chain_write(nifty, minute=MINUTE_1)
    # One query each (the underlying's symbol, to name its groups); no chain, no snapshot is read or built.
    # (The publisher's own receivers: alerts and anomaly checks listen to the same signals for other work.)
    with django_assert_num_queries(1):
        _on_analytics_committed(None, underlying_id=nifty.pk, minute=MINUTE_1)
    with django_assert_num_queries(1):
        _on_collection_committed(None, run_id=7, minute=MINUTE_1, underlying_ids=[nifty.pk])


def test_it_sends_only_to_the_groups_a_client_watches() -> None:
    nifty = underlying_create()
    chain_write(nifty, minute=MINUTE_1)
    chain_write(nifty, minute=MINUTE_1, expiry=MONTHLY, bucket="this_month", strikes=(22800.0, 22900.0))
    monthly = _listen(chain_group(symbol="NIFTY", bucket="this_month"))
    analytics = _listen(analytics_group(symbol="NIFTY"))
    analytics_committed.send(sender=None, underlying_id=nifty.pk, minute=MINUTE_1)
    month = _next(monthly)
    assert month is not None and {r["expiry"] for r in month["rows"]} == {"2026-04-28"}
    summary = _next(analytics)
    assert summary is not None and summary["type"] == "analytics.summary"


def test_it_names_groups_by_symbol_and_bucket() -> None:
    assert chain_group(symbol="NIFTY", bucket="this_week") == "chain.NIFTY.this_week"
    assert analytics_group(symbol="SENSEX") == "analytics.SENSEX"


def test_a_feed_row_carries_exactly_the_chain_leg_columns() -> None:
    from apps.live.publisher import ChainRow
    from apps.marketdata import legs

    contract = {"key", "tradingsymbol", "expiry", "strike", "option_type", "strike_offset", "close_price", "change"}
    assert set(ChainRow.__annotations__) == contract | set(legs.CHAIN)
