"""Websocket authentication by API token: ``/ws/...?token=<key>``, for clients without a session cookie.

The session cookie is handled by Channels' ``AuthMiddlewareStack`` around the router; this middleware sits
inside it and, when a ``token`` parameter is present, replaces the session user with the token's owner.
A token that matches no active user leaves an anonymous user and a reason the consumer reports on close.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from apps.core.api_tokens import api_token_for_key

AUTH_ERROR_SCOPE_KEY = "auth_error"


def query_params(scope: dict[str, Any]) -> dict[str, str]:
    """The first value of each query-string parameter of a websocket scope."""
    raw = scope.get("query_string", b"")
    text = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
    return {name: values[0] for name, values in parse_qs(text).items() if values}


@database_sync_to_async
def _token_user(key: str) -> Any:
    if len(key) > 256 or not key.isprintable():  # a NUL byte would be a database error, not an unknown token
        return None
    token = api_token_for_key(key)
    return None if token is None else token.user


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        key = query_params(scope).get("token")
        if key is not None:
            user = await _token_user(key)
            if user is None:
                scope["user"] = AnonymousUser()
                scope[AUTH_ERROR_SCOPE_KEY] = "The token is unknown or its user is inactive."
            else:
                scope["user"] = user
        return await super().__call__(scope, receive, send)
