from __future__ import annotations

from django.urls import path

from apps.alerts import apis

urlpatterns = [
    path("alerts/rules", apis.RuleListApi.as_view(), name="api-alert-rules"),
    path("alerts/rules/<int:pk>", apis.RuleDetailApi.as_view(), name="api-alert-rule"),
    path("alerts/events", apis.EventListApi.as_view(), name="api-alert-events"),
    path("alerts/webhooks", apis.WebhookListApi.as_view(), name="api-alert-webhooks"),
    path("alerts/webhooks/<int:pk>/enable", apis.WebhookEnableApi.as_view(), name="api-alert-webhook-enable"),
    path("alerts/profile", apis.ProfileApi.as_view(), name="api-alert-profile"),
]
