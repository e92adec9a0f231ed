"""Start the real platform as `make run` does, watch quotes arrive over HTTP and its processes' heartbeats turn
healthy, kill its worker (in process mode) and see it restarted, stop it cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.marketdata.models import CollectionRun, CollectionStatus, OptionQuote
from tests.support import database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _collection(health: dict) -> dict:
    """The collection component's figures from the health document (empty until the server answers)."""
    for component in health.get("components", []):
        if component["name"] == "collection":
            return component["data"]
    return {}


def _health(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=3) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as exc:  # 503 still carries the JSON body
        return json.loads(exc.read())
    except OSError:
        return {}


@pytest.fixture(params=["embedded", "redis"])
def platform(request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_SETTINGS", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="optrading.settings.base",
        DATABASE_URL=database_url(),
        DJANGO_SECRET_KEY="smoke-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        OPTRADING_COLLECT_INTERVAL="1",
        OPTRADING_HEARTBEAT_SECONDS="2",
        OPTRADING_WATCHDOG_SECONDS="2",
        OPTRADING_BROKER="simulated",
        OPTRADING_SIM_HISTORY_SESSIONS="0",  # the first-run back-fill has its own test (test_history_backfill.py)
        # One web worker, not the default four: each imports the whole project, and on two cores four of them
        # booting beside the worker, beat, watchdog and ticker took seconds from every process's start.
        OPTRADING_WEB_WORKERS="1",
    )
    if request.param == "redis":
        env["REDIS_URL"] = settings.REDIS_URL
        # The optional fourth process: with no Kite login it waits (and never dials this root).
        env.update(
            OPTRADING_KITE_TICKER="true",
            KITE_API_KEY="smoke-key",
            KITE_API_SECRET="smoke-secret",
            KITE_TICKER_ROOT="ws://127.0.0.1:9",
        )
    connection.close()  # the child migrates and writes; our connection must not hold locks
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runplatform", "--setup", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    yield proc, port
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Output:
    """The platform's output, read as it comes (a thread), so a test can wait for a line."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc, self.lines = proc, list[str]()
        threading.Thread(target=lambda: self.lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            assert self.proc.poll() is None, self.text[-3000:]
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in:\n" + self.text[-3000:])


def _successful_runs() -> int:
    return CollectionRun.objects.filter(status=CollectionStatus.SUCCESS).count()


def test_it_serves_collected_quotes_and_stops_cleanly(platform: tuple[subprocess.Popen[str], int]) -> None:
    proc, port = platform
    output = Output(proc)
    deadline = time.monotonic() + 90
    health: dict = {}
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline and proc.poll() is None:
        health = _health(port)
        statuses = {c["name"]: c["status"] for c in health.get("components", [])}
        collected = _collection(health).get("last_run_status") == "success"
        if collected and statuses.get("worker") == statuses.get("beat") == "ok":
            break
        time.sleep(0.5)
    assert _collection(health).get("last_run_status") == "success", (health, proc.poll())
    # Worker and beat write their heartbeats (every 2 s here), so health sees both processes alive.
    assert (statuses["database"], statuses["worker"], statuses["beat"]) == ("ok", "ok", "ok"), health
    assert OptionQuote.objects.filter(underlying__symbol="NIFTY").exists()

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as reply:
        assert reply.status == 200

    if "(redis mode" in output.text:
        # A worker that dies is restarted with backoff, and collection goes on: not the end of the platform.
        first = int(output.wait_for(r"started worker \(pid (\d+)\)").group(1))
        os.killpg(first, signal.SIGKILL)
        killed_at, runs = time.monotonic(), _successful_runs()
        output.wait_for(r"worker exited with status -9; restarting it in 1 s")
        second = int(output.wait_for(rf"started worker \(pid (?!{first}\))(\d+)\)").group(1))
        assert second != first
        while _successful_runs() <= runs:
            assert time.monotonic() - killed_at < 90, output.text[-3000:]
            time.sleep(0.2)
    connection.close()

    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    proc.wait(timeout=40)
    time.sleep(0.2)  # the reader thread takes the last lines
    text = output.text
    assert proc.returncode == 0, text[-3000:]
    assert "optrading stopped" in text
    assert "admin user created" in text
    if "(redis mode" in text:
        assert "started ticker (pid" in text and "waiting for a Kite login" in text
    # Nothing it started is left behind: no child process, and the port is free again.
    for pid in [int(line.rsplit("pid ", 1)[1].rstrip(")\n")) for line in text.splitlines() if "(pid " in line]:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine; a listener is not
        s.bind(("127.0.0.1", port))
