from __future__ import annotations

from django.urls import path

from apps.brokers.apis import AuthLogoutApi, AuthStatusApi

urlpatterns = [
    path("auth/status", AuthStatusApi.as_view(), name="api-auth-status"),
    path("auth/logout", AuthLogoutApi.as_view(), name="api-auth-logout"),
]
