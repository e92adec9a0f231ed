"""/api/v1: each app contributes its own routes here."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("apps.monitoring.urls")),
]
