"""Benchmark (targets 3 and 7a): one full-chain collection cycle of all five underlyings, and the worker's memory.

    .venv/bin/python benchmarks/collection.py [--cycles 6] [--profile]

The broker is the real pykiteconnect client against the loopback Kite double (tests/kite_double) with its rate
limit off (and ours off: a no-op limiter), in full scope: every listed strike within ±10 % of the forward for the
nearest 4 expiries (about 3,300 option rows). The double runs in this process; the cycles run in a child
process that does exactly what the Celery worker does (chain_collect, analytics_compute, the publisher), so
its peak RSS (VmHWM) is the worker's through full-chain cycles. Per cycle:

* fetch: the broker's quote calls alone (the reference the rest is a ratio against);
* store: the rest of chain_collect (planning, building rows, the quote store's COPY, the run record);
* analytics: analytics_compute for the five underlyings (IV, greeks, snapshots; publisher disconnected);
* publish, idle: the publisher's work for the minute with no client subscribed;
* publish, watched: the same with one listener in every chain and analytics group.

One more cycle runs with Kite's real limits (our limiter at 1 quote call a second): its wall time is what the
full chain costs of each live minute.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import support

PROFILE = support.RESULTS / "collection-profile.txt"


def _kite_env(root: str, api_key: str, api_secret: str) -> dict[str, str]:
    return {
        "OPTRADING_BROKER": "kite",
        "KITE_API_KEY": api_key,
        "KITE_API_SECRET": api_secret,
        "KITE_API_ROOT": root,
        "KITE_TIMEOUT": "30",
        "OPTRADING_CHAIN_SCOPE": "full",
    }


def child(cycles: int, profile: bool) -> dict[str, Any]:
    """Runs in the child process: the worker's work, timed by phase."""
    import django

    django.setup()
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from apps.analytics.services.compute import analytics_compute
    from apps.analytics.signals import analytics_committed
    from apps.brokers.kite.adapter import KiteBroker
    from apps.brokers.kite.client import KiteConfig
    from apps.brokers.simulated.broker import NoRateLimit
    from apps.collection.services.chain import chain_collect
    from apps.collection.signals import collection_committed
    from apps.live import publisher
    from apps.market.choices import ExpiryBucket
    from apps.market.models import Underlying
    from optrading.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"  # the analytics task chain_collect enqueues is not run here: we run it
    collection_committed.disconnect(dispatch_uid="marketdata.publisher.collection")
    analytics_committed.disconnect(dispatch_uid="marketdata.publisher.analytics")

    class TimedKiteBroker(KiteBroker):
        seconds = 0.0
        calls = 0

        def _quote(self, keys: Any, *, minute: datetime) -> Any:
            started = time.perf_counter()
            try:
                return super()._quote(keys, minute=minute)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

    config = KiteConfig.from_settings()
    underlyings = list(Underlying.objects.filter(active=True))
    ids = [u.pk for u in underlyings]
    groups = [publisher.chain_group(symbol=u.symbol, bucket=b) for u in underlyings for b in ExpiryBucket.values]
    groups += [publisher.analytics_group(symbol=u.symbol) for u in underlyings]
    layer = get_channel_layer()
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
    rss_after_setup = support.rss_mb(os.getpid())

    def publish(minute: datetime) -> float:
        started = time.perf_counter()
        publisher.chain_publish(underlying_ids=ids, minute=minute)
        for pk in ids:
            publisher.analytics_publish(underlying_id=pk, minute=minute)
        return time.perf_counter() - started

    results = []
    profiler = None
    for cycle in range(cycles + 1):
        minute = base + timedelta(minutes=cycle)
        broker = TimedKiteBroker(config=config, rate_limiter=NoRateLimit())
        if profile and cycle == cycles:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        started = time.perf_counter()
        run = chain_collect(broker=broker, minute=minute, now=minute)
        collect = time.perf_counter() - started
        assert run.status == "success", (run.status, run.error)
        started = time.perf_counter()
        analytics_compute(underlying_ids=ids)
        analytics = time.perf_counter() - started
        idle = publish(minute)
        if profiler is not None:
            profiler.stop()
            PROFILE.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
            break
        for group in groups:
            async_to_sync(layer.group_add)(group, "benchmark.listener")
        watched = publish(minute)
        for group in groups:
            async_to_sync(layer.group_discard)(group, "benchmark.listener")
        async_to_sync(layer.flush)()
        results.append({
            "minute": minute.isoformat(), "option_rows": run.quotes_stored, "quote_calls": broker.calls,
            "fetch": broker.seconds, "store": collect - broker.seconds, "analytics": analytics,
            "publish_idle": idle, "publish_watched": watched,
        })  # fmt: skip
    # One cycle at Kite's real pace: our per-process limiter, one quote call a second.
    from apps.brokers.base import LocalRateLimiter

    minute = base + timedelta(minutes=cycles + 2)
    broker = TimedKiteBroker(config=config, rate_limiter=LocalRateLimiter())
    started = time.perf_counter()
    run = chain_collect(broker=broker, minute=minute, now=minute)
    analytics_compute(underlying_ids=ids)
    publish(minute)
    real_limits = {"seconds": time.perf_counter() - started, "quote_calls": broker.calls,
                   "option_rows": run.quotes_stored}  # fmt: skip
    return {
        "cycles": results,
        "real_limits": real_limits,
        "rss_after_setup_mb": rss_after_setup,
        "peak_rss_mb": support.peak_rss_mb(os.getpid()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--profile", action="store_true", help="Profile one more cycle (pyinstrument)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("CHILDJSON " + json.dumps(child(args.cycles, args.profile)), flush=True)
        return 0
    support.main_guard()

    from tests.kite_double import KiteDouble

    double = KiteDouble(rate_limit=False).start()
    env = _kite_env(double.root, double.api_key, double.api_secret)
    os.environ.update(env)
    try:
        with support.bench_database("collection") as url:
            support.django_setup(url)
            from apps.brokers.kite.adapter import KiteBroker
            from apps.brokers.kite.client import KiteConfig
            from apps.brokers.services import kite_session_create
            from apps.brokers.simulated.broker import NoRateLimit
            from apps.collection.services.instruments import instruments_sync
            from apps.market.services import underlyings_load

            underlyings_load()
            kite_session_create(request_token=double.issue_request_token(), request_id="benchmark")
            instruments_sync(broker=KiteBroker(config=KiteConfig.from_settings(), rate_limiter=NoRateLimit()))
            from django.db import connections

            connections.close_all()
            command = [sys.executable, __file__, "--child", "--cycles", str(args.cycles)]
            if args.profile:
                command.append("--profile")
            output = subprocess.run(command, env=support.server_env(url, **env), capture_output=True, text=True,
                                    check=False)  # fmt: skip
            line = next((line for line in output.stdout.splitlines() if line.startswith("CHILDJSON ")), None)
            if line is None:
                raise SystemExit(f"the cycles failed:\n{output.stdout[-3000:]}\n{output.stderr[-5000:]}")
            measured = json.loads(line.removeprefix("CHILDJSON "))
    finally:
        double.stop()
    cycles = measured["cycles"][1:] or measured["cycles"]  # the first cycle warms caches (imports, plans)

    def median(name: str) -> float:
        return statistics.median(c[name] for c in cycles)

    work = {name: median(name) for name in ("fetch", "store", "analytics", "publish_idle", "publish_watched")}
    total_watched = work["store"] + work["analytics"] + work["publish_watched"]
    total_idle = work["store"] + work["analytics"] + work["publish_idle"]
    details = {"median_seconds": work, "option_rows": cycles[0]["option_rows"],
               "quote_calls": cycles[0]["quote_calls"], "store_analytics_publish_watched_seconds": total_watched,
               "store_analytics_publish_idle_seconds": total_idle, "ratio_to_fetch": total_idle / work["fetch"],
               "publish_idle_share_of_analytics": work["publish_idle"] / work["analytics"], **measured}  # fmt: skip
    targets = [
        support.Target("collection cycle: store + analytics + publish (full chain, 5 underlyings, no client)",
                       total_idle, 0.5, "s", "le", note=f"{total_idle / work['fetch']:.2f}× the fetch alone "
                       f"({work['fetch']:.2f} s): store {work['store']:.2f} s, analytics {work['analytics']:.2f} s; "
                       f"{cycles[0]['option_rows']} option rows"),
        support.Target("collection cycle with a listener in every chain and analytics group", total_watched, 0.5,
                       "s", "le", note=f"publishing {work['publish_watched']:.2f} s: every bucket's chain built twice "
                       "(after the collection and after analytics)"),
        support.Target("publishing with no client subscribed, share of the analytics time",
                       work["publish_idle"] / work["analytics"], 0.05, "", "le",
                       note=f"{work['publish_idle'] * 1000:.0f} ms a cycle; with one listener per group "
                       f"{work['publish_watched']:.2f} s"),
        support.Target("full chain at Kite's real limits, whole cycle", measured["real_limits"]["seconds"], 12, "s",
                       "le", note=f"{measured['real_limits']['quote_calls']} quote calls at 1/s"),
        support.Target("worker peak RSS through full-chain cycles", measured["peak_rss_mb"], 300, "MB", "le",
                       note=f"{measured['rss_after_setup_mb']:.0f} MB after Django setup"),
    ]  # fmt: skip
    support.result_write("collection", targets=targets, details=details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
