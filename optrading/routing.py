"""Websocket routes. Consumers authenticate in ``connect`` (session cookie or ``?token=``)."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator

websocket_urlpatterns: list = []

try:  # the feeds arrive with the API issue; the router stays valid without them
    from apps.marketdata.routing import websocket_urlpatterns as _feeds
except ImportError:  # pragma: no cover
    _feeds = []
websocket_urlpatterns += _feeds

websocket_application = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
