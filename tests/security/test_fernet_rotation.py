"""Broker tokens under MultiFernet: a new key first keeps old sessions readable, and ``rotate_broker_tokens``
re-encrypts the stored rows under it so the old key can be dropped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from apps.brokers import crypto
from apps.brokers.models import BrokerSession

pytestmark = pytest.mark.django_db


def _session(user_id: str, token: str) -> BrokerSession:
    now = timezone.now()
    session = BrokerSession(provider="kite", user_id=user_id, login_time=now, expires_at=now + timedelta(hours=8))
    session.set_access_token(token)
    session.save()
    return session


def test_rotation_round_trip_on_stored_sessions(settings, capsys) -> None:  # type: ignore[no-untyped-def]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.OPTRADING_FERNET_KEY = old
    first, second = _session("AB1234", "access-token-one"), _session("CD5678", "access-token-two")
    written_under_old = {first.pk: first.access_token_encrypted, second.pk: second.access_token_encrypted}

    settings.OPTRADING_FERNET_KEY = f"{new},{old}"  # the new key first: old rows still read
    assert BrokerSession.objects.get(pk=first.pk).get_access_token() == "access-token-one"

    call_command("rotate_broker_tokens")
    assert "2 broker token(s) re-encrypted under the first key." in capsys.readouterr().out

    settings.OPTRADING_FERNET_KEY = new  # the old key gone: the rotated rows read under the new one alone
    for pk, token in ((first.pk, "access-token-one"), (second.pk, "access-token-two")):
        row = BrokerSession.objects.get(pk=pk)
        assert row.access_token_encrypted != written_under_old[pk]
        assert Fernet(new.encode()).decrypt(row.access_token_encrypted.encode()).decode() == token
        assert row.get_access_token() == token


def test_without_rotation_dropping_the_old_key_loses_the_session(settings) -> None:  # type: ignore[no-untyped-def]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.OPTRADING_FERNET_KEY = old
    session = _session("AB1234", "access-token-one")
    settings.OPTRADING_FERNET_KEY = new
    assert BrokerSession.objects.get(pk=session.pk).get_access_token() is None


def test_a_token_no_key_reads_makes_the_command_fail_and_stays_as_it_was(settings) -> None:  # type: ignore[no-untyped-def]
    lost, kept, new = (Fernet.generate_key().decode() for _ in range(3))
    settings.OPTRADING_FERNET_KEY = lost
    orphan = _session("AB1234", "lost-token")
    settings.OPTRADING_FERNET_KEY = kept
    readable = _session("CD5678", "kept-token")
    settings.OPTRADING_FERNET_KEY = f"{new},{kept}"
    with pytest.raises(CommandError, match="1 broker token\\(s\\) are readable by none of the keys") as caught:
        call_command("rotate_broker_tokens")
    assert caught.value.returncode == 1
    assert BrokerSession.objects.get(pk=orphan.pk).access_token_encrypted == orphan.access_token_encrypted
    settings.OPTRADING_FERNET_KEY = new
    assert BrokerSession.objects.get(pk=readable.pk).get_access_token() == "kept-token"


def test_development_without_a_key_derives_one_from_the_secret_key(settings) -> None:  # type: ignore[no-untyped-def]
    settings.OPTRADING_FERNET_KEY = ""
    ciphertext = crypto.encrypt("dev-token")
    assert Fernet(crypto.derived_key(settings.SECRET_KEY).encode()).decrypt(ciphertext.encode()) == b"dev-token"


def test_a_malformed_key_names_its_position() -> None:
    with pytest.raises(crypto.FernetKeyError, match="key 2 is not a Fernet key"):
        crypto.parse_keys(f"{Fernet.generate_key().decode()}, nope")
