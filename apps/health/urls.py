from __future__ import annotations

from django.urls import path

from apps.health.apis import HealthApi

urlpatterns = [
    path("health", HealthApi.as_view(), name="api-health"),
]
