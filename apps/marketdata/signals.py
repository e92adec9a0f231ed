"""Signals sent after a transaction commits, for side effects such as websocket publishing.

Receivers run in the worker that committed; they must be quick and must not raise.
"""

from __future__ import annotations

from django.dispatch import Signal

collection_committed = Signal()
"""Sent after a collection run's rows are committed. kwargs: run_id, minute (aware UTC), underlying_ids."""

analytics_committed = Signal()
"""Sent after analytics for a minute are committed. kwargs: underlying_id, minute (aware UTC)."""
