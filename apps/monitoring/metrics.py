"""Custom Prometheus metrics, exposed at /metrics beside django-prometheus's own.

Other parts of the platform call the ``record_*`` / ``ws_*`` functions; they never raise.
With several processes (web, Celery worker) set PROMETHEUS_MULTIPROC_DIR to one shared, empty
directory for all of them, so /metrics in the web process also reports what the worker counted
(prometheus_client's multiprocess mode, which django-prometheus's exporter honours).
"""

from __future__ import annotations

import logging
from typing import Protocol

from prometheus_client import Counter, Gauge, Histogram

logger = logging.getLogger(__name__)

QUOTES_COLLECTED = Counter("optrading_quotes_collected", "Option quotes stored by collection runs.", ["broker"])
COLLECTION_RUNS = Counter("optrading_collection_runs", "Finished collection runs by status.", ["broker", "status"])
COLLECTION_DURATION = Histogram(
    "optrading_collection_duration_seconds",
    "Wall time of one collection run, from start to commit.",
    buckets=(0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 45, 60, 120),
)
ANALYTICS_DURATION = Histogram(
    "optrading_analytics_duration_seconds",
    "Wall time of the analytics computed after a collection run.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60),
)
BROKER_ERRORS = Counter("optrading_broker_errors", "Broker errors by error code.", ["code"])
WEBSOCKET_CLIENTS = Gauge("optrading_websocket_clients", "Connected websocket clients.", multiprocess_mode="livesum")


class FinishedRun(Protocol):
    """What the metrics read of a collection run (``apps.marketdata.models.CollectionRun``)."""

    @property
    def pk(self) -> int | None: ...
    @property
    def broker(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def quotes_stored(self) -> int: ...
    @property
    def duration_ms(self) -> int | None: ...


def record_collection(run: FinishedRun) -> None:
    """Count a finished run: its quotes, its status and its duration. Running runs are ignored."""
    if run.status == "running":
        return
    try:
        QUOTES_COLLECTED.labels(broker=run.broker).inc(run.quotes_stored)
        COLLECTION_RUNS.labels(broker=run.broker, status=run.status).inc()
        if run.duration_ms is not None:
            COLLECTION_DURATION.observe(run.duration_ms / 1000)
    except Exception:  # metrics must never break collection
        logger.exception("Could not record metrics for collection run %s", run.pk)


def record_analytics(duration_s: float) -> None:
    ANALYTICS_DURATION.observe(max(duration_s, 0.0))


def record_broker_error(code: str) -> None:
    BROKER_ERRORS.labels(code=code or "unknown").inc()


def ws_client_connected() -> None:
    WEBSOCKET_CLIENTS.inc()


def ws_client_disconnected() -> None:
    WEBSOCKET_CLIENTS.dec()
