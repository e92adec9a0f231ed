"""The platform as separate real processes (Celery worker, Celery beat, the web server) against the fault
tests' own PostgreSQL and Redis, so a test can kill, starve and restart any of them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from tests.chaos.services import OwnPostgres, OwnRedis, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


class Platform:
    """Worker, beat and web of one platform on ``pg`` and ``redis``, collecting the simulated market.

    Each process runs under a supervisor, as in every deployment (runplatform's restart with backoff, compose's
    ``restart: unless-stopped``, Kubernetes' restartPolicy): a process that exits by itself is started again
    after a second and counted in ``restarts``. A process the test kills stays down until the test starts it."""

    def __init__(self, *, pg: OwnPostgres, redis: OwnRedis, database: str, log_dir: Path, **settings: str) -> None:
        self.pg, self.redis = pg, redis
        self.url = pg.create_database(database)
        self.log_dir = log_dir
        self.web_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL", "DATABASE_URL"))}
        self.env.update(
            DJANGO_SETTINGS_MODULE="optrading.settings.base",
            DJANGO_SECRET_KEY="chaos-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            DATABASE_URL=self.url,
            REDIS_URL=redis.url,
            OPTRADING_BROKER="simulated",
            OPTRADING_COLLECT_INTERVAL="2",
            PYTHONPATH=str(ROOT),
            **settings,
        )
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.commands: dict[str, list[str]] = {}
        self.restarts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, name="chaos-supervisor", daemon=True)

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True)

    def setup(self) -> Platform:
        for step in (("migrate", "--noinput"), ("load_underlyings",), ("sync_instruments",), ("setup_periodic_tasks",)):
            self.manage(*step)
        return self

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        with self._lock:
            self.commands[name] = command
            self.processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _supervise(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                exited = [name for name, process in self.processes.items() if process.poll() is not None]
            for name in exited:
                if self._stopping.wait(1.0):
                    return
                with self._lock:
                    if name not in self.processes or self.processes[name].poll() is None:
                        continue  # killed by the test meanwhile, or already replaced
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                    command = self.commands[name]
                self._start(name, command)

    def start_worker(self, name: str = "worker", *, queues: str = "celery,collection,analytics,notifications") -> None:
        python = sys.executable
        command = [python, "-m", "celery", "-A", "optrading", "worker", "-Q", queues]
        self._start(name, [*command, "--concurrency", "2", "--loglevel", "INFO", "-n", f"{name}@%h"])

    def start_beat(self) -> None:
        scheduler = "django_celery_beat.schedulers:DatabaseScheduler"
        beat = [sys.executable, "-m", "celery", "-A", "optrading", "beat", "--loglevel", "INFO", "-S", scheduler]
        self._start("beat", [*beat, "--pidfile", str(self.log_dir / "beat.pid")])

    def start_web(self) -> None:
        app = "optrading.asgi:application"
        self._start(
            "web", [sys.executable, "-m", "uvicorn", app, "--port", str(self.web_port), "--log-level", "warning"]
        )
        wait_for_port(self.web_port, up=True)

    def start(self) -> Platform:
        self.start_worker()
        self.start_beat()
        self.start_web()
        self._supervisor.start()
        return self

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children (a worker's pool), as an OOM killer or a crash would."""
        with self._lock:
            process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join(timeout=5)
        for name in list(self.processes):
            process = self.processes[name]
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    # --- reading what happened ------------------------------------------------------------------

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, connect_timeout=3) as conn:
            return conn.execute(sql, params or []).fetchall()

    def stored_minutes(self) -> list[datetime]:
        return [m for (m,) in self.query("SELECT DISTINCT minute FROM marketdata_underlyingquote ORDER BY minute")]

    def wait_for_minutes(self, count: int, *, timeout: float = 120.0) -> list[datetime]:
        """Until at least ``count`` more minutes than now are stored; returns the stored minutes."""
        target = len(self._minutes_or_empty()) + count
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            minutes = self._minutes_or_empty()
            if len(minutes) >= target:
                return minutes
            time.sleep(0.2)
        raise TimeoutError(f"fewer than {target} minutes stored after {timeout} s; logs in {self.log_dir}")

    def _minutes_or_empty(self) -> list[datetime]:
        try:
            return self.stored_minutes()
        except psycopg.OperationalError:  # the database is the thing being restarted
            return []

    def planned(self) -> dict[int, int]:
        """Option rows per underlying at the first stored minute (the atm scope plans the same every minute)."""
        rows = self.query(
            "SELECT underlying_id, count(*) FROM marketdata_optionquote WHERE minute = "
            "(SELECT min(minute) FROM marketdata_underlyingquote) GROUP BY underlying_id"
        )
        return dict(rows)

    def health(self) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/api/v1/health", timeout=5) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            body = exc.read()
            try:
                return exc.code, json.loads(body)
            except ValueError:
                return exc.code, {"body": body.decode(errors="replace")[:500]}
