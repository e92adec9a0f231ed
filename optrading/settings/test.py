"""Tests run against real PostgreSQL and Redis (never SQLite, never a fake Redis)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/optrading_test")
_redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Under `pytest -n N` (pytest-xdist) worker gwK uses the Redis db K below the configured one (15, 14, ...), as
# pytest-django gives it a database of its own (optrading_test_gwK): every test empties its Redis db first.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw"):
    _base, _, _db = _redis_url.rpartition("/")
    _redis_url = f"{_base}/{int(_db or 0) - int(_worker[2:])}"
os.environ["REDIS_URL"] = _redis_url

from optrading.settings.base import *  # noqa: E402, F403

DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Django's PostgreSQL backend with a transactional test's flush by DELETE instead of TRUNCATE (1-3 s each here):
# tests/postgresql_flush_by_delete/__init__.py says why.
DATABASES["default"]["ENGINE"] = "tests.postgresql_flush_by_delete"  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": DATABASES["default"]["NAME"]}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
OPTRADING_COLLECT_INTERVAL = 5
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"user": "100000/min", "anon": "100000/min"}  # noqa: F405
# Alert email lands in django.core.mail.outbox; no SMTP server is ever called.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The other tests collect ATM ± 2 (small chains, fast on CI); the shipped default ATM ± 10 is checked, and its
# quote-call budget measured, in tests/collection/test_strike_budget.py.
OPTRADING_STRIKE_OFFSETS = "-2..2"
# replay (apps/collection/services/replay.py) reads its source day through this alias while "default" points at
# the database replayed into; in tests it mirrors the test database.
DATABASES["replay_source"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
# WhiteNoise scanning the static files once per test process, not once per test Client (tests/static_once says
# why); everything else about it is WhiteNoise's own.
MIDDLEWARE[MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware")] = "tests.static_once.WhiteNoiseScannedOnce"  # noqa: F405
