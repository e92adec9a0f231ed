"""The clock stepping forward and back under the minute service (time is injected, never slept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.collection.services.instruments import instruments_sync
from apps.collection.services.minute import minute_collect
from apps.market.clock import IST
from apps.market.services import underlyings_load
from apps.marketdata.models import OptionQuote
from apps.monitoring.models import ErrorEvent
from tests.chaos.brokers import LiveClockBroker
from tests.chaos.figures import archive_figures
from tests.support import database_url

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY_1015 = datetime(2026, 11, 30, 10, 15, 5, tzinfo=IST)


@pytest.fixture
def broker() -> LiveClockBroker:
    live = LiveClockBroker()
    underlyings_load()
    instruments_sync(broker=live)
    return live


def test_the_clock_stepping_forward_and_back_stores_each_minute_once_and_never_under_a_past_minute(
    broker: LiveClockBroker,
) -> None:
    steps = [0, 1, 10, 1, 0, -60, 11]  # minutes after 10:15 IST: forward, a jump, back, far back, forward again
    outcomes = [minute_collect(now=MONDAY_1015 + timedelta(minutes=m), broker=broker) for m in steps]

    stored = [o.run.minute for o in outcomes if o.run is not None]
    start = MONDAY_1015.astimezone(UTC).replace(second=0)
    assert stored == [start, start + timedelta(minutes=1), start + timedelta(minutes=10), start + timedelta(minutes=11)]
    assert [o.skipped.split(" (")[0] if o.run is None else "" for o in outcomes] == [
        "",
        "",
        "",
        "the clock",
        "the clock",
        "the clock",
        "",
    ]
    assert "is behind the last collected minute (2026-11-30 10:25 IST)" in outcomes[3].skipped
    counts = OptionQuote.objects.values("instrument_id", "minute").distinct().count()
    assert counts == OptionQuote.objects.count()  # nothing stored twice
    assert ErrorEvent.objects.get(code="clock_behind").count == 3
    planned = dict(
        (u, OptionQuote.objects.filter(minute=start, underlying_id=u).count())
        for u in OptionQuote.objects.filter(minute=start).values_list("underlying_id", flat=True).distinct()
    )
    figures = archive_figures(
        url=database_url(),
        fault="the clock stepping forward (+9 min) and back (-10, -11, -70 min)",
        expected=stored,
        planned=planned,
        seconds_to_resume=60.0,  # the first minute after the clock is right again
    )
    assert (figures.lost, figures.duplicated, figures.half_written) == (0, 0, 0), figures
