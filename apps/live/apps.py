from __future__ import annotations

from django.apps import AppConfig


class LiveConfig(AppConfig):
    """Publishing: websocket feeds, their auth and routing, and the receivers that publish after commit."""

    name = "apps.live"
    label = "live"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The publisher listens for the post-commit signals in every process that commits data.
        from apps.live.publisher import receivers_connect

        receivers_connect()
