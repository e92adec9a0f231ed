"""Error events: one open event per (component, code), counted by an upsert, even under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from apps.monitoring.models import ErrorEvent
from apps.monitoring.services import error_record, error_resolve

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_counts_a_repeated_error_on_its_open_event() -> None:
    first = error_record(component="broker", code="kite_network", message="timeout", suggestion="Check the network.")
    again = error_record(component="broker", code="kite_network", message="timeout again")

    assert again.pk == first.pk and again.count == 2
    assert again.message == "timeout again" and again.suggestion == "Check the network."  # kept when not given
    assert again.first_seen == first.first_seen and again.last_seen >= first.last_seen


def test_a_resolved_event_stays_closed_and_the_next_occurrence_opens_a_new_one() -> None:
    first = error_record(component="broker", code="kite_network", message="timeout")
    error_resolve(event=first)
    second = error_record(component="broker", code="kite_network", message="timeout")

    assert second.pk != first.pk and second.count == 1
    assert ErrorEvent.objects.filter(resolved=True).count() == 1


def test_the_database_refuses_a_second_open_event_for_the_same_code() -> None:
    error_record(component="broker", code="kite_network", message="timeout")
    with pytest.raises(IntegrityError), transaction.atomic():
        ErrorEvent.objects.create(
            component="broker",
            code="kite_network",
            message="dup",
            first_seen=ErrorEvent.objects.get().first_seen,
            last_seen=ErrorEvent.objects.get().last_seen,
        )


def test_workers_recording_the_same_error_at_once_open_it_once() -> None:
    barrier = threading.Barrier(8)

    def record() -> None:
        try:
            barrier.wait()
            error_record(component="collection", code="stalled", message="no minute for 2 minutes")
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    event = ErrorEvent.objects.get(component="collection", code="stalled")
    assert event.count == 8


def test_the_migration_folds_open_duplicates_made_before_the_constraint() -> None:
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    executor = MigrationExecutor(connection)
    executor.migrate([("monitoring", "0001_initial")])
    old = executor.loader.project_state([("monitoring", "0001_initial")]).apps.get_model("monitoring", "ErrorEvent")
    now = timezone.now()
    for minutes, count in ((3, 2), (2, 5), (1, 1)):
        seen = now - timedelta(minutes=minutes)
        old.objects.create(
            component="broker", code="dup", message=f"m{minutes}", first_seen=seen, last_seen=seen, count=count
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("monitoring"))

    open_event = ErrorEvent.objects.get(component="broker", code="dup", resolved=False)
    assert open_event.message == "m1" and open_event.count == 8
    assert open_event.first_seen == now - timedelta(minutes=3)
    assert ErrorEvent.objects.filter(code="dup", resolved=True).count() == 2
