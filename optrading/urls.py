from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from apps.monitoring.views import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("apps.api.urls")),
    path("broker/", include("apps.brokers.urls")),
    path("metrics", metrics_view, name="prometheus-django-metrics"),  # guarded in production (docs/security.md)
    path("", include("apps.web.urls")),
]
