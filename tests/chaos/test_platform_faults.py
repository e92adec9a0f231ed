"""Faults of the running platform: real Celery worker and beat processes and the web server, on a PostgreSQL
and a Redis of the test's own, killed and restarted while the simulated market is collected every 2 s."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import redis
from celery import Celery

from apps.market.calendar import session_minutes
from apps.market.clock import to_ist
from tests.chaos.figures import Figures, archive_figures
from tests.chaos.platform import Platform
from tests.chaos.services import OwnPostgres, OwnRedis

RESUME_LIMIT = 120.0
"""The promise: collection resumes by itself within two minutes of the service coming back."""


@pytest.fixture(scope="module")
def services() -> Iterator[tuple[OwnPostgres, OwnRedis]]:
    pg, rds = OwnPostgres().start(), OwnRedis().start()
    yield pg, rds
    pg.close()
    rds.close()


@pytest.fixture
def platform(
    services: tuple[OwnPostgres, OwnRedis], request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Platform]:
    pg, rds = services
    if rds.process is None:
        rds.start()
    redis.Redis.from_url(rds.url).flushall()
    running = Platform(pg=pg, redis=rds, database=f"chaos_{request.node.name[5:40]}", log_dir=tmp_path).setup()
    running.start()
    yield running
    running.stop()


def _expected(minutes: list[datetime]) -> list[datetime]:
    """Every session minute from the first stored to the last (the simulated clock takes them in order)."""
    first, last = minutes[0], minutes[-1]
    days = sorted({to_ist(first).date(), to_ist(last).date()})
    return [m for day in days for m in session_minutes(day) if first <= m <= last]


def _resume_after(platform: Platform, since: float) -> float:
    """Seconds from ``since`` (the fault) until the next minute is stored."""
    platform.wait_for_minutes(1, timeout=RESUME_LIMIT)
    return time.monotonic() - since


def _figures(platform: Platform, fault: str, resumed: float | None) -> Figures:
    minutes = platform.stored_minutes()
    return archive_figures(
        url=platform.url,
        fault=fault,
        expected=_expected(minutes),
        planned=platform.planned(),
        seconds_to_resume=resumed,
        supervisor_restarts=sum(platform.restarts.values()),
    )


def _analysed_once(platform: Platform) -> tuple[int, int]:
    """(stored minutes, minutes with chain snapshots) once analytics has caught up."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stored = len(platform.stored_minutes())
        analysed = platform.query("SELECT count(DISTINCT minute) FROM analytics_chainsnapshot")[0][0]
        if analysed >= stored:
            return stored, analysed
        time.sleep(0.5)
    return stored, analysed


def test_the_worker_killed_mid_collection_then_restarted(platform: Platform) -> None:
    platform.wait_for_minutes(3)
    deadline = time.monotonic() + 60
    while not platform.query("SELECT 1 FROM marketdata_collectionrun WHERE status = 'running'"):
        assert time.monotonic() < deadline, "no collection seen running"
        time.sleep(0.01)
    platform.kill("worker")
    killed = time.monotonic()
    time.sleep(3)
    platform.start_worker()
    resumed = _resume_after(platform, killed)
    platform.wait_for_minutes(3)
    platform.kill("beat")

    figures = _figures(platform, "worker SIGKILLed mid-collection, restarted", resumed)
    assert (figures.lost, figures.duplicated, figures.half_written) == (0, 0, 0), figures
    assert resumed < RESUME_LIMIT
    running = platform.query("SELECT count(*) FROM marketdata_collectionrun WHERE status = 'running'")[0][0]
    assert running == 0  # the killed run was marked failed by the next lease holder
    stored, analysed = _analysed_once(platform)
    assert analysed == stored  # analytics skipped no minute


def test_redis_restarted_while_the_platform_runs(platform: Platform) -> None:
    platform.wait_for_minutes(3)
    platform.redis.stop()
    down = time.monotonic()
    time.sleep(5)
    platform.redis.start()
    resumed = _resume_after(platform, down)
    platform.wait_for_minutes(3)
    platform.kill("beat")

    figures = _figures(platform, "Redis restarted (down 5 s)", resumed)
    assert (figures.lost, figures.duplicated, figures.half_written) == (0, 0, 0), figures
    assert resumed < RESUME_LIMIT
    stored, analysed = _analysed_once(platform)
    assert analysed == stored


def test_postgresql_restarted_while_the_platform_runs(platform: Platform) -> None:
    platform.wait_for_minutes(3)
    platform.pg.stop()
    down = time.monotonic()
    during = [platform.health() for _ in range(3)]
    platform.pg.start()
    resumed = _resume_after(platform, down)
    platform.wait_for_minutes(3)
    platform.kill("beat")

    assert all(status == 503 for status, _ in during), during  # never a 500
    assert all("database" in str(body).lower() for _, body in during), during
    figures = _figures(platform, "PostgreSQL restarted (down about 3 s)", resumed)
    assert (figures.lost, figures.duplicated, figures.half_written) == (0, 0, 0), figures
    assert resumed < RESUME_LIMIT
    stored, analysed = _analysed_once(platform)
    assert analysed == stored


def test_the_same_collect_task_delivered_twice_never_stores_a_minute_twice(platform: Platform) -> None:
    platform.wait_for_minutes(2)
    platform.kill("beat")  # from here on only our deliveries run
    time.sleep(3)
    before = set(platform.stored_minutes())
    sender = Celery(broker=platform.redis.url)
    for _ in range(3):
        task_id = str(uuid.uuid4())
        for _copy in range(2):  # the same message twice, as a redelivery would
            sender.send_task("collection.collect", task_id=task_id, queue="collection")
        time.sleep(3)
    sender.close()

    runs = platform.query(
        "SELECT minute, count(*) FILTER (WHERE quotes_stored > 0) FROM marketdata_collectionrun "
        "WHERE minute IS NOT NULL GROUP BY minute"
    )
    assert all(stored_by <= 1 for _, stored_by in runs)  # no minute was stored by two runs
    added = set(platform.stored_minutes()) - before
    assert 1 <= len(added) <= 6
    figures = _figures(platform, "the same collect task delivered twice (x3)", None)
    assert (figures.lost, figures.duplicated, figures.half_written) == (0, 0, 0), figures


def test_several_collection_workers_collect_each_minute_once(platform: Platform) -> None:
    for index in (2, 3):  # three workers on the collection queue, beside the first one's other queues
        platform.start_worker(f"collector{index}", queues="collection")
    platform.wait_for_minutes(12)
    platform.kill("beat")
    time.sleep(3)

    stored_by = platform.query(
        "SELECT minute, count(*) FILTER (WHERE quotes_stored > 0) FROM marketdata_collectionrun "
        "WHERE minute IS NOT NULL GROUP BY minute"
    )
    assert stored_by and all(n == 1 for _, n in stored_by)  # every minute by exactly one run
    figures = _figures(platform, "three collection workers at once", None)
    assert (figures.lost, figures.duplicated, figures.half_written) == (0, 0, 0), figures
