"""runplatform supervises its processes: a child that dies is restarted with backoff, not the end of the platform
(the real kill and restart is in test_runplatform_smoke.py, on the platform it already starts)."""

from __future__ import annotations

from apps.platform.management.commands.runplatform import Backoff


def test_the_restart_delay_doubles_while_a_child_keeps_dying_and_resets_once_it_stays_up() -> None:
    backoff = Backoff()
    backoff.started(0.0)
    assert [backoff.failed(t) for t in (1.0, 3.0, 7.0)] == [1.0, 2.0, 4.0]
    backoff.started(8.0)
    assert backoff.failed(8.5) == 8.0
    backoff.started(100.0)
    assert backoff.failed(200.0) == 1.0  # it had stayed up over a minute
    for attempt in range(10):
        backoff.started(300.0 + attempt)
        backoff.failed(300.5 + attempt)
    assert backoff.failed(310.0) == 60.0  # capped
