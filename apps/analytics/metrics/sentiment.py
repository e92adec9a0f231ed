"""A transparent sentiment label for one expiry from positioning (documented in docs/analytics.md).

Three votes, each -1, 0 or +1:
* OI PCR: ≥ 1.2 → +1 (put writing dominates), ≤ 0.8 → -1 (call writing dominates), else 0.
* ΔOI PCR (today's fresh positions): ≥ 1.2 → +1, ≤ 0.8 → -1, undefined or in between → 0.
* Forward vs max pain: forward more than 0.5 % below max pain → +1 (pull up), more than 0.5 % above → -1.
Score = sum of votes; ≥ +2 "bullish", ≤ -2 "bearish", else "neutral".
"""

from __future__ import annotations

BULLISH = "bullish"
BEARISH = "bearish"
NEUTRAL = "neutral"

PCR_HIGH = 1.2
PCR_LOW = 0.8
MAX_PAIN_BAND = 0.005


def _pcr_vote(value: float | None) -> int:
    if value is None:
        return 0
    if value >= PCR_HIGH:
        return 1
    if value <= PCR_LOW:
        return -1
    return 0


def sentiment(
    *, pcr_oi: float | None, pcr_oi_change: float | None, forward: float | None, max_pain: float | None
) -> tuple[str, int]:
    """(label, score) by the rule above."""
    score = _pcr_vote(pcr_oi) + _pcr_vote(pcr_oi_change)
    if forward is not None and max_pain is not None and max_pain > 0:
        gap = (forward - max_pain) / max_pain
        if gap < -MAX_PAIN_BAND:
            score += 1
        elif gap > MAX_PAIN_BAND:
            score -= 1
    if score >= 2:
        return BULLISH, score
    if score <= -2:
        return BEARISH, score
    return NEUTRAL, score
