"""The services the platform stands on: the database and, when configured, Redis."""

from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings
from django.db import connection

from apps.health.components import Component, Status

DATABASE = "database"
REDIS = "redis"


def database_check(*, now: datetime) -> Component:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
            size = None
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_database_size(current_database())")
                (size,) = cursor.fetchone()
    except Exception as exc:  # any driver error means the database is down for our purposes
        connection.close()  # never keep a broken connection for the next check
        where = _database_where()
        return Component(
            DATABASE,
            Status.DOWN,
            f"cannot reach the database at {where}: {exc.__class__.__name__}: {str(exc).strip()[:300]}",
            "Start the database server (docker compose up -d postgres, or pg_ctlcluster ... start) and check "
            "DATABASE_URL. Nothing is collected while it is down.",
            {"where": where},
        )
    latency_ms = round((time.monotonic() - started) * 1000, 1)
    data: dict[str, object] = {"vendor": connection.vendor, "latency_ms": latency_ms}
    if size is not None:
        data["size_bytes"] = int(size)
    return Component(DATABASE, Status.OK, f"{connection.vendor} answered in {latency_ms} ms", data=data)


def _database_where() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return str(db["NAME"])
    return f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db.get('NAME')}"


def redis_configured() -> bool:
    return bool(settings.REDIS_URL)


def redis_check(*, now: datetime) -> Component:
    import redis

    url = settings.REDIS_URL
    where = _redis_where(url)
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    started = time.monotonic()
    try:
        client.ping()
        memory = client.info("memory").get("used_memory_human", "?")
    except redis.RedisError as exc:
        return Component(
            REDIS,
            Status.DOWN,
            f"cannot reach Redis at {where}: {exc.__class__.__name__}: {exc}",
            "Start Redis (docker compose up -d redis, or redis-server) and check REDIS_URL: the worker, beat and "
            "the live feeds all go through it.",
            {"where": where},
        )
    finally:
        client.close()
    latency_ms = round((time.monotonic() - started) * 1000, 1)
    return Component(
        REDIS,
        Status.OK,
        f"answered in {latency_ms} ms, {memory} used",
        data={"where": where, "latency_ms": latency_ms, "used_memory": memory},
    )


def _redis_where(url: str) -> str:
    """host:port/db of a Redis URL, never its password."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    return f"{parsed.hostname or 'localhost'}:{parsed.port or 6379}{parsed.path or ''}"
