"""API access for programs: hashed API tokens, issued from the command line or the admin (apps.core.api_tokens)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from apps.core.api_tokens import IssuedToken, api_token_create
from apps.core.errors import NotFoundError
from apps.core.models import ApiToken


@transaction.atomic
def api_token_issue(*, username: str, reset: bool = False, read_only: bool = False, name: str = "") -> IssuedToken:
    """A new token for the user (its key is shown once); ``reset`` revokes the user's other tokens first."""
    user_model = get_user_model()
    user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        raise NotFoundError(f"No user named {username!r}; create one with `python manage.py createsuperuser`.")
    if reset:
        ApiToken.objects.filter(user=user).delete()
    return api_token_create(user=user, name=name, read_only=read_only)
