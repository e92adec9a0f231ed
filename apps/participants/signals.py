"""Sent after a participant file's rows are committed, for higher layers (alerts on participant positioning).

Receivers run in the process that committed; they must be quick and must not raise.
"""

from __future__ import annotations

from django.dispatch import Signal

participants_imported = Signal()
"""kwargs: day (the trade date imported), kind."""
