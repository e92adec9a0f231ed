"""Fault alerts: a stopped worker, an expired session before the open and a stalled collection reach the platform's
channels within one watchdog pass, with what to do, once; a RESOLVED follows when the condition clears."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from apps.alerts.models import FaultNotice
from apps.alerts.services.faults import faults_check
from apps.brokers.models import BrokerSession
from apps.core.queues import CeleryQueue
from apps.health.heartbeats import BEAT, WATCHDOG, heartbeat_write, worker_heartbeat_name
from apps.health.models import Heartbeat
from apps.market.clock import IST
from apps.monitoring.models import ErrorEvent
from apps.monitoring.services import error_record
from tests.alerts.conftest import SECRET
from tests.alerts.doubles import Receiver
from tests.factories.marketdata import CollectionRunFactory

pytestmark = pytest.mark.django_db

SATURDAY = datetime(2026, 1, 24, 11, 0, tzinfo=IST)
"""No session: only the heartbeats matter."""


@pytest.fixture
def platform_channels(settings: Any, receiver: Receiver, channels_configured: Receiver) -> tuple[Receiver, Receiver]:
    settings.OPTRADING_ALERT_CHANNELS = ["email", "webhook", "telegram"]
    settings.OPTRADING_ALERT_EMAILS = ["ops@example.com"]
    settings.OPTRADING_ALERT_WEBHOOK_URL = f"{receiver.url}/faults"
    settings.OPTRADING_ALERT_TELEGRAM_CHAT_ID = "-1009"
    settings.OPTRADING_ALERT_DEDUP_MINUTES = 30
    return receiver, channels_configured


def _alive(now: datetime) -> None:
    for queue in CeleryQueue:
        heartbeat_write(name=worker_heartbeat_name(queue.value), now=now, interval_seconds=30)
    for name in (BEAT, WATCHDOG):
        heartbeat_write(name=name, now=now, interval_seconds=30)


def test_a_stopped_worker_is_reported_once_with_what_to_do_then_resolved(
    platform_channels: tuple[Receiver, Receiver],
) -> None:
    hook, telegram = platform_channels
    _alive(SATURDAY)
    assert faults_check(now=SATURDAY + timedelta(seconds=30)).notices == []
    # The worker stops: beat keeps publishing (its heartbeat is fresh), the queues' heartbeats stop.
    for second in (60, 90):
        heartbeat_write(name=BEAT, now=SATURDAY + timedelta(seconds=second), interval_seconds=30)
    found = faults_check(now=SATURDAY + timedelta(seconds=91))  # 91 s after the last worker heartbeat
    assert [n.subject for n in found.notices] == ["[optrading] PROBLEM: worker heartbeat lost"]
    (email,) = mail.outbox
    assert email.to == ["ops@example.com"] and "What to do: Start the Celery worker" in email.body
    (posted,) = hook.received
    assert posted.json["type"] == "fault.problem" and posted.json["code"] == "worker_heartbeat_lost"
    assert posted.headers["x-optrading-signature"].startswith("sha256=") and SECRET not in posted.body.decode()
    assert len(telegram.received) == 1 and "PROBLEM: worker heartbeat lost" in telegram.received[0].json["text"]

    # Still down at the next passes, and a second checker (the worker's task beside the watchdog): nothing new.
    assert faults_check(now=SATURDAY + timedelta(seconds=121)).notices == []
    assert faults_check(now=SATURDAY + timedelta(seconds=121)).notices == []
    assert len(mail.outbox) == 1 and len(hook.received) == 1

    _alive(SATURDAY + timedelta(seconds=150))  # restarted
    resolved = faults_check(now=SATURDAY + timedelta(seconds=151))
    assert [n.subject for n in resolved.notices] == ["[optrading] RESOLVED: worker heartbeat lost"]
    assert mail.outbox[-1].subject == "[optrading] RESOLVED: worker heartbeat lost"
    assert hook.received[-1].json["type"] == "fault.resolved"
    assert not ErrorEvent.objects.filter(code="worker_heartbeat_lost", resolved=False).exists()


def test_a_flapping_fault_is_told_once_per_window_and_again_if_still_open_after_it(
    platform_channels: tuple[Receiver, Receiver],
) -> None:
    start = SATURDAY
    _alive(start)
    Heartbeat.objects.filter(name=BEAT).delete()
    assert len(faults_check(now=start + timedelta(seconds=1)).notices) == 1  # beat: never written
    heartbeat_write(name=BEAT, now=start + timedelta(minutes=1), interval_seconds=30)
    _alive(start + timedelta(minutes=1))
    assert [n.kind for n in faults_check(now=start + timedelta(minutes=1, seconds=1)).notices] == ["resolved"]
    # Down again 5 minutes later: folded into the window of the first notice.
    Heartbeat.objects.filter(name=BEAT).update(beat_at=start)
    assert faults_check(now=start + timedelta(minutes=6)).notices == []
    assert ErrorEvent.objects.filter(code="beat_heartbeat_lost", resolved=False).exists()
    # Still open when the window ends: told then.
    later = faults_check(now=start + timedelta(minutes=31))
    assert [n.subject for n in later.notices] == ["[optrading] PROBLEM: beat heartbeat lost"]


def test_an_expired_session_before_the_open_is_reported_in_time(
    settings: Any, platform_channels: tuple[Receiver, Receiver]
) -> None:
    settings.OPTRADING_BROKER = "kite"
    settings.OPTRADING_SESSION_ALERT_LEAD_MINUTES = 60
    session = BrokerSession(
        provider="kite",
        user_id="AB1234",
        login_time=datetime(2026, 1, 19, 8, 0, tzinfo=IST),
        expires_at=datetime(2026, 1, 20, 6, 0, tzinfo=IST),
    )
    session.set_access_token("secret-token")
    session.save()
    now = datetime(2026, 1, 20, 8, 20, tzinfo=IST)  # Tuesday, 55 minutes before the open
    _alive(now)
    notices = faults_check(now=now).notices
    assert [n.subject for n in notices] == ["[optrading] PROBLEM: broker session expired or expiring before the open"]
    body = mail.outbox[0].body
    assert "expired at 2026-01-20 06:00 IST" in body and "Log in at /broker/kite/login" in body
    assert "secret-token" not in body


def test_a_stalled_collection_in_session_is_reported(
    settings: Any, platform_channels: tuple[Receiver, Receiver]
) -> None:
    now = datetime(2026, 1, 19, 11, 0, tzinfo=IST)
    _alive(now)
    CollectionRunFactory(finished_at=now - timedelta(minutes=3), status="success")
    (notice,) = faults_check(now=now).notices
    assert notice.subject == "[optrading] PROBLEM: collection stalled"
    assert "no minute collected for 3 min in session" in notice.message


def test_repeated_broker_errors_and_a_low_score_are_critical_faults(
    settings: Any, platform_channels: tuple[Receiver, Receiver]
) -> None:
    settings.OPTRADING_BROKER_ERROR_ALERT_COUNT = 3
    _alive(SATURDAY)
    for _ in range(3):
        error_record(component="broker", code="kite_network", message="read timed out", now=SATURDAY)
    error_record(
        component="quality", code="low_score", message="2026-01-23 scored 61.0", severity="critical", now=SATURDAY
    )
    subjects = sorted(n.subject for n in faults_check(now=SATURDAY + timedelta(seconds=5)).notices)
    assert subjects == [
        "[optrading] PROBLEM: low end-of-day data-quality score",
        "[optrading] PROBLEM: repeated broker errors",
    ]
    # Broker quiet for 15 minutes: the repeated-errors fault clears (the broker events themselves stay for staff).
    ErrorEvent.objects.filter(component="broker").update(resolved=True)
    _alive(SATURDAY + timedelta(minutes=20))
    cleared = faults_check(now=SATURDAY + timedelta(minutes=20))
    assert [n.subject for n in cleared.notices] == ["[optrading] RESOLVED: repeated broker errors"]


def test_the_watchdog_command_writes_its_heartbeat_and_runs_a_pass(
    platform_channels: tuple[Receiver, Receiver],
) -> None:
    # A minute collected just now, so collection is fine whether or not the market is open as this runs.
    CollectionRunFactory(started_at=timezone.now() - timedelta(seconds=2))
    call_command("watchdog", "--once")
    assert Heartbeat.objects.filter(name=WATCHDOG).exists()
    # Beat has never run here: beat is down (and the worker unknown, since beat schedules its heartbeats).
    assert list(FaultNotice.objects.values_list("code", flat=True)) == ["beat_heartbeat_lost"]
