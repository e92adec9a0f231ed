"""WhiteNoise as the project configures it, except that a test process scans the static files once.

Django's test ``Client`` builds the middleware chain anew for every client, and WhiteNoise's constructor lists
and stats every static file the finders know (the admin's, DRF's, the Swagger UI sidecar's, the vendored charts:
about 0.1 s on this machine). With a client in most of the suite's 1,400 tests that was over a minute of
``make test``. A web process builds its chain once, so it never paid this; the files served, their headers and
the 404s are WhiteNoise's own.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings as django_settings
from whitenoise.middleware import WhiteNoiseMiddleware


class WhiteNoiseScannedOnce(WhiteNoiseMiddleware):
    _scanned: ClassVar[dict[tuple[Any, ...], dict[str, Any]]] = {}

    def __init__(self, get_response: Any = None, settings: Any = django_settings) -> None:
        key = (str(settings.STATIC_ROOT), settings.STATIC_URL, getattr(settings, "WHITENOISE_ROOT", None))
        self._files_before = self._scanned.get(key)
        super().__init__(get_response, settings)
        if self._files_before is None:
            self._scanned[key] = self.files
        else:
            self.files = self._files_before

    def add_files(self, root: str, prefix: str | None = None) -> None:
        if self._files_before is None:
            super().add_files(root, prefix)

    def add_files_from_finders(self) -> None:
        if self._files_before is None:
            super().add_files_from_finders()
