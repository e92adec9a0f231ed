"""Start the whole platform: web server, Celery worker and Celery beat.

Embedded (no REDIS_URL): one supervised process; uvicorn serves HTTP and websockets, the worker (solo pool)
and beat run on threads beside it, sharing the in-memory broker and channel layer. With REDIS_URL: HTTP on
gunicorn's sync workers (``--port``), websockets on uvicorn (``--ws-port``, default the next port, with a
database pool of its own), the worker and beat as child processes, and ``kite_ticker`` (live ticks) when
OPTRADING_KITE_TICKER is on. HTTP under ASGI runs each request's database work in a thread of its own,
so persistent connections pile up and Django's ASGI path costs several times the WSGI one: the benchmarks
(docs/benchmarks.md) measured both. A child that dies is restarted, after 1 s and then doubling delays while
it keeps dying. Ctrl-C (or SIGTERM) stops everything this command started.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.queues import CeleryQueue
from apps.platform.services.setup import platform_setup

QUEUES = [q.value for q in CeleryQueue]


class Command(BaseCommand):
    help = "Run the web server, worker and beat together (what `make run` starts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--ws-port", type=int, default=0, help="Websocket server port (Redis mode; default --port + 1)."
        )
        parser.add_argument("--setup", action="store_true", help="Migrate, load data and create an admin first.")
        parser.add_argument("--no-worker", action="store_true", help="Web server only.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["setup"]:
            platform_setup(say=lambda line: self.stdout.write(f"setup: {line}"), progress=_progress_bar)
        mode = "embedded" if settings.EMBEDDED else "redis"
        self.stdout.write(
            f"optrading on http://{options['host']}:{options['port']}/ "
            f"({mode} mode, broker {settings.OPTRADING_BROKER}); Ctrl-C stops it"
        )
        sys.stdout.flush()
        if settings.OPTRADING_KITE_TICKER and settings.EMBEDDED:
            self.stdout.write("OPTRADING_KITE_TICKER is on, but live ticks need REDIS_URL: no kite_ticker started")
        if settings.EMBEDDED:
            self._run_embedded(options["host"], options["port"], worker=not options["no_worker"])
        else:
            ws_port = options["ws_port"] or options["port"] + 1
            self._run_processes(options["host"], options["port"], ws_port, worker=not options["no_worker"])

    # --- one process ------------------------------------------------------------------------
    def _run_embedded(self, host: str, port: int, *, worker: bool) -> None:
        import uvicorn
        from celery.beat import EmbeddedService
        from celery.worker import WorkController

        from apps.core.embedded import set_server_loop
        from optrading.celery import app

        work: Any = None
        beat: Any = None
        watchdog_stop = threading.Event()
        worker_thread: threading.Thread | None = None
        if worker:
            work = WorkController(
                app=app,
                pool_cls="solo",
                concurrency=1,
                queues=QUEUES,
                without_heartbeat=True,
                without_mingle=True,
                without_gossip=True,
                hostname="embedded@optrading",
            )
            worker_thread = threading.Thread(target=work.start, name="celery-worker", daemon=True)
            worker_thread.start()
            beat = EmbeddedService(app, thread=True, scheduler_cls=settings.CELERY_BEAT_SCHEDULER)
            beat.start()
            watchdog_thread = threading.Thread(
                target=_watchdog_loop, args=(watchdog_stop,), name="watchdog", daemon=True
            )
            watchdog_thread.start()

        server = uvicorn.Server(
            uvicorn.Config(
                "optrading.asgi:application",
                host=host,
                port=port,
                lifespan="off",
                log_level="info",
                timeout_graceful_shutdown=5,  # open websockets (pages) are closed after 5 s; they reconnect
            )
        )
        # The MCP server is its own process in both modes (it runs its own event loop and HTTP server).
        mcp = subprocess.Popen(mcp_command(host=host)) if settings.OPTRADING_MCP else None

        async def serve() -> None:
            set_server_loop(asyncio.get_running_loop())
            try:
                await server.serve()
            finally:
                set_server_loop(None)

        try:
            asyncio.run(serve())
        except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled; that is a clean stop
            pass
        finally:
            if mcp is not None:
                mcp.terminate()
                mcp.wait(timeout=15)
            watchdog_stop.set()
            if beat is not None:
                beat.stop()
            if work is not None:
                work.stop(in_sighandler=False)
            if worker_thread is not None:
                worker_thread.join(timeout=15)
            self.stdout.write("optrading stopped")
        if not server.started:
            raise CommandError(f"the web server could not start on {host}:{port} (is the port in use?)")

    # --- separate processes -----------------------------------------------------------------
    def _run_processes(self, host: str, port: int, ws_port: int, *, worker: bool) -> None:
        commands = process_commands(
            host=host, port=port, ws_port=ws_port, worker=worker, ticker=settings.OPTRADING_KITE_TICKER
        )
        env = os.environ.copy()
        # One metrics directory for all processes, so /metrics on the web process also reports
        # what the worker counted (prometheus_client multiprocess mode); emptied at each start.
        metrics_dir = settings.VAR_DIR / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
        children: dict[str, subprocess.Popen[bytes]] = {}
        restarts = {name: Backoff() for name in commands}
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        def start(name: str) -> None:
            # Own process groups: the children stop when we tell them, in order, not all at once.
            children[name] = subprocess.Popen(
                commands[name], env=env | process_env(name, ws_port=ws_port), start_new_session=True
            )
            restarts[name].started(time.monotonic())
            self.stdout.write(f"started {name} (pid {children[name].pid})")
            self.stdout.flush()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name in commands:
                start(name)
            while not stopping:
                now = time.monotonic()
                for name, child in list(children.items()):
                    if child.poll() is None:
                        continue
                    backoff = restarts[name]
                    if backoff.due is None:
                        delay = backoff.failed(now)
                        self.stdout.write(
                            f"{name} exited with status {child.returncode}; restarting it in {delay:.0f} s"
                        )
                        self.stdout.flush()
                    elif now >= backoff.due:
                        start(name)
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for child in children.values():
                try:
                    child.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()
            self.stdout.write("optrading stopped")


class Backoff:
    """Restart delays of one child: 1 s, doubling up to 60 s while it keeps dying within a minute of its
    start, and 1 s again once it has stayed up a minute."""

    FIRST, LONGEST, STABLE = 1.0, 60.0, 60.0

    def __init__(self) -> None:
        self.delay = self.FIRST
        self.due: float | None = None
        self._started = 0.0

    def started(self, at: float) -> None:
        self._started, self.due = at, None

    def failed(self, at: float) -> float:
        """Schedule the restart after a failure at ``at``; returns the delay."""
        if at - self._started >= self.STABLE:
            self.delay = self.FIRST
        delay = self.delay
        self.delay = min(self.delay * 2, self.LONGEST)
        self.due = at + delay
        return delay


def _progress_bar(done: int, total: int) -> None:
    """The first run's history back-fill, on stderr."""
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\rsetup: back-filling simulated history [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def process_env(name: str, *, ws_port: int) -> dict[str, str]:
    """What one child's environment adds: the pages learn the websocket port; the websocket server gets a
    database pool (bounded connections) unless one is configured."""
    if name == "web":
        return {"OPTRADING_WS_PORT": str(settings.OPTRADING_WS_PORT or ws_port)}
    if name == "ws":
        return {"DATABASE_POOL_MAX_SIZE": os.environ.get("DATABASE_POOL_MAX_SIZE") or str(WS_POOL_SIZE)}
    return {}


WS_POOL_SIZE = 4
"""Database connections of the websocket server (consumers' reads run on one thread; the rest is headroom)."""


def process_commands(*, host: str, port: int, ws_port: int, worker: bool, ticker: bool) -> dict[str, list[str]]:
    """The child processes of Redis mode: web (HTTP, gunicorn) and ws (websockets, uvicorn), and unless
    ``worker`` is off, the Celery worker and beat; with ``ticker``, ``kite_ticker`` too (its own process:
    KiteTicker needs Twisted's reactor)."""
    python = sys.executable
    commands = {
        "web": [
            python,
            "-m",
            "gunicorn",
            "optrading.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(settings.OPTRADING_WEB_WORKERS),
            "--worker-class",
            "sync",
        ],
        # Websockets stay open as long as a page does: a stop closes them after 5 s (the pages reconnect) rather
        # than waiting for every browser to leave.
        "ws": [
            *(python, "-m", "uvicorn", "optrading.asgi:application", "--host", host, "--port", str(ws_port)),
            *("--timeout-graceful-shutdown", "5"),
        ],
    }
    if worker:
        commands["worker"] = [
            python,
            "-m",
            "celery",
            "-A",
            "optrading",
            "worker",
            "-Q",
            ",".join(QUEUES),
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
        ]
        commands["beat"] = [
            python,
            "-m",
            "celery",
            "-A",
            "optrading",
            "beat",
            "--loglevel",
            "INFO",
            "--scheduler",
            settings.CELERY_BEAT_SCHEDULER,
        ]
        # Fault alerts from outside the worker: a stopped worker is one of the faults it reports.
        commands["watchdog"] = [python, str(settings.BASE_DIR / "manage.py"), "watchdog"]
    if ticker:
        commands["ticker"] = [python, str(settings.BASE_DIR / "manage.py"), "kite_ticker"]
    if settings.OPTRADING_MCP:
        commands["mcp"] = mcp_command(host=host)
    return commands


def mcp_command(*, host: str) -> list[str]:
    """The MCP server (streamable HTTP on OPTRADING_MCP_PORT, token auth per request) as its own process."""
    manage = str(settings.BASE_DIR / "manage.py")
    port = str(settings.OPTRADING_MCP_PORT)
    return [sys.executable, manage, "mcp_server", "--transport", "http", "--host", host, "--port", port]


def _watchdog_loop(stop: threading.Event) -> None:
    """Embedded: the watchdog on a thread beside the worker and beat (separate processes in Redis mode)."""
    from django.db import close_old_connections

    from apps.alerts.management.commands.watchdog import watchdog_pass
    from apps.alerts.services.outage import DatabaseOutage

    outage = DatabaseOutage()
    while not stop.wait(max(int(settings.OPTRADING_WATCHDOG_SECONDS), 1)):
        try:
            watchdog_pass(outage)
        except Exception:  # the watchdog outlives whatever it watches
            import logging

            logging.getLogger(__name__).exception("watchdog pass failed")
        finally:
            close_old_connections()
