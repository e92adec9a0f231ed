from __future__ import annotations

from django.apps import AppConfig


class QualityConfig(AppConfig):
    """Data quality: the end-of-day score of every trading day, and anomalies by robust z-score."""

    name = "apps.quality"
    label = "quality"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.quality.services.anomalies import receivers_connect

        receivers_connect()
