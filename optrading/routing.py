"""Websocket routes. Consumers authenticate in ``connect`` (session cookie or ``?token=``).

A broken consumer import fails here, loudly, rather than leaving a server without websocket routes.
"""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator

from apps.live.routing import websocket_urlpatterns

websocket_application = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
