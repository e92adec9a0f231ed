"""Reads of rules, firings and deliveries, scoped to what the user may see (staff: everything)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from apps.alerts.models import AlertEvent, AlertRule, Delivery, WebhookEndpoint
from apps.core.errors import NotFoundError
from apps.market.clock import to_ist

User = AbstractBaseUser | AnonymousUser


def _staff(user: User) -> bool:
    return bool(getattr(user, "is_staff", False))


def rule_list(*, user: User) -> QuerySet[AlertRule]:
    rules = AlertRule.objects.select_related("underlying", "owner").order_by("id")
    return rules if _staff(user) else rules.filter(owner_id=user.pk)


def rule_get(*, user: User, pk: int) -> AlertRule:
    rule = rule_list(user=user).filter(pk=pk).first()
    if rule is None:
        raise NotFoundError(f"No alert rule with id {pk}.")
    return rule


def event_list(*, user: User, rule_id: int | None = None, limit: int = 50) -> list[AlertEvent]:
    events = (
        AlertEvent.objects.select_related("rule__underlying").prefetch_related("deliveries").order_by("-minute", "-id")
    )
    if not _staff(user):
        events = events.filter(rule__owner_id=user.pk)
    if rule_id is not None:
        events = events.filter(rule_id=rule_id)
    return list(events[:limit])


def webhook_list(*, user: User) -> QuerySet[WebhookEndpoint]:
    endpoints = WebhookEndpoint.objects.order_by("url")
    return endpoints if _staff(user) else endpoints.filter(owner_id=user.pk)


def webhook_get(*, user: User, pk: int) -> WebhookEndpoint:
    endpoint = webhook_list(user=user).filter(pk=pk).first()
    if endpoint is None:
        raise NotFoundError(f"No webhook with id {pk}.")
    return endpoint


def delivery_latest(*, user: User | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The latest deliveries of firings and fault notices (fault notices to staff only), for the pages and feed."""
    deliveries = Delivery.objects.select_related("event__rule__underlying", "notice").order_by("-created_at", "-id")
    if user is not None and not _staff(user):
        deliveries = deliveries.filter(Q(event__rule__owner_id=user.pk))
    rows = []
    for d in deliveries[:limit]:
        what = d.event.message if d.event else (d.notice.subject if d.notice else "")
        rows.append(
            {
                "id": d.pk,
                "kind": "alert" if d.event_id else f"fault {d.notice.kind}" if d.notice else "",
                "what": what,
                "channel": d.channel,
                "target": d.target,
                "status": d.status,
                "attempts": d.attempts,
                "error": d.error,
                "at": to_ist(d.finished_at or d.created_at).isoformat(),
            }
        )
    return rows
