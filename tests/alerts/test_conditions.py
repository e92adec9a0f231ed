"""The condition state machine alone (pure): one step per point."""

from __future__ import annotations

from apps.alerts.conditions import RuleState, condition_step


def _run(
    condition: str, values: list[float | None], threshold: float | None, *, texts: list[str] | None = None
) -> list[int]:
    state = RuleState()
    fired = []
    for i, value in enumerate(values):
        text = texts[i] if texts else ""
        step = condition_step(
            condition=condition, value=value, text=text, threshold=threshold, state=state, suppressed=False
        )
        state = step.state
        if step.fire:
            fired.append(i)
    return fired


def test_above_fires_when_it_becomes_true_the_first_evaluation_included_and_again_only_after_false() -> None:
    assert _run("above", [1.3, 1.4, 1.1, 1.25, 1.2, 1.21], 1.2) == [0, 3, 5]


def test_below_mirrors_above() -> None:
    assert _run("below", [0.9, 0.7, 0.75, 0.85, 0.7], 0.8) == [1, 4]


def test_crosses_needs_a_previous_value_on_the_other_side() -> None:
    assert _run("crosses_above", [1.3, 1.1, 1.2, 1.21, 1.5, 1.0, 1.3], 1.2) == [3, 6]
    assert _run("crosses_below", [1.0, 1.3, 1.2, 1.19, 0.9, 1.4, 1.1], 1.2) == [3, 6]


def test_a_missing_value_changes_nothing() -> None:
    assert _run("crosses_above", [1.1, None, 1.3], 1.2) == [2]


def test_moves_by_measures_from_the_value_when_it_last_fired() -> None:
    # baseline 100 (first value): 149 is not 50 away, 150 is; then from 150: 101 is 49 away, 100 is 50.
    assert _run("moves_by", [100, 149, 150, 120, 101, 100], 50) == [2, 5]


def test_changes_fires_on_a_new_label_only() -> None:
    texts = ["neutral", "neutral", "bullish", "bullish", "", "neutral"]
    assert _run("changes", [None] * 6, None, texts=texts) == [2, 5]


def test_a_suppressed_step_consumes_the_crossing_but_moves_by_keeps_its_baseline() -> None:
    above = condition_step(condition="above", value=2.0, text="", threshold=1.0, state=RuleState(), suppressed=True)
    assert not above.fire and not above.state.armed  # consumed: must become false before it fires again
    moved = condition_step(
        condition="moves_by", value=160.0, text="", threshold=50.0, state=RuleState(baseline=100.0), suppressed=True
    )
    assert not moved.fire and moved.state.baseline == 100.0
