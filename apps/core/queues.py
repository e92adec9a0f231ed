"""Celery queues as an enum, so workloads are split and scaled by configuration (one worker per queue, or one
worker serving all)."""

from __future__ import annotations

import enum


class CeleryQueue(enum.StrEnum):
    DEFAULT = "celery"
    COLLECTION = "collection"
    ANALYTICS = "analytics"
    NOTIFICATIONS = "notifications"
    """Alert evaluation and deliveries (email, webhook, Telegram, websocket): a slow target never delays the minute."""
