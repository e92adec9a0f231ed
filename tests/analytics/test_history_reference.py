"""The history selectors answer exactly what they answered before their aggregation moved into the database.

tests/fixtures/history/reference_outputs.json was written by the Python-loop selectors on the archive of
``history_reference.reference_archive``; every key, list and text must match, and every number to 1e-9.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tests.analytics.history_reference import reference_archive, reference_outputs
from tests.factories.market import UnderlyingFactory

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "history" / "reference_outputs.json"


def _differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(expected) != set(actual):
            return [f"{path}: keys {sorted(expected)} != {sorted(actual) if isinstance(actual, dict) else actual!r}"]
        return [d for key in expected for d in _differences(expected[key], actual[key], f"{path}.{key}")]
    if isinstance(expected, list):
        if not isinstance(actual, list | tuple) or len(expected) != len(actual):
            return [f"{path}: {len(expected)} items != {actual!r}"]
        return [
            d for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for d in _differences(e, a, f"{path}[{i}]")
        ]
    if isinstance(expected, float) and not isinstance(actual, bool) and isinstance(actual, int | float):
        return (
            [] if math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12) else [f"{path}: {expected} != {actual}"]
        )
    return [] if expected == actual and type(expected) is type(actual) else [f"{path}: {expected!r} != {actual!r}"]


def test_every_history_selector_answers_as_before_on_the_reference_archive() -> None:
    reference_archive(UnderlyingFactory())
    expected = json.loads(REFERENCE.read_text())
    actual = json.loads(json.dumps(reference_outputs()))  # the API's JSON view of the typed results
    assert _differences(expected, actual) == []
