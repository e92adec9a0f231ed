"""minute_collect: the one path of a market minute (gate, lease, de-duplication, chain, overview)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.brokers.base import QuoteDict
from apps.brokers.simulated import SimulatedBroker
from apps.collection.services.instruments import instruments_sync
from apps.collection.services.minute import LEASE_NAME, minute_collect
from apps.collection.tasks import collect_task
from apps.core.leases import lease_acquire
from apps.core.models import Lease
from apps.market.calendar import is_trading_day
from apps.market.clock import IST
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionRun, CollectionStatus, OptionQuote
from apps.monitoring.models import ErrorEvent
from apps.overview.models import BreadthSnapshot

pytestmark = pytest.mark.django_db(transaction=True)

AS_OF = date(2026, 11, 27)
MONDAY_1015 = datetime(2026, 11, 30, 10, 15, 5, tzinfo=IST)
SUNDAY = datetime(2026, 11, 29, 11, 0, tzinfo=IST)


class LiveClockBroker(SimulatedBroker):
    """The simulated market behind a live broker's clock: only the current minute, only in session."""

    simulated = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(seed=42, as_of=AS_OF, **kwargs)
        self.calls: list[int] = []
        self.fail_with: Exception | None = None

    def collection_minute(self, *, last_collected: datetime | None, now: datetime) -> datetime:
        return now.astimezone(UTC).replace(second=0, microsecond=0)

    def _quote(self, keys: Sequence[str], *, minute: datetime) -> dict[str, QuoteDict]:
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append(len(keys))
        return super()._quote(keys, minute=minute)


@pytest.fixture
def broker() -> LiveClockBroker:
    assert is_trading_day(MONDAY_1015.date()) and not is_trading_day(SUNDAY.date())
    live = LiveClockBroker()
    underlyings_load()
    instruments_sync(broker=live)
    return live


def test_it_collects_the_chain_and_the_overview_of_the_same_minute(broker: LiveClockBroker) -> None:
    outcome = minute_collect(now=MONDAY_1015, broker=broker)

    assert outcome.run is not None and outcome.run.status == CollectionStatus.SUCCESS, outcome.skipped
    minute = MONDAY_1015.astimezone(UTC).replace(second=0)
    assert outcome.run.minute == minute
    assert OptionQuote.objects.filter(minute=minute).count() == outcome.run.quotes_stored > 0
    assert outcome.overview_stored
    assert BreadthSnapshot.objects.filter(minute=minute).count() == 1
    # the head call, the option calls, then one overview call
    assert len(broker.calls) == outcome.run.quote_calls + 1
    assert Lease.objects.get(name=LEASE_NAME).token == ""  # released


def test_a_live_broker_collects_nothing_outside_the_session(broker: LiveClockBroker) -> None:
    outcome = minute_collect(now=SUNDAY, broker=broker)

    assert outcome.run is None and outcome.skipped == "market closed (weekend)"
    assert broker.calls == [] and not CollectionRun.objects.exists()


def test_a_minute_already_collected_is_not_asked_of_the_broker_again(broker: LiveClockBroker) -> None:
    minute_collect(now=MONDAY_1015, broker=broker)
    calls = len(broker.calls)
    again = minute_collect(now=MONDAY_1015 + timedelta(seconds=30), broker=broker)

    assert again.run is None and again.skipped == "minute 2026-11-30 10:15 IST is already collected"
    assert len(broker.calls) == calls and CollectionRun.objects.count() == 1
    later = minute_collect(now=MONDAY_1015 + timedelta(minutes=1), broker=broker)
    assert later.run is not None and later.run.minute == MONDAY_1015.astimezone(UTC).replace(second=0) + timedelta(
        minutes=1
    )


def test_it_waits_for_nothing_while_another_run_holds_the_lease(broker: LiveClockBroker) -> None:
    lease_acquire(name=LEASE_NAME, ttl=timedelta(seconds=55), now=MONDAY_1015, holder="worker-2:4242")
    outcome = minute_collect(now=MONDAY_1015 + timedelta(seconds=2), broker=broker)

    assert outcome.run is None and outcome.skipped == "another collection run is in progress (worker-2:4242)"
    assert broker.calls == [] and not CollectionRun.objects.exists()


def test_it_frees_the_lease_when_the_run_breaks(broker: LiveClockBroker) -> None:
    broker.fail_with = RuntimeError("the database went away")
    with pytest.raises(RuntimeError):
        minute_collect(now=MONDAY_1015, broker=broker)
    broker.fail_with = None
    assert minute_collect(now=MONDAY_1015 + timedelta(seconds=5), broker=broker).run is not None


def test_it_refuses_unknown_underlyings_before_taking_the_lease(broker: LiveClockBroker) -> None:
    with pytest.raises(Exception, match="Unknown underlying FOO"):
        minute_collect(now=MONDAY_1015, broker=broker, underlyings=["FOO"])
    assert not Lease.objects.exclude(token="").exists() and broker.calls == []


def test_the_task_and_the_command_are_the_same_path(settings: Any) -> None:
    underlyings_load()
    instruments_sync(broker=SimulatedBroker(seed=settings.OPTRADING_SIM_SEED))
    result = collect_task.delay().get()
    run = CollectionRun.objects.get()
    assert result == {"run": run.pk, "status": "success", "stored": run.quotes_stored, "overview": True}

    call_command("collect_once")  # the simulated clock moves on one minute
    assert CollectionRun.objects.count() == 2
    lease_acquire(name=LEASE_NAME, ttl=timedelta(hours=1), now=datetime.now(UTC), holder="worker-2:1")
    with pytest.raises(CommandError) as refused:
        call_command("collect_once")
    assert refused.value.returncode == 1
    assert "nothing collected: another collection run is in progress (worker-2:1)" in str(refused.value)


def test_a_run_left_running_by_a_lost_worker_is_marked_failed_by_the_next(broker: LiveClockBroker) -> None:
    lost = CollectionRun.objects.create(
        started_at=MONDAY_1015 - timedelta(minutes=1), minute=MONDAY_1015, broker=broker.name, underlyings=["NIFTY"]
    )
    ticker = CollectionRun.objects.create(started_at=MONDAY_1015, broker="kite_ticker", underlyings=["NIFTY"])

    outcome = minute_collect(now=MONDAY_1015 + timedelta(seconds=1), broker=broker)

    assert outcome.run is not None and outcome.run.status == CollectionStatus.SUCCESS
    lost.refresh_from_db()
    ticker.refresh_from_db()
    assert lost.status == CollectionStatus.FAILED and "lost its worker" in lost.error
    assert ticker.status == CollectionStatus.RUNNING  # another source's run is not ours to judge
    event = ErrorEvent.objects.get(code="collection_orphaned")
    assert f"run {lost.pk}" in event.message
