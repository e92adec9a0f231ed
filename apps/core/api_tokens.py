"""API tokens stored hashed (``ApiToken``): issue one (the key is returned once), find a key's token.

A key is ``opt_`` and 43 url-safe characters (256 random bits); only its SHA-256 digest is stored, so a copy of
the database or the admin gives no usable token. The digest is looked up directly: a key this random needs no
slow hash, and the lookup by a unique index takes the same time whatever the key.

``api_token_for_key_cached`` (what HTTP authentication uses) keeps each found token in the process for
``OPTRADING_API_TOKEN_CACHE_SECONDS`` (default 5 s), so a request costs no database round trip for its token.
Revocation (deleting the token, deactivating or deleting its user) takes effect at once in the process that did
it (the model signals evict the entry) and within that many seconds in every other process.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models.base import ModelState
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from apps.core.models import ApiToken

KEY_PREFIX = "opt_"
PREFIX_LENGTH = 12
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is written at most once a minute per token, not on every request."""
TOKEN_CACHE_MAX = 10_000


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str
    """The key itself: show it once, it is not stored."""


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: User, name: str = "", read_only: bool = False) -> IssuedToken:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, read_only=read_only, prefix=key[:PREFIX_LENGTH], digest=api_token_digest(key)
    )
    return IssuedToken(token=token, key=key)


def api_token_for_key(key: str) -> ApiToken | None:
    """The active user's token with this key, or None; marks it used (at most once a minute)."""
    token = ApiToken.objects.select_related("user").filter(digest=api_token_digest(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class _TokenCache:
    """Tokens found by digest, each trusted for a few seconds; only found tokens are kept (an unknown key always
    reads the database, so random keys cannot fill it)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, ApiToken]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> ApiToken | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if time.monotonic() >= entry[0]:
            self._entries.pop(digest, None)
            return None
        return entry[1]

    def put(self, digest: str, token: ApiToken, seconds: float) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= TOKEN_CACHE_MAX:
                self._entries = {d: e for d, e in self._entries.items() if e[0] > now}
                if len(self._entries) >= TOKEN_CACHE_MAX:
                    self._entries.clear()
            self._entries[digest] = (now + seconds, token)

    def evict(self, *, digest: str | None = None, user_id: int | None = None) -> None:
        with self._lock:
            if digest is not None:
                self._entries.pop(digest, None)
            if user_id is not None:
                self._entries = {d: e for d, e in self._entries.items() if e[1].user_id != user_id}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _TokenCache()


def _cache_seconds() -> float:
    return float(settings.OPTRADING_API_TOKEN_CACHE_SECONDS)


def api_token_for_key_cached(key: str) -> ApiToken | None:
    """``api_token_for_key``, trusted for ``OPTRADING_API_TOKEN_CACHE_SECONDS`` in this process.

    Each call gets its own copy of the token and its user, so what one request does to them is not seen by the next.
    """
    seconds = _cache_seconds()
    digest = api_token_digest(key)
    token = _cache.get(digest) if seconds > 0 else None
    if token is None:
        token = api_token_for_key(key)
        if token is None:
            return None
        if seconds > 0:
            _cache.put(digest, token, seconds)
    mine = _clone(token)
    mine._state.fields_cache["user"] = _clone(token.user)
    return mine


def _clone(instance: Any) -> Any:
    """A copy of a model instance's field values with a state of its own (``copy.copy`` goes through pickling's
    ``__reduce__``: several times slower, and this runs on every request)."""
    clone = object.__new__(type(instance))
    clone.__dict__.update(instance.__dict__)
    state = ModelState()
    state.db, state.adding = instance._state.db, False
    clone._state = state
    return clone


def api_token_cache_clear() -> None:
    """Forget every token this process trusts (tests, or after a bulk revocation in this process)."""
    _cache.clear()


def _token_changed(sender: Any, instance: ApiToken, **kwargs: Any) -> None:
    _cache.evict(digest=instance.digest)


def _user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.pk is not None:
        _cache.evict(user_id=instance.pk)


def api_token_receivers_connect() -> None:
    """Revocations made in this process take effect at once (the others trust a token for a few seconds)."""
    post_delete.connect(_token_changed, sender=ApiToken, dispatch_uid="core.api_tokens.token_deleted")
    post_save.connect(_token_changed, sender=ApiToken, dispatch_uid="core.api_tokens.token_saved")
    post_save.connect(_user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="core.api_tokens.user_saved")
    post_delete.connect(_user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="core.api_tokens.user_deleted")
