from __future__ import annotations

from django.contrib import admin

from apps.brokers.models import AuthEvent, BrokerSession
from apps.core.admin_mixins import ReadOnlyAdmin


@admin.register(BrokerSession)
class BrokerSessionAdmin(ReadOnlyAdmin):
    # The encrypted token is deliberately absent from every list and form.
    list_display = ["provider", "user_id", "user_name", "status", "login_time", "expires_at"]
    list_filter = ["provider", "status"]
    search_fields = ["user_id", "user_name"]
    fields = ["provider", "user_id", "user_name", "status", "login_time", "expires_at", "status_changed_at"]


@admin.register(AuthEvent)
class AuthEventAdmin(ReadOnlyAdmin):
    list_display = ["time", "provider", "event", "outcome", "user_id", "message", "request_id"]
    list_filter = ["provider", "event", "outcome"]
    search_fields = ["user_id", "request_id", "message"]
    date_hierarchy = "time"
