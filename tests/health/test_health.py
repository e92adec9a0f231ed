"""Health reports each component as it is: heartbeats that stop, Redis that is stopped, a database that is not
there, collection against the calendar, analytics lag, disks, the broker session and its 06:00 IST death."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from apps.brokers.models import BrokerSession, SessionStatus
from apps.core.queues import CeleryQueue
from apps.health.checks import health_report
from apps.health.heartbeats import BEAT, WATCHDOG, heartbeat_write, worker_heartbeat_name
from apps.health.tasks import heartbeat_task
from apps.market.clock import IST
from tests.factories.market import UnderlyingFactory
from tests.factories.marketdata import CollectionRunFactory, OptionQuoteFactory
from tests.support import database_url

pytestmark = pytest.mark.django_db

# Monday 19 January 2026, 10:00 IST: in session.
IN_SESSION = datetime(2026, 1, 19, 10, 0, tzinfo=IST)
SATURDAY = datetime(2026, 1, 24, 11, 0, tzinfo=IST)
ROOT = Path(__file__).resolve().parents[2]


def _status(report: Any, name: str) -> str:
    component = report.component(name)
    assert component is not None, name
    return component.status.value


def _all_heartbeats(now: datetime) -> None:
    """A platform at work: every heartbeat fresh and a minute collected just now (in session, health reads a
    collection older than its stall limit as down, so a test without one would depend on the time it runs)."""
    CollectionRunFactory(started_at=now - timedelta(seconds=2))
    for queue in CeleryQueue:
        heartbeat_write(name=worker_heartbeat_name(queue.value), now=now, interval_seconds=30)
    heartbeat_write(name=BEAT, now=now, interval_seconds=30)
    heartbeat_write(name=WATCHDOG, now=now, interval_seconds=30)


def test_the_heartbeat_task_writes_its_queue_and_goes_stale_after_two_intervals(settings: Any) -> None:
    settings.OPTRADING_HEARTBEAT_SECONDS = 30
    heartbeat_task.delay(queue="analytics")
    from apps.health.models import Heartbeat

    beat_at = Heartbeat.objects.get(name="worker:analytics").beat_at
    _all_heartbeats(beat_at)
    assert _status(health_report(now=beat_at + timedelta(seconds=60)), "worker") == "ok"
    report = health_report(now=beat_at + timedelta(seconds=61))  # the heartbeats stopped 61 s ago
    worker = report.component("worker")
    assert worker is not None and worker.status.value == "unknown"  # beat stopped too: it schedules them
    assert _status(report, "beat") == "down"
    heartbeat_write(name=BEAT, now=beat_at + timedelta(seconds=60), interval_seconds=30)
    report = health_report(now=beat_at + timedelta(seconds=61))
    worker = report.component("worker")
    assert worker is not None and worker.status.value == "down" and "celery" in worker.detail
    assert "Start the Celery worker" in worker.suggestion
    assert report.http_status == 503 and report.exit_code == 2


def test_a_heartbeat_never_written_is_down(settings: Any) -> None:
    report = health_report(now=datetime.now(UTC))
    assert _status(report, "beat") == "down"
    beat = report.component("beat")
    assert beat is not None and "never written" in beat.detail


def test_collection_is_fine_outside_the_session_and_down_when_it_stalls_in_session(settings: Any) -> None:
    settings.OPTRADING_COLLECTION_STALL_MINUTES = 2
    assert _status(health_report(now=SATURDAY), "collection") == "ok"
    run = CollectionRunFactory(finished_at=IN_SESSION - timedelta(seconds=100))
    assert _status(health_report(now=IN_SESSION), "collection") == "ok"
    report = health_report(now=IN_SESSION + timedelta(seconds=30))  # 130 s without a minute
    collection = report.component("collection")
    assert collection is not None and collection.status.value == "down"
    assert collection.detail.startswith("no minute collected for 2 min in session")
    assert collection.data["last_run_status"] == run.status
    # The open itself: nothing is expected before 09:15, and 2 minutes of grace after it.
    open_ = datetime(2026, 1, 19, 9, 15, tzinfo=IST)
    assert _status(health_report(now=open_ + timedelta(seconds=110)), "collection") == "ok"


def test_analytics_lag_counts_archived_minutes_behind_the_cursor() -> None:
    nifty = UnderlyingFactory()
    start = datetime(2026, 1, 19, 4, 0, tzinfo=UTC)
    for i in range(3):
        OptionQuoteFactory(underlying=nifty, minute=start + timedelta(minutes=i))
    report = health_report(now=IN_SESSION)
    analytics = report.component("analytics")
    assert analytics is not None and analytics.status.value == "degraded"
    assert analytics.data["lag_minutes"] == {"NIFTY": 3}
    for i in range(3, 11):
        OptionQuoteFactory(underlying=nifty, minute=start + timedelta(minutes=i))
    assert _status(health_report(now=IN_SESSION), "analytics") == "down"


def test_disks_report_usage_against_the_thresholds(settings: Any, tmp_path: Path) -> None:
    settings.OPTRADING_ARCHIVE_DIR = str(tmp_path)
    report = health_report(now=IN_SESSION)
    archive = report.component("disk_archive")
    assert archive is not None and archive.data["path"] == str(tmp_path)
    used = archive.data["used_percent"]
    assert 0 < used < 100
    database = report.component("disk_database")
    assert database is not None and database.data["found_by"] == "PostgreSQL's data_directory"
    settings.OPTRADING_DISK_NEARLY_FULL_PERCENT = used - 0.5  # this real disk is now "nearly full"
    archive = health_report(now=IN_SESSION).component("disk_archive")
    assert archive is not None and archive.status.value == "degraded" and archive.detail.startswith("nearly full")
    settings.OPTRADING_DISK_FULL_PERCENT = used - 0.5
    assert _status(health_report(now=IN_SESSION), "disk_archive") == "down"
    settings.OPTRADING_ARCHIVE_DIR = str(tmp_path / "missing")
    archive = health_report(now=IN_SESSION).component("disk_archive")
    assert archive is not None and archive.status.value == "unknown" and "does not exist" in archive.detail


def _session(*, expires_at: datetime, status: str = SessionStatus.ACTIVE) -> BrokerSession:
    session = BrokerSession(
        provider="kite",
        user_id="AB1234",
        login_time=expires_at - timedelta(hours=20),
        expires_at=expires_at,
        status=status,
    )
    session.set_access_token("token-not-shown")
    session.save()
    return session


def test_the_broker_session_says_when_it_dies_at_0600_ist_and_whether_it_covers_the_session(settings: Any) -> None:
    settings.OPTRADING_BROKER = "kite"
    settings.OPTRADING_SESSION_ALERT_LEAD_MINUTES = 60
    # Logged in on Monday morning: valid until Tuesday 06:00, which covers Monday's session.
    _session(expires_at=datetime(2026, 1, 20, 6, 0, tzinfo=IST))
    broker = health_report(now=IN_SESSION).component("broker")
    assert broker is not None and broker.status.value == "ok"
    assert broker.data["expires_at"] == "2026-01-20T06:00:00+05:30" and "06:00 IST" in broker.detail
    # Monday evening: it will have died before Tuesday's open - degraded, not yet urgent.
    evening = datetime(2026, 1, 19, 20, 0, tzinfo=IST)
    broker = health_report(now=evening).component("broker")
    assert (
        broker is not None and broker.status.value == "degraded" and "before the end of the next open" in broker.detail
    )
    # Tuesday 08:30: expired at 06:00 and the open is 45 minutes away - down, with what to do.
    broker = health_report(now=datetime(2026, 1, 20, 8, 30, tzinfo=IST)).component("broker")
    assert broker is not None and broker.status.value == "down"
    assert "expired at 2026-01-20 06:00 IST" in broker.detail
    assert (
        broker.suggestion.startswith("Log in at /broker/kite/login")
        and "before 2026-01-20 09:15 IST" in broker.suggestion
    )


def test_the_api_answers_200_when_nothing_is_down_and_503_otherwise(settings: Any) -> None:
    settings.OPTRADING_HEALTH_CACHE_SECONDS = 1.0
    now = datetime.now(UTC)
    _all_heartbeats(now)
    response = Client().get("/api/v1/health")
    body = response.json()
    statuses = {c["name"]: c["status"] for c in body["components"]}
    assert response.status_code == (503 if "down" in statuses.values() else 200)
    assert statuses["database"] == "ok" and statuses["redis"] == "ok" and statuses["worker"] == "ok"
    assert {"name", "status", "detail", "suggestion", "data"} <= set(body["components"][0])
    heartbeat_write(name=BEAT, now=now - timedelta(minutes=5), interval_seconds=30)
    # The answer is reused for OPTRADING_HEALTH_CACHE_SECONDS: the same one (its checked_at says when) ...
    again = Client().get("/api/v1/health")
    assert again.status_code == response.status_code and again.json()["checked_at"] == body["checked_at"]
    time.sleep(1.05)
    # ... then worked out again.
    response = Client().get("/api/v1/health")
    assert response.status_code == 503 and response.json()["status"] == "down"


def test_the_command_exits_by_the_worst_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as down:
        call_command("health", "--json")
    document = json.loads(capsys.readouterr().out)
    assert down.value.code == 2 and document["status"] == "down"  # no heartbeats at all
    _all_heartbeats(datetime.now(UTC))
    with pytest.raises(SystemExit) as fine:
        call_command("health")
    out = capsys.readouterr().out
    assert fine.value.code in (0, 1) and "overall:" in out and "database" in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def own_redis() -> Iterator[str]:
    """A Redis of this test's own, on its own port, stopped by PID."""
    port = _free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            import time

            time.sleep(0.02)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def test_redis_is_down_when_it_is_stopped(settings: Any, own_redis: str) -> None:
    settings.REDIS_URL = own_redis
    redis_ = health_report(now=IN_SESSION).component("redis")
    assert redis_ is not None and redis_.status.value == "ok"
    subprocess.run(["redis-cli", "-u", own_redis, "shutdown", "nosave"], check=False, capture_output=True)
    redis_ = health_report(now=IN_SESSION).component("redis")
    assert redis_ is not None and redis_.status.value == "down" and "cannot reach Redis" in redis_.detail
    assert redis_.suggestion.startswith("Start Redis")


def test_redis_is_not_checked_when_it_is_not_configured(settings: Any) -> None:
    settings.REDIS_URL = ""
    assert health_report(now=IN_SESSION).component("redis") is None


def test_a_database_on_a_closed_port_is_down_and_the_rest_unknown_never_a_crash() -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "optrading.settings.base",
        "DATABASE_URL": database_url().rsplit("@", 1)[0] + f"@127.0.0.1:{port}/nothing",
        "REDIS_URL": settings.REDIS_URL,
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "health", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    statuses = {c["name"]: c["status"] for c in document["components"]}
    assert statuses["database"] == "down" and statuses["redis"] == "ok"
    assert {statuses[n] for n in ("broker", "worker", "beat", "collection", "analytics", "disk_database")} == {
        "unknown"
    }
    database = next(c for c in document["components"] if c["name"] == "database")
    assert f"127.0.0.1:{port}/nothing" in database["detail"] and database["suggestion"].startswith("Start the database")


def test_a_probe_asks_only_for_what_its_process_needs() -> None:
    """A web pod's readiness: the database and Redis it serves from, not the workers (whose heartbeats are
    missing here, which makes the whole report 503)."""
    client = Client()
    everything = client.get("/api/v1/health")
    assert everything.status_code == 503
    ready = client.get("/api/v1/health", {"components": "database,redis"})
    assert ready.status_code == 200
    assert [c["name"] for c in ready.json()["components"]] == ["database", "redis"]
    refused = client.get("/api/v1/health", {"components": "database,workers"})
    assert refused.status_code == 400 and "unknown workers" in refused.json()["error"]
