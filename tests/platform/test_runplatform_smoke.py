"""Start the real platform as `make run` does, watch quotes arrive over HTTP, stop it cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.marketdata.models import OptionQuote
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
        OPTRADING_BROKER="simulated",
        OPTRADING_SIM_HISTORY_SESSIONS="0",  # the first-run back-fill has its own test (test_history_backfill.py)
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


def test_it_serves_collected_quotes_and_stops_cleanly(platform: tuple[subprocess.Popen[str], int]) -> None:
    proc, port = platform
    deadline = time.monotonic() + 90
    health: dict = {}
    while time.monotonic() < deadline and proc.poll() is None:
        health = _health(port)
        if _collection(health).get("last_run_status") == "success":
            break
        time.sleep(0.5)
    assert _collection(health).get("last_run_status") == "success", (health, proc.poll())
    assert {c["name"]: c["status"] for c in health["components"]}["database"] == "ok"
    assert OptionQuote.objects.filter(underlying__symbol="NIFTY").exists()

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as reply:
        assert reply.status == 200

    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    output, _ = proc.communicate(timeout=40)
    assert proc.returncode == 0, output[-3000:]
    assert "optrading stopped" in output
    assert "admin user created" in output
    if "(redis mode" in output:
        assert "started ticker (pid" in output and "waiting for a Kite login" in output
    # Nothing it started is left behind: no child process, and the port is free again.
    for pid in [int(line.rsplit("pid ", 1)[1].rstrip(")")) for line in output.splitlines() if "(pid " in line]:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine; a listener is not
        s.bind(("127.0.0.1", port))
