"""Stored analytics: one ChainSnapshot per underlying x expiry x minute, one VolatilitySnapshot per underlying x minute,
the per-underlying cursor that makes analytics runs incremental, and NSE's published India VIX closes that our
India-VIX-style index is checked against.

Per-quote results (IV, greeks, flags, build-up) live on marketdata.OptionQuote itself.
"""

from __future__ import annotations

from django.db import models

from apps.market.choices import ExpiryBucket


class ForwardSource(models.TextChoices):
    """Which step of the forward rule gave the forward (docs/conventions.md §2.2)."""

    PARITY = "parity", "Put-call parity (median of up to five strikes)"
    FUTURE = "future", "Future of the same expiry"
    CARRY = "carry", "Spot carried at the risk-free rate"


class Sentiment(models.TextChoices):
    BULLISH = "bullish", "Bullish"
    BEARISH = "bearish", "Bearish"
    NEUTRAL = "neutral", "Neutral"


class ChainSnapshot(models.Model):
    """Chain analytics of one expiry at one minute. Prices are the analysed premium (mid, last or settlement)."""

    minute = models.DateTimeField(help_text="Market minute, aware UTC.")
    # No index of its own: (underlying, minute) is an index's prefix.
    underlying = models.ForeignKey(
        "market.Underlying", on_delete=models.PROTECT, related_name="chain_snapshots", db_index=False
    )
    expiry = models.DateField()
    expiry_bucket = models.CharField(max_length=16, choices=ExpiryBucket.choices, blank=True)
    t_years = models.FloatField(help_text="Calendar minutes to the expiry close / 525600.")
    spot = models.FloatField()
    forward = models.FloatField()
    forward_source = models.CharField(
        max_length=8, choices=ForwardSource.choices, help_text="Which step of the forward rule gave the forward."
    )
    strike_count = models.PositiveIntegerField(default=0)
    atm_strike = models.FloatField(null=True, blank=True, help_text="Listed strike nearest the forward.")
    atm_strike_spot = models.FloatField(null=True, blank=True, help_text="Listed strike nearest the spot (label).")
    atm_iv = models.FloatField(null=True, blank=True, help_text="IV of the OTM option at the ATM strike, decimal.")
    straddle = models.FloatField(null=True, blank=True, help_text="ATM call + put premium.")
    expected_move = models.FloatField(null=True, blank=True, help_text="1-sigma move F·sigma·√t.")
    pcr_oi = models.FloatField(null=True, blank=True)
    pcr_volume = models.FloatField(null=True, blank=True)
    pcr_oi_change = models.FloatField(null=True, blank=True, help_text="None when the call ΔOI sum ≤ 0.")
    max_pain = models.FloatField(null=True, blank=True)
    rr25 = models.FloatField(null=True, blank=True, help_text="25-delta risk reversal, decimal vol.")
    bf25 = models.FloatField(null=True, blank=True, help_text="25-delta butterfly, decimal vol.")
    call_oi_wall = models.FloatField(null=True, blank=True)
    put_oi_wall = models.FloatField(null=True, blank=True)
    net_gex = models.FloatField(null=True, blank=True, help_text="₹ per 1 % move; dealers long calls, short puts.")
    total_call_oi = models.BigIntegerField(default=0)
    total_put_oi = models.BigIntegerField(default=0)
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    sentiment_score = models.SmallIntegerField(default=0)
    buildup_counts = models.JSONField(default=dict, blank=True)
    by_strike = models.JSONField(
        default=dict, blank=True, help_text="Per-strike arrays: strikes, gex, call_oi, put_oi, call_oi_change, ..."
    )
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-minute", "underlying_id", "expiry"]
        constraints = [
            models.UniqueConstraint(fields=["underlying", "expiry", "minute"], name="chainsnapshot_unique_minute"),
        ]
        # (underlying, expiry, minute) is the unique constraint's index: no second copy of it.
        indexes = [models.Index(fields=["underlying", "minute"], name="chainsnapshot_underlying_min")]

    def __str__(self) -> str:
        return f"{self.underlying_id} {self.expiry} @{self.minute:%Y-%m-%d %H:%M}"


class OurVixReason(models.TextChoices):
    """Why a snapshot has no India-VIX-style index (docs/analytics.md "Our VIX"): never a number it cannot support."""

    MONTHLY_MISSING = "monthly_missing", "A monthly chain the method needs is not in the snapshot"
    ATM_SCOPE = "atm_scope", "Only the strikes around the ATM were collected; the method needs the whole chain"
    WINGS_NOT_COLLECTED = "wings_not_collected", "A wing was not collected out to two consecutive zero bids"
    NO_QUOTES = "no_quotes", "Too few usable quotes (none at K0, or fewer than two strikes)"
    NOT_COMPUTABLE = "not_computable", "The method gives no real value (negative total variance)"
    LEGACY = "legacy", "Stored by the earlier, unchecked method; analyse the minute again"


class VolatilitySnapshot(models.Model):
    """Per underlying x minute: the constant-maturity 30-day ATM IV and our India-VIX-style index."""

    minute = models.DateTimeField()
    underlying = models.ForeignKey("market.Underlying", on_delete=models.PROTECT, related_name="volatility_snapshots")
    cm30_iv = models.FloatField(null=True, blank=True, help_text="30-day ATM IV (total-variance interpolation).")
    our_vix = models.FloatField(
        null=True,
        blank=True,
        help_text="Ours: the India VIX white-paper method on the snapshot's monthly chains; empty with a reason.",
    )
    our_vix_reason = models.CharField(
        max_length=24, choices=OurVixReason.choices, blank=True, help_text="Why our_vix is empty (blank when set)."
    )
    our_vix_note = models.CharField(
        max_length=300, blank=True, help_text="The expiries used, or exactly what the snapshot lacks."
    )
    our_vix_terms = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per term (near, next): expiry, minutes, forward and its source, K0, strikes used, variance.",
    )
    vix = models.FloatField(null=True, blank=True, help_text="Published India VIX at this minute, when collected.")

    class Meta:
        ordering = ["-minute", "underlying_id"]
        constraints = [
            models.UniqueConstraint(fields=["underlying", "minute"], name="volatilitysnapshot_unique_minute"),
            models.CheckConstraint(
                condition=(models.Q(our_vix__isnull=False) & models.Q(our_vix_reason=""))
                | (models.Q(our_vix__isnull=True) & ~models.Q(our_vix_reason="")),
                name="volatilitysnapshot_our_vix_or_reason",
            ),
        ]
        # (underlying, minute) is the unique constraint's; the IV rank of our VIX reads only minutes that have one.
        indexes = [
            models.Index(
                fields=["underlying", "minute"],
                condition=models.Q(our_vix__isnull=False),
                name="volatilitysnap_our_vix_close",
            )
        ]

    def __str__(self) -> str:
        return f"{self.underlying_id}@{self.minute:%Y-%m-%d %H:%M}"


class IndiaVixClose(models.Model):
    """NSE's published India VIX of one session (its daily history), imported with ``import_india_vix``."""

    date = models.DateField(help_text="Trade date (IST).")
    open = models.FloatField()
    high = models.FloatField()
    low = models.FloatField()
    close = models.FloatField()
    source = models.CharField(max_length=255, help_text="Name of the file it was imported from.")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["date"], name="indiavixclose_unique_date"),
            models.CheckConstraint(
                condition=models.Q(low__gt=0, low__lte=models.F("close"), close__lte=models.F("high")),
                name="indiavixclose_close_within_range",
            ),
        ]

    def __str__(self) -> str:
        return f"India VIX {self.date}: {self.close}"


class AnalyticsCursor(models.Model):
    """The last minute whose analytics are committed, per underlying: runs resume after it."""

    underlying = models.OneToOneField("market.Underlying", on_delete=models.CASCADE, related_name="analytics_cursor")
    last_minute = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["underlying_id"]

    def __str__(self) -> str:
        return f"{self.underlying_id} → {self.last_minute}"


CLOSE_FIELDS = ("pcr_oi", "pcr_volume", "max_pain", "atm_iv", "straddle", "expected_move", "rr25", "bf25", "net_gex")
"""The chain snapshot fields whose daily close ChainDailyClose keeps (every field the history views read)."""


class ChainDailyClose(models.Model):
    """One IST day of one expiry's chain snapshots: its first and last minute and the last snapshot's metrics.

    A rollup for the history views, so a year of daily closes is a read of ~1,000 rows of one small table instead
    of a probe into each of 250 day partitions. On PostgreSQL database triggers keep it (docs/history.md): every
    snapshot inserted or updated (analytics, ``analytics_compute --recompute``, replay, restore) folds into its
    day's row, a DELETE recomputes the days it touched, and archiving a day drops its rows. Unused elsewhere.
    """

    underlying = models.ForeignKey("market.Underlying", on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField(help_text="IST trading day.")
    expiry = models.DateField()
    first_minute = models.DateTimeField()
    last_minute = models.DateTimeField()
    pcr_oi = models.FloatField(null=True, blank=True)
    pcr_volume = models.FloatField(null=True, blank=True)
    max_pain = models.FloatField(null=True, blank=True)
    atm_iv = models.FloatField(null=True, blank=True)
    straddle = models.FloatField(null=True, blank=True)
    expected_move = models.FloatField(null=True, blank=True)
    rr25 = models.FloatField(null=True, blank=True)
    bf25 = models.FloatField(null=True, blank=True)
    net_gex = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["underlying_id", "day", "expiry"]
        constraints = [
            # Serves the day's expiries and closes (underlying, day range) and the trigger's upsert.
            models.UniqueConstraint(fields=["underlying", "day", "expiry"], name="chaindailyclose_day_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.underlying_id} {self.day} {self.expiry}"


class UnderlyingDailyClose(models.Model):
    """One IST day of one underlying: the last non-null India VIX of its underlying quotes (with the spot of that
    quote) and the last non-null 30-day ATM IV and our VIX of its volatility snapshots, each with its minute.
    Kept by triggers like ChainDailyClose."""

    underlying = models.ForeignKey("market.Underlying", on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField(help_text="IST trading day.")
    vix_minute = models.DateTimeField(null=True, blank=True)
    spot = models.FloatField(null=True, blank=True)
    vix = models.FloatField(null=True, blank=True)
    cm30_minute = models.DateTimeField(null=True, blank=True)
    cm30_iv = models.FloatField(null=True, blank=True)
    our_vix_minute = models.DateTimeField(null=True, blank=True)
    our_vix = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["underlying_id", "day"]
        constraints = [models.UniqueConstraint(fields=["underlying", "day"], name="underlyingdailyclose_day")]

    def __str__(self) -> str:
        return f"{self.underlying_id} {self.day}"
