"""Database connections stay within the configured bounds under concurrent load (a behaviour test, not a timing one).

The servers are started exactly as ``runplatform`` starts them in Redis mode (``process_commands`` and
``process_env``), with the default ``DATABASE_CONN_MAX_AGE=60``: HTTP on gunicorn's sync workers (one persistent
connection per worker) and websockets on uvicorn with its database pool. Under ASGI every HTTP request ran its
database work in a thread of its own and left a persistent connection behind, until PostgreSQL refused clients.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from apps.platform.management.commands.runplatform import WS_POOL_SIZE, process_commands, process_env
from tests.support import database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
CLIENTS = 32
REQUESTS_PER_CLIENT = 15


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


APPLICATION = "optrading-connections-test"
"""The servers' connections carry this application_name, so only theirs are counted."""


def _backends() -> int:
    """Connections the servers hold to the test database now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [APPLICATION],
        )
        return int(cursor.fetchone()[0])


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url}: the server exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@contextmanager
def _servers() -> Iterator[tuple[int, int]]:
    port, ws_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_CONN_MAX_AGE", "DATABASE_POOL_MAX_SIZE")}
    env.update(
        DJANGO_SETTINGS_MODULE="optrading.settings.base",
        DATABASE_URL=f"{database_url()}?application_name={APPLICATION}",
        REDIS_URL=django_settings.REDIS_URL,
        DJANGO_SECRET_KEY="connections-test-secret-key-0123456789-abcdefghijklmnop",
        OPTRADING_API_ANON_RATE="1000000/min",
        # Health is the public endpoint that reads the database; uncached here, every request of the hammer does.
        OPTRADING_HEALTH_CACHE_SECONDS="0",
        LOG_LEVEL="WARNING",
    )
    commands = process_commands(host="127.0.0.1", port=port, ws_port=ws_port, worker=False, ticker=False)
    processes = []
    try:
        for name in ("web", "ws"):
            processes.append(
                subprocess.Popen(
                    commands[name],
                    cwd=ROOT,
                    env=env | process_env(name, ws_port=ws_port),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        _wait_for(f"http://127.0.0.1:{port}/api/v1/health", processes[0])
        _wait_for(f"http://127.0.0.1:{ws_port}/api/v1/health", processes[1])
        yield port, ws_port
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _health_database(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            body = reply.read()
    except urllib.error.HTTPError as error:  # 503 without a recent collection: the body still says
        body = error.read()
    components = {c["name"]: c["status"] for c in json.loads(body)["components"]}
    return str(components["database"])


def _hammer(urls: list[str]) -> tuple[int, int]:
    """CLIENTS threads each fetching the urls in turn; returns (answers, peak connections seen meanwhile)."""
    answered = 0
    peak = 0
    lock = threading.Lock()
    done = threading.Event()

    def client() -> None:
        nonlocal answered
        for i in range(REQUESTS_PER_CLIENT):
            try:
                with urllib.request.urlopen(urls[i % len(urls)], timeout=30) as reply:
                    reply.read()
            except urllib.error.HTTPError as error:  # health may be 503 (no collection yet): still an answer
                error.read()
            with lock:
                answered += 1

    def sample() -> None:
        nonlocal peak
        try:
            while not done.is_set():
                peak = max(peak, _backends())
                time.sleep(0.05)
        finally:
            connection.close()  # this thread's own connection must not count in the next wave

    sampler = threading.Thread(target=sample)
    sampler.start()
    clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    done.set()
    sampler.join()
    return answered, max(peak, _backends())


def test_it_keeps_database_connections_within_the_workers_and_the_pool_under_concurrent_load(settings) -> None:
    settings.OPTRADING_WEB_WORKERS = WORKERS
    connection.close()
    with _servers() as (port, ws_port):
        http = [f"http://127.0.0.1:{port}/api/v1/health", f"http://127.0.0.1:{port}/api/v1/market-status"]
        # The websocket server answers HTTP too (its ASGI app is the whole project): that is where connections
        # leaked, so it is hammered the same way.
        asgi = [f"http://127.0.0.1:{ws_port}/api/v1/health"]

        for base in (port, ws_port):  # both really use the database (health reads it)
            assert _health_database(f"http://127.0.0.1:{base}/api/v1/health") == "ok"

        answered, peak = _hammer(http + asgi)

        assert answered == CLIENTS * REQUESTS_PER_CLIENT
        assert peak <= WORKERS + WS_POOL_SIZE, f"{peak} connections for {WORKERS} workers and a pool of {WS_POOL_SIZE}"
        # A second wave reuses them: nothing accumulates between bursts.
        _, again = _hammer(http + asgi)
        assert again <= WORKERS + WS_POOL_SIZE
