from __future__ import annotations

from django.apps import AppConfig


class HealthConfig(AppConfig):
    """Health of every component and the heartbeats; it reads every app below it, so it sits high."""

    name = "apps.health"
    label = "health"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Beat's heartbeat is written from the beat thread when it publishes the heartbeat task.
        from apps.health.heartbeats import beat_receivers_connect

        beat_receivers_connect()
