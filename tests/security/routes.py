"""Every HTTP route of the URL configuration, walked from ``get_resolver()`` (admin routes included)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

_CONVERTER = re.compile(r"<(?:(?P<kind>[a-z]+):)?(?P<name>\w+)>")
_SAMPLE = {"int": "1", "str": "NIFTY", "path": "1", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000000"}


@dataclass(frozen=True)
class Route:
    pattern: str
    """The route as written, e.g. ``api/v1/errors/<int:pk>/resolve``."""
    name: str

    @property
    def sample_path(self) -> str:
        """A concrete URL for the route: converters filled with a sample value."""
        text = self.pattern
        if text.startswith("^"):  # regex routes (the admin's app index, its catch-all)
            text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "brokers" if m.group(1) == "app_label" else "x", text)
            text = text.lstrip("^").rstrip("$").replace("\\", "")
        return "/" + _CONVERTER.sub(lambda m: _SAMPLE[m.group("kind") or "str"], text)


def _walk(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield Route(pattern=prefix + str(entry.pattern), name=entry.name or "")


def http_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, ""))
