from __future__ import annotations

from django.urls import path

from apps.quality.apis import QualityApi

urlpatterns = [
    path("quality", QualityApi.as_view(), name="api-quality"),
]
