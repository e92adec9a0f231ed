"""Fault tests: real processes, killed, raced and starved of their services. ``make chaos`` runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import database_url

ROOT = Path(__file__).resolve().parents[2]


def child_env(**overrides: str) -> dict[str, str]:
    """The environment of a platform process of a fault test: base settings, this test's database, no Redis
    (embedded) unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_SETTINGS", "REDIS_URL", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="optrading.settings.base",
        DJANGO_SECRET_KEY="chaos-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        DATABASE_URL=database_url(),
        REDIS_URL="",
        OPTRADING_BROKER="simulated",
        PYTHONPATH=str(ROOT),
    )
    env.update(overrides)
    return env


def minute_process(now: str, *, delay: float = 0.0, **env: str) -> subprocess.Popen[str]:
    """``tests.chaos.minute_process``: one process collecting the minute of ``now``."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.chaos.minute_process", now, str(delay)],
        cwd=ROOT,
        env=child_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/chaos/" in str(item.fspath):
            item.add_marker(pytest.mark.chaos)


# The Kite double and a session on it, for the broker faults (the same fixtures as tests/brokers/kite).
from tests.brokers.kite.conftest import kite_broker, kite_double, kite_session, kite_settings  # noqa: E402, F401
