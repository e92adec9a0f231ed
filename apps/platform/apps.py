from __future__ import annotations

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The composition layer: first-run setup, the beat schedule writer and ``runplatform`` know every app."""

    name = "apps.platform"
    label = "platform"
    default_auto_field = "django.db.models.BigAutoField"
