from __future__ import annotations

from django.urls import path

from apps.web import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("charts/", views.charts, name="charts"),
    path("charts/data", views.charts_data, name="charts-data"),
    path("oi-flow/", views.oi_flow, name="oi-flow"),
    path("futures/", views.futures, name="futures"),
    path("volatility/", views.volatility, name="volatility"),
    path("strategy/", views.strategy, name="strategy"),
    path("participants/", views.participants, name="participants"),
    path("overview/", views.overview, name="overview"),
    path("system/", views.system, name="system"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/webhooks/<int:pk>/enable", views.webhook_enable, name="webhook-enable"),
    path("broker/", views.broker, name="broker"),
]
