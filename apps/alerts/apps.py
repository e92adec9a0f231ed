from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Alerts: user rules on analytics, platform fault notices, and their deliveries."""

    name = "apps.alerts"
    label = "alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.alerts.receivers import receivers_connect

        receivers_connect()
