"""The operations pages: the system page's context (health, heartbeats, errors, deliveries, quality) and the
alerts page (your rules, firings with their deliveries, webhooks). Kept apart from ``views.py``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.alerts.selectors import event_list, rule_list, webhook_get, webhook_list
from apps.alerts.services.deliveries import webhook_enable
from apps.live.system import system_health_build
from apps.marketdata.selectors import collection_run_list
from apps.quality.selectors import quality_report_dict, quality_report_get


def system_context() -> dict[str, Any]:
    live = system_health_build()
    report = quality_report_get()
    return {
        "health": live["health"],
        "errors": live["errors"],
        "deliveries": live["deliveries"],
        "quality_recent": live["quality"],
        "quality": quality_report_dict(report) if report else None,
        "runs": collection_run_list(limit=20),
    }


def alerts(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/alerts.html",
        {
            "rules": rule_list(user=request.user),
            "events": event_list(user=request.user, limit=100),
            "webhooks": webhook_list(user=request.user),
        },
    )


@require_POST
def webhook_enable_view(request: HttpRequest, pk: int) -> HttpResponse:
    webhook_enable(endpoint=webhook_get(user=request.user, pk=pk))
    return redirect("web:alerts")
