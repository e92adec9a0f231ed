"""Owned leases: a named lock that only its holder releases, that expires, and that a dead holder loses.

``lease_acquire`` claims the row with one conditional UPDATE (free, expired, taken more than a lease length
"after" now because the clock stepped back, or held by a process of this host that no longer exists) and
succeeds only when exactly that one row changed, so two processes can never both hold it (healthchecks'
claim pattern). ``lease_release`` deletes the claim only when the token
is still the caller's (compare-and-delete). Works the same on PostgreSQL and on the embedded SQLite.
Time is passed in, never read here, so tests step the clock.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q

from apps.core.models import Lease

logger = logging.getLogger(__name__)
_unreleased: dict[str, HeldLease] = {}
"""Leases this process could not release (the database was down): released before the next acquire."""
_unreleased_lock = threading.Lock()


@dataclass(frozen=True)
class HeldLease:
    name: str
    token: str
    holder: str
    expires_at: datetime


def this_holder() -> str:
    """``host:pid`` of the calling process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_dead(holder: str) -> bool:
    """True when ``holder`` names a process of this host that no longer runs. A holder on another host
    cannot be checked from here: it keeps the lease until it expires."""
    host, _, pid_text = holder.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, run by another user
        return False
    return False


def _ensure_row(name: str) -> None:
    if Lease.objects.filter(name=name).exists():
        return
    try:
        with transaction.atomic():
            Lease.objects.create(name=name)
    except IntegrityError:  # another process created it first
        pass


def lease_acquire(*, name: str, ttl: timedelta, now: datetime, holder: str | None = None) -> HeldLease | None:
    """The lease ``name`` for ``ttl`` from ``now``, or None while another live holder has it."""
    holder = holder or this_holder()
    with _unreleased_lock:
        pending = _unreleased.pop(name, None)
    if pending is not None:
        lease_release(lease=pending)
    _ensure_row(name)
    token = secrets.token_hex(16)
    claim = {"token": token, "holder": holder, "acquired_at": now, "expires_at": now + ttl}
    # Free, expired, or taken "in the future": the clock stepped back by more than a lease since, and
    # waiting for an expiry that far ahead would block the job for as long as the step.
    free = Q(token="") | Q(expires_at__isnull=True) | Q(expires_at__lte=now) | Q(acquired_at__gt=now + ttl)
    if Lease.objects.filter(free, name=name).update(**claim) == 1:
        return HeldLease(name=name, token=token, holder=holder, expires_at=now + ttl)
    current = Lease.objects.filter(name=name).values("token", "holder").first()
    # Steal from a dead process, but only the claim we saw: if it changed meanwhile, someone else won.
    if (
        current
        and holder_is_dead(current["holder"])
        and Lease.objects.filter(name=name, token=current["token"]).update(**claim) == 1
    ):
        return HeldLease(name=name, token=token, holder=holder, expires_at=now + ttl)
    return None


def lease_release(*, lease: HeldLease) -> bool:
    """Free the lease if ``lease`` still holds it; False when it expired and someone else took it, or when the
    database cannot be reached: then this process frees it before it next asks for it, instead of leaving the
    job blocked until the lease expires."""
    try:
        return Lease.objects.filter(name=lease.name, token=lease.token).update(token="", expires_at=None) == 1
    except DatabaseError:
        logger.warning(
            "could not release lease %s (database unreachable); releasing it at the next acquire", lease.name
        )
        with _unreleased_lock:
            _unreleased[lease.name] = lease
        return False


def lease_holder(*, name: str) -> str | None:
    """Who holds ``name`` at the moment (for messages), or None when free."""
    row = Lease.objects.filter(name=name).exclude(token="").values("holder").first()
    return row["holder"] if row else None
