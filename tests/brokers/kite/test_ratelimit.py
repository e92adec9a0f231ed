"""The Redis token bucket is shared by every process: two processes together stay within Kite's limit."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
from pathlib import Path

import redis
from django.conf import settings

from apps.brokers.ratelimit import RedisTokenBucket
from tests.kite_double import KiteDouble

ROOT = Path(__file__).resolve().parents[3]

# One worker process: takes quote tokens from the shared bucket and calls the double's /quote/ltp.
WORKER = """
import json, sys, time
from kiteconnect import KiteConnect
from apps.brokers.ratelimit import RedisTokenBucket
redis_url, root, api_key, access_token, calls, limited = sys.argv[1:7]
bucket = RedisTokenBucket.from_url(redis_url, namespace="kite:" + api_key)
kite = KiteConnect(api_key, access_token=access_token, root=root)
statuses = []
for _ in range(int(calls)):
    if limited == "1":
        bucket.acquire("quote")
    try:
        kite.ltp(["NSE:NIFTY 50"])
        statuses.append(200)
    except Exception as exc:
        statuses.append(getattr(exc, "code", 0))
print(json.dumps(statuses))
"""


def _logged_in(double: KiteDouble) -> str:
    from kiteconnect import KiteConnect

    kite = KiteConnect(double.api_key, root=double.root)
    return str(kite.generate_session(double.issue_request_token(), api_secret=double.api_secret)["access_token"])


def _run_workers(double: KiteDouble, token: str, *, limited: bool, processes: int = 2, calls: int = 2) -> list[int]:
    args = [settings.REDIS_URL, double.root, double.api_key, token, str(calls), "1" if limited else "0"]
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    statuses: list[int] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        statuses += json.loads(out)
    return statuses


def test_it_keeps_two_processes_within_kites_quote_limit(kite_double: KiteDouble) -> None:
    token = _logged_in(kite_double)
    statuses = _run_workers(kite_double, token, limited=True)
    assert statuses == [200, 200, 200, 200]
    assert kite_double.rejected_429 == 0
    accepted = [r for r in kite_double.requests if r.path == "/quote/ltp"]
    assert len(accepted) == 4


def test_without_the_bucket_two_processes_hit_429(kite_double: KiteDouble) -> None:
    """The control: the same workers without the shared bucket break Kite's 1 call/s quote limit."""
    token = _logged_in(kite_double)
    statuses = _run_workers(kite_double, token, limited=False)
    assert 429 in statuses
    assert kite_double.rejected_429 >= 1


def _slot(bucket: RedisTokenBucket, kind: str) -> float:
    """Reserve as ``acquire`` does, with Redis's TIME in the same MULTI/EXEC: the script runs at that instant, so
    the slot granted is exactly TIME + the wait, whatever the client's threads are doing. (Stamping each call when
    ``acquire`` returned measured the threads' wake-up instead: under load two stamps came 0.6 ms apart.)"""
    pipe = bucket.client.pipeline(transaction=True)
    pipe.time()
    bucket._script(keys=[bucket.key(kind)], args=[repr(bucket.rate(kind)), repr(bucket.capacity)], client=pipe)
    (seconds, micros), wait_us = pipe.execute()
    return seconds + micros / 1e6 + int(wait_us) / 1e6


def test_it_spaces_reservations_across_threads() -> None:
    bucket = RedisTokenBucket(client=redis.Redis.from_url(settings.REDIS_URL), namespace="t", rates={"other": 20.0})
    slots: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            slot = _slot(bucket, "other")
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots.sort()
    interval = 1 / (20.0 * bucket.safety)
    # 15 calls at 20/s from three threads at once: one slot each, every one an interval after the one before
    # (1 ms for the microseconds the script rounds to).
    assert len(slots) == 15
    assert min(b - a for a, b in itertools.pairwise(slots)) >= interval - 0.001
    assert slots[-1] - slots[0] >= 14 * interval - 0.001


def test_it_keeps_separate_buckets_per_api_key_and_class() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    one = RedisTokenBucket(client=client, namespace="kite:one")
    two = RedisTokenBucket(client=client, namespace="kite:two")
    assert one.reserve("quote") == 0
    assert 0.9 < one.reserve("quote") <= 1 / (1.0 * one.safety)  # the second quote call of key one waits ~1 s
    assert one.reserve("historical") == 0  # another class has its own bucket
    assert two.reserve("quote") == 0  # another api key has its own bucket
