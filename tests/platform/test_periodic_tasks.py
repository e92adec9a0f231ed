from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from apps.market.calendar import session_minutes
from apps.market.clock import IST, to_ist
from apps.platform.services.periodic_tasks import periodic_tasks_setup
from apps.platform.tasks import schedule_refresh_task
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


def _fire_minutes(crontab: CrontabSchedule, day: date) -> set[datetime]:
    """Every IST minute of ``day`` at which the cron line fires (django-celery-beat's own schedule)."""
    assert str(crontab.timezone) == "Asia/Kolkata"
    cron = crontab.schedule
    start = datetime.combine(day, time.min, tzinfo=IST)
    minutes = (start + timedelta(minutes=i) for i in range(24 * 60))
    return {
        m
        for m in minutes
        if m.minute in cron.minute
        and m.hour in cron.hour
        and m.day in cron.day_of_month
        and m.month in cron.month_of_year
        and m.isoweekday() % 7 in cron.day_of_week
    }


@pytest.mark.parametrize(
    "day",
    [date(2026, 3, 27), date(2026, 11, 30), date(2026, 2, 1), date(2026, 11, 24), date(2026, 11, 29)],
    ids=["15:30 close", "15:40 close", "Sunday budget session", "holiday", "Sunday"],
)
def test_a_live_broker_collects_in_exactly_the_session_minutes_of_the_day(settings: object, day: date) -> None:
    settings.OPTRADING_BROKER = "kite"  # type: ignore[attr-defined]
    periodic_tasks_setup(now=datetime.combine(day, time(0, 1), tzinfo=IST))
    fired: set[datetime] = set()
    for task in PeriodicTask.objects.filter(task="collection.collect"):
        assert task.interval is None and task.queue == "collection"
        fired |= _fire_minutes(task.crontab, day)
    assert fired == {m.astimezone(IST) for m in session_minutes(day)}
    assert PeriodicTask.objects.filter(name=PREFIX + "end-of-day quality", task="quality.eod_verify").exists()


def test_the_hourly_refresh_moves_the_collect_lines_to_the_new_day(settings: object) -> None:
    settings.OPTRADING_BROKER = "kite"  # type: ignore[attr-defined]
    periodic_tasks_setup(now=datetime(2026, 11, 27, 15, 0, tzinfo=IST))  # Friday
    assert PeriodicTask.objects.filter(task="collection.collect").count() == 3
    result = periodic_tasks_setup(now=datetime(2026, 11, 28, 0, 1, tzinfo=IST))  # Saturday: no session
    assert result.removed == 3 and not PeriodicTask.objects.filter(task="collection.collect").exists()
    refresh = PeriodicTask.objects.get(name=PREFIX + "schedule refresh")
    assert refresh.task == "platform.schedule_refresh" and refresh.crontab.minute == "1"
    schedule_refresh_task.delay().get()  # the task: the same for the real clock's IST day
    today = to_ist(timezone.now()).date()
    fired = set().union(
        *(_fire_minutes(t.crontab, today) for t in PeriodicTask.objects.filter(task="collection.collect"))
    )
    assert fired == {m.astimezone(IST) for m in session_minutes(today)}


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
