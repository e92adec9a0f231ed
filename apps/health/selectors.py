from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.marketdata.models import CollectionRun, CollectionStatus


@dataclass(frozen=True)
class Health:
    healthy: bool
    database: str
    broker: str
    broker_ready: bool
    last_collection_at: datetime | None
    last_collection_age_seconds: float | None
    last_collection_status: str | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = "ok" if self.healthy else "degraded"
        data["last_collection_at"] = self.last_collection_at.isoformat() if self.last_collection_at else None
        return data


def health_get() -> Health:
    """Database reachable, broker usable, and the age of the last finished collection run."""
    from apps.brokers.base import BrokerError, get_broker

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:  # any driver error means the database is down for our purposes
        database = f"error: {exc.__class__.__name__}"
    try:
        broker_ready, broker_detail = get_broker().ready()
    except BrokerError as exc:
        broker_ready, broker_detail = False, str(exc)
    last = None
    if database == "ok":
        last = (
            CollectionRun.objects.exclude(status=CollectionStatus.RUNNING)
            .exclude(finished_at=None)
            .order_by("-finished_at")
            .only("finished_at", "status")
            .first()
        )
    age = (timezone.now() - last.finished_at).total_seconds() if last and last.finished_at else None
    fresh = age is not None and age <= settings.HEALTH_MAX_COLLECTION_AGE.total_seconds()
    return Health(
        healthy=database == "ok" and broker_ready and (fresh or not _collection_expected()),
        database=database,
        broker=f"{settings.OPTRADING_BROKER}: {broker_detail}",
        broker_ready=broker_ready,
        last_collection_at=last.finished_at if last else None,
        last_collection_age_seconds=round(age, 1) if age is not None else None,
        last_collection_status=last.status if last else None,
    )


def _collection_expected() -> bool:
    """A fresh run is expected in market hours. (The simulated market replays the last session at
    one minute per run, then follows the real clock, so outside market hours it too goes quiet.)"""
    from apps.market.calendar import market_status

    return market_status(timezone.now()).is_open
