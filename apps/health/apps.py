from __future__ import annotations

from django.apps import AppConfig


class HealthConfig(AppConfig):
    """Health of every component; it reads every app, so it sits high in the layers."""

    name = "apps.health"
    label = "health"
    default_auto_field = "django.db.models.BigAutoField"
