from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "apps.web"
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The websocket publisher listens for the post-commit signals in every process that commits data.
        from apps.marketdata.publisher import receivers_connect

        receivers_connect()
