"""When a Kite access token dies: at the next 06:00 IST after login (a regulatory rule, per Kite's docs)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from apps.market.clock import IST

TOKEN_EXPIRY_TIME_IST = time(6, 0)


def access_token_expires_at(login_time: datetime) -> datetime:
    """The first 06:00 IST strictly after ``login_time`` (aware), as aware UTC."""
    local = login_time.astimezone(IST)
    expiry = datetime.combine(local.date(), TOKEN_EXPIRY_TIME_IST, tzinfo=IST)
    if expiry <= local:
        expiry += timedelta(days=1)
    return expiry.astimezone(UTC)
