"""The pykiteconnect client: one ``KiteConnect`` per (api key, root), built from settings.

Settings read: ``KITE_API_KEY``, ``KITE_API_SECRET``, ``KITE_API_ROOT`` (tests point it at the
loopback double), ``KITE_TIMEOUT`` (seconds per HTTP call, default 7, pykiteconnect's own default).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.conf import settings
from kiteconnect import KiteConnect

from apps.brokers.base import PermanentBrokerError

_clients: dict[tuple[str, str, float], KiteConnect] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class KiteConfig:
    api_key: str
    api_secret: str
    root: str
    timeout: float

    @classmethod
    def from_settings(cls) -> KiteConfig:
        api_key = settings.KITE_API_KEY
        api_secret = settings.KITE_API_SECRET
        for name, value in (("KITE_API_KEY", api_key), ("KITE_API_SECRET", api_secret)):
            if not value:
                raise PermanentBrokerError(
                    f"{name} is not set; the Kite broker needs the app's key and secret from developers.kite.trade.",
                    code="kite_not_configured",
                    suggestion=f"Set {name} in the environment and restart.",
                )
        return cls(
            api_key=api_key,
            api_secret=api_secret,
            root=settings.KITE_API_ROOT.rstrip("/") or KiteConnect._default_root_uri,
            timeout=float(settings.KITE_TIMEOUT),
        )


def kite_client(config: KiteConfig) -> KiteConnect:
    """The shared client for this api key. The caller sets the access token before each call."""
    cache_key = (config.api_key, config.root, config.timeout)
    with _lock:
        client = _clients.get(cache_key)
        if client is None:
            client = KiteConnect(config.api_key, root=config.root, timeout=config.timeout)
            _clients[cache_key] = client
        return client
