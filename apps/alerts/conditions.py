"""When a rule fires: one step of a rule's state per evaluated point. Pure Python, no Django.

* ``above`` / ``below`` fire when the condition becomes true (the first evaluation included), and again only
  after it has been false (``armed`` remembers that).
* ``crosses_above`` / ``crosses_below`` need a previous value on the other side (or on the line).
* ``moves_by`` fires when the value is at least the amount away from the baseline: the value when the rule last
  fired (or when it was created); the baseline then moves to the value.
* ``changes`` (labels) fires when the label differs from the last one seen.

Cooldown is the caller's (it needs minutes): a step that fires inside the cooldown is suppressed, its crossing
consumed, except that ``moves_by`` keeps measuring from its old baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

ABOVE = "above"
BELOW = "below"
CROSSES_ABOVE = "crosses_above"
CROSSES_BELOW = "crosses_below"
MOVES_BY = "moves_by"
CHANGES = "changes"


@dataclass(frozen=True)
class RuleState:
    last_value: float | None = None
    last_text: str = ""
    armed: bool = True
    baseline: float | None = None
    baseline_text: str = ""


@dataclass(frozen=True)
class Step:
    fire: bool
    state: RuleState
    previous_value: float | None
    previous_text: str


def condition_step(
    *, condition: str, value: float | None, text: str, threshold: float | None, state: RuleState, suppressed: bool
) -> Step:
    """The rule's next state after seeing (``value``, ``text``); ``suppressed`` = inside the cooldown."""
    if condition == CHANGES:
        if not text:  # no label at this point (the bucket had no analysed expiry): nothing seen
            return Step(fire=False, state=state, previous_value=None, previous_text=state.baseline_text)
        previous_label = state.baseline_text
        changed = bool(previous_label) and text != previous_label
        new = replace(state, last_text=text, baseline_text=text)
        return Step(fire=changed and not suppressed, state=new, previous_value=None, previous_text=previous_label)
    if value is None:
        return Step(fire=False, state=state, previous_value=state.last_value, previous_text=state.last_text)
    assert threshold is not None
    previous = state.last_value
    new = replace(state, last_value=value, last_text=text)
    fire = False
    if condition in (ABOVE, BELOW):
        true = value > threshold if condition == ABOVE else value < threshold
        fire = true and state.armed
        new = replace(new, armed=not true)
    elif condition == CROSSES_ABOVE:
        fire = previous is not None and previous <= threshold < value
    elif condition == CROSSES_BELOW:
        fire = previous is not None and previous >= threshold > value
    elif condition == MOVES_BY:
        if state.baseline is None:
            new = replace(new, baseline=value)
        elif abs(value - state.baseline) >= threshold:
            fire = True
            previous = state.baseline
            if not suppressed:
                new = replace(new, baseline=value)
    else:
        raise ValueError(f"unknown condition {condition!r}")
    return Step(fire=fire and not suppressed, state=new, previous_value=previous, previous_text=state.last_text)
