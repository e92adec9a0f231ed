"""The option chain's rendered replies, kept in the Django cache (Redis; the embedded mode's local memory).

The chain of a minute is the same for every user until something writes that minute again, so the JSON body is
kept per (symbol, normalised query parameters, negotiated media type) and served with one small cache round trip
(the current generation, below; each process also keeps the bodies it served last, so only a process that has
not seen a body yet fetches it too) instead of seven database queries and DRF's nested serializer.

Each entry is tagged with the generation it was computed under, read *before* the database:

* ``live`` — entries that may change as minutes arrive (no ``at``, or an ``at`` on today's IST date or later).
  It changes on every ``collection_committed`` and ``analytics_committed`` (sent after the commit, from the
  worker), so the next request after a collection or its analytics reads the new minute.
* ``past`` — entries for an ``at`` on an earlier IST day, immutable except when that history is rewritten: a
  commit of a past day's minute (a back-fill, a replay, analytics revisiting it), or a day archived or restored
  (``ArchivedDay`` saved or deleted: the 410 and the restored rows stay right). Those change both generations.

An entry whose tag is not the current generation is ignored and replaced. Entries also expire (``LIVE_SECONDS``,
``PAST_SECONDS``) as a backstop for a write that sends no signal (an embedded-mode command run in another process,
whose local-memory cache is its own). Only 200 replies are kept; errors are computed each time. While the cache
fails (Redis down) every request is computed, as before.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from apps.api import params
from apps.core.errors import ApplicationError
from apps.market.clock import IST

logger = logging.getLogger(__name__)

PREFIX = "optrading:api:chain:"
LIVE, PAST = "live", "past"
GENERATION_KEYS = {LIVE: PREFIX + "generation:live", PAST: PREFIX + "generation:past"}
LIVE_SECONDS = 300
"""A live entry is replaced on the next commit anyway; this bounds a write that sent no signal."""
PAST_SECONDS = 3600
"""A past day's chain changes only with a back-fill or the archive, both of which change the generation."""
GENERATION_SECONDS = 7 * 24 * 3600
LOCAL_ENTRIES = 128
"""Bodies each process also keeps in its own memory (checked against the shared generation on every request)."""


@dataclass(frozen=True)
class ChainKey:
    """Where one request's reply is kept, and which generation it belongs to."""

    key: str
    kind: str

    @property
    def seconds(self) -> int:
        return PAST_SECONDS if self.kind == PAST else LIVE_SECONDS


@dataclass(frozen=True)
class Lookup:
    """A cache read: the body when it is current, else the tag to store a fresh one under (None: do not store)."""

    body: bytes | None
    tag: str | None


def chain_key(
    *, symbol: str, query: Mapping[str, str], media_type: str, now: datetime | None = None
) -> ChainKey | None:
    """The entry for this request, or None when the request is not one to cache (anything the view would refuse:
    it is then computed, and refused, exactly as without a cache)."""
    wanted = symbol.strip()
    if len(wanted) > params.MAX_SYMBOL or not params.SYMBOL_PATTERN.fullmatch(wanted):
        return None
    try:
        offsets = params.parse_offsets(query)
        price = params.parse_choice(query, "price", ["last", "average"], default="last")
        greeks = params.parse_choice(query, "greeks", ["first", "all"], default="first")
        at = params.parse_at(query)
        expiry = params.parse_date(query, "expiry")
        bucket = params.parse_choice(query, "bucket", params.SELECTABLE_BUCKETS, default="") or None
    except ApplicationError:
        return None
    if expiry is not None and query.get("bucket"):
        return None
    today = (now or timezone.now()).astimezone(IST).date()
    kind = PAST if at is not None and at.astimezone(IST).date() < today else LIVE
    normalised = (
        wanted.upper(),
        tuple(offsets) if offsets is not None else None,
        price,
        greeks,
        at.isoformat() if at is not None else None,
        expiry.isoformat() if expiry is not None else None,
        bucket,
        media_type,
    )
    digest = hashlib.blake2b(repr(normalised).encode(), digest_size=16).hexdigest()
    return ChainKey(key=f"{PREFIX}{kind}:{digest}", kind=kind)


class _LocalBodies:
    """The bodies this process served last, by entry key: a hit then moves only the generation over the network."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[str, tuple[str, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, tag: str) -> bytes | None:
        found = self._entries.get(key)
        return found[1] if found is not None and found[0] == tag else None

    def put(self, key: str, tag: str, body: bytes) -> None:
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self.size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (tag, body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_local = _LocalBodies(LOCAL_ENTRIES)


def chain_lookup(entry: ChainKey) -> Lookup:
    """One round trip when this process has the body (the generation), two when another process computed it."""
    generation_key = GENERATION_KEYS[entry.kind]
    try:
        tag = cache.get(generation_key)
        if tag is None:  # first use, or the cache was emptied: start a generation (another process may race us)
            cache.add(generation_key, uuid.uuid4().hex, GENERATION_SECONDS)
            tag = cache.get(generation_key)
            return Lookup(body=None, tag=tag)
        body = _local.get(entry.key, tag)
        if body is not None:
            return Lookup(body=body, tag=tag)
        stored = cache.get(entry.key)
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == tag:
            _local.put(entry.key, tag, stored[1])
            return Lookup(body=stored[1], tag=tag)
        return Lookup(body=None, tag=tag)
    except Exception as exc:  # the cache is an optimisation: without it the chain is computed
        logger.warning("chain cache unavailable (%s): computing", exc.__class__.__name__)
        return Lookup(body=None, tag=None)


def chain_store(entry: ChainKey, lookup: Lookup, body: bytes) -> None:
    """Keep ``body`` under the generation read before it was computed: if a commit came in between, the entry is
    already out of date and the next request replaces it."""
    if lookup.tag is None:
        return
    _local.put(entry.key, lookup.tag, body)
    try:
        cache.set(entry.key, (lookup.tag, body), entry.seconds)
    except Exception as exc:
        logger.warning("chain cache unavailable (%s): not stored", exc.__class__.__name__)


def generations_bump(*kinds: str) -> None:
    """Start new generations: every entry of these kinds is out of date from now on."""
    try:
        cache.set_many({GENERATION_KEYS[kind]: uuid.uuid4().hex for kind in kinds}, GENERATION_SECONDS)
    except Exception:  # a receiver must not raise; the entries still expire
        logger.exception("could not change the chain cache generation")


def _kinds_for(minute: datetime | None) -> tuple[str, ...]:
    if minute is None:
        return (LIVE, PAST)
    today = timezone.now().astimezone(IST).date()
    return (LIVE,) if minute.astimezone(IST).date() >= today else (LIVE, PAST)


def _on_collection_committed(sender: object, *, minute: datetime | None = None, **kwargs: Any) -> None:
    generations_bump(*_kinds_for(minute))


def _on_analytics_committed(sender: object, *, minute: datetime | None = None, **kwargs: Any) -> None:
    generations_bump(*_kinds_for(minute))


def _on_archive_changed(sender: object, **kwargs: Any) -> None:
    # At once (a request now must not be served a day that is going) and after the commit (a request between the
    # two read the rows as they were before it).
    generations_bump(LIVE, PAST)
    transaction.on_commit(lambda: generations_bump(LIVE, PAST))


def receivers_connect() -> None:
    from apps.analytics.signals import analytics_committed
    from apps.archive.models import ArchivedDay
    from apps.collection.signals import collection_committed

    collection_committed.connect(_on_collection_committed, dispatch_uid="api.chain_cache.collection")
    analytics_committed.connect(_on_analytics_committed, dispatch_uid="api.chain_cache.analytics")
    post_save.connect(_on_archive_changed, sender=ArchivedDay, dispatch_uid="api.chain_cache.archived_saved")
    post_delete.connect(_on_archive_changed, sender=ArchivedDay, dispatch_uid="api.chain_cache.archived_deleted")
