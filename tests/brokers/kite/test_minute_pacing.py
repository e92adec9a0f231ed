"""A whole minute task against the Kite double: chain and overview together stay within Kite's 1 quote call/s."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time

import pytest

from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.models import BrokerSession
from apps.collection.services.instruments import instruments_sync
from apps.collection.services.minute import minute_collect
from apps.market.calendar import next_trading_day
from apps.market.clock import IST, to_ist
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus
from tests.kite_double import KiteDouble

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_session(kite_double: KiteDouble) -> datetime:
    """10:15:02 IST on the next trading day, on the double's clock too (the login happens at that time)."""
    day = next_trading_day(to_ist(datetime.now(UTC)).date())
    when = datetime.combine(day, time(10, 15, 2), tzinfo=IST).astimezone(UTC)
    kite_double.set_time(when)
    return when


def test_a_minute_task_never_exceeds_one_quote_call_a_second(
    in_session: datetime, kite_broker: KiteBroker, kite_session: BrokerSession, kite_double: KiteDouble
) -> None:
    underlyings_load()
    instruments_sync(broker=kite_broker)
    kite_double.requests.clear()

    outcome = minute_collect(now=in_session, broker=kite_broker)

    assert outcome.run is not None and outcome.run.status == CollectionStatus.SUCCESS, outcome.run.error
    quotes = [r for r in kite_double.requests if r.path == "/quote"]
    assert len(quotes) == outcome.run.quote_calls + 1  # the chain's calls, then the overview's
    assert kite_double.rejected_429 == 0
    assert all(r.status == 200 for r in quotes)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(quotes)]
    assert len(gaps) >= 2 and min(gaps) >= 0.99, gaps
    assert outcome.minute == in_session.replace(second=0)
