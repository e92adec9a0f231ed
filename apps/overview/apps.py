from __future__ import annotations

from django.apps import AppConfig


class OverviewConfig(AppConfig):
    name = "apps.overview"
    label = "overview"
    default_auto_field = "django.db.models.BigAutoField"
