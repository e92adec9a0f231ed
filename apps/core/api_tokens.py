"""API tokens stored hashed (``ApiToken``): issue one (the key is returned once), find a key's token.

A key is ``opt_`` and 43 url-safe characters (256 random bits); only its SHA-256 digest is stored, so a copy of
the database or the admin gives no usable token. The digest is looked up directly: a key this random needs no
slow hash, and the lookup by a unique index takes the same time whatever the key.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from apps.core.models import ApiToken

KEY_PREFIX = "opt_"
PREFIX_LENGTH = 12
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is written at most once a minute per token, not on every request."""


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
