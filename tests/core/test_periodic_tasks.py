from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from optrading.schedules import PREFIX

pytestmark = pytest.mark.django_db


def test_it_writes_the_beat_schedule_once(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("setup_periodic_tasks")
    first = {t.name: (t.task, t.interval_id, t.crontab_id, t.expire_seconds) for t in PeriodicTask.objects.all()}
    call_command("setup_periodic_tasks")
    second = {t.name: (t.task, t.interval_id, t.crontab_id, t.expire_seconds) for t in PeriodicTask.objects.all()}

    assert first == second
    assert "0 created, 0 updated, 0 removed" in capsys.readouterr().out.splitlines()[-1]
    collect = PeriodicTask.objects.get(name=PREFIX + "collect chain")
    assert collect.task == "collection.collect"
    assert collect.interval is not None and collect.interval.every == 5  # simulated: every interval
    assert collect.expire_seconds is not None and collect.expire_seconds < 5
    sync = PeriodicTask.objects.get(name=PREFIX + "sync instruments")
    assert (sync.crontab.hour, sync.crontab.minute, str(sync.crontab.timezone)) == ("8", "30", "Asia/Kolkata")
    assert json.loads(collect.kwargs) == {}


def test_it_collects_each_minute_in_market_hours_for_a_live_broker(settings: object) -> None:
    settings.OPTRADING_BROKER = "kite"  # type: ignore[attr-defined]
    call_command("setup_periodic_tasks")
    collect = PeriodicTask.objects.get(name=PREFIX + "collect chain")
    assert collect.interval is None
    assert (collect.crontab.minute, collect.crontab.hour, collect.crontab.day_of_week) == ("*", "9-15", "mon-fri")
    assert PeriodicTask.objects.filter(name=PREFIX + "verify day").exists()


def test_it_removes_its_own_stale_entries_but_not_hand_made_ones() -> None:
    call_command("setup_periodic_tasks")
    stale = PeriodicTask.objects.get(name=PREFIX + "collect chain")
    stale.pk = None
    stale.name = PREFIX + "retired job"
    stale.save()
    hand = PeriodicTask.objects.get(name=PREFIX + "sync instruments")
    hand.pk = None
    hand.name = "my own job"
    hand.save()

    call_command("setup_periodic_tasks")
    assert not PeriodicTask.objects.filter(name=PREFIX + "retired job").exists()
    assert PeriodicTask.objects.filter(name="my own job").exists()
