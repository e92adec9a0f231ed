"""The minute archive: one OptionQuote per instrument per minute, one UnderlyingQuote per underlying per minute.

Units: ``volume`` and ``oi`` are in units (quantity), as Kite sends them; contracts = units / lot_size.
"""

from __future__ import annotations

from django.db import models

from apps.market.choices import ExpiryBucket, OptionType


class QuoteSource(models.TextChoices):
    COLLECTED = "collected", "Collected quote"
    TICKER = "ticker", "Live tick"
    BHAVCOPY = "bhavcopy", "Exchange bhavcopy (end of day)"


class IvSource(models.TextChoices):
    MID = "mid", "Mid of bid/ask"
    LAST = "last", "Last traded price"
    SETTLEMENT = "settlement", "Settlement price"


class Buildup(models.TextChoices):
    LONG_BUILDUP = "long_buildup", "Long build-up"
    SHORT_BUILDUP = "short_buildup", "Short build-up"
    SHORT_COVERING = "short_covering", "Short covering"
    LONG_UNWINDING = "long_unwinding", "Long unwinding"
    NEUTRAL = "neutral", "Neutral"


class OptionQuote(models.Model):
    minute = models.DateTimeField(help_text="Start of the market minute, aware UTC.")
    # No index of their own: (instrument, minute) is the unique constraint's, (underlying, minute) an index's prefix.
    instrument = models.ForeignKey("market.Instrument", on_delete=models.PROTECT, related_name="quotes", db_index=False)
    underlying = models.ForeignKey(
        "market.Underlying", on_delete=models.PROTECT, related_name="option_quotes", db_index=False
    )
    expiry = models.DateField()
    strike = models.FloatField()
    option_type = models.CharField(max_length=2, choices=OptionType.choices)
    expiry_bucket = models.CharField(max_length=16, choices=ExpiryBucket.choices)
    strike_offset = models.SmallIntegerField(help_text="Strike steps from the ATM strike at this minute.")
    source = models.CharField(max_length=16, choices=QuoteSource.choices, default=QuoteSource.COLLECTED)

    last_price = models.FloatField()
    average_price = models.FloatField(null=True, blank=True, help_text="Kite average_price: the day's VWAP.")
    close_price = models.FloatField(null=True, blank=True, help_text="Previous session close (Kite ohlc.close).")
    volume = models.BigIntegerField(default=0)
    oi = models.BigIntegerField(default=0)
    oi_day_high = models.BigIntegerField(default=0)
    oi_day_low = models.BigIntegerField(default=0)
    bid = models.FloatField(null=True, blank=True)
    bid_qty = models.BigIntegerField(null=True, blank=True)
    ask = models.FloatField(null=True, blank=True)
    ask_qty = models.BigIntegerField(null=True, blank=True)
    last_trade_time = models.DateTimeField(null=True, blank=True)
    spot = models.FloatField()
    forward = models.FloatField()

    # Filled by analytics after each collection run.
    oi_change = models.BigIntegerField(null=True, blank=True, help_text="OI minus the previous session's close OI.")
    iv = models.FloatField(null=True, blank=True, help_text="Black-76 implied volatility, decimal (0.25 = 25 %).")
    iv_source = models.CharField(max_length=16, choices=IvSource.choices, blank=True)
    iv_error = models.CharField(max_length=64, blank=True, help_text="Why the IV could not be solved.")
    delta = models.FloatField(null=True, blank=True)
    gamma = models.FloatField(null=True, blank=True)
    theta = models.FloatField(null=True, blank=True, help_text="Per calendar day.")
    vega = models.FloatField(null=True, blank=True, help_text="Per 1 vol point.")
    rho = models.FloatField(null=True, blank=True, help_text="Per 1 percentage point of rate.")
    buildup = models.CharField(max_length=16, choices=Buildup.choices, blank=True)
    quality_flags = models.JSONField(default=list, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-minute", "underlying_id", "expiry", "strike", "option_type"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "minute"], name="optionquote_unique_instrument_minute"),
            models.CheckConstraint(condition=models.Q(last_price__gte=0), name="optionquote_price_non_negative"),
            models.CheckConstraint(condition=models.Q(oi__gte=0), name="optionquote_oi_non_negative"),
        ]
        indexes = [
            models.Index(fields=["underlying", "expiry", "minute"], name="optionquote_chain_at_minute"),
            models.Index(fields=["underlying", "minute"], name="optionquote_underlying_minute"),
            models.Index(fields=["minute"], name="optionquote_minute"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id}@{self.minute:%Y-%m-%d %H:%M}"


class UnderlyingQuote(models.Model):
    minute = models.DateTimeField()
    # No index of its own: (underlying, minute) is the unique constraint's.
    underlying = models.ForeignKey("market.Underlying", on_delete=models.PROTECT, related_name="quotes", db_index=False)
    spot = models.FloatField()
    spot_close = models.FloatField(null=True, blank=True, help_text="Previous session close of the index.")
    future = models.FloatField(null=True, blank=True, help_text="Nearest future's last price.")
    future_expiry = models.DateField(null=True, blank=True)
    futures = models.JSONField(
        default=dict,
        blank=True,
        help_text="Every future quoted that minute: {expiry YYYY-MM-DD: price} (the forward of its expiry).",
    )
    futures_oi = models.JSONField(
        null=True,
        blank=True,
        default=dict,
        help_text="Open interest (units) of every future quoted that minute: {expiry YYYY-MM-DD: oi}; null on "
        "minutes archived before it was kept (rollover % is unknown there).",
    )
    vix = models.FloatField(null=True, blank=True, help_text="India VIX at this minute.")
    source = models.CharField(max_length=16, choices=QuoteSource.choices, default=QuoteSource.COLLECTED)

    class Meta:
        ordering = ["-minute", "underlying_id"]
        constraints = [
            models.UniqueConstraint(fields=["underlying", "minute"], name="underlyingquote_unique_minute"),
        ]
        indexes = [models.Index(fields=["minute"], name="underlyingquote_minute")]

    def __str__(self) -> str:
        return f"{self.underlying_id}@{self.minute:%Y-%m-%d %H:%M}"


class CollectionStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    PARTIAL = "partial", "Partial (some underlyings failed)"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class CollectionRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    minute = models.DateTimeField(null=True, blank=True, help_text="The market minute collected.")
    broker = models.CharField(max_length=16)
    underlyings = models.JSONField(default=list)
    instruments_requested = models.PositiveIntegerField(default=0)
    instruments_received = models.PositiveIntegerField(default=0)
    instruments_missing = models.PositiveIntegerField(default=0)
    quotes_stored = models.PositiveIntegerField(default=0)
    quote_calls = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=CollectionStatus.choices, default=CollectionStatus.RUNNING)
    error = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="Per-underlying outcome and missing keys.")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="collectionrun_latest")]

    def __str__(self) -> str:
        return f"run {self.pk} {self.status}"
