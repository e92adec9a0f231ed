"""One worker process collecting one minute: ``python -m tests.chaos.minute_process NOW [DELAY]``.

It runs the platform's own ``minute_collect`` with an injected clock (NOW, ISO 8601) against the database
named by DATABASE_URL, and prints its outcome as JSON. The fault tests start it, kill it, race two of it.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optrading.settings.base")
    import django

    django.setup()
    from apps.collection.services.minute import minute_collect
    from tests.chaos.brokers import LiveClockBroker

    now = datetime.fromisoformat(sys.argv[1])
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    outcome = minute_collect(now=now, broker=LiveClockBroker(delay=delay))
    print(json.dumps(outcome.as_dict()), flush=True)


if __name__ == "__main__":
    main()
