from __future__ import annotations

from django.apps import AppConfig


class StrategiesConfig(AppConfig):
    """Options strategies: payoff on the archived smile, templates, and strategies saved per user."""

    name = "apps.strategies"
    label = "strategies"
    default_auto_field = "django.db.models.BigAutoField"
