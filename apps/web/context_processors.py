"""Template context for every page: whether what the pages show is the simulated market's."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def simulated_market(request: HttpRequest) -> dict[str, bool]:
    """``simulated_market``: the configured broker is the simulated market, so every quote, analytic, back-filled
    history session and participant file on the pages is simulated (the header says so)."""
    return {"simulated_market": settings.OPTRADING_BROKER == "simulated"}
