from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("apps.api.urls")),
    path("broker/", include("apps.brokers.urls")),
    path("", include("django_prometheus.urls")),
    path("", include("apps.web.urls")),
]
