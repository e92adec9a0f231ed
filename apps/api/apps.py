from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "apps.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The cached option-chain replies follow every commit of a minute and every archived or restored day.
        from apps.api.chain_cache import receivers_connect

        receivers_connect()
