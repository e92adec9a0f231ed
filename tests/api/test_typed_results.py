"""The selectors behind the API return what their result types declare, key for key and value for value,
on a realistic market day (mypy cannot see the values that come out of the database or a JSON column)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from apps.analytics import selectors as analytics
from apps.overview import selectors as overview
from apps.participants import selectors as participants
from tests.api.typed_values import result_type, type_errors

pytestmark = pytest.mark.django_db


def _calls(market_day: dict) -> list[tuple[Callable[..., Any], dict[str, Any]]]:
    last = market_day["minutes"][-1]
    bhavcopy = market_day["bhavcopy_minute"]
    chain = {"underlying": "NIFTY", "bucket": "this_week"}
    at_close = {"underlying": "NIFTY", "expiry": date(2026, 3, 30), "at": bhavcopy}
    since = {"start": bhavcopy - timedelta(days=1), "end": last}
    return [
        *(
            (selector, arguments)
            for selector in (
                analytics.chain_summary,
                analytics.chain_greeks,
                analytics.iv_smile,
                analytics.iv_surface,
                analytics.oi_by_strike,
                analytics.gex,
            )
            for arguments in (chain, at_close)
        ),
        (analytics.price_toggle, {**chain, "mode": "average"}),
        (analytics.overlay, {**chain, "sessions": 3}),
        (analytics.history, {"underlying": "NIFTY", "field": "max_pain", **since}),
        (analytics.iv_rank, {"underlying": "NIFTY", "sessions": 20}),
        (analytics.expiry_comparison, {"underlying": "NIFTY", "field": "pcr_oi"}),
        (analytics.overlay, {**chain, "align": "dte"}),
        (analytics.vix_correlation, {"underlying": "NIFTY", "window": 3}),
        (analytics.volatility_series, {"underlying": "NIFTY", **since}),
        (overview.overview_breadth, {}),
        (overview.overview_sectors, {}),
        (overview.overview_indices, {}),
        (participants.participants_for_date, {"day": date(2026, 7, 28)}),
        (participants.participants_history, {"date_from": date(2015, 1, 1), "date_to": date(2026, 12, 31)}),
    ]


def test_each_selector_returns_exactly_its_declared_type(market_day) -> None:
    errors = []
    for selector, arguments in _calls(market_day):
        result = selector(**arguments)
        assert result, (selector.__name__, arguments)  # realistic data: nothing empty
        errors += [f"{selector.__name__}: {error}" for error in type_errors(result, result_type(selector))]
    assert errors == []
