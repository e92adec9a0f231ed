"""Benchmark (target 4): 500 websocket clients on one symbol, from the database commit to the last client's receipt.

    .venv/bin/python benchmarks/websockets_fanout.py [--clients 500] [--commits 20]

The websocket server is started as runplatform starts it (uvicorn, optrading.asgi, with its database pool);
the clients (the ``websockets`` library, one asyncio loop in a thread of this process) subscribe to
``/ws/live-data/?symbol=NIFTY&bucket=this_week``. Each commit is a real collection (chain_collect of the five
underlyings from the simulated market, default ATM scope) inside a transaction whose first on_commit callback
marks the time: the latency of a commit is the last client's receipt of that minute minus that mark. Then the
same again with one more client that never reads (its socket's receive buffer at 4 kB): the others' latency is
measured beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import socket
import statistics
import sys
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support


class Clients:
    """N websocket clients on one loop in a background thread, recording when each minute reached each client."""

    def __init__(self, url: str, count: int) -> None:
        self.url, self.count = url, count
        self.receipts: dict[str, list[float]] = defaultdict(list)
        self.connected = 0
        self.errors: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.sockets: list[Any] = []

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _client(self, gate: asyncio.Semaphore) -> None:
        import websockets

        async with gate:
            try:
                ws = await websockets.connect(self.url, max_size=None, open_timeout=120, ping_interval=None,
                                              origin="http://127.0.0.1")  # fmt: skip
            except Exception as exc:
                self.errors.append(repr(exc))
                return
        self.connected += 1
        self.sockets.append(ws)
        if self.connected == self.count:
            self.ready.set()
        try:
            async for raw in ws:  # ends when stop() closes the connection (recv is not cancelled midway)
                received = time.perf_counter()
                message = json.loads(raw)
                if message.get("type") == "chain.update":
                    self.receipts[message["minute"]].append(received)
        except Exception as exc:
            self.errors.append(repr(exc))

    async def _main(self) -> None:
        gate = asyncio.Semaphore(25)  # connect 25 at a time (each connect reads the latest chain once)
        tasks = [asyncio.create_task(self._client(gate)) for _ in range(self.count)]
        await asyncio.gather(*tasks)

    def start(self, timeout: float = 300) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.5) and self.thread.is_alive() and time.monotonic() < deadline:
            pass
        if not self.ready.is_set():
            raise RuntimeError(f"only {self.connected} of {self.count} clients connected; {self.errors[:3]}")

    def stop(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)

        if self.loop.is_running():
            # The measurement is done; if closing takes long, stopping the server closes the rest.
            with contextlib.suppress(TimeoutError):
                asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(timeout=20)
        self.thread.join(timeout=5)


def slow_client(url: str) -> socket.socket:
    """A websocket client that completes the handshake and then never reads, with a 4 kB receive buffer."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    key = base64.b64encode(os.urandom(16)).decode()
    path = parts.path + ("?" + parts.query if parts.query else "")
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Origin: http://{parts.hostname}\r\n\r\n").encode())  # fmt: skip
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n", 1)[0], head
    return sock


def commits(clients: Clients, *, count: int, start_minute: Any, expected: int,
            missed: list[dict[str, Any]]) -> list[float]:  # fmt: skip
    """``count`` collections, each waited for at every client; the commit-to-last-receipt seconds of each."""
    from django.db import transaction

    from apps.brokers.base import get_broker
    from apps.collection.services.chain import chain_collect

    broker = get_broker()
    latencies = []
    for i in range(count):
        minute = start_minute + timedelta(minutes=i)
        marks: list[float] = []
        with transaction.atomic():
            transaction.on_commit(lambda: marks.append(time.perf_counter()))  # noqa: B023 - runs in this iteration
            chain_collect(broker=broker, minute=minute, now=minute)
        key = minute.isoformat()
        deadline = time.monotonic() + 30
        while len(clients.receipts.get(key, [])) < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        got = clients.receipts.get(key, [])
        if len(got) < expected:  # recorded, not fatal: the report says how many deliveries were missed
            missed.append({"minute": key, "received": len(got), "expected": expected})
        if got:
            latencies.append(max(got) - marks[0])
        time.sleep(0.3)
    return latencies


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--commits", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="py-spy the websocket server through the first phase")
    args = parser.parse_args()
    support.main_guard()
    with support.bench_database("websockets") as url:
        support.django_setup(url)
        from django.contrib.auth import get_user_model
        from django.db import connections
        from django.utils import timezone

        from apps.brokers.base import get_broker
        from apps.collection.services.chain import chain_collect
        from apps.collection.services.instruments import instruments_sync
        from apps.core.api_tokens import api_token_create
        from apps.market.services import underlyings_load
        from optrading.celery import app

        app.conf.task_always_eager = False
        app.conf.broker_url = "memory://"  # analytics is not what is measured here
        underlyings_load()
        instruments_sync(broker=get_broker())
        first = chain_collect(broker=get_broker(), now=timezone.now())
        assert first.minute is not None
        token = api_token_create(user=get_user_model().objects.create_user("bench")).key
        connections.close_all()
        port = support.free_port()
        command = support.uvicorn_command("optrading.asgi:application", port=port)
        env = support.server_env(url, DATABASE_POOL_MAX_SIZE="4")
        ws_url = f"ws://127.0.0.1:{port}/ws/live-data/?symbol=NIFTY&bucket=this_week&token={token}"
        details: dict[str, Any] = {"clients": args.clients, "commits": args.commits, "server": command}
        with support.server(command, env=env, port=port, ready_path="/accounts/login/") as server:
            clients = Clients(ws_url, args.clients)
            started = time.perf_counter()
            clients.start()
            details["connect_all_seconds"] = time.perf_counter() - started
            details["server_rss_mb_with_clients"] = support.rss_mb(server.pid)
            base = first.minute + timedelta(minutes=1)
            missed: list[dict[str, Any]] = []
            with support.py_spy(server.pid) if args.profile else contextlib.nullcontext([]) as hottest:
                alone = commits(clients, count=args.commits, start_minute=base, expected=args.clients,
                                missed=missed)  # fmt: skip
            details["server_profile"] = hottest
            slow = slow_client(ws_url)
            try:
                beside = commits(clients, count=args.commits, start_minute=base + timedelta(minutes=args.commits),
                                 expected=args.clients, missed=missed)  # fmt: skip
            finally:
                slow.close()
            clients.stop()
            details["errors"] = clients.errors[:10]
            details["missed_deliveries"] = missed
            details["server_peak_rss_mb"] = support.peak_rss_mb(server.pid)
    details.update({
        "latency_seconds": alone, "p50_seconds": statistics.median(alone), "p99_seconds": p99(alone),
        "with_slow_client_latency_seconds": beside, "with_slow_client_p99_seconds": p99(beside),
        "with_slow_client_p50_seconds": statistics.median(beside),
    })  # fmt: skip
    misses = ", ".join(
        f"{m['expected'] - m['received']} at {m['minute'][11:16]} UTC" for m in details["missed_deliveries"]
    )
    targets = [
        support.Target(f"websockets: commit → last of {args.clients} clients, p99", p99(alone) * 1000, 500, "ms",
                       "le", note=f"median {statistics.median(alone) * 1000:.0f} ms over {args.commits} commits"),
        support.Target("websockets: the same beside one client that never reads, p99", p99(beside) * 1000, 500,
                       "ms", "le", note=f"missed deliveries over both phases: {misses or 'none'}"),
    ]  # fmt: skip
    support.result_write("websockets", targets=targets, details=details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
