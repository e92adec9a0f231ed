"""Benchmark (target 7b): a full-chain day's CSV export streams with bounded memory.

    .venv/bin/python benchmarks/export.py [--topologies gunicorn,uvicorn]

Data: one session of the full chain of all five underlyings (strikes ±58 steps around each expiry's ATM,
about 3,300 option rows a minute, 1.2 M rows) through the quote store. The export
``/api/v1/exports/quotes.csv?date=`` is downloaded from a one-worker server while the serving process's RSS
is sampled every 0.1 s: the growth is its peak minus its RSS before the request (after a warm-up export of an
empty day). Reported with the time to the first byte and the download rate.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support

FULL_CHAIN = tuple(range(-58, 59))


def worker_pid(server: support.Server, topology: str) -> int:
    if topology == "gunicorn":
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        return int(children[0])
    return server.pid


def download(url: str, token: str, pid: int) -> dict[str, Any]:
    before = support.rss_mb(pid)
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, support.rss_mb(pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    first_byte = None
    size = 0
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=600) as reply:
            while chunk := reply.read(1 << 16):
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                size += len(chunk)
    finally:
        done.set()
        sampler.join()
    seconds = time.perf_counter() - started
    return {"rss_before_mb": before, "rss_peak_mb": peak, "growth_mb": peak - before, "bytes": size,
            "seconds": seconds, "first_byte_seconds": first_byte, "mb_per_second": size / 1e6 / seconds}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topologies", default="gunicorn")
    args = parser.parse_args()
    support.main_guard()
    details: dict[str, Any] = {"topologies": {}}
    with support.bench_database("export") as url:
        support.django_setup(url)
        import archive
        from django.contrib.auth import get_user_model
        from django.db import connections

        from apps.core.api_tokens import api_token_create

        started = time.perf_counter()
        info = archive.archive_build(sessions=1, symbols=tuple(archive.STEP), snapshots=False, participants=False,
                                     offsets=FULL_CHAIN)  # fmt: skip
        details.update(option_rows=info.option_rows, build_seconds=time.perf_counter() - started,
                       day=info.sessions[0].isoformat())  # fmt: skip
        token = api_token_create(user=get_user_model().objects.create_user("bench")).key
        connections.close_all()
        env = support.server_env(url)
        for topology in args.topologies.split(","):
            port = support.free_port()
            if topology == "gunicorn":
                command = support.gunicorn_command("optrading.wsgi:application", port=port, workers=1)
                command += ["--timeout", "600"]
            else:
                command = support.uvicorn_command("optrading.asgi:application", port=port)
            with support.server(command, env=env, port=port) as server:
                pid = worker_pid(server, topology)
                base = f"{server.base}/api/v1/exports/quotes.csv?date="
                download(base + "2001-01-01", token, pid)  # warm-up: imports, an empty day
                measured = download(base + info.sessions[0].isoformat(), token, pid)
            details["topologies"][topology] = {"command": command, **measured}
            print(f"  {topology}: {measured}", flush=True)
    chosen = details["topologies"][args.topologies.split(",")[0]]
    targets = [
        support.Target("full-chain day CSV export: server memory growth", chosen["growth_mb"], 50, "MB", "le",
                       note=f"{details['option_rows']:,} rows, {chosen['bytes'] / 1e6:.0f} MB at "
                       f"{chosen['mb_per_second']:.1f} MB/s, first byte after {chosen['first_byte_seconds']:.2f} s"),
    ]  # fmt: skip
    support.result_write("export", targets=targets, details=details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
