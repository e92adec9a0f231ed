"""The alert vocabulary: metrics a rule watches, conditions, channels, and statuses."""

from __future__ import annotations

from django.db import models


class Metric(models.TextChoices):
    SPOT = "spot", "Spot"
    FORWARD = "forward", "Forward"
    PCR_OI = "pcr_oi", "PCR (OI)"
    PCR_VOLUME = "pcr_volume", "PCR (volume)"
    PCR_DOI = "pcr_doi", "PCR (change in OI)"
    MAX_PAIN = "max_pain", "Max pain"
    ATM_IV = "atm_iv", "ATM IV (%)"
    IV_RANK = "iv_rank", "IV rank (0-100)"
    STRADDLE = "straddle", "ATM straddle"
    EXPECTED_MOVE = "expected_move", "Expected move (1 sigma)"
    CALL_WALL = "call_wall", "Call OI wall"
    PUT_WALL = "put_wall", "Put OI wall"
    RR25 = "rr25", "25-delta risk reversal (vol points)"
    NET_GEX = "net_gex", "Net GEX"
    SENTIMENT = "sentiment", "Sentiment"
    PARTICIPANT_NET = "participant_net", "Participant net index futures (contracts)"


LABEL_METRICS = frozenset({Metric.SENTIMENT})
"""Metrics whose value is a label: only ``changes`` applies to them."""
STRIKE_METRICS = frozenset({Metric.MAX_PAIN, Metric.CALL_WALL, Metric.PUT_WALL})
"""Metrics that are strikes: ``moves_by`` counts in strike steps of the underlying."""


class Condition(models.TextChoices):
    ABOVE = "above", "Above"
    BELOW = "below", "Below"
    CROSSES_ABOVE = "crosses_above", "Crosses above"
    CROSSES_BELOW = "crosses_below", "Crosses below"
    MOVES_BY = "moves_by", "Moves by"
    CHANGES = "changes", "Changes"


class Channel(models.TextChoices):
    WEBSOCKET = "websocket", "Websocket (/ws/alerts/)"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    TELEGRAM = "telegram", "Telegram"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class NoticeKind(models.TextChoices):
    PROBLEM = "problem", "Problem"
    RESOLVED = "resolved", "Resolved"
