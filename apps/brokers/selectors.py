"""Reads about broker sessions and the login audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from apps.brokers.models import AuthEvent, BrokerSession, SessionStatus


def broker_session_active_get(*, provider: str = "kite") -> BrokerSession | None:
    """The session marked active (at most one per provider), whether or not its clock has run out."""
    return (
        BrokerSession.objects.filter(provider=provider, status=SessionStatus.ACTIVE)
        .order_by("-login_time", "-id")
        .first()
    )


@dataclass(frozen=True)
class AuthStatus:
    status: str  # "none" | "active" | "expired"
    user_id: str | None
    user_name: str | None
    expires_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, "user_id": self.user_id, "expires_at": self.expires_at}


def auth_status_get(*, provider: str = "kite", now: datetime | None = None) -> AuthStatus:
    """``active`` while a session is usable; ``expired`` when the latest one ran out or Kite rejected it;
    ``none`` when nobody logged in or the last session was logged out."""
    now = now or timezone.now()
    latest = BrokerSession.objects.filter(provider=provider).order_by("-login_time", "-id").first()
    if latest is None or latest.status in (SessionStatus.REVOKED, SessionStatus.SUPERSEDED):
        return AuthStatus(status="none", user_id=None, user_name=None, expires_at=None)
    usable = latest.status == SessionStatus.ACTIVE and latest.expires_at > now
    return AuthStatus(
        status="active" if usable else "expired",
        user_id=latest.user_id,
        user_name=latest.user_name,
        expires_at=latest.expires_at,
    )


def auth_event_list(*, provider: str = "kite", limit: int = 50) -> QuerySet[AuthEvent]:
    return AuthEvent.objects.filter(provider=provider).order_by("-time", "-id")[:limit]
