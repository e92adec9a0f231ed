"""Custom Prometheus metrics, exposed at /metrics beside django-prometheus's own.

Other parts of the platform call the ``record_*`` / ``ws_*`` functions; they never raise.
With several processes (web, Celery worker) set PROMETHEUS_MULTIPROC_DIR to one shared, empty
directory for all of them, so /metrics in the web process also reports what the worker counted
(prometheus_client's multiprocess mode, which django-prometheus's exporter honours).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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

# Set each time health is computed (the watchdog every 30 s, the health API, the system-health feed);
# "mostrecent" so the web process exports the latest value whichever process computed it.
HEARTBEAT_AGE = Gauge(
    "optrading_heartbeat_age_seconds",
    "Seconds since the named heartbeat (worker:<queue>, beat, watchdog) was last written.",
    ["name"],
    multiprocess_mode="mostrecent",
)
ANALYTICS_LAG = Gauge(
    "optrading_analytics_lag_minutes",
    "Archived minutes not analysed yet, per underlying.",
    ["symbol"],
    multiprocess_mode="mostrecent",
)
COMPONENT_STATUS = Gauge(
    "optrading_health_component_status",
    "Health per component: 0 ok, 1 degraded, 2 unknown, 3 down.",
    ["component"],
    multiprocess_mode="mostrecent",
)
QUALITY_SCORE = Gauge(
    "optrading_quality_score",
    "The latest end-of-day data-quality score (0-100), per underlying and overall (symbol=all).",
    ["symbol"],
    multiprocess_mode="mostrecent",
)
ALERT_FIRINGS = Counter("optrading_alert_firings", "Alert rules fired, by metric.", ["metric"])
ALERT_DELIVERIES = Counter(
    "optrading_alert_deliveries", "Alert and fault deliveries finished, by channel and status.", ["channel", "status"]
)
ALERT_DELIVERY_FAILURES = Counter(
    "optrading_alert_delivery_failures", "Alert and fault deliveries that failed, by channel.", ["channel"]
)
FAULT_NOTICES = Counter("optrading_fault_notices", "Fault notices sent, by kind (problem, resolved).", ["kind"])
ANOMALIES = Counter("optrading_anomalies", "Anomalies found by robust z-score, by kind.", ["kind"])


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


STATUS_LEVEL = {"ok": 0, "degraded": 1, "unknown": 2, "down": 3}


def _safely(record: Callable[[], None]) -> None:
    try:
        record()
    except Exception:  # metrics must never break the caller
        logger.exception("could not record a metric")


def record_heartbeat_age(name: str, age_seconds: float) -> None:
    _safely(lambda: HEARTBEAT_AGE.labels(name=name).set(max(age_seconds, 0.0)))


def record_analytics_lag(symbol: str, minutes: int) -> None:
    _safely(lambda: ANALYTICS_LAG.labels(symbol=symbol).set(minutes))


def record_component_status(component: str, status: str) -> None:
    _safely(lambda: COMPONENT_STATUS.labels(component=component).set(STATUS_LEVEL.get(status, 2)))


def record_quality_score(symbol: str, score: float) -> None:
    _safely(lambda: QUALITY_SCORE.labels(symbol=symbol).set(score))


def record_alert_fired(metric: str) -> None:
    _safely(lambda: ALERT_FIRINGS.labels(metric=metric).inc())


def record_delivery(channel: str, status: str) -> None:
    def record() -> None:
        ALERT_DELIVERIES.labels(channel=channel, status=status).inc()
        if status == "failed":
            ALERT_DELIVERY_FAILURES.labels(channel=channel).inc()

    _safely(record)


def record_fault_notice(kind: str) -> None:
    _safely(lambda: FAULT_NOTICES.labels(kind=kind).inc())


def record_anomaly(kind: str) -> None:
    _safely(lambda: ANOMALIES.labels(kind=kind).inc())
