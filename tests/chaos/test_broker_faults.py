"""Faults of the broker, with the real pykiteconnect client against the Kite double and an injected clock:
a 5xx storm and timeouts through whole minutes, the token rejected mid-collection, then recovery."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from apps.brokers.kite.adapter import KiteBroker
from apps.brokers.models import BrokerSession
from apps.brokers.services import kite_session_create
from apps.collection.services.instruments import instruments_sync
from apps.collection.services.minute import MinuteOutcome, minute_collect
from apps.market.calendar import next_trading_day
from apps.market.clock import IST, to_ist
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus, OptionQuote, UnderlyingQuote
from apps.monitoring.models import ErrorEvent
from tests.chaos.figures import archive_figures
from tests.kite_double import KiteDouble
from tests.support import database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_session(kite_double: KiteDouble) -> datetime:
    """10:15:02 IST on the next trading day (the double's clock too: the login happens then)."""
    day = next_trading_day(to_ist(datetime.now(UTC)).date())
    when = datetime.combine(day, time(10, 15, 2), tzinfo=IST).astimezone(UTC)
    kite_double.set_time(when)
    return when


@pytest.fixture
def kite(in_session: datetime, kite_settings, kite_session: BrokerSession) -> KiteBroker:  # type: ignore[no-untyped-def]
    kite_settings.KITE_MAX_TRIES = 3
    kite_settings.KITE_RETRY_BASE_DELAY = 0.05
    kite_settings.KITE_TIMEOUT = 0.5
    broker = KiteBroker.from_settings()
    underlyings_load()
    instruments_sync(broker=broker)
    return broker


def _collect(broker: KiteBroker, double: KiteDouble, at: datetime) -> MinuteOutcome:
    double.set_time(at)
    return minute_collect(now=at, broker=broker)


def _planned(minute: datetime) -> dict[int, int]:
    counts: dict[int, int] = {}
    for underlying_id in OptionQuote.objects.filter(minute=minute).values_list("underlying_id", flat=True):
        counts[underlying_id] = counts.get(underlying_id, 0) + 1
    return counts


def test_a_5xx_storm_and_timeouts_through_whole_minutes_then_recovery(
    in_session: datetime, kite: KiteBroker, kite_double: KiteDouble
) -> None:
    minutes = [in_session + timedelta(minutes=i) for i in range(4)]
    before = _collect(kite, kite_double, minutes[0])
    kite_double.inject("unavailable", path="/quote", times=10_000)  # every call of the minute: 503
    storm = _collect(kite, kite_double, minutes[1])
    kite_double.faults.clear()
    kite_double.inject("slow", path="/quote", times=10_000, delay=1.0)  # every call of the minute times out
    timeouts = _collect(kite, kite_double, minutes[2])
    kite_double.faults.clear()
    after = _collect(kite, kite_double, minutes[3])

    assert before.run and before.run.status == CollectionStatus.SUCCESS
    assert storm.run and storm.run.status == CollectionStatus.FAILED and storm.run.quotes_stored == 0
    assert timeouts.run and timeouts.run.status == CollectionStatus.FAILED and timeouts.run.quotes_stored == 0
    assert after.run and after.run.status == CollectionStatus.SUCCESS
    served = [before.run.minute, after.run.minute]
    assert not UnderlyingQuote.objects.filter(minute__in=[storm.run.minute, timeouts.run.minute]).exists()
    assert ErrorEvent.objects.filter(component="broker", resolved=False).exists()  # the user is told
    figures = archive_figures(
        url=database_url(),
        fault="broker 5xx storm, then timeouts, for whole minutes",
        expected=served,
        planned=_planned(served[0]),
        seconds_to_resume=60.0,  # the next minute after the broker recovered
    )
    assert (figures.lost, figures.duplicated, figures.half_written) == (0, 0, 0), figures


def test_the_token_rejected_mid_collection_then_a_new_login(
    in_session: datetime, kite: KiteBroker, kite_double: KiteDouble
) -> None:
    minutes = [in_session + timedelta(minutes=i) for i in range(4)]
    before = _collect(kite, kite_double, minutes[0])
    kite_double.inject("token_expired", path="/quote", after=1)  # the head call passes, the options call is refused
    rejected = _collect(kite, kite_double, minutes[1])
    waiting = _collect(kite, kite_double, minutes[2])
    kite_session_create(request_token=kite_double.issue_request_token(), request_id="relogin")
    after = _collect(kite, kite_double, minutes[3])

    assert before.run and before.run.status == CollectionStatus.SUCCESS
    assert rejected.run and rejected.run.status == CollectionStatus.FAILED and rejected.run.quotes_stored == 0
    assert not UnderlyingQuote.objects.filter(minute=rejected.run.minute).exists()  # nothing half-stored
    assert waiting.run and waiting.run.status == CollectionStatus.SKIPPED  # no session: Kite is not even asked
    assert after.run and after.run.status == CollectionStatus.SUCCESS
    assert BrokerSession.objects.filter(status="expired").exists()
    served = [before.run.minute, after.run.minute]
    figures = archive_figures(
        url=database_url(),
        fault="Kite token rejected mid-collection, then a new login",
        expected=served,
        planned=_planned(served[0]),
        seconds_to_resume=60.0,  # the next minute after the login
    )
    assert (figures.lost, figures.duplicated, figures.half_written) == (0, 0, 0), figures
