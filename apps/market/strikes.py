"""Strike arithmetic on listed strikes: step, ATM, offsets from ATM. Pure Python, no Django.

Strike steps and ladders are read from what the exchange lists, never assumed: the step near the money is
the smallest positive gap between the listed strikes nearest the price (far strikes are often wider apart).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence

NEIGHBOURS = 2
"""How many listed strikes on each side of the price define "near" for the strike step (the wings widen fast)."""
TOLERANCE = 1e-6
MAX_OFFSET = 200

_RANGE = re.compile(r"^\s*([+-]?\d+)\s*\.\.\s*([+-]?\d+)\s*$")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")


def _sorted_unique(strikes: Iterable[float]) -> list[float]:
    return sorted({float(strike) for strike in strikes})


def strike_step(strikes: Sequence[float], near: float) -> float:
    """The smallest positive gap between the listed strikes near ``near``."""
    listed = _sorted_unique(strikes)
    if len(listed) < 2:
        raise ValueError(f"Need at least two listed strikes to find the step, got {len(listed)}.")
    index = bisect.bisect_left(listed, near)
    window = listed[max(0, index - NEIGHBOURS) : index + NEIGHBOURS]
    if len(window) < 2:
        window = listed[-2:] if index >= len(listed) else listed[:2]
    return min(high - low for low, high in itertools.pairwise(window))


def atm_strike(strikes: Sequence[float], forward: float) -> float:
    """The listed strike nearest ``forward``; on a tie, the higher strike."""
    listed = _sorted_unique(strikes)
    if not listed:
        raise ValueError("No listed strikes to choose the ATM strike from.")
    return min(listed, key=lambda strike: (abs(strike - forward), -strike))


def strike_offset(strike: float, atm: float, step: float) -> int:
    """Steps from ATM: +1 is one step above the ATM strike, -1 one below."""
    if step <= 0:
        raise ValueError(f"Strike step must be positive, got {step}.")
    return round((strike - atm) / step)


def strikes_for_offsets(strikes: Sequence[float], atm: float, offsets: Iterable[int]) -> dict[int, float]:
    """Offset -> listed strike ``atm + offset * step`` (step = the listed step near ATM), for the offsets whose
    strike is listed. Offsets whose strike is not listed are left out."""
    listed = _sorted_unique(strikes)
    if not listed:
        return {}
    step = strike_step(listed, atm) if len(listed) > 1 else 1.0
    found: dict[int, float] = {}
    for offset in offsets:
        target = atm + offset * step
        index = bisect.bisect_left(listed, target - TOLERANCE * max(1.0, abs(target)))
        if index < len(listed) and abs(listed[index] - target) <= TOLERANCE * max(1.0, abs(target)):
            found[offset] = listed[index]
    return found


def parse_offsets(text: str) -> list[int]:
    """``"-2..2"`` or ``"-2,-1,0,1,2"`` -> sorted unique offsets. Raises ValueError naming the bad text."""
    if text is None or not str(text).strip():
        raise ValueError(f"Strike offsets {text!r} are empty; use a range like '-2..2' or a list like '-1,0,1'.")
    match = _RANGE.match(text)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if low > high:
            raise ValueError(f"Strike offsets {text!r}: the range start {low} is above its end {high}.")
        values = list(range(low, high + 1))
    else:
        parts = text.split(",")
        bad = [part for part in parts if not _INTEGER.match(part)]
        if bad:
            raise ValueError(
                f"Strike offsets {text!r}: {bad[0].strip()!r} is not an integer; "
                "use a range like '-2..2' or a list like '-1,0,1'."
            )
        values = [int(part) for part in parts]
    too_far = [value for value in values if abs(value) > MAX_OFFSET]
    if too_far:
        raise ValueError(f"Strike offsets {text!r}: {too_far[0]} is more than {MAX_OFFSET} steps from ATM.")
    return sorted(set(values))
