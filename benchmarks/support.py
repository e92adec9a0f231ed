"""What every benchmark shares: its own databases and Redis db, Django set up against them, servers started and
stopped by PID, wrk, the machine description and the results files.

Every benchmark creates what it measures (databases named ``optrading_bench_*``, cloned from a migrated template)
and drops it afterwards, so ``make bench`` runs from a fresh clone and never touches the test or dev databases.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
"""A maintenance database on the server the benchmarks may create databases on."""
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
TEMPLATE = "optrading_bench_template"
SECRET_KEY = "benchmark-only-secret-key-0123456789-not-for-production"


def main_guard() -> None:
    """SIGTERM ends a benchmark like Ctrl-C, so every server it started is stopped and every database dropped."""

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


# --- databases --------------------------------------------------------------------------------
def _admin() -> Any:
    import psycopg

    return psycopg.connect(ADMIN_URL, autocommit=True)


def database_url(name: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("apps/*/migrations/*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def server_env(db_url: str, **extra: str) -> dict[str, str]:
    """The environment of a platform process (server, manage.py) against a benchmark database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "optrading.settings.base",
        "DATABASE_URL": db_url,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def template_ensure() -> None:
    """A migrated empty database to clone from (CREATE DATABASE ... TEMPLATE is a file copy: fast)."""
    fingerprint = _migrations_fingerprint()
    with _admin() as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [TEMPLATE]
        ).fetchone()
        if row is not None and row[0] == fingerprint:
            return
        admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=server_env(database_url(TEMPLATE)),
        check=True,
    )
    with _admin() as admin:
        admin.execute(f"COMMENT ON DATABASE \"{TEMPLATE}\" IS '{fingerprint}'")


def template_drop() -> None:
    """Drop the migrated template (run.py does, after the last benchmark) and empty the benchmarks' Redis db."""
    import redis

    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    redis.Redis.from_url(REDIS_URL).flushdb()


@contextlib.contextmanager
def bench_database(name: str) -> Iterator[str]:
    """A fresh migrated database ``optrading_bench_<name>``, dropped afterwards; yields its URL."""
    template_ensure()
    db = f"optrading_bench_{name}"
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{db}" TEMPLATE "{TEMPLATE}"')
    try:
        yield database_url(db)
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def django_setup(db_url: str) -> None:
    """Point this process's Django at ``db_url`` (call once, before importing any app)."""
    env = server_env(db_url)
    for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
        os.environ[key] = env[key]
    import django

    django.setup()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def backends_count(db_name: str) -> int:
    """Client backends connected to ``db_name`` now (pg_stat_activity)."""
    with _admin() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
            [db_name],
        ).fetchone()
    return int(row[0])


# --- servers ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def server(command: list[str], *, env: dict[str, str], port: int, ready_path: str = "/api/v1/market-status",
           timeout: float = 60.0) -> Iterator[Server]:  # fmt: skip
    """Start ``command`` (which must listen on ``port``) in its own process group; stop exactly that group."""
    log = Path(tempfile.mkstemp(prefix="bench-server-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[:4]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(base + ready_path, timeout=2) as response:
                    if response.status < 500:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[:4]} did not answer on {base}:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(process=process, base=base, log=log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.unlink(missing_ok=True)


def gunicorn_command(app: str, *, port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", "sync", "--log-level", "warning"]  # fmt: skip


def uvicorn_command(app: str, *, port: int, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--workers",
            str(workers), "--log-level", "warning", "--no-access-log"]  # fmt: skip


# --- load -------------------------------------------------------------------------------------
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "status_errors": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, '
    .. '"timeouts": %d}\\n', summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def wrk_check() -> str:
    path = subprocess.run(["which", "wrk"], capture_output=True, text=True).stdout.strip()
    if not path:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it)")
    return path


def wrk(url: str, *, connections: int = 32, seconds: float = 8.0, headers: dict[str, str] | None = None,
        threads: int = 2, db_name: str | None = None, connection_limit: int = 20) -> dict[str, Any]:  # fmt: skip
    """Closed-loop load of ``url``; requests/s and latency percentiles (ms). Non-2xx answers count as errors.

    With ``db_name``, the connections to that database are sampled every 0.05 s (``peak_connections``); past
    ``connection_limit`` the load stops at once (``stopped_at_limit``), because the PostgreSQL server is shared."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", script.name]  # fmt: skip
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    process = subprocess.Popen([*command, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, stopped, started = 0, False, time.monotonic()
    admin = _admin() if db_name else None
    try:
        while process.poll() is None:
            if admin is not None:
                count = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                    [db_name],
                ).fetchone()[0]
                peak = max(peak, int(count))
                if count > connection_limit and not stopped:
                    stopped = True
                    process.send_signal(signal.SIGINT)
            time.sleep(0.05)
    finally:
        if admin is not None:
            admin.close()
    output, errors = process.communicate()
    Path(script.name).unlink()
    elapsed = time.monotonic() - started
    line = next((line for line in output.splitlines() if line.startswith("WRKJSON ")), None)
    if line is None:
        return {"requests": 0, "requests_per_second": 0.0, "p50_ms": None, "p90_ms": None, "p99_ms": None,
                "max_ms": None, "errors": None, "connect_errors": None, "connections": connections,
                "seconds": elapsed, "peak_connections": peak, "stopped_at_limit": stopped,
                "wrk_output": (output + errors)[-500:]}  # fmt: skip
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds_run = raw["duration_us"] / 1e6
    errors_count = raw["status_errors"] + raw["timeouts"] + raw["read_errors"] + raw["write_errors"]
    return {
        "requests": raw["requests"],
        "requests_per_second": raw["requests"] / seconds_run,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": errors_count,
        "connect_errors": raw["connect_errors"],
        "connections": connections,
        "seconds": seconds_run,
        "peak_connections": peak,
        "stopped_at_limit": stopped,
    }


def backends_terminate(db_name: str) -> int:
    """End every connection to ``db_name`` (a leaking server's idle ones), so the shared server keeps room."""
    with _admin() as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [db_name],
        ).fetchall()
    return len(rows)


# --- processes --------------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    """Resident set size of one process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb(pid: int) -> float:
    """The high-water mark of one process's resident set (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def py_spy(pid: int, *, rate: int = 200, top: int = 40) -> Iterator[list[str]]:
    """Sample process ``pid`` with py-spy while the block runs; the list fills with its hottest frames
    (inclusive share of the samples) when the block ends."""
    frames_out: list[str] = []
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    command = [str(Path(sys.executable).with_name("py-spy")), "record", "-p", str(pid), "-f", "speedscope", "-o",
               str(out), "-r", str(rate)]  # fmt: skip
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches
    try:
        yield frames_out
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
        if out.stat().st_size:
            data = json.loads(out.read_text())
            frames, samples = data["shared"]["frames"], data["profiles"][0]["samples"]
            inclusive: dict[int, int] = {}
            for stack in samples:
                for frame in set(stack):
                    inclusive[frame] = inclusive.get(frame, 0) + 1
            total = max(len(samples), 1)
            for index, count in sorted(inclusive.items(), key=lambda item: -item[1])[:top]:
                frame = frames[index]
                where = frame.get("file", "").split("site-packages/")[-1]
                frames_out.append(f"{count / total:6.1%} {frame['name']} {where}:{frame.get('line')}")
        out.unlink(missing_ok=True)


# --- results ----------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }
    cpu = Path("/proc/cpuinfo")
    if cpu.exists():
        names = [line.split(":", 1)[1].strip() for line in cpu.read_text().splitlines()
                 if line.startswith("model name")]  # fmt: skip
        if names:
            info["cpu_model"] = names[0]
    memory = Path("/proc/meminfo")
    if memory.exists():
        info["memory_gb"] = round(int(memory.read_text().split()[1]) / 1024 / 1024, 1)
    for package in ("Django", "psycopg", "gunicorn", "uvicorn", "channels", "channels-redis", "numpy"):
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info[package] = None
    with contextlib.suppress(Exception), _admin() as admin:
        info["postgresql"] = admin.execute("SHOW server_version").fetchone()[0]
    return info


@dataclass
class Target:
    """One measured figure against its target: ``ratio`` or absolute, ``le`` (at most) or ``ge`` (at least)."""

    name: str
    value: float | None
    target: float
    unit: str
    comparison: str = "ge"
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.comparison == "ge" else self.value <= self.target

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "target": self.target, "unit": self.unit,
                "comparison": self.comparison, "met": self.met, "note": self.note}  # fmt: skip


def result_write(name: str, *, targets: list[Target], details: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/results/<name>.json: the targets (what the table shows) and every measurement behind them."""
    result = {
        "benchmark": name,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "targets": [target.as_dict() for target in targets],
        "details": details,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    for target in targets:
        state = {True: "met", False: "MISSED", None: "n/a"}[target.met]
        sign = "≥" if target.comparison == "ge" else "≤"
        value = "n/a" if target.value is None else f"{target.value:.3g}"
        print(f"{name}: {target.name}: {value} {target.unit} (target {sign} {target.target:g}) {state}", flush=True)
    return result
