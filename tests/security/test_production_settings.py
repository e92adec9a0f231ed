"""Production mode (DJANGO_ENV=production): Django's deploy checks find nothing, and a missing secret stops
startup with a message naming it. Each case is a real ``manage.py`` process with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("DJANGO_SECRET_KEY", "OPTRADING_FERNET_KEY", "OPTRADING_WEBHOOK_SECRET", "OPTRADING_METRICS_TOKEN")


def _production_env(**overrides: str) -> dict[str, str]:
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "OPTRADING_", "KITE_", "DATABASE_", "REDIS_"))
    }
    base.update(
        DJANGO_SETTINGS_MODULE="optrading.settings.base",
        DJANGO_ENV="production",
        DJANGO_ALLOWED_HOSTS="optrading.example.com",
        DJANGO_SECRET_KEY="p" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
        OPTRADING_FERNET_KEY=Fernet.generate_key().decode(),
        OPTRADING_WEBHOOK_SECRET="w" * 40,
        OPTRADING_METRICS_TOKEN="m" * 40,
        OPTRADING_BEHIND_PROXY="true",
    )
    base.update(overrides)
    return base


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_deploy_check_is_clean_in_production_mode() -> None:
    done = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert done.returncode == 0, done.stderr + done.stdout
    assert "System check identified no issues (0 silenced)." in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


def test_development_mode_does_warn_so_the_check_can_fail() -> None:
    """The same check without production mode flags HSTS and the cookies (the check above is not vacuous)."""
    env = _production_env(DJANGO_ENV="development")
    done = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert done.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr + done.stdout


@pytest.mark.parametrize("name", SECRETS)
def test_a_missing_secret_stops_startup_naming_it(name: str) -> None:
    env = _production_env()
    del env[name]
    done = _manage("check", env=env)
    assert done.returncode != 0
    assert f"{name} is not set" in done.stderr


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "OPTRADING_WEBHOOK_SECRET", "OPTRADING_METRICS_TOKEN"])
def test_a_short_secret_is_refused(name: str) -> None:
    done = _manage("check", env=_production_env(**{name: "short"}))
    assert done.returncode != 0
    assert f"{name} is too short" in done.stderr


def test_a_malformed_fernet_key_is_refused_naming_its_position() -> None:
    good = Fernet.generate_key().decode()
    done = _manage("check", env=_production_env(OPTRADING_FERNET_KEY=f"{good},not-a-key"))
    assert done.returncode != 0
    assert "OPTRADING_FERNET_KEY: key 2 is not a Fernet key" in done.stderr


def test_debug_is_refused_in_production() -> None:
    done = _manage("check", env=_production_env(DJANGO_DEBUG="true"))
    assert done.returncode != 0
    assert "DJANGO_DEBUG must be false" in done.stderr
