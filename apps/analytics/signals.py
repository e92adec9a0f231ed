"""Sent after the analytics of a minute are committed, for side effects of higher layers (live feeds, alerts).

Receivers run in the process that committed; they must be quick and must not raise.
"""

from __future__ import annotations

from django.dispatch import Signal

analytics_committed = Signal()
"""kwargs: underlying_id, minute (aware UTC)."""
