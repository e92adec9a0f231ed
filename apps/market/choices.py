"""The market's small vocabularies: option types and expiry buckets (stored with every quote and snapshot)."""

from __future__ import annotations

from django.db import models

from apps.market import buckets


class OptionType(models.TextChoices):
    CE = "CE", "Call"
    PE = "PE", "Put"


class ExpiryBucket(models.TextChoices):
    """Which listed expiry a row belongs to; ``apps.market.buckets`` assigns them."""

    THIS_WEEK = buckets.THIS_WEEK, "This week"
    NEXT_WEEK = buckets.NEXT_WEEK, "Next week"
    THIS_MONTH = buckets.THIS_MONTH, "This month"
    NEXT_MONTH = buckets.NEXT_MONTH, "Next month"
    OTHER = buckets.OTHER, "Other"
