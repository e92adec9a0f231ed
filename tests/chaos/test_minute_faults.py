"""Faults around one minute, with real processes and an injected clock: a worker killed mid-collection,
two workers racing for the same minute."""

from __future__ import annotations

import json
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count

from apps.collection.services.instruments import instruments_sync
from apps.market.clock import IST
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionRun, CollectionStatus, OptionQuote, UnderlyingQuote
from tests.chaos.brokers import LiveClockBroker
from tests.chaos.conftest import minute_process
from tests.chaos.figures import archive_figures
from tests.support import database_url

pytestmark = pytest.mark.django_db(transaction=True)

T = datetime(2026, 11, 30, 10, 15, 2, tzinfo=IST)
MINUTE = T.astimezone(UTC).replace(second=0)


@pytest.fixture
def market() -> dict[int, int]:
    """Instruments synced; returns the planned option rows per underlying (from a clean minute before T)."""
    underlyings_load()
    instruments_sync(broker=LiveClockBroker())
    connection.close()
    reference = minute_process((T - timedelta(minutes=1)).isoformat())
    assert reference.wait(timeout=60) == 0, reference.stderr.read() if reference.stderr else ""
    planned = dict(
        OptionQuote.objects.filter(minute=MINUTE - timedelta(minutes=1))
        .values_list("underlying_id")
        .annotate(n=Count("id"))
    )
    connection.close()
    return planned


def _wait_for_running(timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if CollectionRun.objects.filter(minute=MINUTE, status=CollectionStatus.RUNNING).exists():
            connection.close()
            return
        time.sleep(0.02)
    raise TimeoutError("the collection never started")


def test_a_collection_killed_mid_minute_is_collected_again_within_that_minute(market: dict[int, int]) -> None:
    victim = minute_process(T.isoformat(), delay=0.5)
    _wait_for_running()
    time.sleep(0.6)  # inside its quote calls
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed_at = time.monotonic()
    assert not UnderlyingQuote.objects.filter(minute=MINUTE).exists()  # nothing of it was committed

    retry = minute_process((T + timedelta(seconds=5)).isoformat())  # a redelivery, within the same minute
    assert retry.wait(timeout=60) == 0, retry.stderr.read() if retry.stderr else ""
    resumed = time.monotonic() - killed_at
    outcome = json.loads(retry.stdout.read() if retry.stdout else "{}")

    assert outcome["status"] == "success"  # it took over the dead worker's lease at once
    runs = {r.pk: r for r in CollectionRun.objects.filter(minute=MINUTE)}
    assert runs[outcome["run"]].status == CollectionStatus.SUCCESS
    assert [r.status for pk, r in runs.items() if pk != outcome["run"]] == [CollectionStatus.FAILED]
    figures = archive_figures(
        url=database_url(),
        fault="worker killed mid-collection (service level)",
        expected=[MINUTE],
        planned=market,
        seconds_to_resume=resumed,
    )
    assert (figures.lost, figures.duplicated, figures.half_written) == (0, 0, 0)
    assert figures.stored == figures.expected == len(market)


def test_two_workers_racing_for_one_minute_store_it_once(market: dict[int, int]) -> None:
    racers = [minute_process(T.isoformat(), delay=0.2) for _ in range(2)]
    outcomes = []
    for racer in racers:
        assert racer.wait(timeout=60) == 0, racer.stderr.read() if racer.stderr else ""
        outcomes.append(json.loads(racer.stdout.read() if racer.stdout else "{}"))

    collected = [o for o in outcomes if "run" in o]
    skipped = [o["skipped"] for o in outcomes if "skipped" in o]
    assert len(collected) == 1 and collected[0]["status"] == "success"
    assert len(skipped) == 1 and (
        skipped[0].startswith("another collection run is in progress") or "is already collected" in skipped[0]
    )
    figures = archive_figures(
        url=database_url(),
        fault="two workers racing for one minute",
        expected=[MINUTE],
        planned=market,
        seconds_to_resume=None,
    )
    assert (figures.lost, figures.duplicated, figures.half_written) == (0, 0, 0)
