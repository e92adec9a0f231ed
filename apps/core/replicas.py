"""Reads of the API and the pages from a read replica, when one is configured (``DATABASE_REPLICA_URL``).

Only requests with a safe method read from the replica: the middleware marks them, and the router sends their
reads to the ``replica`` alias. Everything else (writes, the workers' reads of rows they have just committed,
the analytics cursor, leases) stays on the primary, so replication lag can only make a page a moment late,
never make the pipeline read stale rows.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PRIMARY_ONLY = {"auth", "sessions", "authtoken", "contenttypes", "admin", "axes"}
"""Who is logged in is read where it was written: a login must not look logged-out for a replica's lag."""
PRIMARY_ONLY_MODELS = {"core.ApiToken"}
_reading: ContextVar[bool] = ContextVar("optrading_replica_reads", default=False)


class ReplicaRouter:
    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if not _reading.get() or REPLICA not in settings.DATABASES:
            return None
        primary = model._meta.app_label in PRIMARY_ONLY or model._meta.label in PRIMARY_ONLY_MODELS
        return None if primary else REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == "default"


class ReplicaReadsMiddleware:
    """Marks GET and HEAD requests as allowed to read from the replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _reading.set(request.method in ("GET", "HEAD", "OPTIONS"))
        try:
            return self.get_response(request)
        finally:
            _reading.reset(token)
