"""Which instrument tokens go on which KiteTicker connection (pure).

Kite allows 3000 tokens per WebSocket connection and 3 connections per API key (docs/kite-protocol.md §7.1), so a
full-chain archive of five indices needs more than one connection. Assignments are sticky: a token
stays on its connection while it is wanted (no needless unsubscribe/subscribe churn when the ATM moves),
new tokens fill the connections in order, and what does not fit in all of them is reported, most
important tokens having been placed first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

TOKENS_PER_CONNECTION = 3000
CONNECTIONS_PER_KEY = 3


@dataclass
class ShardPlan:
    shards: list[set[int]]
    """Tokens per connection after the change (index = connection number)."""
    added: list[set[int]] = field(default_factory=list)
    removed: list[set[int]] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    """Wanted tokens that fit on no connection, in the caller's order of importance."""

    @property
    def changed(self) -> bool:
        return any(self.added) or any(self.removed)


def shards_plan(
    current: Sequence[set[int]],
    wanted: Sequence[int],
    *,
    per_connection: int = TOKENS_PER_CONNECTION,
    max_connections: int = CONNECTIONS_PER_KEY,
) -> ShardPlan:
    """The new assignment of ``wanted`` (ordered by importance, repeats ignored) given the ``current`` one."""
    if per_connection < 1 or max_connections < 1:
        raise ValueError("per_connection and max_connections must be positive")
    wanted_unique = list(dict.fromkeys(wanted))
    wanted_set = set(wanted_unique)
    shards = [set(shard) & wanted_set for shard in current[:max_connections]]
    placed = set().union(*shards) if shards else set()
    dropped: list[int] = []
    for token in wanted_unique:
        if token in placed:
            continue
        target = next((s for s in shards if len(s) < per_connection), None)
        if target is None and len(shards) < max_connections:
            target = set()
            shards.append(target)
        if target is None:
            dropped.append(token)
            continue
        target.add(token)
        placed.add(token)
    while shards and not shards[-1]:
        shards.pop()  # an emptied last connection is closed
    old = [set(s) for s in current] + [set() for _ in range(max(0, len(shards) - len(current)))]
    new = shards + [set() for _ in range(max(0, len(old) - len(shards)))]
    return ShardPlan(
        shards=shards,
        added=[n - o for o, n in zip(old, new, strict=True)],
        removed=[o - n for o, n in zip(old, new, strict=True)],
        dropped=dropped,
    )
