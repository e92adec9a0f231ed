from __future__ import annotations

from django.urls import path

from apps.brokers import views

app_name = "brokers"

urlpatterns = [
    path("kite/login", views.kite_login, name="kite-login"),
    path("kite/callback", views.kite_callback, name="kite-callback"),
]
