"""The one place that reads the environment (cookiecutter-django style).

``.env`` at the project root is read when present, so ``make run`` picks up a
trader's local configuration without exporting anything.
"""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_dotenv = BASE_DIR / ".env"
if _dotenv.exists():
    environ.Env.read_env(str(_dotenv), overwrite=False)
