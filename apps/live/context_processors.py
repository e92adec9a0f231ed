"""Template context for the pages' websocket connections."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def websocket(request: HttpRequest) -> dict[str, str]:
    """``ws_port``: the websocket server's port when it is not the page's own (runplatform's Redis mode serves
    HTTP on gunicorn and websockets on uvicorn); empty when both share the origin (embedded, or a proxy)."""
    return {"ws_port": str(settings.OPTRADING_WS_PORT or "")}
