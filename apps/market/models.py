"""Underlyings and the instruments the broker lists for them (indices, futures, options)."""

from __future__ import annotations

from django.db import models


class Exchange(models.TextChoices):
    NSE = "NSE", "NSE"
    BSE = "BSE", "BSE"
    NFO = "NFO", "NFO"
    BFO = "BFO", "BFO"


class InstrumentType(models.TextChoices):
    CE = "CE", "Call"
    PE = "PE", "Put"
    FUT = "FUT", "Future"
    EQ = "EQ", "Equity / index"


class Underlying(models.Model):
    """An index whose options are collected. ``symbol`` equals the Kite ``name`` of its contracts."""

    symbol = models.CharField(max_length=32, unique=True)
    display_name = models.CharField(max_length=64, blank=True)
    exchange = models.CharField(max_length=8, choices=Exchange.choices, help_text="Exchange of the spot index.")
    spot_tradingsymbol = models.CharField(max_length=64, help_text="Kite tradingsymbol of the index, e.g. 'NIFTY 50'.")
    spot_token = models.BigIntegerField(help_text="Kite instrument_token of the index, e.g. 256265.")
    spot_instrument = models.ForeignKey(
        "market.Instrument", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    options_exchange = models.CharField(max_length=8, choices=Exchange.choices)
    options_segment = models.CharField(max_length=16, help_text="Kite segment of the options, e.g. NFO-OPT.")
    has_weeklies = models.BooleanField(default=False, help_text="Lists weekly expiries (NIFTY, SENSEX).")
    active = models.BooleanField(default=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "symbol"]

    def __str__(self) -> str:
        return self.symbol

    @property
    def spot_key(self) -> str:
        """The Kite quote key of the spot index, e.g. ``NSE:NIFTY 50``."""
        return f"{self.exchange}:{self.spot_tradingsymbol}"


class Instrument(models.Model):
    """One row of the broker's instruments dump. Unique on (exchange, tradingsymbol): Kite reuses tokens."""

    instrument_token = models.BigIntegerField(db_index=True)
    exchange_token = models.CharField(max_length=32)
    tradingsymbol = models.CharField(max_length=64)
    name = models.CharField(max_length=64, blank=True)
    exchange = models.CharField(max_length=8)
    segment = models.CharField(max_length=16)
    underlying = models.ForeignKey(
        Underlying, null=True, blank=True, on_delete=models.SET_NULL, related_name="instruments"
    )
    expiry = models.DateField(null=True, blank=True)
    strike = models.FloatField(default=0)
    instrument_type = models.CharField(max_length=4, choices=InstrumentType.choices)
    lot_size = models.PositiveIntegerField(default=0)
    tick_size = models.FloatField(default=0)
    active = models.BooleanField(default=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["exchange", "tradingsymbol"]
        constraints = [
            models.UniqueConstraint(fields=["exchange", "tradingsymbol"], name="instrument_unique_exchange_symbol"),
            models.CheckConstraint(condition=models.Q(strike__gte=0), name="instrument_strike_non_negative"),
        ]
        indexes = [
            models.Index(fields=["underlying", "expiry", "instrument_type", "strike"], name="instrument_chain_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.exchange}:{self.tradingsymbol}"

    @property
    def key(self) -> str:
        """The Kite quote key, ``EXCHANGE:TRADINGSYMBOL``."""
        return f"{self.exchange}:{self.tradingsymbol}"
