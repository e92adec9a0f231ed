"""Sent after a collection run's rows are committed, for side effects of higher layers (live feeds).

Receivers run in the process that committed; they must be quick and must not raise.
"""

from __future__ import annotations

from django.dispatch import Signal

collection_committed = Signal()
"""kwargs: run_id, minute (aware UTC), underlying_ids."""
