"""First-run setup shared by ``make run`` and ``runplatform --setup``: every step is idempotent."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import timezone

from apps.brokers.base import BrokerError, get_broker
from apps.collection.services.instruments import instruments_sync
from apps.core.errors import ApplicationError
from apps.market.services import underlyings_load
from apps.platform.services.history import Backfill, sim_history_backfill
from apps.platform.services.periodic_tasks import periodic_tasks_setup


def admin_ensure(*, username: str = "admin") -> str | None:
    """Create a local superuser when there is none; returns its generated password (shown once)."""
    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return None
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        user_model.objects.create_superuser(username=username, email="", password=password)
    return password


def platform_setup(*, say: Callable[[str], None], progress: Callable[[int, int], None] | None = None) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    say("database migrated")
    say(f"underlyings loaded: {underlyings_load()}")
    try:
        result = instruments_sync(broker=get_broker())
        say(f"instruments synced: {result}")
    except BrokerError as exc:
        say(f"instruments NOT synced ({exc}); log in and run `python manage.py sync_instruments`")
    broker = None
    try:
        broker = get_broker()
    except BrokerError as exc:
        say(f"no simulated history back-filled ({exc})")
    if broker is not None:
        started = time.monotonic()
        try:
            filled = sim_history_backfill(broker=broker, now=timezone.now(), progress=progress)
        except (ApplicationError, DatabaseError) as exc:  # the platform starts without history rather than not at all
            filled = Backfill(skipped=f"it failed: {exc}")
        if filled.skipped:
            say(f"simulated history: not back-filled ({filled.skipped})")
        else:
            say(
                f"simulated history: {len(filled.sessions)} sessions ({filled.sessions[0]} to {filled.sessions[-1]}), "
                f"{filled.minutes} minutes, {filled.options_stored} option quotes, {len(filled.participant_files)} "
                f"participant files in {time.monotonic() - started:.0f} s"
            )
    schedule = periodic_tasks_setup()
    say(f"periodic tasks: {schedule.created} created, {schedule.updated} updated, {schedule.removed} removed")
    password = admin_ensure()
    if password:
        say(f"admin user created: username 'admin', password '{password}' (shown only this once)")
