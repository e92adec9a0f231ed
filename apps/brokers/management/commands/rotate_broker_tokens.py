"""Re-encrypt the stored broker tokens under the first key of OPTRADING_FERNET_KEY.

Rotation: put the new key first (``OPTRADING_FERNET_KEY=new,old``), restart, run this command, then drop the old
key. Exit status 0; 1 when some token is readable by none of the keys (those sessions need a new login).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.brokers.services import broker_tokens_rotate


class Command(BaseCommand):
    help = "Re-encrypt stored broker tokens under the first OPTRADING_FERNET_KEY (key rotation)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = broker_tokens_rotate()
        self.stdout.write(f"{result.rotated} broker token(s) re-encrypted under the first key.")
        if result.unreadable:
            raise CommandError(
                f"{result.unreadable} broker token(s) are readable by none of the keys in OPTRADING_FERNET_KEY; "
                "log in to the broker again.",
                returncode=1,
            )
