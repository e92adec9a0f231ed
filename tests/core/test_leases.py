"""Owned leases: one holder at a time, released only by its holder, lost when it expires or its process dies."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from apps.core.leases import holder_is_dead, lease_acquire, lease_release, this_holder
from apps.core.models import Lease

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 11, 30, 4, 45, tzinfo=UTC)
TTL = timedelta(seconds=55)


def test_it_gives_a_free_lease_and_refuses_it_while_held() -> None:
    first = lease_acquire(name="job", ttl=TTL, now=NOW)
    assert first is not None and first.expires_at == NOW + TTL
    assert lease_acquire(name="job", ttl=TTL, now=NOW + timedelta(seconds=54)) is None
    assert lease_release(lease=first)
    second = lease_acquire(name="job", ttl=TTL, now=NOW + timedelta(seconds=1))
    assert second is not None and second.token != first.token


def test_an_expired_lease_goes_to_the_next_caller_and_the_late_holder_cannot_release_it() -> None:
    late = lease_acquire(name="job", ttl=TTL, now=NOW)
    assert late is not None
    taken = lease_acquire(name="job", ttl=TTL, now=NOW + TTL)
    assert taken is not None
    assert not lease_release(lease=late)  # compare-and-delete: the token is no longer the late run's
    assert Lease.objects.get(name="job").token == taken.token
    assert lease_release(lease=taken)


def test_a_lease_held_by_a_dead_process_of_this_host_is_taken_over_at_once() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = f"{socket.gethostname()}:{child.pid}"
    assert holder_is_dead(dead)
    assert lease_acquire(name="job", ttl=TTL, now=NOW, holder=dead) is not None
    mine = lease_acquire(name="job", ttl=TTL, now=NOW + timedelta(seconds=1))
    assert mine is not None and mine.holder == this_holder()


def test_a_live_holder_or_one_on_another_host_keeps_its_lease() -> None:
    assert not holder_is_dead(this_holder())
    assert not holder_is_dead("some-other-host:1")
    assert lease_acquire(name="job", ttl=TTL, now=NOW, holder="some-other-host:1") is not None
    assert lease_acquire(name="job", ttl=TTL, now=NOW + timedelta(seconds=30)) is None


def test_of_many_concurrent_callers_exactly_one_gets_the_lease() -> None:
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def claim(index: int) -> None:
        try:
            barrier.wait()
            lease = lease_acquire(name="race", ttl=TTL, now=NOW, holder=f"elsewhere:{index}")
            if lease is not None:
                winners.append(lease.holder)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert Lease.objects.get(name="race").holder == winners[0]


def test_a_clock_stepping_back_does_not_block_the_lease_for_the_length_of_the_step() -> None:
    ahead = lease_acquire(name="job", ttl=TTL, now=NOW + timedelta(hours=1), holder="elsewhere:1")
    assert ahead is not None
    assert lease_acquire(name="job", ttl=TTL, now=NOW + timedelta(minutes=59, seconds=30)) is None  # within a lease
    back = lease_acquire(name="job", ttl=TTL, now=NOW)
    assert back is not None and back.holder == this_holder()
