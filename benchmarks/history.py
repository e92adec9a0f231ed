"""Benchmark (target 2): every history endpoint on a 250-session archive against the same on a 5-session one.

    .venv/bin/python benchmarks/history.py [--large 250] [--small 5] [--repeats 5]

Two databases, each with a NIFTY archive of whole sessions (chain snapshots of four expiries a minute, the
volatility snapshots, underlying quotes with India VIX, participant positions) written the way analytics
writes them, each served by its own one-worker gunicorn; each endpoint is requested alternately from the two
(after a warm-up request each), and the figure is the median time on the large archive over the median on the
small one. The history series asks for the whole archive, one value a session, and for the last session by
minute; participants history for its default window.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support


def build(sessions: int) -> dict[str, Any]:
    """Runs in a child process against DATABASE_URL: the archive, a user and a token."""
    import django

    django.setup()
    import archive
    from django.contrib.auth import get_user_model

    from apps.core.api_tokens import api_token_create

    started = time.perf_counter()
    # One partition per session day, as beat makes them ahead of a live archive (without them every past day
    # would sit in the default partition, which no collected archive looks like).
    from django.db import connection

    from apps.archive.services.partitions import DAY_TABLES
    from apps.core.partitions import is_partitioned, partition_create

    with connection.cursor() as cursor:
        for spec in DAY_TABLES:
            if is_partitioned(cursor, spec.table):
                for day in archive.past_sessions(sessions):
                    partition_create(cursor, spec.table, day, fillfactor=spec.fillfactor)
    info = archive.archive_build(sessions=sessions, options=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # What the nightly compaction leaves after each session: the daily-close rollups packed (every snapshot
    # written updated its day's row; unpacked, a year's 888 rows sat one a page and every whole-archive read
    # visited 5,260 pages, docs/history.md).
    from apps.analytics.services.daily_closes import daily_closes_compact

    daily_closes_compact()
    return {
        "sessions": sessions,
        "first_day": info.sessions[0].isoformat(),
        "last_day": info.sessions[-1].isoformat(),
        "snapshot_rows": info.snapshot_rows,
        "minutes": info.minutes,
        "build_seconds": time.perf_counter() - started,
        "token": api_token_create(user=get_user_model().objects.create_user("bench")).key,
    }


def endpoints(first_day: str, last_day: str) -> dict[str, str]:
    return {
        # One value per session over the whole archive: the output grows with the sessions, the work should not.
        "history (whole archive, daily)": f"/api/v1/analytics/NIFTY/history?field=pcr_oi&bucket=this_week&daily=true"
        f"&from={first_day}&to={last_day}",
        "history (last session, by minute)": f"/api/v1/analytics/NIFTY/history?field=pcr_oi&bucket=this_week"
        f"&from={last_day}&to={last_day}",
        "iv-rank": "/api/v1/analytics/NIFTY/iv-rank",
        "overlay": "/api/v1/analytics/NIFTY/overlay?bucket=this_week",
        "expiry-comparison": "/api/v1/analytics/NIFTY/expiry-comparison?field=pcr_oi",
        "vix-correlation": "/api/v1/analytics/NIFTY/vix-correlation",
        "participants/history (default window)": "/api/v1/participants/history",
    }


def timed_get(url: str, token: str) -> tuple[float, int, int]:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as reply:
            body = reply.read()
            status = reply.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return time.perf_counter() - started, status, len(body)


def profile(server: support.Server, path: str, token: str) -> list[str]:
    """The hottest frames (inclusive share of py-spy samples) of the server's worker during one request."""
    import collections
    import tempfile

    worker = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()[0]
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    command = [str(Path(sys.executable).with_name("py-spy")), "record", "-p", worker, "-f", "speedscope", "-o",
               str(out), "-r", "250"]  # fmt: skip
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    timed_get(server.base + path, token)
    spy.send_signal(2)
    spy.wait(timeout=30)
    data = json.loads(out.read_text())
    out.unlink()
    frames, samples = data["shared"]["frames"], data["profiles"][0]
    inclusive: collections.Counter[int] = collections.Counter()
    for stack in samples["samples"]:
        inclusive.update(set(stack))
    total = max(len(samples["samples"]), 1)
    return [f"{count / total:5.1%} {frames[i]['name']} {frames[i].get('file', '').split('site-packages/')[-1]}:"
            f"{frames[i].get('line')}" for i, count in inclusive.most_common(40)]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=250)
    parser.add_argument("--small", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="py-spy the large archive's server on each endpoint")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        print("CHILDJSON " + json.dumps(build(args.build)), flush=True)
        return 0
    support.main_guard()
    details: dict[str, Any] = {"repeats": args.repeats, "endpoints": {}}
    with support.bench_database("history_small") as small_url, support.bench_database("history_large") as large_url:
        archives = {}
        for name, url, sessions in (("small", small_url, args.small), ("large", large_url, args.large)):
            output = subprocess.run([sys.executable, __file__, "--build", str(sessions)], capture_output=True,
                                    text=True, env=support.server_env(url), check=False)  # fmt: skip
            line = next((x for x in output.stdout.splitlines() if x.startswith("CHILDJSON ")), None)
            if line is None:
                raise SystemExit(f"building the {name} archive failed:\n{output.stderr[-4000:]}")
            archives[name] = json.loads(line.removeprefix("CHILDJSON "))
            print(
                f"  {name} archive: {archives[name]['sessions']} sessions, {archives[name]['snapshot_rows']:,} "
                f"snapshots in {archives[name]['build_seconds']:.0f} s",
                flush=True,
            )
        details["archives"] = {k: {n: v for n, v in a.items() if n != "token"} for k, a in archives.items()}
        ports = {"small": support.free_port(), "large": support.free_port()}
        commands = {
            which: [*support.gunicorn_command("optrading.wsgi:application", port=port, workers=1), "--timeout", "300"]
            for which, port in ports.items()
        }
        with (
            support.server(commands["small"], env=support.server_env(small_url), port=ports["small"]) as small,
            support.server(commands["large"], env=support.server_env(large_url), port=ports["large"]) as large,
        ):
            servers = {"small": small, "large": large}
            for name in endpoints("", ""):
                times: dict[str, list[float]] = {"small": [], "large": []}
                statuses: set[int] = set()
                sizes = {}
                for which in ("small", "large"):  # warm-up
                    paths = endpoints(archives[which]["first_day"], archives[which]["last_day"])
                    timed_get(servers[which].base + paths[name], archives[which]["token"])
                for _ in range(args.repeats):
                    for which in ("small", "large"):
                        paths = endpoints(archives[which]["first_day"], archives[which]["last_day"])
                        seconds, status, size = timed_get(servers[which].base + paths[name], archives[which]["token"])
                        times[which].append(seconds)
                        statuses.add(status)
                        sizes[which] = size
                if args.profile:
                    paths = endpoints(archives["large"]["first_day"], archives["large"]["last_day"])
                    details.setdefault("profiles", {})[name] = profile(large, paths[name], archives["large"]["token"])
                small_median, large_median = statistics.median(times["small"]), statistics.median(times["large"])
                details["endpoints"][name] = {
                    "small_seconds": small_median, "large_seconds": large_median,
                    "ratio": large_median / small_median, "statuses": sorted(statuses), "bytes": sizes,
                    "small_runs": times["small"], "large_runs": times["large"],
                }  # fmt: skip
                print(
                    f"  {name}: {small_median * 1000:.0f} ms → {large_median * 1000:.0f} ms "
                    f"({large_median / small_median:.1f}×), status {sorted(statuses)}",
                    flush=True,
                )
    targets = [
        support.Target(f"history: {name}, {args.large} vs {args.small} sessions", e["ratio"], 2, "×", "le",
                       note=f"{e['small_seconds'] * 1000:.0f} → {e['large_seconds'] * 1000:.0f} ms"
                       + ("" if e["statuses"] == [200] else f"; HTTP {e['statuses']}"))
        for name, e in details["endpoints"].items()
    ]  # fmt: skip
    support.result_write("history", targets=targets, details=details)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
