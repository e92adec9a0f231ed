"""The analytics models and their migrations agree: nothing is left for makemigrations to write."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_it_has_a_migration_for_every_model_change() -> None:
    out = StringIO()
    call_command("makemigrations", "analytics", "--check", "--dry-run", stdout=out)  # exits 1 when one is missing
    assert "No changes detected" in out.getvalue()
