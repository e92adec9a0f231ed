"""Encryption at rest for broker tokens (MultiFernet).

The keys are OPTRADING_FERNET_KEY, a comma-separated list: the first encrypts, every one decrypts, so a new key
put first keeps the sessions written under the old ones readable until ``rotate_broker_tokens`` re-encrypts them
(then the old key can go). Production requires the variable; development derives a key from SECRET_KEY when it is
unset, so ``make run`` needs no setup (docs/security.md).
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class FernetKeyError(ValueError):
    """A configured key is not a Fernet key (32 url-safe base64-encoded bytes)."""


def derived_key(secret_key: str) -> str:
    """The development key: a hash of the secret key (never used in production)."""
    digest = hashlib.sha256(("optrading-broker-tokens:" + secret_key).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def parse_keys(value: str) -> list[str]:
    """The keys of a comma-separated OPTRADING_FERNET_KEY, checked; the first is the one that encrypts."""
    keys = [part.strip() for part in value.split(",") if part.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError as exc:
            raise FernetKeyError(
                f"OPTRADING_FERNET_KEY: key {position} is not a Fernet key (32 url-safe base64-encoded bytes); "
                'generate one with python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())".'
            ) from exc
    return keys


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _fernet() -> MultiFernet:
    keys = tuple(parse_keys(settings.OPTRADING_FERNET_KEY)) or (derived_key(settings.SECRET_KEY),)
    return _multi_fernet(keys)


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str | None:
    """The plaintext, or None when none of the configured keys wrote it."""
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        return None


def rotate(ciphertext: str) -> str | None:
    """The same plaintext encrypted under the first key (MultiFernet.rotate), or None when no key reads it."""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        return None
