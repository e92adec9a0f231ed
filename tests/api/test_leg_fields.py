"""One list of option-leg fields (apps.marketdata.legs): the model, the API's leg shapes and the analytics writer
all follow it, so a new column cannot be forgotten in one of them."""

from __future__ import annotations

from collections import Counter

import pytest

import pricing
from apps.analytics.selectors.chain import LEG_FIELDS, GreeksLeg
from apps.analytics.services.quote_writer import FIELD_NAMES
from apps.api.exports import CHAIN_COLUMNS
from apps.api.serializers import ChainLegSerializer
from apps.marketdata import legs
from apps.marketdata.models import OptionQuote

pytestmark = pytest.mark.django_db


def test_it_covers_every_column_of_the_quote_model_exactly_once() -> None:
    declared = Counter((*legs.IDENTITY, *legs.MARKET, *legs.ANALYTICS, *legs.BOOKKEEPING))
    assert declared == Counter(field.name for field in OptionQuote._meta.concrete_fields)


def test_it_gives_the_chain_leg_the_quote_and_analytics_fields() -> None:
    assert tuple(ChainLegSerializer().fields) == (
        "tradingsymbol",
        "price",
        *legs.QUOTE,
        *legs.ANALYTICS,
        *legs.SECOND_ORDER,  # only with greeks=all
    )
    assert legs.SECOND_ORDER == pricing.SECOND_ORDER


def test_it_sends_every_leg_field_in_the_option_chain(api, archived_chain) -> None:
    leg = api.get("/api/v1/option-chain/NIFTY").json()["rows"][0]["ce"]
    assert list(leg) == ["tradingsymbol", "price", *legs.QUOTE, *legs.ANALYTICS]
    assert (leg["oi_day_high"], leg["bid_qty"], leg["ask_qty"], leg["close_price"]) == (0, 975, 650, 110.0)


def test_it_types_the_greeks_leg_with_the_same_fields() -> None:
    assert ("strike_offset", *legs.QUOTE, *legs.ANALYTICS) == LEG_FIELDS
    assert tuple(GreeksLeg.__annotations__) == LEG_FIELDS


def test_it_exports_each_side_of_the_chain_with_the_chain_leg_fields() -> None:
    sides = CHAIN_COLUMNS[-2 * len(legs.CHAIN) :]
    assert sides == [f"{side}_{name}" for side in ("ce", "pe") for name in legs.CHAIN]


def test_it_writes_back_exactly_the_analytics_fields() -> None:
    assert (*legs.ANALYTICS, "analysed_at") == FIELD_NAMES
