"""Days stored behind the cursor: the catch-up task and ``manage.py analytics_compute`` analyse them."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from apps.analytics.models import AnalyticsCursor, ChainSnapshot
from apps.analytics.services import analytics_compute
from apps.analytics.tasks import analytics_compute_task
from apps.marketdata.models import OptionQuote
from tests.analytics.conftest import MINUTE, build_chain

pytestmark = pytest.mark.django_db

STRIKES = [22900, 23000, 23100]
LATER = MINUTE + timedelta(days=1)  # Tuesday 20 January 2026, 09:30 IST


def _older_day_behind_the_cursor(nifty) -> None:
    build_chain(nifty, minute=LATER, strikes=STRIKES)
    assert analytics_compute() == 1
    build_chain(nifty, minute=MINUTE, strikes=STRIKES)  # e.g. Monday's bhavcopy imported on Wednesday


def test_the_forward_pass_alone_never_reaches_a_day_behind_the_cursor(nifty) -> None:
    _older_day_behind_the_cursor(nifty)
    assert analytics_compute() == 0
    assert OptionQuote.objects.filter(minute=MINUTE, analysed_at__isnull=True).count() == 6


def test_the_catch_up_task_analyses_a_day_imported_behind_the_cursor(nifty) -> None:
    _older_day_behind_the_cursor(nifty)
    assert analytics_compute_task.delay().get() == 1
    assert not OptionQuote.objects.filter(analysed_at__isnull=True).exists()
    assert ChainSnapshot.objects.filter(underlying=nifty, minute=MINUTE).count() == 1
    assert AnalyticsCursor.objects.get(underlying=nifty).last_minute == LATER  # the cursor never moves back
    assert analytics_compute_task.delay().get() == 0  # nothing left: a second catch-up does nothing


def test_a_collection_triggered_run_does_not_sweep_behind_the_cursor(nifty) -> None:
    _older_day_behind_the_cursor(nifty)
    assert analytics_compute_task.delay(underlying_ids=[nifty.id], minute=LATER.isoformat()).get() == 0
    assert OptionQuote.objects.filter(minute=MINUTE, analysed_at__isnull=True).count() == 6


def test_the_command_analyses_only_unanalysed_minutes_of_the_range(nifty, capsys) -> None:
    _older_day_behind_the_cursor(nifty)
    before = dict(OptionQuote.objects.filter(minute=LATER).values_list("id", "analysed_at"))
    call_command("analytics_compute", "--underlying", "nifty", "--from", "2026-01-19", "--to", "2026-01-20")
    out = capsys.readouterr().out
    assert "NIFTY: 1 minute(s), 6 option rows analysed" in out
    assert not OptionQuote.objects.filter(analysed_at__isnull=True).exists()
    assert dict(OptionQuote.objects.filter(minute=LATER).values_list("id", "analysed_at")) == before


def test_recompute_analyses_every_minute_of_the_range_again(nifty, capsys) -> None:
    _older_day_behind_the_cursor(nifty)
    call_command("analytics_compute")
    stamps = dict(OptionQuote.objects.values_list("id", "analysed_at"))
    call_command("analytics_compute", "--from", "2026-01-20", "--to", "2026-01-20", "--recompute")
    assert "1 minute(s) analysed over 2026-01-20 to 2026-01-20 (recomputed)" in capsys.readouterr().out
    after = dict(OptionQuote.objects.values_list("id", "analysed_at"))
    changed = {pk for pk in stamps if after[pk] != stamps[pk]}
    assert changed == set(OptionQuote.objects.filter(minute=LATER).values_list("id", flat=True))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--underlying", "NOPE"], "Unknown underlying 'NOPE'"),
        (["--from", "2026-01-20"], "Give both --from and --to"),
        (["--from", "2026-01-21", "--to", "2026-01-20"], r"--from \(2026-01-21\) is after --to \(2026-01-20\)"),
        (["--from", "20-01-2026", "--to", "2026-01-20"], "--from must be a date as YYYY-MM-DD"),
    ],
)
def test_bad_input_is_refused_before_any_work(nifty, args, message) -> None:
    build_chain(nifty, minute=MINUTE, strikes=STRIKES)
    with pytest.raises(CommandError, match=message) as raised:
        call_command("analytics_compute", *args)
    assert raised.value.returncode == 2
    assert not OptionQuote.objects.filter(analysed_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_waits_for_the_live_workers_cursor_lock(nifty) -> None:
    """The worker holds the cursor row while it analyses a minute; the command analyses nothing until it is free."""
    build_chain(nifty, minute=MINUTE, strikes=STRIKES)
    cursor = AnalyticsCursor.objects.create(underlying=nifty)
    locked, release = threading.Event(), threading.Event()
    released_at: list[float] = []

    def worker() -> None:
        try:
            with transaction.atomic():
                AnalyticsCursor.objects.select_for_update().get(pk=cursor.pk)
                locked.set()
                release.wait(5)
                released_at.append(time.monotonic())
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    assert locked.wait(5)
    threading.Timer(0.5, release.set).start()
    call_command("analytics_compute", "--underlying", "NIFTY")
    finished_at = time.monotonic()
    thread.join(5)
    assert released_at and finished_at >= released_at[0]
    assert not OptionQuote.objects.filter(analysed_at__isnull=True).exists()
