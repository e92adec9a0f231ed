"""Websocket routes of the feeds; ``optrading.routing`` wraps them in the session auth stack.

Each route also goes through ``TokenAuthMiddleware`` so API clients can authenticate with ``?token=``.
"""

from __future__ import annotations

from typing import Any

from django.urls import path

from apps.live.consumers import AlertsConsumer, AnalyticsConsumer, LiveChainConsumer, SystemHealthConsumer
from apps.live.ws_auth import TokenAuthMiddleware

websocket_urlpatterns: list[Any] = [
    path("ws/live-data/", TokenAuthMiddleware(LiveChainConsumer.as_asgi())),
    path("ws/analytics/", TokenAuthMiddleware(AnalyticsConsumer.as_asgi())),
    path("ws/system-health/", TokenAuthMiddleware(SystemHealthConsumer.as_asgi())),
    path("ws/alerts/", TokenAuthMiddleware(AlertsConsumer.as_asgi())),
]
