from __future__ import annotations

from django.urls import path

from apps.strategies import apis

urlpatterns = [
    path("strategies/payoff", apis.PayoffApi.as_view(), name="api-strategy-payoff"),
    path("strategies/templates", apis.TemplateListApi.as_view(), name="api-strategy-templates"),
    path("strategies", apis.StrategyListApi.as_view(), name="api-strategies"),
    path("strategies/<int:pk>", apis.StrategyDetailApi.as_view(), name="api-strategy"),
    path("strategies/<int:pk>/pnl", apis.StrategyPnlApi.as_view(), name="api-strategy-pnl"),
]
