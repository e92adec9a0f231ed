"""The incremental runner: a cursor per underlying, no recompute, no skipped minute, signal after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.analytics.models import AnalyticsCursor, ChainSnapshot
from apps.analytics.services import analytics_compute
from apps.analytics.signals import analytics_committed
from apps.analytics.tasks import analytics_compute_task
from apps.marketdata.models import OptionQuote
from tests.analytics.conftest import MINUTE, build_chain

pytestmark = pytest.mark.django_db

STRIKES = [22900, 23000, 23100]


def _minutes(count: int, start: int = 0) -> list:
    return [MINUTE + timedelta(minutes=start + i) for i in range(count)]


def test_it_processes_each_minute_once_across_restarts(nifty) -> None:
    for minute in _minutes(3):
        build_chain(nifty, minute=minute, strikes=STRIKES)
    assert analytics_compute() == 3
    first_pass = dict(OptionQuote.objects.values_list("id", "analysed_at"))
    assert AnalyticsCursor.objects.get(underlying=nifty).last_minute == _minutes(3)[-1]

    assert analytics_compute() == 0  # a restart with nothing new recomputes nothing
    for minute in _minutes(2, start=3):
        build_chain(nifty, minute=minute, strikes=STRIKES)
    assert analytics_compute() == 2
    after = dict(OptionQuote.objects.values_list("id", "analysed_at"))
    assert all(after[pk] == stamp for pk, stamp in first_pass.items())  # old minutes untouched
    assert ChainSnapshot.objects.filter(underlying=nifty).count() == 5


def test_it_works_through_a_backlog_in_chunks_without_skipping_a_minute(nifty) -> None:
    minutes = _minutes(7)
    for minute in minutes:
        build_chain(nifty, minute=minute, strikes=STRIKES)
    assert analytics_compute(limit=3) == 3
    assert sorted(ChainSnapshot.objects.values_list("minute", flat=True)) == minutes[:3]
    assert analytics_compute(limit=3) == 3
    assert analytics_compute(limit=3) == 1
    assert sorted(ChainSnapshot.objects.values_list("minute", flat=True)) == minutes
    assert not OptionQuote.objects.filter(analysed_at__isnull=True).exists()


def test_the_task_drains_the_backlog_and_reports_minutes(nifty) -> None:
    for minute in _minutes(2):
        build_chain(nifty, minute=minute, strikes=STRIKES)
    assert analytics_compute_task.delay(underlying_ids=[nifty.id]).get() == 2
    assert analytics_compute_task.name == "analytics.compute"
    assert AnalyticsCursor.objects.get(underlying=nifty).last_minute == _minutes(2)[-1]


def test_it_sends_analytics_committed_only_after_commit(nifty, django_capture_on_commit_callbacks) -> None:
    build_chain(nifty, strikes=STRIKES)
    received: list[dict] = []

    def receiver(sender, **kwargs) -> None:
        received.append(kwargs)

    analytics_committed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            analytics_compute()
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        analytics_committed.disconnect(receiver)
    assert [(r["underlying_id"], r["minute"]) for r in received] == [(nifty.id, MINUTE)]
