"""API access for programs: one DRF token per user, issued from the command line or the admin."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.core.errors import NotFoundError


@transaction.atomic
def api_token_issue(*, username: str, reset: bool = False) -> tuple[Token, bool]:
    """The user's token, created when missing or replaced when ``reset``. Returns (token, created)."""
    user_model = get_user_model()
    user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        raise NotFoundError(f"No user named {username!r}; create one with `python manage.py createsuperuser`.")
    if reset:
        Token.objects.filter(user=user).delete()
    token, created = Token.objects.get_or_create(user=user)
    return token, created
