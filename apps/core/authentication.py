"""DRF authentication by hashed API token (``Authorization: Token <key>``), and read-only tokens."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from apps.core.api_tokens import api_token_for_key_cached
from apps.core.models import ApiToken

READ_ONLY_REFUSAL = "This API token is read-only: it may only read (GET, HEAD, OPTIONS)."


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's ``Token`` scheme against ``ApiToken`` digests; a read-only token is refused (403) for any unsafe method,
    on every view, whatever its permission classes."""

    model = ApiToken

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        result = super().authenticate(request)
        if result is not None and result[1].read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(READ_ONLY_REFUSAL)
        return result

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = api_token_for_key_cached(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return token.user, token
