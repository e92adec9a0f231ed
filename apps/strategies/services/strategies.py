"""Saving, changing and deleting a user's strategies."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from apps.strategies.models import Strategy
from apps.strategies.services.payoff import underlying_for


def strategy_create(
    *, owner: AbstractBaseUser, name: str, symbol: str, legs: list[dict[str, Any]], notes: str = ""
) -> Strategy:
    return Strategy.objects.create(
        owner_id=owner.pk, name=name, underlying=underlying_for(symbol), legs=legs, notes=notes
    )


def strategy_update(*, strategy: Strategy, changes: dict[str, Any]) -> Strategy:
    if "symbol" in changes:
        strategy.underlying = underlying_for(changes.pop("symbol"))
    for name in ("name", "legs", "notes"):
        if name in changes:
            setattr(strategy, name, changes[name])
    strategy.save()
    return strategy


def strategy_delete(*, strategy: Strategy) -> None:
    strategy.delete()
