"""runplatform supervises its processes: a child that dies is restarted (with backoff), not the end of the platform."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.marketdata.models import CollectionRun, CollectionStatus
from apps.platform.management.commands.runplatform import Backoff
from tests.chaos.services import free_port
from tests.support import database_url

ROOT = Path(__file__).resolve().parents[2]


def test_the_restart_delay_doubles_while_a_child_keeps_dying_and_resets_once_it_stays_up() -> None:
    backoff = Backoff()
    backoff.started(0.0)
    assert [backoff.failed(t) for t in (1.0, 3.0, 7.0)] == [1.0, 2.0, 4.0]
    backoff.started(8.0)
    assert backoff.failed(8.5) == 8.0
    backoff.started(100.0)
    assert backoff.failed(200.0) == 1.0  # it had stayed up over a minute
    for attempt in range(10):
        backoff.started(300.0 + attempt)
        backoff.failed(300.5 + attempt)
    assert backoff.failed(310.0) == 60.0  # capped


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_is_restarted_and_collection_goes_on() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_SETTINGS", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="optrading.settings.base",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SECRET_KEY="restart-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        OPTRADING_COLLECT_INTERVAL="1",
        OPTRADING_BROKER="simulated",
        OPTRADING_SIM_HISTORY_SESSIONS="0",  # the first-run back-fill has its own test (test_history_backfill.py)
    )
    connection.close()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runplatform", "--setup", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()

    def wait_for(pattern: str, timeout: float = 90.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(lines):
                if found := re.search(pattern, line):
                    return found
            assert proc.poll() is None, "".join(lines)[-3000:]
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in:\n" + "".join(lines)[-3000:])

    try:
        first = int(wait_for(r"started worker \(pid (\d+)\)").group(1))
        deadline = time.monotonic() + 90
        while not CollectionRun.objects.filter(status=CollectionStatus.SUCCESS).exists():
            assert time.monotonic() < deadline, "".join(lines)[-3000:]
            time.sleep(0.2)
        os.killpg(first, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(r"worker exited with status -9; restarting it in 1 s")
        second = int(wait_for(rf"started worker \(pid (?!{first}\))(\d+)\)").group(1))
        assert second != first
        runs = CollectionRun.objects.filter(status=CollectionStatus.SUCCESS).count()
        while CollectionRun.objects.filter(status=CollectionStatus.SUCCESS).count() <= runs:
            assert time.monotonic() - killed_at < 120, "".join(lines)[-3000:]
            time.sleep(0.2)
        connection.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=40)
        assert proc.returncode == 0, "".join(lines)[-3000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
