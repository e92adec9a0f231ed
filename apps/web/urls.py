from __future__ import annotations

from django.urls import path

from apps.web import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("charts/", views.charts, name="charts"),
    path("participants/", views.participants, name="participants"),
    path("overview/", views.overview, name="overview"),
    path("system/", views.system, name="system"),
    path("broker/", views.broker, name="broker"),
]
