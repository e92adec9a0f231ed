"""WSGI entry point: HTTP (gunicorn's sync workers in production; websockets are served by optrading.asgi)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optrading.settings.base")
application = get_wsgi_application()
# Import the URLconf (and every view module and app behind it) now, when the worker boots, rather than in its
# first request: that import takes seconds, and a worker restarted under load would make its first users wait.
get_resolver().url_patterns  # noqa: B018
