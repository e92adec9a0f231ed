"""The client's address behind a proxy (``OPTRADING_BEHIND_PROXY``), for the failed-login counter (django-axes)."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address the proxy saw: the last entry of X-Forwarded-For (the proxy appends it; earlier entries are
    the client's own claims), or the peer's address without a proxy header."""
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-1] if forwarded else str(request.META.get("REMOTE_ADDR", ""))
