"""Benchmark (target 1): REST API throughput, latency and database connections under load, as users feel them.

    .venv/bin/python benchmarks/api.py [--seconds 6] [--rounds 2] [--topologies gunicorn,uvicorn]

Data: a 60-session NIFTY archive (ATM ±2, four expiries, 40 option rows a minute) written through the quote
store, then the next session's open collected by the real minute service from the simulated market (all five
underlyings) and analysed, so ``option-chain/NIFTY`` (latest minute) reads what collection wrote and
``?at=`` reads a minute from the middle of the archive.

Reference: a trivial Django JSON view (benchmarks/reference_app.py) under gunicorn sync workers, the same worker
count, measured in the same run, alternated with every measurement of ours (wrk, 32 connections). Each
figure is ours / the reference measured just before it. While wrk runs, pg_stat_activity is sampled: the peak
number of connections to the benchmark's database is the leak check.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support

ENDPOINTS = {
    "option-chain (latest)": "/api/v1/option-chain/NIFTY",
    "option-chain (at=, 60 sessions)": None,  # filled with a minute from the archive
    "market-status": "/api/v1/market-status",
    "health": "/api/v1/health",
}
TOPOLOGIES = {
    "uvicorn": "ASGI for everything: uvicorn, 1 process, as runplatform served HTTP before (throughput measured "
    "with DATABASE_CONN_MAX_AGE=0, since the default 60 leaks connections: see leak_probe)",
    "uvicorn-pool": "ASGI for everything with Django's psycopg pool (DATABASE_POOL_MAX_SIZE=4)",
    "gunicorn": "WSGI for HTTP: gunicorn sync workers (what runplatform and docker-compose serve now)",
}


def data_build(sessions: int) -> dict[str, Any]:
    import archive
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from apps.analytics.services.compute import analytics_compute
    from apps.brokers.base import get_broker
    from apps.brokers.simulated.broker import last_completed_session_day
    from apps.collection.services.instruments import instruments_sync
    from apps.collection.services.minute import minute_collect
    from apps.core.api_tokens import api_token_create
    from apps.market.calendar import previous_trading_day
    from optrading.celery import app

    app.conf.task_always_eager = True
    started = time.perf_counter()
    end = previous_trading_day(last_completed_session_day(timezone.now()))
    info = archive.archive_build(sessions=sessions, end=end, snapshots=False, participants=False)
    built = time.perf_counter() - started
    instruments_sync(broker=get_broker())
    outcome = minute_collect(now=timezone.now())
    assert outcome.run is not None and outcome.run.status == "success", outcome
    analytics_compute()
    from django.db import connection

    with connection.cursor() as cursor:  # what autovacuum does after a bulk load: plans see the archive's size
        cursor.execute("ANALYZE")
    user = get_user_model().objects.create_user("bench", password="bench-password-not-used")
    middle = info.sessions[len(info.sessions) // 2]
    at = archive.past_sessions(1, end=middle)[0]
    from apps.market.calendar import session_open

    at_minute = (session_open(at) + timedelta(hours=2, minutes=7)).isoformat()
    return {
        "token": api_token_create(user=user).key,
        "at": at_minute,
        "archive_option_rows": info.option_rows,
        "archive_sessions": sessions,
        "archive_build_seconds": built,
        "latest_minute": outcome.minute.isoformat() if outcome.minute else None,
    }


def health_refresh() -> None:
    """Health as a monitor sees a running platform: the last collection recent (it is 503 when older than 5 minutes
    in market hours) and every heartbeat fresh (the workers, beat and the watchdog are not run here; without their
    heartbeats health is 503, which wrk counts as errors)."""
    from django.db import connections
    from django.utils import timezone

    from apps.core.queues import CeleryQueue
    from apps.health.heartbeats import BEAT, WATCHDOG, heartbeat_write, worker_heartbeat_name
    from apps.marketdata.models import CollectionRun

    connections.close_all()  # a new connection each time: a leaking server's connections may have been ended
    now = timezone.now()
    CollectionRun.objects.update(finished_at=now)
    for name in [*(worker_heartbeat_name(queue.value) for queue in CeleryQueue), BEAT, WATCHDOG]:
        heartbeat_write(name=name, now=now, interval_seconds=3600)


def measure(topology: str, *, env: dict[str, str], data: dict[str, Any], db_name: str, seconds: float,
            rounds: int, workers: int) -> dict[str, Any]:  # fmt: skip
    port, ref_port = support.free_port(), support.free_port()
    if topology == "gunicorn":
        command = support.gunicorn_command("optrading.wsgi:application", port=port, workers=workers)
    else:
        command = support.uvicorn_command("optrading.asgi:application", port=port)
    server_env = dict(env)
    if topology == "uvicorn":
        server_env["DATABASE_CONN_MAX_AGE"] = "0"
    if topology == "uvicorn-pool":
        server_env["DATABASE_POOL_MAX_SIZE"] = "4"
    reference_command = support.gunicorn_command("benchmarks.reference_app:application", port=ref_port,
                                                 workers=workers)  # fmt: skip
    headers = {"Authorization": f"Token {data['token']}"}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in ENDPOINTS}
    references: dict[str, list[dict[str, Any]]] = {name: [] for name in ENDPOINTS}
    with support.server(reference_command, env=dict(os.environ), port=ref_port) as reference, \
            support.server(command, env=server_env, port=port) as ours:  # fmt: skip
        # Warm-up, not measured: each worker's first requests import the URLconf and the apps behind it.
        support.wrk(reference.base + "/api/v1/market-status", seconds=2)
        for path in ENDPOINTS.values():
            support.wrk(ours.base + (path or ENDPOINTS["option-chain (latest)"]), seconds=1, headers=headers)
        idle = support.backends_count(db_name)
        for _ in range(rounds):
            for name, path in ENDPOINTS.items():
                if path is None:
                    path = f"/api/v1/option-chain/NIFTY?at={quote(data['at'])}"
                health_refresh()
                references[name].append(support.wrk(reference.base + "/api/v1/market-status", seconds=seconds))
                # Public endpoints are called as monitors call them, without a token.
                auth = headers if name.startswith("option-chain") else {}
                # Without persistent connections ASGI opens one per request in flight (up to the 32 wrk holds).
                limit = 45 if topology == "uvicorn" else 20
                run = support.wrk(ours.base + path, seconds=seconds, headers=auth, db_name=db_name,
                                  connection_limit=limit)  # fmt: skip
                runs[name].append(run)
                if run["stopped_at_limit"]:
                    support.backends_terminate(db_name)
                print(
                    f"  {topology} {name}: {run['requests_per_second']:.0f} req/s p99 {run['p99_ms']} ms "
                    f"(reference {references[name][-1]['requests_per_second']:.0f}); "
                    f"{run['peak_connections']} db connections, {run['errors']} errors",
                    flush=True,
                )
        after = support.backends_count(db_name)
    summary = {}
    for name in ENDPOINTS:
        ratios = [o["requests_per_second"] / r["requests_per_second"] for o, r in zip(runs[name], references[name],
                                                                                       strict=True)]  # fmt: skip
        summary[name] = {
            "ratio": statistics.median(ratios),
            "requests_per_second": statistics.median(r["requests_per_second"] for r in runs[name]),
            "reference_requests_per_second": statistics.median(r["requests_per_second"] for r in references[name]),
            "p99_ms": max((r["p99_ms"] or 0) for r in runs[name]) or None,
            "p50_ms": statistics.median((r["p50_ms"] or 0) for r in runs[name]),
            "errors": sum((r["errors"] or 0) for r in runs[name]),
            "stopped_at_connection_limit": any(r["stopped_at_limit"] for r in runs[name]),
            "peak_connections": max(r["peak_connections"] for r in runs[name]),
            "runs": runs[name],
            "reference_runs": references[name],
        }
    return {"description": TOPOLOGIES[topology], "command": command, "idle_connections": idle,
            "connections_after": after, "endpoints": summary}  # fmt: skip


def leak_probe(*, env: dict[str, str], data: dict[str, Any], db_name: str, seconds: float) -> dict[str, Any]:
    """uvicorn with the default DATABASE_CONN_MAX_AGE=60 under the chain load: how fast connections pile up
    (stopped at 20, the PostgreSQL server being shared)."""
    port = support.free_port()
    command = support.uvicorn_command("optrading.asgi:application", port=port)
    headers = {"Authorization": f"Token {data['token']}"}
    with support.server(command, env=env, port=port) as ours:
        started = time.monotonic()
        run = support.wrk(ours.base + ENDPOINTS["option-chain (latest)"], seconds=seconds, headers=headers,
                          db_name=db_name, connection_limit=20)  # fmt: skip
        elapsed = time.monotonic() - started
    support.backends_terminate(db_name)
    return {"command": command, "peak_connections": run["peak_connections"],
            "stopped_at_limit": run["stopped_at_limit"], "seconds_to_stop": elapsed,
            "requests": run["requests"]}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--topologies", default="gunicorn,uvicorn")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    args = parser.parse_args()
    support.main_guard()
    support.wrk_check()
    topologies = [t for t in args.topologies.split(",") if t]
    details: dict[str, Any] = {"connections": 32, "workers": args.workers, "seconds_per_run": args.seconds,
                               "rounds": args.rounds, "topologies": {}}  # fmt: skip
    with support.bench_database("api") as url:
        support.django_setup(url)
        details["data"] = data_build(args.sessions)
        env = support.server_env(url, OPTRADING_API_USER_RATE="100000000/min", OPTRADING_API_ANON_RATE="100000000/min")
        if "uvicorn" in topologies:
            details["leak_probe"] = leak_probe(env=env, data=details["data"], db_name=url.rsplit("/", 1)[1],
                                               seconds=args.seconds)  # fmt: skip
            print(f"  leak probe: {details['leak_probe']}", flush=True)
        for topology in topologies:
            details["topologies"][topology] = measure(topology, env=env, data=details["data"], db_name=url.rsplit(
                "/", 1)[1], seconds=args.seconds, rounds=args.rounds, workers=args.workers)  # fmt: skip
    chosen = details["topologies"][topologies[0]]["endpoints"]

    asgi = details["topologies"].get("uvicorn")
    asgi_peak = max(e["peak_connections"] for e in asgi["endpoints"].values()) if asgi else None

    def note(name: str) -> str:
        e = chosen[name]
        return (f"{e['requests_per_second']:,.0f} vs {e['reference_requests_per_second']:,.0f} req/s; "
                f"p50 {e['p50_ms']:.0f} ms, p99 {e['p99_ms']:.0f} ms; {topologies[0]}")  # fmt: skip

    targets = [
        support.Target(f"API {name}: req/s vs trivial view", chosen[name]["ratio"], goal, "×", note=note(name))
        for name, goal in (("option-chain (latest)", 0.5), ("option-chain (at=, 60 sessions)", 0.5),
                           ("market-status", 0.8), ("health", 0.8))
    ] + [
        support.Target(f"API {name}: p99 at 32 connections", chosen[name]["p99_ms"], 50, "ms", "le")
        for name in ("option-chain (latest)", "option-chain (at=, 60 sessions)")
    ] + [
        support.Target("API: peak database connections under load", max(e["peak_connections"] for e in chosen.values()),
                       args.workers + 1, "connections", "le",
                       note=f"{args.workers} gunicorn workers, one persistent connection each, and the benchmark's own"
                       + (f"; uvicorn (ASGI) in the same run: {asgi_peak}" if asgi_peak is not None else "")),
    ]  # fmt: skip
    support.result_write("api", targets=targets, details=details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
