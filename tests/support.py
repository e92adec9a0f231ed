"""Small helpers shared by tests that start child processes."""

from __future__ import annotations

import os

from django.conf import settings


def database_url() -> str:
    """The URL of the database this test run uses, for a child process to connect to."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_process_env(**extra: str) -> dict[str, str]:
    """The environment for a child process on the test settings, pointed at this test run's database and Redis.

    Under ``pytest -n`` each worker has a database and a Redis db of its own (``optrading/settings/test.py``); the
    child is given them explicitly, and not the worker's name, so it does not derive them a second time.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_XDIST_WORKER"}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "optrading.settings.test",
        "TEST_DATABASE_URL": database_url(),
        "TEST_REDIS_URL": settings.REDIS_URL,
        **extra,
    }
