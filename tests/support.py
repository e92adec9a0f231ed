"""Small helpers shared by tests that start child processes."""

from __future__ import annotations

from django.conf import settings


def database_url() -> str:
    """The URL of the database this test run uses, for a child process to connect to."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
